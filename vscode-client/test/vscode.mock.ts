/**
 * The slice of the `vscode` API that the view and document adapters touch, in memory. Test bundles alias
 * `vscode` to this file (scripts/build.mjs), so the adapters run unchanged under node's test runner.
 */

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
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

export class MarkdownString {
  constructor(public readonly value: string = "") {}
}

export class Uri {
  private constructor(
    public readonly scheme: string,
    public readonly path: string,
    public readonly query: string,
  ) {}

  get fsPath(): string {
    return this.path;
  }

  static file(path: string): Uri {
    return new Uri("file", path, "");
  }

  static parse(value: string): Uri {
    const match = /^([a-zA-Z][\w+.-]*):([^?#]*)(?:\?([^#]*))?/.exec(value);
    if (!match) throw new Error(`not a URI: ${value}`);
    return new Uri(match[1], match[2], match[3] ?? "");
  }

  toString(): string {
    return `${this.scheme}:${this.path}${this.query ? `?${this.query}` : ""}`;
  }
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

export class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];
  readonly event = (listener: (value: T) => void): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const listener of this.listeners) listener(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

/** Documents the tests pretend are open. */
export const workspace = { textDocuments: [] as { uri: Uri }[] };
