/**
 * An in-memory `vscode` module: enough of the API for the extension and vscode-languageclient to run under
 * node's test runner. Test bundles alias `vscode` to this file (scripts/build.mjs). It records what the extension
 * shows (messages, status bar, trees, terminals, documents, diagnostics) in `mock`, answers prompts from
 * `mock.answers`, and fires `mock.changed` on every visible change so tests wait on events, never on time.
 */

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument */

export const version = "1.82.0";

// --- basic types ----------------------------------------------------------------------------------------------------

export class Disposable {
  constructor(private readonly callback: () => unknown = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item?.dispose()));
  }
  dispose(): void {
    this.callback();
  }
}

export class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];
  readonly event = (listener: (value: T) => void, thisArg?: unknown, disposables?: Disposable[]): Disposable => {
    const bound = thisArg ? listener.bind(thisArg) : listener;
    this.listeners.push(bound);
    const disposable = new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== bound)));
    disposables?.push(disposable);
    return disposable;
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

/** An event nothing ever fires. */
const never = new EventEmitter<any>().event;

export class CancellationError extends Error {}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class Uri {
  private constructor(
    public readonly scheme: string,
    public readonly authority: string,
    public readonly path: string,
    public readonly query: string,
    public readonly fragment: string,
  ) {}

  get fsPath(): string {
    return decodeURIComponent(this.path);
  }

  static file(path: string): Uri {
    return new Uri("file", "", path, "", "");
  }

  static parse(value: string): Uri {
    const match = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (!match) throw new Error(`not a URI: ${value}`);
    return new Uri(match[1], match[2] ?? "", match[3], match[4] ?? "", match[5] ?? "");
  }

  static joinPath(base: Uri, ...parts: string[]): Uri {
    return base.with({ path: [base.path, ...parts].join("/").replace(/\/+/g, "/") });
  }

  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }

  toString(): string {
    const authority = this.scheme === "file" || this.authority ? `//${this.authority}` : "";
    const query = this.query ? `?${this.query}` : "";
    const fragment = this.fragment ? `#${this.fragment}` : "";
    return `${this.scheme}:${authority}${this.path}${query}${fragment}`;
  }

  toJSON(): unknown {
    return { scheme: this.scheme, path: this.path, query: this.query };
  }
}

export class Position {
  constructor(
    public readonly line: number,
    public readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    this.start = a instanceof Position ? a : new Position(a, b as number);
    this.end = b instanceof Position ? b : new Position(c ?? 0, d ?? 0);
  }
}

