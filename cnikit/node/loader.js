// @ts-check
// The one Node loader of a built CNI bundle: `require` it and describe it.
//
// Two callers share it: cnikit/definition/loading.py runs this file as a program (`cnikit check --built`, the
// platform importer: no emulator needed), and emulator/node/runner.js `require`s it to load the bundle it then runs.
//
// As a program: `node loader.js <bundle> <marker>` prints `<marker>{"ok": true, ...description}` or
// `<marker>{"ok": false, "missing"?: true, "message", "stack"}` on its last line. The marker keeps console output
// of the bundle's own top-level code from being mistaken for the result; errors are reported as data, not a crash.
"use strict";

const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");
const { AsyncLocalStorage } = require("node:async_hooks");

/**
 * The bundle's default export: spectral's component, as far as cnikit reads it.
 * @typedef {{
 *   key?: unknown,
 *   codeNativeIntegrationYAML: string,
 *   actions?: Record<string, any>,
 *   triggers?: Record<string, any>,
 *   dataSources?: Record<string, any>,
 *   connections?: unknown,
 * }} Component
 */

/**
 * What Python reads of a loaded bundle (`cnikit.definition.models.parse_definition_yaml`'s `exports`, and the
 * emulator's `load` answer): the YAML, the function names, and what the config wizard needs beyond the YAML —
 * whole connections (every input's label, type, required, default, shown, comments …) and the data sources' types.
 * @typedef {{
 *   yaml: string,
 *   actions: string[],
 *   triggers: string[],
 *   key: unknown,
 *   connections: Record<string, unknown>[],
 *   dataSources: Record<string, {key: unknown, dataSourceType: unknown}>,
 *   registrySecrets: Record<string, string[]>,
 * }} Description
 */

/** A bundle without `export default integration({...})`: the program reports it as `missing`. */
class NoDefinitionError extends Error {}

/**
 * `require` the bundle and return its component, with the authored definition spectral converted (its component
 * registry holds the manifests' `examplePayload`s the runner's mocks fall back on; null if it was not seen).
 * @param {string} bundle an absolute path
 * @returns {{component: Component, definition: Record<string, any> | null}}
 */
function load(bundle) {
  // spectral runs `convertIntegration` inside `integrationContextStorage.run(definition, ...)`: watching that call
  // while the bundle loads gives the authored definition without touching the bundle (esbuild and webpack alike).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(this, …) below
  const originalRun = AsyncLocalStorage.prototype.run;
  /** @type {Record<string, any> | null} */
  let definition = null;
  /** @this {AsyncLocalStorage<unknown>} @param {any} store @param {(...args: any[]) => any} fn @param {any[]} args */
  AsyncLocalStorage.prototype.run = function (store, fn, ...args) {
    if (!definition && store && typeof store === "object" && Array.isArray(store.flows) && "name" in store) {
      definition = store;
    }
    return originalRun.call(this, store, fn, ...args);
  };
  const vendor = path.join(path.dirname(bundle), "vendor.js");
  if (fs.existsSync(vendor)) preload(vendor); // the emulator's fast build: its vendor layer (no-op if preloaded)
  /** @type {any} */
  let exported;
  try {
    exported = require(bundle);
  } finally {
    AsyncLocalStorage.prototype.run = originalRun;
  }
  const component = exported && exported.default !== undefined ? exported.default : exported;
  if (!component || typeof component.codeNativeIntegrationYAML !== "string") {
    throw new NoDefinitionError(
      `${bundle} has no default export with codeNativeIntegrationYAML; expected \`export default integration({...})\``,
    );
  }
  return { component, definition };
}

/**
 * The JSON-safe description of a loaded component; with the authored definition, the secret (`password`) inputs
 * of its registry components' connections too, keyed `<component>/<connection>` (their manifests say, not the YAML).
 * @param {Component} component
 * @param {Record<string, any> | null} [definition]
 * @returns {Description}
 */
