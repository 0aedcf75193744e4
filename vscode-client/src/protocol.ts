/**
 * The contract with `cnikit lsp`, as written in docs/lsp-protocol.md: server command ids, their argument and
 * result shapes, and the custom notifications. Types only — no behaviour lives here.
 */

/** Server command ids (`workspace/executeCommand`). */
export const ServerCommand = {
  getStatus: "cnikit.server.getStatus",
  listProjects: "cnikit.server.listProjects",
  selectIntegration: "cnikit.server.selectIntegration",
  listFlows: "cnikit.server.listFlows",
  createFlowPayload: "cnikit.server.createFlowPayload",
  runLocally: "cnikit.server.runLocally",
  replayExecution: "cnikit.server.replayExecution",
  listExecutions: "cnikit.server.listExecutions",
  getExecution: "cnikit.server.getExecution",
  getExecutionLogs: "cnikit.server.getExecutionLogs",
  getStepOutput: "cnikit.server.getStepOutput",
  startServer: "cnikit.server.startServer",
  stopServer: "cnikit.server.stopServer",
  login: "cnikit.server.login",
  logout: "cnikit.server.logout",
  me: "cnikit.server.me",
  refreshToken: "cnikit.server.refreshToken",
  switchTenant: "cnikit.server.switchTenant",
  refreshIntegrationDetails: "cnikit.server.refreshIntegrationDetails",
  prismaticUrl: "cnikit.server.prismaticUrl",
  importIntegration: "cnikit.server.importIntegration",
  testIntegration: "cnikit.server.testIntegration",
  openInBrowser: "cnikit.server.openInBrowser",
  configWizard: "cnikit.server.configWizard",
  executionResults: "cnikit.server.executionResults",
} as const;

export type ServerCommandId = (typeof ServerCommand)[keyof typeof ServerCommand];

/** Custom notifications, server → client. */
export const Notification = {
  executionUpdated: "cnikit/executionUpdated",
  executionLog: "cnikit/executionLog",
  status: "cnikit/status",
} as const;

/** One CNI project (a folder holding `.spectral/`). */
export interface ProjectInfo {
  project: string;
  name: string;
  active: boolean;
  integrationId: string | null;
}

/** A flow (`FlowView`, docs/lsp-protocol.md): one of the active (or given) project's, with its payload files.
 * The endpoint fields are filled only by a running `cnikit serve`; `listFlows` leaves them null. */
export interface FlowInfo {
  version: number;
  name: string;
  stableKey: string;
  synchronous: boolean;
  hasSchedule: boolean;
  payloads: string[];
  trigger: string | null;
  url: string | null;
  security: string | null;
  apiKeys: string[] | null;
  queue: Record<string, unknown> | null;
  retry: Record<string, unknown> | null;
  schedule: { cron: string; timeZone: string; source: string | null; next: string | null } | null;
}

export type ExecutionStatus = "running" | "succeeded" | "failed";
export type ExecutionSource = "local" | "cloud";

/** One step of an execution (`StepView`). */
export interface StepSummary {
  name: string;
  status: ExecutionStatus;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  error: string | null;
}

/** An execution as listed and notified (`ExecutionView`, the one JSON shape of an execution in every face). */
export interface ExecutionSummary {
  version: number;
  source: ExecutionSource;
  /** The short number of a local execution; null for cloud executions. */
  seq: number | null;
  id: string;
  flow: string;
  flowKey: string | null;
  invokeType: string;
  status: ExecutionStatus;
  statusDetail: string | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  error: string | null;
  errorStep: string | null;
  replayOf: string | null;
  retryOf: string | null;
  invokedBy: string | null;
  invoked: string[];
  httpMode: string | null;
  steps: StepSummary[];
}

/** `cnikit.server.getExecution`: one execution with everything recorded about it (`ExecutionDetail`). */
export interface ExecutionDetail extends ExecutionSummary {
  steps: (StepSummary & { output: unknown })[];
  request: Record<string, unknown> | null;
  result: unknown;
  response: unknown;
  logs: { seq: number; timestamp: string; severity: string; step: string | null; message: string }[];
}

export interface ExecutionUpdatedParams {
  project: string;
  execution: ExecutionSummary;
}

export interface ExecutionLogParams {
  project: string;
  executionId: string;
  timestamp: string;
  severity: string;
  step: string | null;
  message: string;
}

export interface StatusUser {
  name: string;
  email: string;
}

/** `cnikit/status` and the result of `cnikit.server.getStatus`. */
export interface StatusParams {
  user: StatusUser | null;
  organization: string | null;
  url: string | null;
  activeProject: string | null;
  activeIntegration: string | null;
}

export interface MeResult {
  name: string;
  email: string;
  organization: string;
  url: string;
}

/** `{command}` results: an argv the client runs in an integrated terminal. */
export interface TerminalCommandResult {
  command: string[];
}

/** The `cnikit` settings section, sent as initialization options and through `workspace/configuration`. */
export interface CnikitSettings {
  cnikitPath: string;
  prismaticUrl: string;
  debug: boolean;
  severityOverrides: Record<string, "error" | "warning" | "info" | "hint" | "off">;
  /** Debounce between the last keystroke and re-analysis, in milliseconds (the server accepts 0–5000). */
  diagnosticDelayMs: number;
}
