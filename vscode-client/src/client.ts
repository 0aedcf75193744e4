/**
 * The language client: finds `cnikit`, starts `cnikit lsp` over stdio, restarts it after a crash (within
 * reason), and says how to install cnikit when it is missing.
 */

import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  Trace,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

import { bundledWheel, ensurePrivateCnikit, installCommand, versionMismatch } from "./bootstrap";
import { missingMessage, resolveCnikit } from "./executable";
import type { ServerApi } from "./handlers";
import {
  Notification,
  type CnikitSettings,
  type ExecutionLogParams,
  type ExecutionUpdatedParams,
  type ServerCommandId,
  type StatusParams,
} from "./protocol";
import { CrashPolicy } from "./restart";
import type { ServerState } from "./status";

export interface ServerEvents {
  state(state: ServerState): void;
  status(params: StatusParams): void;
  executionUpdated(params: ExecutionUpdatedParams): void;
  executionLog(params: ExecutionLogParams): void;
  /** Lets the client answer a code lens itself (returns undefined to let the server run it). */
  interceptLens(command: string, arg: unknown): (() => Promise<void>) | undefined;
}

/** The `cnikit` section of the settings, with defaults. */
export function readSettings(): CnikitSettings {
  const config = vscode.workspace.getConfiguration("cnikit");
  return {
    cnikitPath: config.get<string>("cnikitPath", ""),
    prismaticUrl: config.get<string>("prismaticUrl", ""),
    debug: config.get<boolean>("debug", false),
    severityOverrides: config.get<CnikitSettings["severityOverrides"]>("severityOverrides", {}),
    diagnosticDelayMs: config.get<number>("diagnosticDelayMs", 150),
  };
}

/** What the host needs to know about the installed extension (absent in unit tests). */
export interface ExtensionInfo {
  /** The extension's install folder (holds `bundled/cnikit-*.whl`). */
  path?: string;
  /** Its global storage folder (the private Python environment goes there). */
  storage?: string;
  version: string;
}

function workspaceFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
}

