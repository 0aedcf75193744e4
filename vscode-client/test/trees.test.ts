import assert from "node:assert/strict";
import { test } from "node:test";

import { executionNodes, flowNodes, integrationNodes, relativeLocation } from "../src/trees";
import { NOW, execution, flow } from "./helpers";

test("integrations: one item per project, the active one green, clicking selects it", () => {
  const nodes = integrationNodes(
    [
      { project: "/ws", name: "root-cni", active: false, integrationId: null },
      { project: "/ws/packages/todo", name: "todo", active: true, integrationId: "SW50ZWdyYXRpb246MQ==" },
    ],
    ["/ws"],
  );
  assert.deepEqual(
    nodes.map((n) => [n.label, n.description, n.contextValue, n.icon]),
    [
      ["root-cni", undefined, "integrationItem", { id: "circle-outline" }],
      ["todo", "packages/todo", "integrationItem.active", { id: "circle-filled", color: "testing.iconPassed" }],
    ],
  );
  assert.equal(nodes[1].command?.command, "cnikit.integrations.select");
  assert.deepEqual(nodes[1].command?.arguments, [{ kind: "integration", project: "/ws/packages/todo", name: "todo" }]);
  assert.match(nodes[1].tooltip ?? "", /Integration ID: SW50ZWdyYXRpb246MQ==/);
  assert.match(nodes[0].tooltip ?? "", /Not imported yet/);
});

test("relative location falls back to the full path outside every workspace folder", () => {
  assert.equal(relativeLocation("/elsewhere/x", ["/ws"]), "/elsewhere/x");
  assert.equal(relativeLocation("/ws2/x", ["/ws", "/ws2"]), "x");
});

test("test payloads: flows with their payload files, which open on click", () => {
  const nodes = flowNodes([flow("sync-todos", ["empty", "big-batch"], "Sync Todos"), flow("nightly")], "/ws/todo");
  assert.equal(nodes.length, 2);
  const [sync, nightly] = nodes;
  assert.equal(sync.label, "Sync Todos");
  assert.equal(sync.contextValue, "flowItem");
  assert.equal(sync.icon?.id, "symbol-event");
  assert.equal(sync.expanded, true);
  assert.deepEqual(
    sync.children.map((c) => c.label),
    ["empty.json", "big-batch.json"],
  );
  assert.equal(sync.children[0].resourcePath, "/ws/todo/.spectral/flows/sync-todos/payloads/empty.json");
  assert.equal(sync.children[0].contextValue, "payloadItem");
  assert.deepEqual(nightly.children, []);
  assert.equal(nodes[0].data.kind, "flow");
});

test("flow descriptions say synchronous and scheduled", () => {
  const [node] = flowNodes([{ ...flow("x"), synchronous: true, hasSchedule: true }], "/p");
  assert.equal(node.description, "synchronous, scheduled");
});

test("executions: icons, menus and clicks follow status and source", () => {
  const nodes = executionNodes(
    [
      execution({ id: "run", status: "running", endedAt: null, durationMs: null, startedAt: "2026-11-29T11:59:50Z" }),
      execution({ id: "bad", status: "failed", error: "Boom" }),
      execution({ id: "fresh", startedAt: "2026-11-29T11:59:45Z" }),
      execution({ id: "old", source: "cloud", seq: null }),
    ],
    "/ws/todo",
    NOW,
  );
  assert.deepEqual(
    nodes.map((n) => [n.id, n.icon?.id, n.contextValue]),
    [
      ["execution:local:run", "sync~spin", "executionItem.running.local"],
      ["execution:local:bad", "error", "executionItem.terminal.local"],
      ["execution:local:fresh", "pass-filled", "executionItem.terminal.local"],
      ["execution:cloud:old", "pass", "executionItem.terminal.cloud"],
    ],
  );
  assert.equal(nodes[1].label, "#1 · 5m ago"); // a local execution's number, as `cnikit executions show` takes it
  assert.equal(nodes[0].label, "#1 · just now");
  assert.equal(nodes[3].label, "5m ago"); // cloud executions have no number
  assert.deepEqual(nodes[3].command, {
    command: "cnikit.executionResults.openLogs",
    title: "Open Logs",
    arguments: [
      {
        project: "/ws/todo",
        executionId: "old",
        source: "cloud",
        flow: "Sync Todos",
        startedAt: "2026-11-29T11:55:00Z",
        seq: null,
      },
    ],
  });
});

test("steps of an execution open their output; a failed step is red, a running one hollow", () => {
  const times = { startedAt: null, endedAt: null, error: null };
  const [node] = executionNodes(
    [
      execution({
        steps: [
          { ...times, name: "onTrigger", status: "succeeded", durationMs: 5 },
          { ...times, name: "onExecution", status: "failed", durationMs: 2500 },
          { ...times, name: "cleanup", status: "running", durationMs: null },
        ],
      }),
    ],
    "/p",
    NOW,
  );
  assert.deepEqual(
    node.children.map((c) => [c.label, c.description, c.icon?.id]),
    [
      ["onTrigger", "5ms", "circle-filled"],
      ["onExecution", "2.5s", "error"],
      ["cleanup", "running…", "circle-outline"],
    ],
  );
  assert.deepEqual(node.children[1].command?.arguments, [
    {
      project: "/p",
      executionId: "exec-1",
      source: "local",
      flow: "Sync Todos",
      startedAt: "2026-11-29T11:55:00Z",
      seq: 1,
      step: "onExecution",
    },
  ]);
});
