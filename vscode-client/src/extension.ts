/**
 * Entry point: wires the language client, the three trees, the virtual documents, the status bar and the
 * commands together. Everything here is plumbing; the decisions live in the small modules it imports.
 */

import * as vscode from "vscode";

import { ServerHost, readSettings } from "./client";
import { COMMANDS } from "./commands";
import { containsCniProject } from "./discovery";
import { ExecutionDocuments } from "./documents";
import { ExecutionStore } from "./executions";
import { Handlers, type Ui } from "./handlers";
import { ServerCommand, type ExecutionSummary, type FlowInfo, type ProjectInfo, type StatusParams } from "./protocol";
import { integrationItem, userItem, type ServerState } from "./status";
import { executionNodes, flowNodes, integrationNodes } from "./trees";
import { LOGS_SCHEME, STEP_SCHEME } from "./uris";
import { SpecTree, messageNode } from "./views";

const ENABLED_KEY = "cnikit.workspaceEnabled";
const RELATIVE_TIME_TICK_MS = 30_000;
const SETTINGS_RECHECK_MS = 3_000;

let activeHost: ServerHost | undefined;

function workspaceFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
}

function vscodeUi(output: vscode.OutputChannel): Ui {
  const terminals = new Map<string, vscode.Terminal>();
  return {
    info: async (message, ...actions) => vscode.window.showInformationMessage(message, ...actions),
    warn: async (message, ...actions) => vscode.window.showWarningMessage(message, ...actions),
    error: async (message, ...actions) => vscode.window.showErrorMessage(message, ...actions),
    pick: async (items, placeholder) => {
      const chosen = await vscode.window.showQuickPick(
        items.map((item) => ({ label: item.label, description: item.description, detail: item.detail, item })),
        { placeHolder: placeholder, matchOnDescription: true },
      );
      return chosen?.item.value;
    },
    input: async (options) =>
      vscode.window.showInputBox({
        prompt: options.prompt,
        placeHolder: options.placeholder,
        value: options.value,
        validateInput: options.validate,
      }),
    openExternal: async (url) => {
      await vscode.env.openExternal(vscode.Uri.parse(url));
    },
    openFile: async (path) => {
      await vscode.window.showTextDocument(vscode.Uri.file(path));
    },
    openDocument: async (uri, language) => {
      let document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      if (language && document.languageId !== language) {
        document = await vscode.languages.setTextDocumentLanguage(document, language);
      }
      await vscode.window.showTextDocument(document, { preview: true });
    },
    runInTerminal: (name, spec, cwd) => {
      terminals.get(name)?.dispose();
      const terminal = vscode.window.createTerminal({
        name,
        shellPath: spec.shellPath,
        shellArgs: spec.shellArgs,
        cwd,
      });
      terminals.set(name, terminal);
      terminal.show();
    },
    focusExecutionResults: async () => {
      await vscode.commands.executeCommand("cnikit.executionResultsView.focus");
    },
    revealInExplorer: async (path) => {
      await vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(path));
      await vscode.commands.executeCommand("list.expand");
    },
    copy: async (text) => vscode.env.clipboard.writeText(text),
    log: (line) => output.appendLine(`[${new Date().toISOString()}] ${line}`),
    showOutput: () => output.show(true),
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("cnikit");
  context.subscriptions.push(output);
  const ui = vscodeUi(output);

  let status: StatusParams | null = null;
  let serverState: ServerState = "stopped";
  let executionsStale = true;
  const store = new ExecutionStore();

  // --- status bar -----------------------------------------------------------------------------------------------
  const userStatus = vscode.window.createStatusBarItem("cnikit.userStatus", vscode.StatusBarAlignment.Left, 0);
  userStatus.name = "Prismatic User";
  const integrationStatus = vscode.window.createStatusBarItem(
    "cnikit.integrationStatus",
    vscode.StatusBarAlignment.Left,
    -1,
  );
  integrationStatus.name = "Prismatic Integration";
  context.subscriptions.push(userStatus, integrationStatus);
  const drawStatus = (): void => {
    for (const [item, spec] of [
      [userStatus, userItem(status)],
      [integrationStatus, integrationItem(status, serverState)],
    ] as const) {
      item.text = spec.text;
      item.tooltip = new vscode.MarkdownString(spec.tooltip);
      item.command = spec.command;
    }
  };

  // --- trees ----------------------------------------------------------------------------------------------------
  const notRunning = (): string =>
    serverState === "missing"
      ? "cnikit was not found: see the notification or the cnikit output."
      : serverState === "starting"
        ? "Starting cnikit…"
        : "cnikit is not running.";
  const integrationsTree = new SpecTree(async () => {
    if (!host.running) return [messageNode(notRunning())];
    const projects = await host.execute<ProjectInfo[]>(ServerCommand.listProjects);
    return integrationNodes(projects, workspaceFolders());
  });
  const flowsTree = new SpecTree(async () => {
    if (!host.running) return [messageNode(notRunning())];
    const project = status?.activeProject;
    if (!project) return [messageNode("No active integration: select one in the Integrations view.")];
    const flows = await host.execute<FlowInfo[]>(ServerCommand.listFlows, { project });
    return flowNodes(flows, project);
  });
  const executionsTree = new SpecTree(async () => {
    if (!host.running) return [messageNode(notRunning())];
    const project = status?.activeProject ?? null;
    if (!project) return [messageNode("No active integration: select one in the Integrations view.")];
    if (executionsStale || store.activeProject !== project) {
      executionsStale = false;
      const local = await host.execute<ExecutionSummary[]>(ServerCommand.listExecutions, { project, source: "local" });
      // Cloud executions only when logged in; a cloud failure must not hide the local ones.
      const cloud = status?.user
        ? await host
            .execute<ExecutionSummary[]>(ServerCommand.listExecutions, { project, source: "cloud" })
            .catch((error: unknown) => {
              ui.log(`Cloud executions unavailable: ${error instanceof Error ? error.message : String(error)}`);
              return [];
            })
        : [];
      store.replace(project, [...local, ...cloud]);
    }
    const nodes = executionNodes(store.list(), project, Date.now());
    return nodes.length > 0 ? nodes : [messageNode("No executions yet: run a flow locally or test it in Prismatic.")];
  });
  const refresh = (view: "integrations" | "flows" | "executions"): void => {
    if (view === "integrations") integrationsTree.refresh();
    if (view === "flows") flowsTree.refresh();
    if (view === "executions") {
      executionsStale = true;
      executionsTree.refresh();
    }
  };
  const executionsView = vscode.window.createTreeView("cnikit.executionResultsView", {
    treeDataProvider: executionsTree,
    showCollapseAll: true,
  });
  context.subscriptions.push(
    integrationsTree,
    flowsTree,
    executionsTree,
    executionsView,
    vscode.window.createTreeView("cnikit.integrationsView", { treeDataProvider: integrationsTree }),
    vscode.window.createTreeView("cnikit.flowPayloadsView", { treeDataProvider: flowsTree, showCollapseAll: true }),
  );
  // Relative start times ("3m ago") go stale: redraw while the view is visible.
  const tick = setInterval(() => {
    if (executionsView.visible && store.list().length > 0) executionsTree.refresh();
  }, RELATIVE_TIME_TICK_MS);
  tick.unref();
  context.subscriptions.push({ dispose: () => clearInterval(tick) });

  // --- virtual documents ----------------------------------------------------------------------------------------
  const documents = new ExecutionDocuments(() => (host.running ? host : undefined));
  context.subscriptions.push(
    documents,
    vscode.workspace.registerTextDocumentContentProvider(LOGS_SCHEME, documents),
    vscode.workspace.registerTextDocumentContentProvider(STEP_SCHEME, documents),
  );

  // --- server and commands --------------------------------------------------------------------------------------
  const host: ServerHost = new ServerHost(
    output,
    {
      state: (state) => {
        const wasRunning = serverState === "running";
        serverState = state;
        drawStatus();
        if (state === "running" && !wasRunning) {
          // The status at (re)start; later changes arrive as `cnikit/status`.
          void host
            .execute<StatusParams>(ServerCommand.getStatus)
            .then((params) => applyStatus(params))
            .catch((error: unknown) =>
              ui.log(`Reading the status: ${error instanceof Error ? error.message : String(error)}`),
            );
        }
        if (state === "running" || wasRunning) {
          refresh("integrations");
          refresh("flows");
          refresh("executions");
        }
      },
      status: (params) => applyStatus(params),
      executionUpdated: ({ project, execution }) => {
        if (store.apply(project, execution)) executionsTree.refresh();
        documents.executionChanged(execution.id, true);
        void handlers.onExecutionUpdated(execution);
      },
      executionLog: ({ executionId }) => documents.executionChanged(executionId, false),
      interceptLens: (command, arg) => handlers.interceptLens(command, arg),
    },
    {
      // Optional: the unit tests' context has none of these.
      path: context.extensionPath,
      storage: (context.globalStorageUri as vscode.Uri | undefined)?.fsPath,
      version: String(
        (context.extension as vscode.Extension<unknown> | undefined)?.packageJSON
          ? (context.extension.packageJSON as { version?: string }).version
          : "0.0.0",
      ),
    },
  );
  const applyStatus = (params: StatusParams): void => {
    const projectChanged = params.activeProject !== status?.activeProject;
    status = params;
    drawStatus();
    // Names and integration ids may have changed (analysis, import) even when the project did not.
    refresh("integrations");
    if (projectChanged) {
      refresh("flows");
      refresh("executions");
    }
    void handlers.onStatus(params);
  };
  const handlers = new Handlers(host, ui, {
    status: () => status,
    cnikitPath: () => host.cnikitPath,
    workspaceFolders,
    prismaticUrlSetting: () => readSettings().prismaticUrl,
    refresh,
    setLocalServerRunning: (running) =>
      void vscode.commands.executeCommand("setContext", "cnikit.localServerRunning", running),
    restartServer: () => host.restart(),
  });
  const table = handlers.table();
  for (const info of COMMANDS) {
    const handler = table[info.id];
    context.subscriptions.push(
      vscode.commands.registerCommand(info.id, (arg?: unknown) =>
        handlers.guard(`${info.category}: ${info.title}`, () => handler(arg)),
      ),
    );
  }
  activeHost = host;

  // --- settings and file watching -------------------------------------------------------------------------------
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("cnikit.cnikitPath")) void host.restart();
      else if (event.affectsConfiguration("cnikit.debug")) void host.setDebug(readSettings().debug);
    }),
  );
  const payloadWatcher = vscode.workspace.createFileSystemWatcher("**/.spectral/flows/*/payloads/*.json", false, true);
  payloadWatcher.onDidCreate(() => refresh("flows"));
  payloadWatcher.onDidDelete(() => refresh("flows"));
  context.subscriptions.push(
    payloadWatcher,
    vscode.workspace.onDidSaveTextDocument((document) => {
      if (document.languageId === "typescript") refresh("flows");
    }),
  );

  // --- activation gate: a `.spectral` folder anywhere within 5 levels, gitignored or not ---------------------
  const enable = async (): Promise<void> => {
    const enabled = await containsCniProject(workspaceFolders());
    await vscode.commands.executeCommand("setContext", ENABLED_KEY, enabled);
    for (const item of [userStatus, integrationStatus]) {
      if (enabled) item.show();
      else item.hide();
    }
    if (enabled && serverState !== "running" && serverState !== "starting" && !host.running) await host.start();
    refresh("integrations");
  };
  const spectralWatcher = vscode.workspace.createFileSystemWatcher("**/.spectral", false, true, false);
  spectralWatcher.onDidCreate(() => void enable());
  spectralWatcher.onDidDelete(() => void enable());
  context.subscriptions.push(
    spectralWatcher,
    vscode.workspace.onDidChangeWorkspaceFolders(() => void enable()),
  );

  drawStatus();
  await enable();
  // One page load in nine read an empty cnikit.cnikitPath at activation (settings not synced yet) and never
  // looked again: read it once more shortly after, and restart when it changed.
  const recheck = setTimeout(() => {
    if (readSettings().cnikitPath !== host.settingUsed && serverState !== "starting") void host.restart();
  }, SETTINGS_RECHECK_MS);
  recheck.unref();
  context.subscriptions.push({ dispose: () => clearTimeout(recheck) });
}

/** VS Code awaits this: the language server gets its shutdown/exit before the window goes. */
export async function deactivate(): Promise<void> {
  await activeHost?.dispose();
  activeHost = undefined;
}