export class ServerHost implements ServerApi {
  private client: LanguageClient | undefined;
  private executable: string | undefined;
  private readonly crashes = new CrashPolicy();
  private readonly traceChannel: vscode.OutputChannel;
  private privateInstall: Promise<string> | undefined;
  /** The `cnikit.cnikitPath` value the last start used (activation re-checks it once). */
  settingUsed = "";

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly events: ServerEvents,
    private readonly extension: ExtensionInfo = { version: "0.0.0" },
  ) {
    this.traceChannel = vscode.window.createOutputChannel("cnikit LSP trace");
  }

  /** The resolved cnikit executable (once found). */
  get cnikitPath(): string | undefined {
    return this.executable;
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  /** `workspace/executeCommand` with one argument object; rejects with the server's reason. */
  async execute<T>(command: ServerCommandId, args?: object): Promise<T> {
    const client = this.client;
    if (!client || client.state !== State.Running) {
      throw new Error(
        'cnikit is not running. Run "cnikit: Restart Language Server", or see the "cnikit" output for why it stopped.',
      );
    }
    return (await client.sendRequest(ExecuteCommandRequest.type, {
      command,
      arguments: args === undefined ? [] : [args],
    })) as T;
  }

  /** Find cnikit and start the server; reports problems to the user instead of throwing. */
  async start(): Promise<void> {
    const settings = readSettings();
    this.settingUsed = settings.cnikitPath;
    const folders = workspaceFolders();
    const found = resolveCnikit({
      setting: settings.cnikitPath,
      workspaceFolders: folders,
      envPath: process.env.PATH,
      platform: process.platform,
    });
    for (const warning of found.warnings) {
      this.output.appendLine(warning);
      void vscode.window.showWarningMessage(warning);
    }
    const resolution = found.found ? found : await this.installPrivate(found.tried);
    if (!resolution) return;
    this.executable = resolution.path;
    const cwd = folders[0];
    this.output.appendLine(`Starting ${resolution.path} lsp (found via ${resolution.via}; cwd ${cwd ?? "none"}).`);
    // Never the whole environment: it may hold PRISM_ACCESS_TOKEN and other secrets.
    if (settings.debug) this.output.appendLine(`PATH: ${process.env.PATH ?? ""}`);

    const serverOptions: ServerOptions = { command: resolution.path, args: ["lsp"], options: { cwd } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "typescript" },
        { scheme: "file", pattern: "**/.spectral/flows/*/payloads/*.json" },
      ],
      synchronize: { configurationSection: "cnikit" },
      // The resolved executable, so the server's terminal commands run the same cnikit.
      initializationOptions: { ...settings, cnikitPath: resolution.path },
      outputChannel: this.output,
      traceOutputChannel: this.traceChannel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          const decision = this.crashes.onCrash(Date.now());
          if (decision.restart) {
            this.output.appendLine("cnikit lsp stopped unexpectedly; restarting it.");
            this.events.state("starting");
            return { action: CloseAction.Restart, handled: true };
          }
          this.events.state("stopped");
          void this.offerRestart(decision.message ?? "cnikit lsp stopped.");
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        executeCommand: async (command, args, next) => {
          const intercepted = this.events.interceptLens(command, args[0]);
          if (intercepted) return intercepted();
          return (await next(command, args)) as unknown;
        },
      },
    };

    const client = new LanguageClient("cnikit", "cnikit", serverOptions, clientOptions);
    client.onNotification(Notification.status, (params: StatusParams) => this.events.status(params));
    client.onNotification(Notification.executionUpdated, (params: ExecutionUpdatedParams) =>
      this.events.executionUpdated(params),
    );
    client.onNotification(Notification.executionLog, (params: ExecutionLogParams) => this.events.executionLog(params));
    client.onDidChangeState((change) => {
      if (change.newState === State.Running) this.events.state("running");
    });
    this.client = client;
    this.events.state("starting");
    try {
      await client.start();
      if (settings.debug) await client.setTrace(Trace.Verbose);
      this.events.state("running");
      const mismatch = versionMismatch(
        this.extension.version,
        client.initializeResult?.serverInfo?.version,
        resolution.via === "private environment"
          ? '"cnikit: Restart Language Server" (the bundled cnikit is reinstalled)'
          : installCommand(bundledWheel(this.extension.path)),
      );
      if (mismatch) {
        this.output.appendLine(mismatch);
        void vscode.window.showWarningMessage(mismatch);
      }
    } catch (error) {
      this.events.state("stopped");
      const reason = error instanceof Error ? error.message : String(error);
      this.output.appendLine(`cnikit lsp failed to start: ${reason}`);
      void this.offerRestart(
        `cnikit lsp (${resolution.path}) failed to start: ${reason}. Is it cnikit 0.1 or later? See the "cnikit" output.`,
      );
    }
  }

  /** Stop the server (if running) and forget the client. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      if (client.isRunning()) await client.stop(2000);
      await client.dispose();
    } catch (error) {
      this.output.appendLine(`Stopping cnikit lsp: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.events.state("stopped");
  }

  /** Manual restart: a fresh executable lookup and a fresh crash budget. */
  async restart(): Promise<void> {
    this.crashes.reset();
    await this.stop();
    await this.start();
  }

  /** Follow the `cnikit.debug` setting without a restart. */
  async setDebug(debug: boolean): Promise<void> {
    if (this.client?.isRunning()) await this.client.setTrace(debug ? Trace.Verbose : Trace.Off);
  }

  /**
   * cnikit is on no path: install the bundled wheel into the private environment (once; with progress) and use
   * it. Without a bundled wheel, or when that fails, says how to install cnikit and returns undefined.
   */
  private async installPrivate(tried: string[]): Promise<{ path: string; via: "private environment" } | undefined> {
    const wheel = bundledWheel(this.extension.path);
    let reason: string | undefined;
    if (wheel && this.extension.storage) {
      const storage = this.extension.storage;
      const interpreter = vscode.workspace.getConfiguration("python").get<string>("defaultInterpreterPath", "");
      const pythons = [interpreter, process.platform === "win32" ? "py" : "python3", "python"];
      this.events.state("starting");
      this.privateInstall ??= Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "cnikit" }, (progress) =>
          ensurePrivateCnikit({
            storage,
            wheel,
            pythons,
            progress: (message) => {
              this.output.appendLine(message);
              progress.report({ message });
            },
          }),
        ),
      );
      try {
        return { path: await this.privateInstall, via: "private environment" };
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      } finally {
        this.privateInstall = undefined;
      }
    }
    this.executable = undefined;
    this.events.state("missing");
    const message = missingMessage(tried, installCommand(wheel), reason);
    this.output.appendLine(message);
    void this.offerInstallHelp(message, installCommand(wheel));
    return undefined;
  }

  private async offerInstallHelp(message: string, install: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, "Copy Install Command", "Open Settings", "Retry");
    if (choice === "Copy Install Command") {
      await vscode.env.clipboard.writeText(install);
      void vscode.window.showInformationMessage(`Copied: ${install}`);
    } else if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "cnikit.cnikitPath");
    } else if (choice === "Retry") {
      await this.restart();
    }
  }

  private async offerRestart(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, "Show Output", "Restart");
    if (choice === "Show Output") this.output.show(true);
    if (choice === "Restart") await this.restart();
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.traceChannel.dispose();
  }
}
