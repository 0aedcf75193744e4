/**
 * Activation without cnikit, and in a workspace without a CNI project: what the user is told and what stays
 * quiet. This file loads the shipped bundle, dist/extension.js, with `require("vscode")` answered by the in-memory
 * VS Code; no server can start here, by design.
 */

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, test } from "node:test";

import { installCommand } from "../src/bootstrap";
import type { NodeSpec } from "../src/trees";
import { tempDir } from "./helpers";
import { waitFor } from "./wait";
import * as vscode from "./vscode.mock";
import { Uri, env, mock } from "./vscode.mock";

interface ExtensionModule {
  activate: (context: unknown) => Promise<void>;
  deactivate: () => Promise<void>;
}

type Resolver = (request: string, ...rest: unknown[]) => string;

/** The packaged entry point (scripts/build.mjs writes it before the tests run), with `vscode` as the mock. */
function loadShippedBundle(): ExtensionModule {
  const loader = Module as unknown as { _resolveFilename: Resolver };
  const resolve = loader._resolveFilename.bind(loader);
  loader._resolveFilename = (request, ...rest) => (request === "vscode" ? "vscode" : resolve(request, ...rest));
  const load = createRequire(__filename);
  load.cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: vscode } as NodeJS.Module;
  return load(join(__dirname, "..", "..", "dist", "extension.js")) as ExtensionModule;
}

const { activate, deactivate } = loadShippedBundle();

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
  mock.answers.message = (shown) =>
    shown.actions.includes("Copy Install Command") ? "Copy Install Command" : undefined;

  await activate(context);

  assert.equal(mock.contexts.get("cnikit.workspaceEnabled"), true);
  const warning = mock.shown.find((s) => s.kind === "warn");
  assert.match(
    warning?.message ?? "",
    /cnikit\.cnikitPath setting points at ".*nowhere\/cnikit", which is not an executable/,
  );
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
      if (env.clipboard.text === installCommand(undefined)) {
        sub.dispose();
        resolve();
      }
    });
    if (env.clipboard.text === installCommand(undefined)) resolve();
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
  await activate(context);
  assert.equal(mock.contexts.get("cnikit.workspaceEnabled"), false);
  assert.deepEqual(mock.shown, []);
  assert.ok(mock.statusItems.every((item) => !item.visible));
  assert.equal(mock.outputs.get("cnikit")?.length ?? 0, 0, "cnikit was not even looked for");
});

test("a cnikitPath read empty at activation is read once more shortly after, and the server then starts", async () => {
  const workspace = tempDir();
  mkdirSync(join(workspace, "integration", ".spectral"), { recursive: true });
  process.env.PATH = join(workspace, "empty-bin");
  mock.reset();
  mock.folders = [{ uri: Uri.file(workspace), name: "ws", index: 0 }];
  mock.config["cnikit.cnikitPath"] = "";
  await activate(context);
  const integration = (): string | undefined =>
    mock.statusItems.find((item) => item.id === "cnikit.integrationStatus")?.text;
  assert.equal(integration(), "$(warning) cnikit not found");
  // The setting arrives late, without a change event (what one page load in nine showed in a real workbench).
  mock.config["cnikit.cnikitPath"] = join(__dirname, "..", "..", "..", ".venv", "bin", "cnikit");
  await waitFor("the server started from the setting", () =>
    (mock.outputs.get("cnikit") ?? []).some((line) => line.includes("found via setting")),
  );
  await waitFor(
    "the status bar no longer says cnikit is missing",
    () => integration() !== "$(warning) cnikit not found",
  );
});
