// @ts-check
// cnikit/node/loader.js, the one loader of a bundle (the runner's `load` op and `cnikit check --built` both use it).
"use strict";

const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { after, test } = require("node:test");

const { load, describe, NoDefinitionError } = require("../../../cnikit/node/loader.js");

const LOADER = path.join(__dirname, "..", "..", "..", "cnikit", "node", "loader.js");
const folder = fs.mkdtempSync(path.join(os.tmpdir(), "cnikit-loader-"));
after(() => fs.rmSync(folder, { recursive: true, force: true }));
let bundles = 0;

/**
 * A new bundle file holding `source` (a new name: `require` caches by path).
 * @param {string} source
 */
function bundle(source) {
  const file = path.join(folder, `bundle${++bundles}.js`);
  fs.writeFileSync(file, source);
  return file;
}

const INTEGRATION = `
exports.default = {
  key: "own",
  codeNativeIntegrationYAML: "name: Demo\\n",
  actions: { sync_onExecution: { perform: async () => ({}) } },
  triggers: { sync_onTrigger: { perform: async () => ({}) } },
  connections: [{ key: "api", label: "Api", inputs: [{ key: "token", type: "password", clean: (v) => v }, { key: "region", shown: false, required: true }] }],
  dataSources: { lists: { key: "lists", dataSourceType: "picklist", perform: async () => ({ result: [] }) } },
};
`;

test("a bundle is described JSON-safe, with what the config wizard needs beyond the YAML", () => {
  const description = describe(load(bundle(INTEGRATION)).component);
  assert.deepEqual(JSON.parse(JSON.stringify(description)), {
    yaml: "name: Demo\n",
    actions: ["sync_onExecution"],
    triggers: ["sync_onTrigger"],
    key: "own",
    connections: [
      {
        key: "api",
        label: "Api",
        inputs: [
          { key: "token", type: "password", required: false, shown: true },
          { key: "region", shown: false, required: true },
        ],
      },
    ],
    dataSources: { lists: { key: "lists", dataSourceType: "picklist" } },
    registrySecrets: {},
  });
});

test("the password inputs of registry components' connections are named, from their manifests", () => {
  const connection = {
    perform: () => ({}),
    inputs: { id: { inputType: "string" }, secret: { inputType: "password" } },
  };
  const definition = {
    componentRegistry: { slackAlias: { key: "slack", connections: { oauth2: connection, none: {} } } },
  };
  const description = describe(load(bundle(INTEGRATION)).component, definition);
  assert.deepEqual(description.registrySecrets, { "slack/oauth2": ["secret"] });
});

test("a bundle without the definition says what is expected", () => {
  const file = bundle("exports.default = { name: 'not spectral' };");
  assert.throws(
    () => load(file),
    (error) => error instanceof NoDefinitionError && /export default integration/.test(error.message),
  );
});

test("as a program it answers after the marker, whatever the bundle printed", () => {
  const file = bundle(`console.log("top-level noise");\n${INTEGRATION}`);
  const out = execFileSync(process.execPath, [LOADER, file, "@@marker@@"], { encoding: "utf8" });
  const [noise, answer] = out.split("@@marker@@");
  assert.equal(noise.trim(), "top-level noise");
  assert.deepEqual(Object.keys(JSON.parse(answer)).sort(), [
    "actions",
    "connections",
    "dataSources",
    "key",
    "ok",
    "registrySecrets",
    "triggers",
    "yaml",
  ]);
  const failing = bundle("throw new Error('spectral says no');");
  const failed = JSON.parse(
    execFileSync(process.execPath, [LOADER, failing, "@@"], { encoding: "utf8" }).split("@@")[1],
  );
  assert.equal(failed.ok, false);
  assert.equal(failed.message, "spectral says no");
  assert.match(failed.stack, new RegExp(failing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
});
