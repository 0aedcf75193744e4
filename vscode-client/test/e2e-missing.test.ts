/**
 * Activation without cnikit, and in a workspace without a CNI project: what the user is told and what stays
 * quiet. The real extension code with the in-memory VS Code; no server can start here, by design.
 */

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, test } from "node:test";

import { activate, deactivate } from "../src/extension";
import { INSTALL_COMMAND } from "../src/executable";
import type { NodeSpec } from "../src/trees";
import { tempDir } from "./helpers";
import { Uri, env, mock } from "./vscode.mock";

const savedPath = process.env.PATH;
let context = { subscriptions: [] as { dispose(): unknown }[] };

afterEach(async () => {
  // What VS Code does on shutdown: deactivate, then dispose the subscriptions.
  await deactivate();
  for (const disposable of context.subscriptions) disposable.dispose();
  context = { subscriptions: [] };
  process.env.PATH = savedPath;
});

test("without cnikit anywhere, the user is told where it was looked for and how to install it", async () => {
  const workspace = tempDir();
  mkdirSync(join(workspace, "integration", ".spectral"), { recursive: true });
  process.env.PATH = join(workspace, "empty-bin");
  mock.reset();
  mock.folders = [{ uri: Uri.file(workspace), name: "ws", index: 0 }];
  mock.config["cnikit.cnikitPath"] = join(workspace, "nowhere", "cnikit");
  mock.answers.message = (shown) => (shown.actions.includes("Copy Install Command") ? "Copy Install Command" : undefined);

  await activate(context as never);

  assert.equal(mock.contexts.get("cnikit.workspaceEnabled"), true);
  const warning = mock.shown.find((s) => s.kind === "warn");
  assert.match(warning?.message ?? "", /cnikit\.cnikitPath setting points at ".*nowhere\/cnikit", which is not an executable/);
  const missing = mock.shown.find((s) => s.kind === "error");
  assert.match(missing?.message ?? "", /cnikit was not found/);
  assert.ok(missing?.message.includes(join(workspace, ".venv", "bin", "cnikit")), "names the workspace .venv it tried");
  assert.deepEqual(missing?.actions, ["Copy Install Command", "Open Settings", "Retry"]);
  const integration = mock.statusItems.find((item) => item.id === "cnikit.integrationStatus");
  assert.equal(integration?.text, "$(warning) cnikit not found");
  assert.equal(integration?.command, "cnikit.restartServer");
  const [node] = (await mock.trees.get("cnikit.integrationsView")?.getChildren()) as NodeSpec[];
  assert.match(node.label, /cnikit was not found/);
  // The chosen action ran: the install command is on the clipboard.
  await new Promise<void>((resolve) => {
    const sub = mock.onChange(() => {
      if (env.clipboard.text === INSTALL_COMMAND) {
        sub.dispose();
        resolve();
      }
    });
    if (env.clipboard.text === INSTALL_COMMAND) resolve();
  });
  // A command needing the server says why it cannot run instead of failing silently.
  await mock.commands.get("cnikit.integrations.select")?.();
  assert.match(mock.shown.at(-1)?.message ?? "", /cnikit is not running/);
});

test("in a workspace without a .spectral folder nothing starts and nothing is shown", async () => {
  const workspace = tempDir();
  mkdirSync(join(workspace, "node_modules", "pkg", ".spectral"), { recursive: true });
  mock.reset();
  mock.folders = [{ uri: Uri.file(workspace), name: "ws", index: 0 }];
  await activate(context as never);
  assert.equal(mock.contexts.get("cnikit.workspaceEnabled"), false);
  assert.deepEqual(mock.shown, []);
  assert.ok(mock.statusItems.every((item) => !item.visible));
  assert.equal(mock.outputs.get("cnikit")?.length ?? 0, 0, "cnikit was not even looked for");
});
