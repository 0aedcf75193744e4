import assert from "node:assert/strict";
import { test } from "node:test";

import * as vscode from "vscode";

import { ExecutionDocuments } from "../src/documents";
import type { ServerApi } from "../src/handlers";
import { executionNodes, flowNodes } from "../src/trees";
import { logsUri, stepUri } from "../src/uris";
import { SpecTree, toTreeItem } from "../src/views";
import { NOW, execution, flow } from "./helpers";
import { workspace as openDocuments } from "./vscode.mock";

test("tree items carry the spec's label, icon colour, menu context and click", () => {
  const [node] = executionNodes([execution({ status: "failed", error: "Boom" })], "/p", NOW);
  const item = toTreeItem(node);
  assert.equal(item.label, "#1 · 5m ago");
  assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
  assert.equal(item.contextValue, "executionItem.terminal.local");
  const icon = item.iconPath as vscode.ThemeIcon;
  assert.equal(icon.id, "error");
  assert.equal((icon.color as unknown as { id: string }).id, "testing.iconFailed");
  assert.match((item.tooltip as vscode.MarkdownString).value, /Error: Boom/);
  assert.equal(item.command?.command, "cnikit.executionResults.openLogs");
});

test("a payload item opens its file; a flow with payloads starts expanded", () => {
  const [flowNode] = flowNodes([flow("sync", ["empty"])], "/ws/todo");
  assert.equal(toTreeItem(flowNode).collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
  const payload = toTreeItem(flowNode.children[0]);
  assert.equal(payload.collapsibleState, vscode.TreeItemCollapsibleState.None);
  assert.equal(payload.command?.command, "vscode.open");
  assert.equal(
    (payload.command?.arguments?.[0] as vscode.Uri).fsPath,
    "/ws/todo/.spectral/flows/sync/payloads/empty.json",
  );
  assert.equal(payload.resourceUri?.fsPath, "/ws/todo/.spectral/flows/sync/payloads/empty.json");
});

test("a tree whose load fails shows why instead of going blank", async () => {
  const tree = new SpecTree(() => Promise.reject(new Error("cnikit is not running.")));
  const roots = await tree.getChildren();
  assert.deepEqual(
    roots.map((n) => [n.label, n.contextValue]),
    [["cnikit is not running.", "message"]],
  );
});

test("refresh tells VS Code to redraw and children come from the spec", async () => {
  const [node] = executionNodes([execution()], "/p", NOW);
  const tree = new SpecTree(() => Promise.resolve([node]));
  let redraws = 0;
  tree.onDidChangeTreeData(() => (redraws += 1));
  tree.refresh();
  assert.equal(redraws, 1);
  assert.deepEqual(
    (await tree.getChildren(node)).map((n) => n.label),
    ["onTrigger", "onExecution"],
  );
});

/** A server that answers logs and step outputs from a table and records what it was asked. */
function fakeServer(answers: Record<string, unknown>, calls: [string, object | undefined][] = []): ServerApi {
  return {
    execute<T>(command: string, args?: object): Promise<T> {
      calls.push([command, args]);
      const answer = answers[command];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer as T);
    },
  };
}

const ref = { project: "/ws/todo", executionId: "exec-1", source: "local" as const };

test("a logs document shows the server's log text for that execution", async () => {
  const calls: [string, object | undefined][] = [];
  const docs = new ExecutionDocuments(() =>
    fakeServer({ "cnikit.server.getExecutionLogs": { text: "12:00:01 [INFO] [onExecution] synced 3 todos" } }, calls),
  );
  const text = await docs.provideTextDocumentContent(vscode.Uri.parse(logsUri(ref)));
  assert.equal(text, "12:00:01 [INFO] [onExecution] synced 3 todos");
  assert.deepEqual(calls, [["cnikit.server.getExecutionLogs", ref]]);
  docs.dispose();
});

test("logs and step documents explain empty, failing, stopped and invalid cases", async () => {
  const empty = new ExecutionDocuments(() => fakeServer({ "cnikit.server.getExecutionLogs": { text: "" } }));
  assert.equal(await empty.provideTextDocumentContent(vscode.Uri.parse(logsUri(ref))), "<no logs yet>");
  const failing = new ExecutionDocuments(() =>
    fakeServer({ "cnikit.server.getStepOutput": new Error("Unknown execution exec-1") }),
  );
  assert.equal(
    await failing.provideTextDocumentContent(vscode.Uri.parse(stepUri({ ...ref, step: "onExecution" }))),
    "// Step output is not available: Unknown execution exec-1",
  );
  const stopped = new ExecutionDocuments(() => undefined);
  assert.match(await stopped.provideTextDocumentContent(vscode.Uri.parse(logsUri(ref))), /cnikit is not running/);
  assert.match(
    await stopped.provideTextDocumentContent(vscode.Uri.parse("cnikit-step:/x.json?garbage")),
    /Invalid step URI/,
  );
  for (const docs of [empty, failing, stopped]) docs.dispose();
});

test("step output documents show the server's pretty JSON", async () => {
  const docs = new ExecutionDocuments(() =>
    fakeServer({ "cnikit.server.getStepOutput": { json: '{\n  "synced": 3\n}' } }),
  );
  const text = await docs.provideTextDocumentContent(vscode.Uri.parse(stepUri({ ...ref, step: "onExecution" })));
  assert.equal(text, '{\n  "synced": 3\n}');
  docs.dispose();
});

test("an update to an execution re-reads its open documents once per burst, and only those", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const docs = new ExecutionDocuments(() => undefined);
  const logs = vscode.Uri.parse(logsUri(ref));
  const step = vscode.Uri.parse(stepUri({ ...ref, step: "onExecution" }));
  const other = vscode.Uri.parse(logsUri({ ...ref, executionId: "exec-2" }));
  const open = (uri: vscode.Uri) => ({ uri, languageId: "plaintext", text: "", getText: () => "" });
  openDocuments.textDocuments.splice(0, Infinity, open(logs), open(step), open(other));
  const fired: string[] = [];
  docs.onDidChange((uri) => fired.push(uri.toString()));
  docs.executionChanged("exec-1", false);
  docs.executionChanged("exec-1", false);
  t.mock.timers.tick(200);
  assert.deepEqual(fired, [logs.toString()], "a log line re-reads the logs only, once");
  fired.length = 0;
  docs.executionChanged("exec-1", true);
  t.mock.timers.tick(200);
  assert.deepEqual(fired.sort(), [logs.toString(), step.toString()].sort());
  openDocuments.textDocuments.splice(0, Infinity);
  docs.dispose();
});
