import assert from "node:assert/strict";
import { test } from "node:test";

import { duration, executionDescription, executionTooltip, invokeType, relativeTime } from "../src/format";
import { NOW, execution } from "./helpers";

test("relative start times read like the official view", () => {
  assert.equal(relativeTime("2026-11-29T11:59:30Z", NOW), "just now");
  assert.equal(relativeTime("2026-11-29T11:55:00Z", NOW), "5m ago");
  assert.equal(relativeTime("2026-11-29T09:00:00Z", NOW), "3h ago");
  assert.equal(relativeTime("2026-11-20T08:30:00Z", NOW), "2026-11-20 08:30");
  assert.equal(relativeTime("not a date", NOW), "not a date");
});

test("durations: ms under a second, tenths under a minute, then minutes and seconds", () => {
  assert.equal(duration(42), "42ms");
  assert.equal(duration(1234), "1.2s");
  assert.equal(duration(59_940), "59.9s");
  assert.equal(duration(125_000), "2m05s");
});

test("invoke types are lower-cased with spaces", () => {
  assert.equal(invokeType("INTEGRATION_FLOW_TEST"), "integration flow test");
  assert.equal(invokeType("INTEGRATION_FLOW_TEST", "local"), "local run");
  assert.equal(invokeType("WEBHOOK"), "webhook");
});

test("an execution's description names the flow, its duration and how it was invoked", () => {
  assert.equal(executionDescription(execution()), "Sync Todos · 1.2s · local run");
  assert.equal(
    executionDescription(execution({ source: "cloud" })),
    "Sync Todos · 1.2s · integration flow test · cloud",
  );
  assert.equal(
    executionDescription(execution({ status: "running", endedAt: null, durationMs: null, invokeType: "SCHEDULED" })),
    "Sync Todos · running… · scheduled",
  );
  assert.equal(
    executionDescription(execution({ source: "cloud" })),
    "Sync Todos · 1.2s · integration flow test · cloud",
  );
});

test("the tooltip carries the id, timing and error", () => {
  const tooltip = executionTooltip(execution({ status: "failed", error: "Boom: token expired" }));
  assert.match(tooltip, /`exec-1`/);
  assert.match(tooltip, /Ended: 2026-11-29T11:55:01Z/);
  assert.match(tooltip, /Error: Boom: token expired/);
  assert.match(executionTooltip(execution({ endedAt: null, status: "running" })), /Running…/);
});
