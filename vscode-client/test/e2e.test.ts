/**
 * End to end: the real extension bundle code (activate) and the real vscode-languageclient, driving the real
 * `cnikit lsp` from the repository's .venv over stdio, on copies of two fixture projects. Only VS Code itself is
 * the in-memory mock. Every wait is on an event the mock fires (tree redraws, status bar, messages), never time.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { activate, deactivate } from "../src/extension";
import type { NodeSpec } from "../src/trees";
import { Uri, mock, type MockStatusBarItem } from "./vscode.mock";
import { waitFor } from "./wait";

const REPO = join(__dirname, "..", "..", "..");
const CNIKIT = join(REPO, ".venv", "bin", "cnikit");
const FIXTURES = join(REPO, "tests", "fixtures");

async function roots(view: string): Promise<NodeSpec[]> {
  const tree = mock.trees.get(view);
  assert.ok(tree, `view ${view} is registered`);
  return (await tree.getChildren()) as NodeSpec[];
}

function statusItem(id: string): MockStatusBarItem {
  const item = mock.statusItems.find((candidate) => candidate.id === id);
  assert.ok(item, `status item ${id}`);
  return item;
}

function run(command: string, ...args: unknown[]): Promise<unknown> {
  const handler = mock.commands.get(command);
  assert.ok(handler, `command ${command} is registered`);
  return Promise.resolve(handler(...args));
}

const context = { subscriptions: [] as { dispose(): unknown }[] };
let workspace = "";
let greeter = "";
let diagnosed = "";

before(async () => {
  assert.ok(existsSync(CNIKIT), `${CNIKIT} is missing: run "make setup" first (it installs cnikit into .venv)`);
  workspace = mkdtempSync(join(tmpdir(), "cnikit-e2e-"));
  greeter = join(workspace, "greeter");
  diagnosed = join(workspace, "packages", "diagnosed");
  mkdirSync(join(workspace, "packages"));
  const skip = (source: string): boolean => !/[/\\](node_modules|local)$/.test(source);
  cpSync(join(FIXTURES, "lsp-run-locally"), greeter, { recursive: true, filter: skip });
  cpSync(join(FIXTURES, "lsp-diagnostics"), diagnosed, { recursive: true, filter: skip });
  // Builds resolve spectral from the shared fixture install, as the server tests do.
  symlinkSync(join(FIXTURES, "node_modules"), join(workspace, "node_modules"), "dir");

  mock.reset();
  mock.folders = [{ uri: Uri.file(workspace), name: "ws", index: 0 }];
  mock.config["cnikit.cnikitPath"] = CNIKIT;
  await activate(context as never);
});

after(async () => {
  // What VS Code does on shutdown: deactivate, then dispose the subscriptions.
  await deactivate();
  for (const disposable of context.subscriptions) disposable.dispose();
  rmSync(workspace, { recursive: true, force: true });
});

test("activation finds the projects, starts cnikit lsp and enables the commands", async () => {
  assert.equal(mock.contexts.get("cnikit.workspaceEnabled"), true);
  // Each project is listed under its integration's name once the server has analysed it.
  const integrations = await waitFor("both projects, analysed, in the Integrations view", async () => {
    const nodes = await roots("cnikit.integrationsView");
    return nodes.length === 2 && nodes.some((n) => n.label === "Run Locally") && nodes;
  });
  assert.deepEqual(integrations.map((n) => n.description).sort(), ["greeter", join("packages", "diagnosed")]);
  assert.equal(integrations.filter((n) => n.contextValue === "integrationItem.active").length, 1);
  assert.ok(statusItem("cnikit.userStatus").visible);
  assert.equal(statusItem("cnikit.userStatus").text, "$(account) Not logged in");
});

test("diagnostics of the whole workspace reach the editor with their codes", async () => {
  const index = Uri.file(join(diagnosed, "src", "index.ts")).toString();
  const found = await waitFor("diagnostics of the diagnosed project", () => {
    const list = mock.diagnostics.get(index);
    return list && list.length > 0 && list;
  });
  assert.deepEqual(found.map((d) => d.code).sort(), ["CNI701", "CNI702"]);
});

test("selecting an integration switches the status bar and the Test Payloads view", async () => {
  const integrations = await roots("cnikit.integrationsView");
  const target = integrations.find((n) => n.description === "greeter");
  assert.ok(target);
  await run("cnikit.integrations.select", target.command?.arguments?.[0]);
  assert.ok(mock.shown.some((s) => s.kind === "info" && s.message === "Switched to: Run Locally"));
  await waitFor(
    "the status bar to show the greeter",
    () => statusItem("cnikit.integrationStatus").text === "$(symbol-namespace) Run Locally",
  );
  const flows = await waitFor("the greeter's flows", async () => {
    const nodes = await roots("cnikit.flowPayloadsView");
    return nodes.some((n) => n.label === "Greet") && nodes;
  });
  assert.deepEqual(
    flows.map((n) => n.label),
    ["Greet", "Explode"],
  );
  assert.deepEqual(
    flows[0].children.map((n) => n.label),
    ["ada.json"],
  );
});

test("running a payload locally shows the execution live, and its logs and step output open", async () => {
  const [greet] = await roots("cnikit.flowPayloadsView");
  await run("cnikit.runLocally", greet.children[0]);
  const execution = await waitFor("the Greet execution to succeed in Execution Results", async () => {
    const nodes = await roots("cnikit.executionResultsView");
    return nodes.find((n) => n.data.kind === "execution" && n.data.execution.status === "succeeded");
  });
  assert.match(execution.description ?? "", /^Greet · /);
  assert.deepEqual(
    execution.children.map((n) => n.label),
    ["onTrigger", "onExecution"],
  );

  await run("cnikit.executionResults.openLogs", execution.command?.arguments?.[0]);
  const logs = mock.shownDocuments.at(-1);
  assert.equal(logs?.languageId, "cnikit-log");
  assert.match(logs?.getText() ?? "", /^\d{2}:\d{2}:\d{2} \[INFO\] .*Hello, Ada$/m);

  await run("cnikit.executionResults.openStep", execution.children[1].command?.arguments?.[0]);
  const step = mock.shownDocuments.at(-1);
  assert.equal(step?.languageId, "json");
  assert.match(step?.getText() ?? "", /"greeting": "Hello, Ada"/);
});

test("a flow that fails when run locally is reported with its error and a way to its logs", async () => {
  mock.answers.pick = (labels) => (labels.includes("Explode") ? "Explode" : undefined);
  await run("cnikit.runLocally");
  const failure = await waitFor("the failure notification", () =>
    mock.shown.find((s) => s.kind === "error" && s.message.startsWith('Flow "Explode" failed')),
  );
  assert.match(failure.message, /Kaboom: the flow failed on purpose/);
  assert.deepEqual(failure.actions, ["Show Logs"]);
});

test("a '+ Payload' code lens runs through the client: it asks for the name, then the file opens and is listed", async () => {
  // vscode-languageclient registered the server's commands; a lens click executes them through our middleware.
  mock.answers.input = (prompt) => (prompt === "Enter payload name" ? "from-lens" : undefined);
  await run("cnikit.server.createFlowPayload", { project: greeter, stableKey: "greet", flow: "Greet" });
  const path = join(greeter, ".spectral", "flows", "greet", "payloads", "from-lens.json");
  assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), {
    headers: { "prismatic-debug": "false" },
    data: {},
    contentType: "application/json",
  });
  assert.equal(mock.shownDocuments.at(-1)?.uri.fsPath, path);
  await waitFor("the new payload in Test Payloads", async () => {
    const [greet] = await roots("cnikit.flowPayloadsView");
    return greet?.children.some((n) => n.label === "from-lens.json");
  });
});

test("the config wizard opens cnikit's terminal UI with the same cnikit", async () => {
  await run("cnikit.configWizard");
  const terminal = mock.terminals.at(-1);
  assert.equal(terminal?.shellPath, CNIKIT);
  assert.deepEqual(terminal?.shellArgs, ["tui", "--screen", "wizard", greeter]);
});

test("a crashed server is restarted and the views come back", async () => {
  const children = execFileSync("pgrep", ["-P", String(process.pid)], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map(Number);
  assert.equal(children.length, 1, "one child: the language server");
  const restarted = waitFor("the restart notice", () =>
    mock.outputs.get("cnikit")?.some((line) => line.includes("cnikit lsp stopped unexpectedly; restarting it.")),
  );
  process.kill(children[0], "SIGKILL");
  await restarted;
  await waitFor("the Integrations view from the new server", async () => {
    const nodes = await roots("cnikit.integrationsView");
    return nodes.length === 2 && nodes[0].contextValue.startsWith("integrationItem");
  });
  assert.equal(mock.shown.filter((s) => s.kind === "error" && s.message.includes("will not be restarted")).length, 0);
});
