/**
 * URIs of the read-only virtual documents (execution logs, step outputs).
 *
 * The path is only for the editor tab (`Greet #12 14:05:33.log`, `onExecution · Greet #12 14:05:33.json`: the
 * flow, the execution's short number and its start time); what identifies the document travels in the query as
 * base64url JSON, whose alphabet survives every round of URI percent-decoding untouched.
 */

import type { ExecutionSource } from "./protocol";

export const LOGS_SCHEME = "cnikit-logs";
export const STEP_SCHEME = "cnikit-step";

/** What a logs document shows. */
export interface LogsRef {
  project: string;
  executionId: string;
  source: ExecutionSource;
  /** For the tab title only. */
  flow?: string;
  startedAt?: string;
  /** The execution's short number (local executions), as the Execution Results view shows it. */
  seq?: number | null;
}

/** What a step-output document shows. */
export interface StepRef extends LogsRef {
  step: string;
}

/** Characters that would break the URI path or the file name become `_`; the rest is kept (percent-encoded). */
export function sanitizeName(name: string, fallback: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.trim().replace(/[/\\?\u0000-\u001f]/g, "_");
  return encodeURIComponent(clean.length > 0 ? clean : fallback);
}

/** The short number of an execution id: the first 8 hex digits of the uuid in `base64("Type:<uuid>")`. */
export function shortId(executionId: string): string {
  const decoded = Buffer.from(executionId, "base64").toString("utf8");
  const match = /^[A-Za-z]+:([0-9a-fA-F]{8})/.exec(decoded);
  return match ? match[1].toLowerCase() : executionId.replace(/[^a-zA-Z0-9]/g, "").slice(-8);
}

/** `Greet #12 14:05:33`: flow, short number (a cloud execution's: `#1a2b3c4d`, from its id), local start time. */
export function executionTitle(ref: LogsRef): string {
  const number = typeof ref.seq === "number" ? String(ref.seq) : shortId(ref.executionId);
  const parts = [ref.flow ?? "Execution", `#${number}`];
  const started = ref.startedAt ? new Date(ref.startedAt) : undefined;
  if (started && !Number.isNaN(started.getTime())) parts.push(started.toTimeString().slice(0, 8));
  return parts.join(" ");
}

function encodeRef(ref: object): string {
  return Buffer.from(JSON.stringify(ref), "utf8").toString("base64url");
}

/** `cnikit-logs:/<execution title>.log?<ref>`. */
export function logsUri(ref: LogsRef): string {
  const body = encodeRef({ project: ref.project, executionId: ref.executionId, source: ref.source });
  return `${LOGS_SCHEME}:/${sanitizeName(executionTitle(ref), "execution")}.log?${body}`;
}

/** `cnikit-step:/<execution title>/<step> · <execution title>.json?<ref>`. */
export function stepUri(ref: StepRef): string {
  const body = encodeRef({ project: ref.project, executionId: ref.executionId, source: ref.source, step: ref.step });
  const title = executionTitle(ref);
  return `${STEP_SCHEME}:/${sanitizeName(title, "execution")}/${sanitizeName(`${ref.step} · ${title}`, "step")}.json?${body}`;
}

function decodeRef(query: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(query, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function isSource(value: unknown): value is ExecutionSource {
  return value === "local" || value === "cloud";
}

/** The logs reference in a `cnikit-logs` URI's query, or null when it is not one of ours. */
export function parseLogsQuery(query: string): LogsRef | null {
  const ref = decodeRef(query);
  if (!ref || typeof ref.project !== "string" || typeof ref.executionId !== "string" || !isSource(ref.source)) {
    return null;
  }
  return { project: ref.project, executionId: ref.executionId, source: ref.source };
}

/** The step reference in a `cnikit-step` URI's query, or null when it is not one of ours. */
export function parseStepQuery(query: string): StepRef | null {
  const logs = parseLogsQuery(query);
  const ref = decodeRef(query);
  if (!logs || !ref || typeof ref.step !== "string") return null;
  return { ...logs, step: ref.step };
}
