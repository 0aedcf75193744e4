import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { readSettings } from "../src/client";
import { COMMANDS, FOCUS_EXECUTION_RESULTS } from "../src/commands";
import { mock } from "./vscode.mock";

interface Manifest {
  main: string;
  version: string;
  icon: string;
  repository?: object;
  galleryBanner?: object;
  keywords: string[];
  engines: { vscode: string };
  activationEvents: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category: string; enablement?: string }[];
    configuration: {
      properties: Record<string, { type: string; default: unknown; minimum?: number; maximum?: number }>;
    };
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

/** The fields of the server's `ServerSettings` (server/settings.py), camelCased as settings.json spells them. */
function serverSettings(): Map<string, { default: string; ge?: string; le?: string }> {
  const source = readFileSync(join(root, "..", "server", "settings.py"), "utf8");
  const body = /^class ServerSettings\(BaseModel\):\n([\s\S]*?)\n {4}def /m.exec(source)?.[1];
  assert.ok(body, "server/settings.py defines class ServerSettings");
  const fields = new Map<string, { default: string; ge?: string; le?: string }>();
  for (const [, name, annotation, value] of body.matchAll(/^ {4}([a-z_]+): (.+) = (.+)$/gm)) {
    const camel = name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const bound = (key: string) => new RegExp(`\\b${key}=(\\d+)`).exec(annotation)?.[1];
    fields.set(camel, { default: value, ge: bound("ge"), le: bound("le") });
  }
  assert.ok(fields.size > 0, "found the fields of ServerSettings");
  return fields;
}

const properties = manifest.contributes.configuration.properties;

test("every setting the server reads is declared in package.json (else VS Code calls it unknown), and no other", () => {
  const declared = Object.keys(properties).sort();
  const read = [...serverSettings().keys()].map((key) => `cnikit.${key}`).sort();
  assert.deepEqual(declared, read);
});

test("the client forwards every declared setting, with the manifest's default when unset", () => {
  mock.reset();
  const defaults = readSettings();
  assert.deepEqual(
    Object.keys(defaults)
      .map((key) => `cnikit.${key}`)
      .sort(),
    Object.keys(properties).sort(),
  );
  for (const [key, value] of Object.entries(defaults))
    assert.deepEqual(value, properties[`cnikit.${key}`].default, key);
  mock.config["cnikit.diagnosticDelayMs"] = 400;
  assert.equal(readSettings().diagnosticDelayMs, 400);
  mock.reset();
});

test("numeric settings have the server's default and bounds", () => {
  for (const [key, field] of serverSettings()) {
    const property = properties[`cnikit.${key}`];
    if (property.type !== "number") continue;
    assert.equal(property.default, Number(field.default), `${key} default`);
    assert.equal(property.minimum, field.ge === undefined ? undefined : Number(field.ge), `${key} minimum`);
    assert.equal(property.maximum, field.le === undefined ? undefined : Number(field.le), `${key} maximum`);
  }
  assert.equal(properties["cnikit.diagnosticDelayMs"].type, "number");
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

test("ready to publish: one version with cnikit (pyproject's), a 128x128 PNG icon, a licence, a changelog", () => {
  const pyproject = readFileSync(join(root, "..", "pyproject.toml"), "utf8");
  assert.equal(manifest.version, /^version = "([^"]+)"/m.exec(pyproject)?.[1]);
  const icon = readFileSync(join(root, manifest.icon));
  assert.equal(icon.subarray(1, 4).toString(), "PNG");
  assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
  for (const file of ["LICENSE", "CHANGELOG.md"]) assert.ok(existsSync(join(root, file)), `${file} is missing`);
  assert.ok(manifest.repository && manifest.galleryBanner && manifest.keywords.length > 0);
});
