import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { COMMANDS, FOCUS_EXECUTION_RESULTS } from "../src/commands";
import type { CnikitSettings } from "../src/protocol";

interface Manifest {
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category: string; enablement?: string }[];
    configuration: { properties: Record<string, { default: unknown }> };
    viewsContainers: { activitybar: { id: string; title: string }[] };
    views: Record<string, { id: string; name: string; when?: string }[]>;
    menus: Record<string, { command: string; when?: string }[]>;
    languages: { id: string }[];
  };
}

const root = join(__dirname, "..", "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
const contributed = manifest.contributes.commands;

test("the official extension's palette entries are all there, with the same titles", () => {
  const titles = contributed.map((c) => `${c.category}: ${c.title}`);
  for (const official of [
    "Prismatic: Config Wizard",
    "Prismatic: Import Integration",
    "Prismatic: Test Integration",
    "Prismatic: Create Flow Payload",
    "Prismatic: Login",
    "Prismatic: Logout",
    "Prismatic: Prismatic URL",
    "Prismatic: Open Integration in Browser",
    "Prismatic: Me",
    "Prismatic: Refresh Token",
    "Prismatic: Focus on Execution Results View",
    "Prismatic: Select Integration",
    "cnikit: Run Flow Locally",
    "cnikit: Replay Execution",
    "cnikit: Start Local Server",
    "cnikit: Stop Local Server",
  ]) {
    assert.ok(titles.includes(official), `missing palette entry "${official}"`);
  }
  assert.ok(
    contributed.every((c) => c.command.startsWith("cnikit.")),
    "client command ids are cnikit.*",
  );
});

test("package.json contributes exactly the commands the extension registers (plus the view's focus command)", () => {
  const declared = contributed.map((c) => [c.command, c.category, c.title]).sort();
  const registered = [...COMMANDS, FOCUS_EXECUTION_RESULTS].map((c) => [c.id, c.category, c.title]).sort();
  assert.deepEqual(declared, registered);
});

test("the focus command is the one VS Code derives from the Execution Results view in the Prismatic container", () => {
  assert.deepEqual(
    manifest.contributes.viewsContainers.activitybar.map((c) => [c.id, c.title]),
    [["cnikit", "Prismatic"]],
  );
  const views = manifest.contributes.views.cnikit;
  assert.deepEqual(
    views.map((v) => v.name),
    ["Integrations", "Test Payloads", "Execution Results"],
  );
  const results = views.find((v) => v.name === "Execution Results");
  assert.equal(`${results?.id}.focus`, FOCUS_EXECUTION_RESULTS.id);
  assert.ok(views.every((v) => v.when === "cnikit.workspaceEnabled"));
});

test("every menu entry points at a contributed command", () => {
  const ids = new Set(contributed.map((c) => c.command));
  for (const [menu, entries] of Object.entries(manifest.contributes.menus)) {
    for (const entry of entries) assert.ok(ids.has(entry.command), `${menu} refers to unknown ${entry.command}`);
  }
});

test("commands are enabled only in a CNI workspace, except the ones that help get there", () => {
  for (const command of contributed) {
    const always = ["cnikit.showOutput", "cnikit.restartServer", FOCUS_EXECUTION_RESULTS.id].includes(command.command);
    assert.equal(command.enablement, always ? undefined : "cnikit.workspaceEnabled", command.command);
  }
});

test("settings are the `cnikit` section the server reads, with the same keys", () => {
  const keys = Object.keys(manifest.contributes.configuration.properties).sort();
  const expected: (keyof CnikitSettings)[] = ["cnikitPath", "debug", "prismaticUrl", "severityOverrides"];
  assert.deepEqual(keys, expected.map((k) => `cnikit.${k}`).sort());
});

test("activation: a .spectral folder, and the gitignore-proof walk after startup", () => {
  assert.deepEqual(manifest.activationEvents, ["workspaceContains:**/.spectral/**", "onStartupFinished"]);
  assert.equal(manifest.main, "./dist/extension.js");
});

test("every npm dependency is pinned to an exact version, and the engine matches @types/vscode", () => {
  for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is not pinned: ${version}`);
  }
  assert.equal(manifest.engines.vscode, `^${manifest.devDependencies["@types/vscode"]}`);
});
