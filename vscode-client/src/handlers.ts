/**
 * What each palette command does: ask the user what is missing (a flow, a payload, a name), call the server, and
 * present the result. No VS Code import: the editor is reached through the small `Ui` interface, so every flow
 * of prompts is unit-tested with a scripted Ui and a fake server.
 */

import { basename } from "node:path";

import type { ClientCommandId } from "./commands";
import {
  ServerCommand,
  type ExecutionSource,
  type ExecutionSummary,
  type FlowInfo,
  type MeResult,
  type ProjectInfo,
  type ServerCommandId,
  type StatusParams,
  type TerminalCommandResult,
} from "./protocol";
import { terminalSpec, type TerminalSpec } from "./terminal";
import { relativeLocation, type NodeData, type NodeSpec } from "./trees";
import type { LogsRef, StepRef } from "./uris";
import { logsUri, stepUri } from "./uris";
import { executionLabel } from "./format";

/** `workspace/executeCommand` on the language server; rejects with the server's one-line reason. */
export interface ServerApi {
  execute<T>(command: ServerCommandId, args?: object): Promise<T>;
}

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
}

export interface InputOptions {
  prompt: string;
  placeholder?: string;
  value?: string;
  validate: (value: string) => string | undefined;
}

/** The editor, as far as commands need it. */
export interface Ui {
  info(message: string, ...actions: string[]): Promise<string | undefined>;
  warn(message: string, ...actions: string[]): Promise<string | undefined>;
  error(message: string, ...actions: string[]): Promise<string | undefined>;
  pick<T>(items: PickItem<T>[], placeholder: string): Promise<T | undefined>;
  input(options: InputOptions): Promise<string | undefined>;
  openExternal(url: string): Promise<void>;
  openFile(path: string): Promise<void>;
  /** Open a virtual document; `language` sets its language mode. */
  openDocument(uri: string, language?: string): Promise<void>;
  runInTerminal(name: string, spec: TerminalSpec, cwd: string | undefined): void;
  focusExecutionResults(): Promise<void>;
  revealInExplorer(path: string): Promise<void>;
  copy(text: string): Promise<void>;
  log(line: string): void;
  showOutput(): void;
}

/** State the commands read from the extension, and the views they ask to redraw. */
export interface Host {
  status(): StatusParams | null;
  cnikitPath(): string | undefined;
  workspaceFolders(): string[];
  /** The `cnikit.prismaticUrl` setting ("" when unset). */
  prismaticUrlSetting(): string;
  refresh(view: "integrations" | "flows" | "executions"): void;
  setLocalServerRunning(running: boolean): void;
  restartServer(): Promise<void>;
}

export const LOG_LANGUAGE = "cnikit-log";
export const PAYLOAD_NAME = /^[a-zA-Z0-9_-]+$/;

/** Thrown to end a command quietly (the user pressed Escape). */
export class Cancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

/** A flow a command was invoked on (tree item, code lens, or nothing). */
interface FlowTarget {
  project?: string;
  flow?: string;
  payload?: string;
}

