// @ts-check
// What a flow's code sees: the context of one request, its logger, and registry components answered by mocks.
//
// `contextFor` is the one place a request message becomes a context (executions, lifecycle events and data sources
// alike); emulator/executor.py builds the message's `context`, `state` and `mocks` on the Python side.
"use strict";

const util = require("node:util");
const { send, decode, safeJson } = require("./protocol");

/**
 * One request in progress: the message as runner.py sent it, plus the step running and a way to fail it.
 * @typedef {{
 *   id: unknown,
 *   step: string | null,
 *   context?: any,
 *   state?: Record<string, string>,
 *   mocks?: Record<string, Record<string, Record<string, unknown>>>,
 *   mocksDir?: string,
 *   http?: {mode: "live" | "record" | "replay", cassette?: any[], cassettePath?: string},
 *   crash?: (error: unknown) => void,
 *   [key: string]: any,
 * }} Run
 */

/** The request in progress: logs from anywhere (console too) and outbound HTTP belong to it. */
/** @type {{run: Run | null}} */
const running = { run: null };

/**
 * Send one log line of `run` (nothing outside a request).
 * @param {Run | null} run
 * @param {string} severity
 * @param {string} message
 */
function log(run, severity, message) {
  if (!run) return;
  send({ id: run.id, type: "log", timestamp: new Date().toISOString(), severity, step: run.step, message });
}

/**
 * Log arguments as console.log formats them (buffers summarised).
 * @param {unknown[]} args
 */
function format(args) {
  const shown = args.map((arg) => (Buffer.isBuffer(arg) ? `<Buffer ${arg.length} bytes>` : arg));
  return util.formatWithOptions({ depth: 6, breakLength: Infinity }, ...shown);
}

/**
 * `context.logger`: each call is one log line of `run`.
 * @param {Run} run
 */
function loggerFor(run) {
  const at =
    (/** @type {string} */ severity) =>
    (/** @type {unknown[]} */ ...args) =>
      log(run, severity, format(args));
  return {
    metric: (/** @type {unknown[]} */ ...args) =>
      log(run, "metric", args.length === 1 && typeof args[0] === "object" ? safeJson(args[0]) : format(args)),
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    log: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

// --- registry components answered by local mocks -----------------------------------------------------------------

/**
 * The manifest entry (`actions` or `triggers`) of a registry component in the authored definition.
 * @param {Record<string, any> | null} definition
 * @param {string} componentKey
 * @param {"actions" | "triggers"} kind
 * @param {string} key
 */
function manifestEntry(definition, componentKey, kind, key) {
  const registry = (definition && definition.componentRegistry) || {};
  for (const manifest of Object.values(registry)) {
    if (!manifest || manifest.key !== componentKey) continue;
    for (const [registryKey, entry] of Object.entries(manifest[kind] || {})) {
      if ((entry && entry.key) === key || registryKey === key) return entry;
    }
  }
  return null;
}

/**
 * The local answer for a registry action or trigger: the project's mock, else the manifest's examplePayload.
 * @param {Run} run
 * @param {Record<string, any> | null} definition
 * @param {"actions" | "triggers"} kind
 * @param {string} componentKey
 * @param {string} key
 * @returns {{found: true, value: any} | {found: false}}
 */
function mockFor(run, definition, kind, componentKey, key) {
  const answers = ((run.mocks || {})[componentKey] || {})[kind] || {};
  if (Object.prototype.hasOwnProperty.call(answers, key)) return { found: true, value: decode(answers[key]) };
  const entry = manifestEntry(definition, componentKey, kind, key);
  if (entry && entry.examplePayload !== undefined) return { found: true, value: entry.examplePayload };
  return { found: false };
}

/**
 * @param {Run} run
 * @param {"actions" | "triggers"} kind
 * @param {string} componentKey
 * @param {string} key
 * @param {string} example
 */
function missingMock(run, kind, componentKey, key, example) {
  const file = `${run.mocksDir}/${componentKey}/${kind}/${key}.json`;
  const what = kind === "actions" ? "action" : "trigger";
  return new Error(
    `No local answer for ${what} "${key}" of component "${componentKey}": create ${file} holding what the ` +
      `${what} returns, e.g. ${example} (the component's manifest has no examplePayload to fall back on).`,
  );
}

/**
 * `context._components`, which spectral calls for registry components: answered by local mocks.
 * @param {Run} run
 * @param {Record<string, any> | null} definition the authored definition (its manifests' examplePayloads)
 */
function componentsFor(run, definition) {
  // Async without awaiting: spectral awaits these, and a missing mock must reject, not throw at the call.
  /* eslint-disable @typescript-eslint/require-await */
  return {
    invoke: async (/** @type {any} */ ref, /** @type {unknown} */ _context, /** @type {unknown} */ values) => {
      const componentKey = ref.component.key;
      const answer = mockFor(run, definition, "actions", componentKey, ref.key);
      if (!answer.found) throw missingMock(run, "actions", componentKey, ref.key, '{"data": {...}}');
      log(run, "debug", `${componentKey}.${ref.key} answered by a local mock (inputs: ${safeJson(values)})`);
      return answer.value;
    },
    invokeTrigger: async (
      /** @type {any} */ ref,
      /** @type {unknown} */ _context,
      /** @type {unknown} */ payload,
      /** @type {unknown} */ _params,
    ) => {
      const componentKey = ref.component.key;
      const event = ref.triggerEventFunctionName || "perform";
      if (event !== "perform") return {}; // lifecycle events of registry triggers have nothing to do offline
      // The platform's instance deploy/remove triggers pass their payload through, like the webhook trigger.
      if (componentKey === "management-triggers") return { payload };
      const answer = mockFor(run, definition, "triggers", componentKey, ref.key);
      if (!answer.found) throw missingMock(run, "triggers", componentKey, ref.key, '{"payload": {...}}');
      const result = answer.value && typeof answer.value === "object" ? answer.value : {};
      log(run, "debug", `${componentKey}.${ref.key} trigger answered by a local mock`);
      return { ...result, payload: result.payload !== undefined ? result.payload : payload };
    },
  };
  /* eslint-enable @typescript-eslint/require-await */
}

// --- the context -----------------------------------------------------------------------------------------------

/**
 * The context a request's code receives: the message's `context` (decoded, `stepIds` set aside), the state stores
 * (see state.js), a logger whose lines belong to the request, and the registry components answered by mocks.
 * The run keeps it (`run.context`) for what reads it later (the step metrics of `globalDebug`).
 * @param {Run} run
 * @param {import("./state").StateStores} stores
 * @param {Record<string, any> | null} definition
 * @returns {{context: Record<string, any>, stepIds: Record<string, string>}}
 */
function contextFor(run, stores, definition) {
  const { stepIds, ...base } = decode(run.context) || {};
  const context = { ...base, logger: loggerFor(run), ...stores, _components: componentsFor(run, definition) };
  run.context = context;
  return { context, stepIds: stepIds || {} };
}

module.exports = { running, log, contextFor };
