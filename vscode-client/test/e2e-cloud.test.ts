/**
 * The cloud face end to end: the extension and the real `cnikit lsp` against the team's fake Prismatic stack
 * (tests/fakes/prismatic.py, on 127.0.0.1, run as its own process), with tokens in an in-memory keyring. The test
 * plays the user's browser: it opens the URL the extension handed to the editor.
 */

import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";

import { activate, deactivate } from "../src/extension";
import { Uri, mock, type MockStatusBarItem } from "./vscode.mock";
import { waitFor } from "./wait";

const REPO = join(__dirname, "..", "..", "..");
const PYTHON = join(REPO, ".venv", "bin", "python");
const CNIKIT = join(REPO, ".venv", "bin", "cnikit");
const FIXTURES = join(REPO, "tests", "fixtures");

/** Runs the fake stack until its stdin closes; prints its URL first. */
const FAKE_STACK = `
import sys
from tests.fakes.prismatic import FakePrismatic, ServerThread
stack = FakePrismatic()
server = ServerThread(stack.app)
stack.url = server.url
server.start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
`;

const context = { subscriptions: [] as { dispose(): unknown }[] };
const savedEnv = { ...process.env };
let fake: ChildProcessWithoutNullStreams;
let fakeUrl = "";
let workspace = "";

function userStatus(): MockStatusBarItem {
  const item = mock.statusItems.find((candidate) => candidate.id === "cnikit.userStatus");
  assert.ok(item);
  return item;
}

function run(command: string, ...args: unknown[]): Promise<unknown> {
  const handler = mock.commands.get(command);
  assert.ok(handler, `command ${command} is registered`);
  return Promise.resolve(handler(...args));
}

before(async () => {
  fake = spawn(PYTHON, ["-c", FAKE_STACK], { cwd: REPO });
  fakeUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: fake.stdout }).once("line", resolve);
    fake.once("exit", (code) => reject(new Error(`the fake Prismatic stack exited (${code})`)));
  });

  workspace = mkdtempSync(join(tmpdir(), "cnikit-e2e-cloud-"));
  cpSync(join(FIXTURES, "lsp-platform"), join(workspace, "platform"), {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|local)$/.test(source),
  });
  symlinkSync(join(FIXTURES, "node_modules"), join(workspace, "node_modules"), "dir");
  // What the language server inherits: the fake stack, a keyring that lives in memory, config files of its own.
  Object.assign(process.env, {
    PRISMATIC_URL: fakeUrl,
    PYTHONPATH: REPO,
    PYTHON_KEYRING_BACKEND: "tests.fakes.keyring.MemoryKeyring",
    CNIKIT_CONFIG_FILE: join(workspace, "cnikit-config.yml"),
    PRISM_CONFIG_FILE: join(workspace, "prism-config.yml"),
  });
  for (const name of [
    "PRISM_ACCESS_TOKEN",
    "PRISM_REFRESH_TOKEN",
    "PRISMATIC_TENANT_ID",
    "PRISM_PROFILE",
    "CNIKIT_PROFILE",
  ]) {
    delete process.env[name];
  }

  mock.reset();
  mock.folders = [{ uri: Uri.file(workspace), name: "ws", index: 0 }];
  mock.config["cnikit.cnikitPath"] = CNIKIT;
  await activate(context as never);
});

after(async () => {
  await deactivate();
  for (const disposable of context.subscriptions) disposable.dispose();
  fake.stdin.end();
  await new Promise((resolve) => (fake.exitCode === null ? fake.once("exit", resolve) : resolve(null)));
  rmSync(workspace, { recursive: true, force: true });
  process.env = savedEnv;
});

test("logging in from the status bar: the browser opens, and the status bar shows the organisation", async () => {
  await waitFor("the server's status", () => userStatus().visible && mock.outputs.get("cnikit")?.length);
  assert.equal(userStatus().text, "$(account) Not logged in");
  assert.equal(userStatus().command, "cnikit.login");

  await run(String(userStatus().command));
  const authorize = mock.externals.at(-1) ?? "";
  assert.ok(authorize.startsWith(`${fakeUrl}/oidc/authorize?`), authorize);
  // The user's browser: the fake provider redirects to cnikit's loopback callback.
  const page = await fetch(authorize, { redirect: "follow" });
  assert.equal(page.ok, true);

  await waitFor("the logged-in status bar", () => userStatus().text === "$(account) Acme Corp");
  assert.equal(userStatus().command, "cnikit.me");
  await waitFor("the login notification", () => mock.shown.some((s) => s.message === "Login complete!"));
});

test("Me writes the user to the output channel", async () => {
  await run("cnikit.me");
  const output = mock.outputs.get("cnikit") ?? [];
  assert.ok(output.some((line) => line.endsWith("Name: Ada Lovelace")));
  assert.ok(output.some((line) => line.endsWith("Organization: Acme Corp")));
  assert.ok(output.some((line) => line.endsWith(`Endpoint URL: ${fakeUrl}`)));
});

test("logging out says so and the status bar offers the login again", async () => {
  await run("cnikit.logout");
  assert.ok(mock.shown.some((s) => s.kind === "info" && s.message === "Successfully logged out."));
  await waitFor("the logged-out status bar", () => userStatus().text === "$(account) Not logged in");
  assert.equal(userStatus().command, "cnikit.login");
});