function isNodeSpec(value: unknown): value is NodeSpec {
  return typeof value === "object" && value !== null && "data" in value && "contextValue" in value;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

type ProjectNodeData = Exclude<NodeData, { kind: "message" }>;

/** The node data behind a tree element or a node's click arguments; undefined for anything else. */
function nodeData(arg: unknown): ProjectNodeData | undefined {
  const data = isNodeSpec(arg) ? arg.data : arg;
  const raw = record(data);
  return typeof raw.kind === "string" && raw.kind !== "message" && typeof raw.project === "string"
    ? (data as ProjectNodeData)
    : undefined;
}

function flowTarget(arg: unknown): FlowTarget {
  const data = nodeData(arg);
  if (data?.kind === "flow") return { project: data.project, flow: data.flow.stableKey };
  if (data?.kind === "payload") return { project: data.project, flow: data.flow.stableKey, payload: data.payload };
  // Code lenses send {project, flow} (run/test) or {project, stableKey} (payload).
  const raw = record(arg);
  return { project: str(raw.project), flow: str(raw.flow) ?? str(raw.stableKey), payload: str(raw.payload) };
}

function projectArg(project: string | undefined): object {
  return project ? { project } : {};
}

export class Handlers {
  private readonly busy = new Set<string>();
  /** Executions started from a command, by id: their failure is worth a notification. */
  private readonly watched = new Map<string, { label: string; project: string }>();
  private loginPending = false;

  constructor(
    private readonly server: ServerApi,
    private readonly ui: Ui,
    private readonly host: Host,
  ) {}

  /** The handler of every client command (package.json lists the same ids). */
  table(): Record<ClientCommandId, (arg?: unknown, ...rest: unknown[]) => Promise<void>> {
    return {
      "cnikit.configWizard": (arg) => this.configWizard(arg),
      "cnikit.integrations.import": (arg) => this.importIntegration(arg),
      "cnikit.integrations.test": (arg) => this.testIntegration(arg),
      "cnikit.flows.createPayload": (arg) => this.createFlowPayload(arg),
      "cnikit.login": () => this.login(),
      "cnikit.logout": () => this.logout(),
      "cnikit.prismaticUrl": () => this.prismaticUrl(),
      "cnikit.integrations.openInBrowser": (arg) => this.openInBrowser(arg),
      "cnikit.me": () => this.me(),
      "cnikit.refreshToken": () => this.refreshToken(),
      "cnikit.switchTenant": () => this.switchTenant(),
      "cnikit.integrationDetails.refresh": () => this.refreshIntegrationDetails(),
      "cnikit.integrations.select": (arg) => this.selectIntegration(arg),
      "cnikit.integrations.revealInExplorer": (arg) => this.revealInExplorer(arg),
      "cnikit.integrations.refresh": () => Promise.resolve(this.host.refresh("integrations")),
      "cnikit.flows.refresh": () => Promise.resolve(this.host.refresh("flows")),
      "cnikit.executionResults.refresh": () => Promise.resolve(this.host.refresh("executions")),
      "cnikit.executionResults.openLogs": (arg) => this.openLogs(arg),
      "cnikit.executionResults.openStep": (arg) => this.openStep(arg),
      "cnikit.runLocally": (arg) => this.runLocally(arg),
      "cnikit.replayExecution": (arg) => this.replayExecution(arg),
      "cnikit.startServer": () => this.startServer(),
      "cnikit.stopServer": () => this.stopServer(),
      "cnikit.openResultsBrowser": () => this.openResultsBrowser(),
      "cnikit.restartServer": () => this.host.restartServer(),
      "cnikit.showOutput": () => Promise.resolve(this.ui.showOutput()),
    };
  }

  /** Run `work` and turn any failure into one clear message; Escape ends it silently. */
  async guard(title: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof Cancelled) return;
      const reason = error instanceof Error ? error.message : String(error);
      this.ui.log(`${title} failed: ${reason}`);
      await this.ui.error(reason);
    }
  }

  // --- projects -------------------------------------------------------------------------------------------------

  private activeProject(): string | undefined {
    return this.host.status()?.activeProject ?? undefined;
  }

  private async pickProject(placeholder: string): Promise<ProjectInfo> {
    const projects = await this.server.execute<ProjectInfo[]>(ServerCommand.listProjects);
    if (projects.length === 0) throw new Error("No integrations found in workspace.");
    const folders = this.host.workspaceFolders();
    const chosen = await this.ui.pick(
      projects.map((info) => ({
        label: info.name,
        description: relativeLocation(info.project, folders),
        detail: info.active ? "Active" : undefined,
        value: info,
      })),
      placeholder,
    );
    if (!chosen) throw new Cancelled();
    return chosen;
  }

  async selectIntegration(arg?: unknown): Promise<void> {
    const data = nodeData(arg);
    const project =
      data?.kind === "integration"
        ? data.project
        : (str(record(arg).project) ?? (await this.pickProject("Select an integration to switch to")).project);
    const result = await this.server.execute<{ project: string; name: string }>(ServerCommand.selectIntegration, {
      project,
    });
    this.host.refresh("integrations");
    this.host.refresh("flows");
    this.host.refresh("executions");
    await this.ui.info(`Switched to: ${result.name}`);
  }

  async revealInExplorer(arg?: unknown): Promise<void> {
    const data = nodeData(arg);
    const project =
      data?.kind === "integration" ? data.project : (await this.pickProject("Select an integration to reveal")).project;
    await this.ui.revealInExplorer(project);
  }

  // --- flows and payloads ---------------------------------------------------------------------------------------

  private async flowsOf(project: string | undefined): Promise<FlowInfo[]> {
    return this.server.execute<FlowInfo[]>(ServerCommand.listFlows, projectArg(project));
  }

  /** The flow named by `target`, else the user's pick. */
  private async resolveFlow(target: FlowTarget, placeholder: string): Promise<FlowInfo> {
    const flows = await this.flowsOf(target.project);
    if (target.flow) {
      const flow = flows.find((f) => f.stableKey === target.flow || f.name === target.flow);
      if (!flow) {
        const known = flows.map((f) => f.stableKey).join(", ") || "none";
        throw new Error(`Flow "${target.flow}" was not found in this integration (its flows: ${known}).`);
      }
      return flow;
    }
    if (flows.length === 0) throw new Error("No flows available for this integration.");
    const chosen = await this.ui.pick(
      flows.map((flow) => ({ label: flow.name, description: flow.stableKey, value: flow })),
      placeholder,
    );
    if (!chosen) throw new Cancelled();
    return chosen;
  }

  /**
   * The payload file to send: the one given, else a pick among the flow's files (plus "No Payload").
   * Unlike the official extension, Escape cancels the run instead of running without a payload.
   */
  private async resolvePayload(flow: FlowInfo, given: string | undefined): Promise<string | undefined> {
    if (given) return given;
    if (flow.payloads.length === 0) return undefined;
    const none = "";
    const chosen = await this.ui.pick<string>(
      [
        ...flow.payloads.map((path) => ({ label: basename(path), description: flow.stableKey, value: path })),
        { label: "No Payload", description: "use the trigger's default payload", value: none },
      ],
      "Select a payload file to use for testing",
    );
    if (chosen === undefined) throw new Cancelled();
    return chosen === none ? undefined : chosen;
  }

  async createFlowPayload(arg?: unknown): Promise<void> {
    const target = flowTarget(arg);
    const flow = await this.resolveFlow(target, "Select a flow to create a payload for");
    const name = await this.ui.input({
      prompt: "Enter payload name",
      placeholder: "payload-name",
      validate: (value) => {
        if (value.trim().length === 0) return "Payload name is required";
        if (!PAYLOAD_NAME.test(value))
          return "Payload name can only contain letters, numbers, hyphens, and underscores";
        return undefined;
      },
    });
    if (name === undefined) throw new Cancelled();
    const exists = flow.payloads.some((path) => basename(path) === `${name}.json`);
    let overwrite = false;
    if (exists) {
      const answer = await this.ui.warn(
        `Payload file "${name}.json" already exists. Do you want to overwrite it?`,
        "Yes",
        "No",
      );
      if (answer !== "Yes") throw new Cancelled();
      overwrite = true;
    }
    const result = await this.server.execute<{ path: string }>(ServerCommand.createFlowPayload, {
      ...projectArg(target.project),
      stableKey: flow.stableKey,
      name,
      overwrite,
    });
    this.host.refresh("flows");
    await this.ui.openFile(result.path);
    await this.ui.info(`Payload created successfully for flow: ${flow.name}`);
  }

  // --- running --------------------------------------------------------------------------------------------------

  private async exclusive(key: string, message: string, work: () => Promise<void>): Promise<void> {
    if (this.busy.has(key)) {
      await this.ui.warn(message);
      return;
    }
    this.busy.add(key);
    try {
      await work();
    } finally {
      this.busy.delete(key);
    }
  }

  async runLocally(arg?: unknown): Promise<void> {
    const target = flowTarget(arg);
    const flow = await this.resolveFlow(target, "Select a flow to run locally");
    const payload = await this.resolvePayload(flow, target.payload);
    await this.ui.focusExecutionResults();
    const result = await this.server.execute<{ executionId: string; status: string }>(ServerCommand.runLocally, {
      ...projectArg(target.project),
      flow: flow.stableKey,
      ...(payload ? { payload } : {}),
    });
    this.host.refresh("executions");
    const project = target.project ?? this.activeProject() ?? "";
    const label = `Flow "${flow.name}"`;
    if (result.status === "running") this.watched.set(result.executionId, { label, project });
    else if (result.status === "failed") await this.reportFailure(label, project, result.executionId);
  }

  /** Called on every `cnikit/executionUpdated`: a run started from a command that fails says so. */
  async onExecutionUpdated(execution: ExecutionSummary): Promise<void> {
    const run = this.watched.get(execution.id);
    if (!run || execution.source !== "local" || execution.status === "running") return;
    this.watched.delete(execution.id);
    if (execution.status === "failed") await this.reportFailure(run.label, run.project, execution.id, execution.error);
  }

  private async reportFailure(
    label: string,
    project: string,
    executionId: string,
    error?: string | null,
  ): Promise<void> {
    const ref: LogsRef = { project, executionId, source: "local" };
    const reason = error ? `: ${error.split("\n")[0]}` : ".";
    const action = await this.ui.error(`${label} failed when run locally${reason}`, "Show Logs");
    if (action === "Show Logs") await this.openLogs(ref);
  }

  async testIntegration(arg?: unknown): Promise<void> {
    await this.exclusive("test", "A flow test is already running; wait for it to finish.", async () => {
      const target = flowTarget(arg);
      const flow = await this.resolveFlow(target, "Select a flow to test");
      const payload = await this.resolvePayload(flow, target.payload);
      await this.ui.focusExecutionResults();
      const result = await this.server.execute<{ executionId: string }>(ServerCommand.testIntegration, {
        ...projectArg(target.project),
        flow: flow.stableKey,
        ...(payload ? { payload } : {}),
      });
      this.host.refresh("executions");
      await this.ui.info(`Integration flow test started in Prismatic (execution ${result.executionId}).`);
    });
  }

  private async pickExecution(project: string | undefined): Promise<ExecutionSummary> {
    const executions = await this.server.execute<ExecutionSummary[]>(ServerCommand.listExecutions, {
      ...projectArg(project),
      source: "local",
      limit: 50,
    });
    if (executions.length === 0)
      throw new Error("There is no local execution to replay yet: run a flow locally first.");
    const now = Date.now();
    const chosen = await this.ui.pick(
      executions.map((execution) => ({
        label: `${execution.flow} · ${executionLabel(execution, now)}`,
        description: execution.status,
        detail: execution.id,
        value: execution,
      })),
      "Select an execution to replay",
    );
    if (!chosen) throw new Cancelled();
    return chosen;
  }

  async replayExecution(arg?: unknown): Promise<void> {
    const data = nodeData(arg);
    let project = data?.project ?? str(record(arg).project);
    let executionId = str(record(arg).executionId);
    if (data?.kind === "execution" || data?.kind === "step") {
      if (data.execution.source !== "local") throw new Error("Only local executions can be replayed.");
      executionId = data.execution.id;
    } else if (!executionId) {
      const chosen = await this.pickExecution(project);
      executionId = chosen.id;
      project = project ?? this.activeProject();
    }
    await this.ui.focusExecutionResults();
    const result = await this.server.execute<{ executionId: string; status: string }>(ServerCommand.replayExecution, {
      ...projectArg(project),
      executionId,
    });
    this.host.refresh("executions");
    if (result.status === "running") {
      this.watched.set(result.executionId, { label: `The replay of ${executionId}`, project: project ?? "" });
    }
  }

  async openLogs(arg?: unknown): Promise<void> {
    const ref = this.logsRef(arg);
    await this.ui.openDocument(logsUri(ref), LOG_LANGUAGE);
  }

  async openStep(arg?: unknown): Promise<void> {
    const data = nodeData(arg);
    const raw = record(arg);
    const step = data?.kind === "step" ? data.step : str(raw.step);
    if (!step) throw new Error("Open Step Output needs a step: click one in the Execution Results view.");
    const ref: StepRef = { ...this.logsRef(arg), step };
    await this.ui.openDocument(stepUri(ref), "json");
  }

  private logsRef(arg: unknown): LogsRef {
    const data = nodeData(arg);
    if (data?.kind === "execution" || data?.kind === "step") {
      const { id, source, flow, startedAt, seq } = data.execution;
      return { project: data.project, executionId: id, source, flow, startedAt, seq };
    }
    const raw = record(arg);
    const executionId = str(raw.executionId);
    if (!executionId)
      throw new Error("Open Execution Logs needs an execution: click one in the Execution Results view.");
    const source: ExecutionSource = raw.source === "cloud" ? "cloud" : "local";
    return {
      project: str(raw.project) ?? this.activeProject() ?? "",
      executionId,
      source,
      flow: str(raw.flow),
      startedAt: str(raw.startedAt),
      seq: typeof raw.seq === "number" ? raw.seq : null,
    };
  }

  // --- local server ---------------------------------------------------------------------------------------------

  async startServer(): Promise<void> {
    const result = await this.server.execute<{ url: string }>(
      ServerCommand.startServer,
      projectArg(this.activeProject()),
    );
    this.host.setLocalServerRunning(true);
    const action = await this.ui.info(`Local server listening on ${result.url}`, "Copy URL");
    if (action === "Copy URL") await this.ui.copy(result.url);
  }

  async stopServer(): Promise<void> {
    const result = await this.server.execute<{ stopped: boolean }>(
      ServerCommand.stopServer,
      projectArg(this.activeProject()),
    );
    this.host.setLocalServerRunning(false);
    await this.ui.info(result.stopped ? "Local server stopped." : "The local server was not running.");
  }

  // --- terminal screens -----------------------------------------------------------------------------------------

  private async runScreen(command: ServerCommandId, name: string, arg?: unknown): Promise<void> {
    const project = str(record(arg).project) ?? nodeData(arg)?.project ?? this.activeProject();
    const result = await this.server.execute<TerminalCommandResult>(command, projectArg(project));
    this.ui.runInTerminal(name, terminalSpec(result.command, this.host.cnikitPath()), project);
  }

  async configWizard(arg?: unknown): Promise<void> {
    await this.runScreen(ServerCommand.configWizard, "cnikit: Config Wizard", arg);
  }

  async openResultsBrowser(): Promise<void> {
    await this.runScreen(ServerCommand.executionResults, "cnikit: Execution Results");
  }

  // --- Prismatic platform ---------------------------------------------------------------------------------------

  async importIntegration(arg?: unknown): Promise<void> {
    await this.exclusive("import", "An import is already running; wait for it to finish.", async () => {
      // Without a project the server imports its active one (or says there is none).
      const project = nodeData(arg)?.project ?? this.activeProject();
      const result = await this.server.execute<{ integrationId: string }>(
        ServerCommand.importIntegration,
        projectArg(project),
      );
      this.host.refresh("integrations");
      await this.ui.info(`Integration imported successfully! ID: ${result.integrationId}`);
    });
  }

  async openInBrowser(arg?: unknown): Promise<void> {
    const project = nodeData(arg)?.project ?? this.activeProject();
    const result = await this.server.execute<{ url: string }>(ServerCommand.openInBrowser, projectArg(project));
    await this.ui.openExternal(result.url);
  }

  async login(): Promise<void> {
    const result = await this.server.execute<{ authorizeUrl?: string; user?: unknown }>(ServerCommand.login);
    if (result.authorizeUrl) {
      this.loginPending = true;
      await this.ui.openExternal(result.authorizeUrl);
      this.ui.log(`Login: complete it in your browser (${result.authorizeUrl}).`);
    } else {
      await this.ui.info("Login complete!");
    }
  }

  /** Called on every `cnikit/status`: a pending browser login completes here. */
  async onStatus(status: StatusParams): Promise<void> {
    if (this.loginPending && status.user) {
      this.loginPending = false;
      await this.ui.info("Login complete!");
    }
  }

  async logout(): Promise<void> {
    const result = await this.server.execute<{ message?: string }>(ServerCommand.logout);
    this.loginPending = false;
    await this.ui.info(result.message ?? "Successfully logged out.");
  }

  async me(): Promise<void> {
    const me = await this.server.execute<MeResult>(ServerCommand.me);
    this.ui.showOutput();
    this.ui.log(`Name: ${me.name}`);
    this.ui.log(`Email: ${me.email}`);
    this.ui.log(`Organization: ${me.organization}`);
    this.ui.log(`Endpoint URL: ${me.url}`);
  }

  /** Like `cnikit tenants switch`: the server lists the tenants, the user picks, the server switches. */
  async switchTenant(): Promise<void> {
    type Tenant = {
      tenantId: string;
      orgName: string | null;
      url: string | null;
      awsRegion: string | null;
      current: boolean;
    };
    const listed = await this.server.execute<{ tenants?: Tenant[]; message?: string }>(ServerCommand.switchTenant);
    if (!listed.tenants) {
      await this.ui.info(listed.message ?? "Only one tenant available to your account.");
      return;
    }
    const tenantId = await this.ui.pick(
      listed.tenants.map((tenant) => ({
        label: tenant.orgName ?? tenant.tenantId,
        description: `${tenant.url ?? ""} (${tenant.awsRegion ?? "?"})`,
        detail: tenant.current ? "Current" : undefined,
        value: tenant.tenantId,
      })),
      "Prismatic Tenant Selection",
    );
    if (tenantId === undefined) return;
    const result = await this.server.execute<{ message: string }>(ServerCommand.switchTenant, { tenantId });
    await this.ui.info(result.message);
  }

  /** Re-reads the imported integration (test instance, config state, flows) and redraws what depends on it. */
  async refreshIntegrationDetails(): Promise<void> {
    const details = await this.server.execute<{ configState: string | null; flows: string[] }>(
      ServerCommand.refreshIntegrationDetails,
      projectArg(this.activeProject() ?? undefined),
    );
    this.ui.log(
      `Integration details: ${details.configState ?? "no test instance"}, flows: ${details.flows.join(", ")}`,
    );
    this.host.refresh("integrations");
    this.host.refresh("flows");
  }

  async refreshToken(): Promise<void> {
    const result = await this.server.execute<{ expiresAt: string | number | null }>(ServerCommand.refreshToken);
    if (result.expiresAt === null) {
      await this.ui.info("Token refreshed.");
      return;
    }
    const expires = new Date(result.expiresAt);
    const when = Number.isNaN(expires.getTime()) ? String(result.expiresAt) : expires.toLocaleString();
    await this.ui.info(`Token refreshed; it now expires at ${when}.`);
  }

  async prismaticUrl(): Promise<void> {
    const current = this.host.status()?.url ?? "";
    const value = await this.ui.input({
      prompt: "Prismatic URL (the stack you log in to)",
      placeholder: "https://app.prismatic.io",
      value: current,
      validate: (input) => (validUrl(input) ? undefined : "Please enter a valid URL"),
    });
    if (value === undefined) throw new Cancelled();
    const url = value.trim().replace(/\/+$/, "");
    if (url.length === 0 || url === current.replace(/\/+$/, "")) return;
    await this.server.execute(ServerCommand.prismaticUrl, { url });
    const setting = this.host.prismaticUrlSetting();
    if (setting && setting.replace(/\/+$/, "") !== url) {
      await this.ui.warn(
        `Prismatic URL updated, but the "cnikit.prismaticUrl" setting (${setting}) overrides it; clear that setting to use ${url}.`,
      );
      return;
    }
    const action = await this.ui.info("Prismatic URL updated successfully!", "Login");
    if (action === "Login") await this.login();
  }

  // --- code lenses ----------------------------------------------------------------------------------------------

  /**
   * Code lenses carry server command ids; in VS Code the ones that need a prompt (which payload, what name) or
   * a view are answered here instead. Returns undefined for commands the server should run as they are.
   */
  interceptLens(command: string, arg: unknown): (() => Promise<void>) | undefined {
    switch (command) {
      case ServerCommand.runLocally:
        return () => this.guard("Run Flow Locally", () => this.runLocally(arg));
      case ServerCommand.testIntegration:
        return () => this.guard("Test Integration", () => this.testIntegration(arg));
      case ServerCommand.createFlowPayload:
        return str(record(arg).name)
          ? undefined
          : () => this.guard("Create Flow Payload", () => this.createFlowPayload(arg));
      case ServerCommand.executionResults:
        return () => this.ui.focusExecutionResults();
      case ServerCommand.configWizard:
        return () => this.guard("Config Wizard", () => this.configWizard(arg));
      default:
        return undefined;
    }
  }
}

function validUrl(value: string): boolean {
  try {
    const url = new URL(value.trim());
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
