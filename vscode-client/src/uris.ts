/**
 * URIs of the read-only virtual documents (execution logs, step outputs).
 *
 * The path is only for the editor tab (`<execution>.log`, `<step>.json`); what identifies the document travels in
 * the query as base64url JSON, whose alphabet survives every round of URI percent-decoding untouched.
 */

import type { ExecutionSource } from "./protocol";

export const LOGS_SCHEME = "cnikit-logs";
export const STEP_SCHEME = "cnikit-step";

/** What a logs document shows. */
export interface LogsRef {
  project: string;
  executionId: string;
  source: ExecutionSource;
}

/** What a step-output document shows. */
export interface StepRef extends LogsRef {
  step: string;
}

/** Characters outside `[a-zA-Z0-9_.-]` become `_` so the tab title is a plain file name. */
export function sanitizeName(name: string, fallback: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_.-]/g, "_");
  return clean.length > 0 ? clean : fallback;
}

function encodeRef(ref: object): string {
  return Buffer.from(JSON.stringify(ref), "utf8").toString("base64url");
}

/** `cnikit-logs:/<execution>.log?<ref>`. */
export function logsUri(ref: LogsRef): string {
  const body = encodeRef({ project: ref.project, executionId: ref.executionId, source: ref.source });
  return `${LOGS_SCHEME}:/${sanitizeName(ref.executionId, "execution")}.log?${body}`;
}

/** `cnikit-step:/<execution>/<step>.json?<ref>`. */
export function stepUri(ref: StepRef): string {
  const body = encodeRef({ project: ref.project, executionId: ref.executionId, source: ref.source, step: ref.step });
  return `${STEP_SCHEME}:/${sanitizeName(ref.executionId, "execution")}/${sanitizeName(ref.step, "step")}.json?${body}`;
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
