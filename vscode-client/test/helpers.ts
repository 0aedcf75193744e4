/** Shared test data: executions, flows and a temporary directory. */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

import type { ExecutionSummary, FlowInfo } from "../src/protocol";

export const NOW = Date.parse("2026-11-29T12:00:00Z");

/** An execution summary with sensible defaults. */
export function execution(overrides: Partial<ExecutionSummary> = {}): ExecutionSummary {
  const step = { startedAt: null, endedAt: null, error: null };
  return {
    version: 1,
    source: "local",
    seq: 1,
    id: "exec-1",
    flow: "Sync Todos",
    flowKey: "sync-todos",
    invokeType: "INTEGRATION_FLOW_TEST",
    status: "succeeded",
    statusDetail: null,
    startedAt: "2026-11-29T11:55:00Z",
    endedAt: "2026-11-29T11:55:01Z",
    durationMs: 1234,
    error: null,
    errorStep: null,
    replayOf: null,
    retryOf: null,
    invokedBy: null,
    invoked: [],
    httpMode: "live",
    steps: [
      { ...step, name: "onTrigger", status: "succeeded", durationMs: 12 },
      { ...step, name: "onExecution", status: "succeeded", durationMs: 1200 },
    ],
    ...overrides,
  };
}

/** A flow with payload files under /ws/todo/.spectral/flows/<key>/payloads. */
export function flow(stableKey: string, payloads: string[] = [], name = stableKey): FlowInfo {
  return {
    version: 1,
    name,
    stableKey,
    synchronous: false,
    hasSchedule: false,
    payloads: payloads.map((p) => `/ws/todo/.spectral/flows/${stableKey}/payloads/${p}.json`),
    trigger: null,
    url: null,
    security: null,
    apiKeys: null,
    queue: null,
    retry: null,
    schedule: null,
  };
}

/** A fresh temporary directory, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cnikit-vscode-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