export class Location {
  constructor(
    public readonly uri: Uri,
    public readonly range: Range | Position,
  ) {}
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export enum DiagnosticTag {
  Unnecessary = 1,
  Deprecated = 2,
}

export class Diagnostic {
  code?: string | number | { value: string | number; target: Uri };
  source?: string;
  tags?: DiagnosticTag[];
  relatedInformation?: unknown[];
  constructor(
    public range: Range,
    public message: string,
    public severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

export class DiagnosticRelatedInformation {
  constructor(
    public location: Location,
    public message: string,
  ) {}
}

export class MarkdownString {
  isTrusted?: boolean;
  supportThemeIcons?: boolean;
  supportHtml?: boolean;
  constructor(
    public value: string = "",
    supportThemeIcons = false,
  ) {
    this.supportThemeIcons = supportThemeIcons;
  }
  appendText(value: string): this {
    this.value += value;
    return this;
  }
  appendMarkdown(value: string): this {
    this.value += value;
    return this;
  }
  appendCodeblock(value: string): this {
    this.value += `\n\`\`\`\n${value}\n\`\`\`\n`;
    return this;
  }
}

export class ThemeColor {
  constructor(public readonly id: string) {}
}

export class ThemeIcon {
  constructor(
    public readonly id: string,
    public readonly color?: ThemeColor,
  ) {}
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon;
  contextValue?: string;
  resourceUri?: Uri;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    public readonly label: string,
    public readonly collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export enum FileType {
  Unknown = 0,
  File = 1,
  Directory = 2,
  SymbolicLink = 64,
}

export enum TextDocumentSaveReason {
  Manual = 1,
  AfterDelay = 2,
  FocusOut = 3,
}

export enum NotebookCellKind {
  Markup = 1,
  Code = 2,
}

export class CodeActionKind {
  static readonly Empty = new CodeActionKind("");
  static readonly QuickFix = CodeActionKind.Empty.append("quickfix");
  static readonly Refactor = CodeActionKind.Empty.append("refactor");
  static readonly Source = CodeActionKind.Empty.append("source");
  constructor(public readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other: CodeActionKind): boolean {
    return this.value === "" || other.value === this.value || other.value.startsWith(`${this.value}.`);
  }
  intersects(other: CodeActionKind): boolean {
    return this.contains(other) || other.contains(this);
  }
}

/** Value classes the language client only constructs (or extends at load time). */
function valueClass() {
  return class {
    [key: string]: unknown;
    constructor(...args: unknown[]) {
      this.args = args;
    }
  };
}

export const CodeLens = valueClass();
export const CompletionItem = valueClass();
export const CompletionList = valueClass();
export const CodeAction = valueClass();
export const DocumentLink = valueClass();
export const InlayHint = valueClass();
export const InlayHintLabelPart = valueClass();
export const SymbolInformation = valueClass();
export const DocumentSymbol = valueClass();
export const TypeHierarchyItem = valueClass();
export const CallHierarchyItem = valueClass();
export const CallHierarchyIncomingCall = valueClass();
export const CallHierarchyOutgoingCall = valueClass();
export const WorkspaceEdit = valueClass();
export const TextEdit = valueClass();
export const RelativePattern = valueClass();
export const SnippetString = valueClass();
export const Hover = valueClass();
export const SignatureHelp = valueClass();
export const SignatureInformation = valueClass();
export const ParameterInformation = valueClass();
export const FoldingRange = valueClass();
export const SelectionRange = valueClass();
export const DocumentHighlight = valueClass();
export const Color = valueClass();
export const ColorInformation = valueClass();
export const ColorPresentation = valueClass();
export const SemanticTokens = valueClass();
export const SemanticTokensEdit = valueClass();
export const SemanticTokensEdits = valueClass();
export const LinkedEditingRanges = valueClass();
export const InlineValueText = valueClass();
export const InlineValueVariableLookup = valueClass();
export const InlineValueEvaluatableExpression = valueClass();
export const InlineCompletionItem = valueClass();
export const InlineCompletionList = valueClass();
export const TabInputText = valueClass();
export const TabInputTextDiff = valueClass();
export const TabInputCustom = valueClass();
export const TabInputNotebook = valueClass();
export const TabInputNotebookDiff = valueClass();

/** Enums read only while converting results: any member reads as its own name. */
function anyEnum(): Record<string, string> {
  return new Proxy({}, { get: (_target, name) => String(name) });
}

export const CompletionItemKind = anyEnum();
export const CompletionItemTag = anyEnum();
export const CompletionTriggerKind = anyEnum();
export const CodeActionTriggerKind = anyEnum();
export const DocumentHighlightKind = anyEnum();
export const FoldingRangeKind = anyEnum();
export const SignatureHelpTriggerKind = anyEnum();
export const SymbolKind = anyEnum();
export const SymbolTag = anyEnum();
export const InlayHintKind = anyEnum();

// --- what the tests see -----------------------------------------------------------------------------------------

export interface Shown {
  kind: "info" | "warn" | "error";
  message: string;
  actions: string[];
}

export class MockStatusBarItem {
  private state = { text: "", tooltip: undefined as unknown, command: undefined as unknown, visible: false };
  name?: string;
  constructor(
    public readonly id: string,
    public readonly alignment: StatusBarAlignment,
    public readonly priority: number,
  ) {}
  get text(): string {
    return this.state.text;
  }
  set text(value: string) {
    this.state.text = value;
    mock.changed();
  }
  get tooltip(): unknown {
    return this.state.tooltip;
  }
  set tooltip(value: unknown) {
    this.state.tooltip = value;
  }
  get command(): unknown {
    return this.state.command;
  }
  set command(value: unknown) {
    this.state.command = value;
  }
  get visible(): boolean {
    return this.state.visible;
  }
  show(): void {
    this.state.visible = true;
    mock.changed();
  }
  hide(): void {
    this.state.visible = false;
    mock.changed();
  }
  dispose(): void {
    this.hide();
  }
}

export interface MockDocument {
  uri: Uri;
  languageId: string;
  text: string;
  getText(): string;
}

class MockState {
  private readonly emitter = new EventEmitter<void>();
  /** Fired on every change a user could see. */
  readonly onChange = this.emitter.event;
  contexts = new Map<string, unknown>();
  commands = new Map<string, (...args: any[]) => unknown>();
  executed: { command: string; args: unknown[] }[] = [];
  shown: Shown[] = [];
  statusItems: MockStatusBarItem[] = [];
  trees = new Map<string, { getChildren(element?: unknown): any; getTreeItem(element: unknown): any }>();
  contentProviders = new Map<string, { provideTextDocumentContent(uri: Uri): any; onDidChange?: any }>();
  terminals: { name?: string; shellPath?: string; shellArgs?: string[] | string; cwd?: unknown }[] = [];
  externals: string[] = [];
  shownDocuments: MockDocument[] = [];
  outputs = new Map<string, string[]>();
  diagnostics = new Map<string, Diagnostic[]>();
  config: Record<string, unknown> = {};
  folders: { uri: Uri; name: string; index: number }[] = [];
  /** Answers prompts; undefined means the user pressed Escape. */
  answers = {
    message: (_shown: Shown): string | undefined => undefined,
    pick: (_labels: string[], _placeholder?: string): string | undefined => undefined,
    input: (_prompt?: string): string | undefined => undefined,
  };

  changed(): void {
    this.emitter.fire();
  }

  /** Forget everything (between activations). */
  reset(): void {
    this.contexts.clear();
    this.commands.clear();
    this.executed = [];
    this.shown = [];
    this.statusItems = [];
    this.trees.clear();
    this.contentProviders.clear();
    this.terminals = [];
    this.externals = [];
    this.shownDocuments = [];
    this.outputs.clear();
    this.diagnostics.clear();
    this.config = {};
    this.folders = [];
    workspace.textDocuments.splice(0, Infinity);
  }
}

export const mock = new MockState();

function show(kind: Shown["kind"], message: string, items: unknown[]): Promise<any> {
  const actions = items
    .filter((item) => typeof item === "string" || (typeof item === "object" && item !== null && "title" in item))
    .map((item) => (typeof item === "string" ? item : String((item as { title: string }).title)));
  const shown = { kind, message, actions };
  mock.shown.push(shown);
  mock.changed();
  const answer = mock.answers.message(shown);
  const chosen = items.find((item) => item === answer || (item as { title?: string })?.title === answer);
  return Promise.resolve(chosen);
}

function outputChannel(name: string) {
  const lines: string[] = [];
  mock.outputs.set(name, lines);
  const append = (value: string): void => {
    lines.push(value);
    mock.changed();
  };
  return {
    name,
    logLevel: 2,
    onDidChangeLogLevel: never,
    append,
    appendLine: append,
    replace: (value: string) => lines.splice(0, Infinity, value),
    clear: () => lines.splice(0, Infinity),
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
    trace: append,
    debug: append,
    info: append,
    warn: append,
    error: (value: unknown) => append(String(value)),
  };
}

async function openTextDocument(target: Uri | string): Promise<MockDocument> {
  const uri = typeof target === "string" ? Uri.file(target) : target;
  const existing = workspace.textDocuments.find((doc) => doc.uri.toString() === uri.toString());
  if (existing) return existing;
  const provider = mock.contentProviders.get(uri.scheme);
  const text = provider ? String(await provider.provideTextDocumentContent(uri)) : "";
  const document: MockDocument = { uri, languageId: "plaintext", text, getText: () => document.text };
  workspace.textDocuments.push(document);
  provider?.onDidChange?.(async (changed: Uri) => {
    if (changed.toString() !== uri.toString()) return;
    document.text = String(await provider.provideTextDocumentContent(uri));
    mock.changed();
  });
  return document;
}

// --- namespaces ---------------------------------------------------------------------------------------------------

export const window = {
  activeTextEditor: undefined,
  visibleTextEditors: [],
  onDidChangeActiveTextEditor: never,
  onDidChangeVisibleTextEditors: never,
  tabGroups: { all: [], onDidChangeTabs: never, onDidChangeTabGroups: never },
  createOutputChannel: (name: string) => outputChannel(name),
  createStatusBarItem: (id: string, alignment: StatusBarAlignment, priority: number) => {
    const item = new MockStatusBarItem(id, alignment, priority);
    mock.statusItems.push(item);
    return item;
  },
  showInformationMessage: (message: string, ...items: unknown[]) => show("info", message, items),
  showWarningMessage: (message: string, ...items: unknown[]) => show("warn", message, items),
  showErrorMessage: (message: string, ...items: unknown[]) => show("error", message, items),
  showQuickPick: (items: { label: string }[], options?: { placeHolder?: string }) => {
    const label = mock.answers.pick(
      items.map((item) => item.label),
      options?.placeHolder,
    );
    return Promise.resolve(items.find((item) => item.label === label));
  },
  showInputBox: (options?: { prompt?: string }) => Promise.resolve(mock.answers.input(options?.prompt)),
  createTreeView: (id: string, options: { treeDataProvider: any }) => {
    mock.trees.set(id, options.treeDataProvider);
    options.treeDataProvider.onDidChangeTreeData?.(() => mock.changed());
    return { visible: true, onDidChangeVisibility: never, reveal: () => Promise.resolve(), dispose: () => undefined };
  },
  createTerminal: (options: { name?: string; shellPath?: string; shellArgs?: string[]; cwd?: unknown }) => {
    mock.terminals.push(options);
    mock.changed();
    return { name: options.name, show: () => undefined, dispose: () => undefined, sendText: () => undefined };
  },
  showTextDocument: async (target: MockDocument | Uri) => {
    const document = target instanceof Uri ? await openTextDocument(target) : target;
    mock.shownDocuments.push(document);
    mock.changed();
    return { document };
  },
  withProgress: (_options: unknown, task: (progress: unknown, token: unknown) => unknown) =>
    task({ report: () => undefined }, new CancellationTokenSource().token),
  setStatusBarMessage: () => new Disposable(),
};

export const workspace = {
  get workspaceFolders() {
    return mock.folders.length > 0 ? mock.folders : undefined;
  },
  textDocuments: [] as MockDocument[],
  notebookDocuments: [],
  getConfiguration: (section?: string) => ({
    get: <T>(key: string, fallback?: T): T => {
      const full = section ? `${section}.${key}` : key;
      return (full in mock.config ? mock.config[full] : fallback) as T;
    },
    has: (key: string) => `${section}.${key}` in mock.config,
    inspect: () => undefined,
    update: () => Promise.resolve(),
  }),
  getWorkspaceFolder: () => undefined,
  onDidChangeConfiguration: never,
  onDidOpenTextDocument: never,
  onDidCloseTextDocument: never,
  onDidChangeTextDocument: never,
  onDidSaveTextDocument: never,
  onWillSaveTextDocument: never,
  onDidChangeWorkspaceFolders: never,
  onDidOpenNotebookDocument: never,
  onDidCloseNotebookDocument: never,
  onDidChangeNotebookDocument: never,
  onDidSaveNotebookDocument: never,
  onDidCreateFiles: never,
  onDidRenameFiles: never,
  onDidDeleteFiles: never,
  onWillCreateFiles: never,
  onWillRenameFiles: never,
  onWillDeleteFiles: never,
  createFileSystemWatcher: () => ({
    onDidCreate: never,
    onDidChange: never,
    onDidDelete: never,
    dispose: () => undefined,
  }),
  registerTextDocumentContentProvider: (scheme: string, provider: any) => {
    mock.contentProviders.set(scheme, provider);
    return new Disposable(() => mock.contentProviders.delete(scheme));
  },
  openTextDocument,
  applyEdit: () => Promise.resolve(true),
};

const providerRegistration = (): Disposable => new Disposable();

const languageFunctions: Record<string, unknown> = {
  match: () => 10,
  createDiagnosticCollection: (name?: string) => {
    const own = new Map<string, Diagnostic[]>();
    return {
      name,
      set: (uri: Uri, diagnostics: Diagnostic[] | undefined) => {
        own.set(uri.toString(), diagnostics ?? []);
        mock.diagnostics.set(uri.toString(), diagnostics ?? []);
        mock.changed();
      },
      delete: (uri: Uri) => {
        own.delete(uri.toString());
        mock.diagnostics.delete(uri.toString());
      },
      clear: () => own.clear(),
      get: (uri: Uri) => own.get(uri.toString()),
      has: (uri: Uri) => own.has(uri.toString()),
      forEach: () => undefined,
      dispose: () => own.clear(),
    };
  },
  setTextDocumentLanguage: (document: MockDocument, language: string) => {
    document.languageId = language;
    return Promise.resolve(document);
  },
};

// Every register*Provider the language client calls: accepted and forgotten.
export const languages: any = new Proxy(languageFunctions, {
  get: (target, name: string) => target[name] ?? providerRegistration,
});

export const commands = {
  registerCommand: (id: string, handler: (...args: any[]) => unknown) => {
    if (mock.commands.has(id)) throw new Error(`command '${id}' already exists`);
    mock.commands.set(id, handler);
    return new Disposable(() => mock.commands.delete(id));
  },
  executeCommand: (command: string, ...args: unknown[]) => {
    mock.executed.push({ command, args });
    if (command === "setContext") {
      mock.contexts.set(String(args[0]), args[1]);
      mock.changed();
      return Promise.resolve(undefined);
    }
    const handler = mock.commands.get(command);
    return Promise.resolve(handler ? handler(...args) : undefined);
  },
  getCommands: () => Promise.resolve([...mock.commands.keys()]),
};

export const env = {
  appName: "Mock VS Code",
  language: "en",
  machineId: "mock",
  sessionId: "mock",
  uriScheme: "vscode",
  openExternal: (uri: Uri) => {
    mock.externals.push(uri.toString());
    mock.changed();
    return Promise.resolve(true);
  },
  clipboard: {
    text: "",
    writeText: (text: string) => Promise.resolve(void (env.clipboard.text = text)),
    readText: () => Promise.resolve(env.clipboard.text),
  },
};

export const extensions = { getExtension: () => undefined, all: [] };
