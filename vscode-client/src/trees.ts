/**
 * The three sidebar trees as plain data, built from server results. views.ts turns these specs into
 * vscode.TreeItems; everything a user sees in the trees (labels, icons, menus, clicks) is decided here.
 */

import { basename, relative } from "node:path";

import { executionDescription, executionLabel, executionTooltip, duration } from "./format";
import type { ExecutionSummary, FlowInfo, ProjectInfo } from "./protocol";

export interface IconSpec {
  id: string;
  color?: string;
}

export interface CommandSpec {
  command: string;
  title: string;
  arguments: unknown[];
}

/** One tree node. `data` is what commands invoked on the node receive as their argument. */
export interface NodeSpec {
  id: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  icon?: IconSpec;
  contextValue: string;
  command?: CommandSpec;
  /** A file the node stands for: a click opens it. */
  resourcePath?: string;
  children: NodeSpec[];
  expanded?: boolean;
  data: NodeData;
}

export type NodeData =
  | { kind: "message" }
  | { kind: "integration"; project: string; name: string }
  | { kind: "flow"; project: string; flow: FlowInfo }
  | { kind: "payload"; project: string; flow: FlowInfo; payload: string }
  | { kind: "execution"; project: string; execution: ExecutionSummary }
  | { kind: "step"; project: string; execution: ExecutionSummary; step: string };

const PASSED = "testing.iconPassed";
const FAILED = "testing.iconFailed";

/**
 * Where `path` sits under the workspace folders: a relative path inside one, nothing at a folder root (a lone
 * "." next to the name reads as a typo), the full path outside them.
 */
export function relativeLocation(path: string, workspaceFolders: string[]): string | undefined {
  for (const folder of workspaceFolders) {
    const rel = relative(folder, path);
    if (rel === "") return undefined;
    if (!rel.startsWith("..") && !rel.startsWith("/")) return rel;
  }
  return path;
}

/** Integrations view: one item per CNI project; the active one is marked green. */
export function integrationNodes(projects: ProjectInfo[], workspaceFolders: string[]): NodeSpec[] {
  return projects.map((info) => {
    const tooltip = [
      `**${info.name}**`,
      `Path: ${info.project}`,
      info.integrationId ? `Integration ID: ${info.integrationId}` : "Not imported yet",
    ].join("  \n");
    const data: NodeData = { kind: "integration", project: info.project, name: info.name };
    return {
      id: `integration:${info.project}`,
      label: info.name,
      description: relativeLocation(info.project, workspaceFolders),
      tooltip,
      icon: info.active ? { id: "circle-filled", color: PASSED } : { id: "circle-outline" },
      contextValue: info.active ? "integrationItem.active" : "integrationItem",
      command: { command: "cnikit.integrations.select", title: "Select Integration", arguments: [data] },
      children: [],
      data,
    };
  });
}

/** Test Payloads view: flows of the active project, each with its payload files. */
export function flowNodes(flows: FlowInfo[], project: string): NodeSpec[] {
  return flows.map((flow) => {
    const kind = [flow.synchronous ? "synchronous" : null, flow.hasSchedule ? "scheduled" : null].filter(Boolean);
    return {
      id: `flow:${project}:${flow.stableKey}`,
      label: flow.name,
      description: kind.join(", ") || undefined,
      tooltip: `Flow: ${flow.name}  \nStable Key: ${flow.stableKey}  \nPayloads: ${flow.payloads.length}`,
      icon: { id: "symbol-event" },
      contextValue: "flowItem",
      children: flow.payloads.map((payload) => {
        const data: NodeData = { kind: "payload", project, flow, payload };
        return {
          id: `payload:${payload}`,
          label: basename(payload),
          tooltip: payload,
          icon: { id: "file-code" },
          contextValue: "payloadItem",
          resourcePath: payload,
          children: [],
          data,
        };
      }),
      expanded: flow.payloads.length > 0,
      data: { kind: "flow", project, flow },
    };
  });
}

function executionIcon(execution: ExecutionSummary, now: number): IconSpec {
  if (execution.status === "running") return { id: "sync~spin" };
  if (execution.status === "failed" || execution.error) return { id: "error", color: FAILED };
  const recent = now - Date.parse(execution.startedAt) < 30_000;
  return { id: recent ? "pass-filled" : "pass", color: PASSED };
}

/** Execution Results view: newest first, each execution with its steps. */
export function executionNodes(executions: ExecutionSummary[], project: string, now: number): NodeSpec[] {
  return executions.map((execution) => {
    const ref = {
      project,
      executionId: execution.id,
      source: execution.source,
      flow: execution.flow,
      startedAt: execution.startedAt,
      seq: execution.seq,
    };
    const terminal = execution.status === "running" ? "running" : "terminal";
    return {
      id: `execution:${execution.source}:${execution.id}`,
      label: executionLabel(execution, now),
      description: executionDescription(execution),
      tooltip: executionTooltip(execution),
      icon: executionIcon(execution, now),
      contextValue: `executionItem.${terminal}.${execution.source}`,
      command: { command: "cnikit.executionResults.openLogs", title: "Open Logs", arguments: [ref] },
      children: execution.steps.map((step) => {
        const stepRef = { ...ref, step: step.name };
        const failed = step.status === "failed";
        return {
          id: `step:${execution.source}:${execution.id}:${step.name}`,
          label: step.name,
          description: step.status === "running" || step.durationMs === null ? "running…" : duration(step.durationMs),
          tooltip: `Step ${step.name}: ${step.status}`,
          icon: failed
            ? { id: "error", color: FAILED }
            : { id: step.status === "running" ? "circle-outline" : "circle-filled" },
          contextValue: "stepItem",
          command: { command: "cnikit.executionResults.openStep", title: "Open Step Output", arguments: [stepRef] },
          children: [],
          data: { kind: "step", project, execution, step: step.name },
        };
      }),
      data: { kind: "execution", project, execution },
    };
  });
}
