/** Text shown for executions and steps, formatted like the official extension's Execution Results view. */

import type { ExecutionSummary } from "./protocol";

/** "just now" under a minute, then "Nm ago", "Nh ago", then the start date. */
export function relativeTime(iso: string, now: number): string {
  const started = Date.parse(iso);
  if (Number.isNaN(started)) return iso;
  const seconds = Math.max(0, Math.floor((now - started) / 1000));
  if (seconds < 60) return "just now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ago`;
  return new Date(started).toISOString().slice(0, 16).replace("T", " ");
}

/** "#42 · 5m ago": a local execution's short number (what `cnikit executions show` takes), then when it started. */
export function executionLabel(execution: ExecutionSummary, now: number): string {
  const when = relativeTime(execution.startedAt, now);
  return execution.seq === null ? when : `#${execution.seq} · ${when}`;
}

/** "Nms" under a second, "N.Ns" under a minute, else "MmSSs". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = String(totalSeconds % 60).padStart(2, "0");
  return `${minutes}m${seconds}s`;
}

/** `WEBHOOK` → `webhook`; a local `INTEGRATION_FLOW_TEST` (a run from the editor or the CLI) is a `local run`. */
export function invokeType(value: string, source: ExecutionSummary["source"] = "cloud"): string {
  if (source === "local" && value === "INTEGRATION_FLOW_TEST") return "local run";
  return value.toLowerCase().replace(/_/g, " ");
}

/** `<flow> · <duration or running…> · <invoke type>[ · cloud]`. */
export function executionDescription(execution: ExecutionSummary): string {
  const timing =
    execution.status === "running" || execution.durationMs === null ? "running…" : duration(execution.durationMs);
  const parts = [execution.flow, timing, invokeType(execution.invokeType, execution.source)];
  if (execution.source === "cloud") parts.push("cloud");
  return parts.join(" · ");
}

/** Markdown tooltip: id, flow, start, end, result, error. */
export function executionTooltip(execution: ExecutionSummary): string {
  const lines = [
    `**Execution** \`${execution.id}\``,
    `Flow: ${execution.flow}`,
    `Started: ${execution.startedAt}`,
    execution.endedAt === null ? "Running…" : `Ended: ${execution.endedAt}`,
    `Result: ${execution.status}`,
    `Source: ${execution.source}`,
  ];
  if (execution.error) lines.push(`Error: ${execution.error}`);
  return lines.join("  \n");
}
