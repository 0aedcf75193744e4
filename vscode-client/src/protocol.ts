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

/** One flow of the active (or given) project, with its payload files. */
export interface FlowInfo {
  name: string;
  stableKey: string;
  isSynchronous: boolean;
  hasSchedule: boolean;
  payloads: string[];
}

export type ExecutionStatus = "running" | "succeeded" | "failed";
export type ExecutionSource = "local" | "cloud";

export interface StepSummary {
  name: string;
  status: ExecutionStatus;
  durationMs: number | null;
}

export interface ExecutionSummary {
  id: string;
  flow: string;
  status: ExecutionStatus;
  invokeType: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  error: string | null;
  source: ExecutionSource;
  steps: StepSummary[];
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