function describe(component, definition = null) {
  const connections = Array.isArray(component.connections) ? component.connections : [];
  return {
    yaml: component.codeNativeIntegrationYAML,
    actions: Object.keys(component.actions || {}),
    triggers: Object.keys(component.triggers || {}),
    key: plain(component.key),
    connections: connections.map((/** @type {any} */ connection) => {
      const copy = /** @type {Record<string, unknown>} */ (plain(connection) || {});
      copy.inputs = (Array.isArray(connection && connection.inputs) ? connection.inputs : []).map(
        (/** @type {any} */ input) => ({
          .../** @type {object} */ (plain(input) || {}),
          required: Boolean(input && input.required),
          shown: !input || input.shown !== false,
        }),
      );
      return copy;
    }),
    dataSources: Object.fromEntries(
      Object.entries(component.dataSources || {}).map(([key, source]) => [
        key,
        { key: plain(source && source.key), dataSourceType: plain(source && source.dataSourceType) },
      ]),
    ),
    registrySecrets: registrySecrets(definition),
  };
}

/**
 * `<component>/<connection>` → the names of its `inputType: "password"` inputs, from the component registry.
 * @param {Record<string, any> | null} definition
 * @returns {Record<string, string[]>}
 */
function registrySecrets(definition) {
  /** @type {Record<string, string[]>} */
  const found = {};
  for (const [name, manifest] of Object.entries((definition && definition.componentRegistry) || {})) {
    const component = typeof manifest?.key === "string" ? manifest.key : name;
    for (const [key, connection] of Object.entries(manifest?.connections || {})) {
      const inputs = Object.entries(/** @type {any} */ (connection)?.inputs || {});
      const secret = inputs.filter(([, input]) => input?.inputType === "password").map(([input]) => input);
      if (secret.length) found[`${component}/${key}`] = secret;
    }
  }
  return found;
}

/**
 * A JSON-safe copy: functions (perform, clean …), symbols and undefined drop out, as in JSON; a property whose
 * getter throws is left out; the depth cap ends cycles.
 * @param {unknown} value
 * @param {number} [depth]
 * @returns {unknown}
 */
function plain(value, depth = 0) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return String(value);
  if (typeof value !== "object" || depth > 32) return undefined;
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1) ?? null);
  /** @type {Record<string, unknown>} */
  const copy = {};
  for (const key of Object.keys(value)) {
    try {
      const item = plain(/** @type {Record<string, unknown>} */ (value)[key], depth + 1);
      if (item !== undefined) copy[key] = item;
    } catch {
      // a getter that throws: left out
    }
  }
  return copy;
}

/**
 * Evaluate a vendor layer (the npm packages, spectral first) ahead of the project's code, with V8's code cache
 * next to it (per Node version): that halves its load time after the first. Idempotent.
 * @param {string} file an absolute path
 * @returns {{ms: number, cached: boolean}}
 */
function preload(file) {
  const started = Date.now();
  if (require.cache[file]) return { ms: 0, cached: true };
  const cacheFile = `${file}.${process.version}.v8cache`;
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, "utf8")), { filename: file, cachedData });
  const mod = new Module(file, /** @type {any} */ (module));
  mod.filename = file;
  // @ts-expect-error: Module._nodeModulePaths is internal, and how `require` itself finds node_modules.
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = mod;
  try {
    const wrapper = script.runInThisContext();
    wrapper.call(
      mod.exports,
      mod.exports,
      (/** @type {string} */ id) => mod.require(id),
      mod,
      file,
      path.dirname(file),
    );
    for (const entry of Object.values(mod.exports)) if (typeof entry === "function") entry();
  } catch (error) {
    delete require.cache[file];
    throw error;
  }
  mod.loaded = true;
  if (!cachedData || script.cachedDataRejected) {
    const tmp = `${cacheFile}.${process.pid}`;
    try {
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // a read-only build folder only costs speed
    }
  }
  return { ms: Date.now() - started, cached: Boolean(cachedData) && !script.cachedDataRejected };
}

/**
 * The program's answer for one bundle.
 * @param {string} bundle
 */
function report(bundle) {
  try {
    const { component, definition } = load(bundle);
    return { ok: true, ...describe(component, definition) };
  } catch (error) {
    if (error instanceof NoDefinitionError) return { ok: false, missing: true, message: error.message, stack: "" };
    const isError = error instanceof Error;
    return { ok: false, message: isError ? error.message : String(error), stack: isError ? String(error.stack) : "" };
  }
}

module.exports = { load, describe, plain, preload, NoDefinitionError };

if (require.main === module) {
  const [bundle, marker] = process.argv.slice(2);
  const result = report(path.resolve(bundle));
  process.stdout.write(marker + JSON.stringify(result) + "\n", () => process.exit(0));
}
