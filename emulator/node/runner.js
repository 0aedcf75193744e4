#!/usr/bin/env node
// @ts-check
// cnikit's flow runner, kept warm by emulator/runner.py; its one dependency is @mswjs/interceptors (http.js).
//
// It loads a built CNI bundle once (cnikit/node/loader.js, the loader `cnikit check --built` uses too) and executes
// flows the way the platform does (spec/runtime.md §3–§10): the trigger's `perform(context, payload, params)` (or
// the default webhook behaviour), then the action `<flowKey>_onExecution`'s `perform(context, {onTrigger:
// {results}})`, with a complete context (context.js), the four state stores (state.js), registry components
// answered by local mocks, and outbound HTTP live, recorded or replayed (http.js).
//
// Protocol (protocol.js): line-delimited JSON requests `{id, op, ...}` on stdin — ops `ping`, `preload`, `load`,
// `execute`, `lifecycle`, `dataSource` — each answered by events, then one result, on stdout. One request at a time
// per process: runner.py keeps a pool of processes for concurrency.
"use strict";

const { send, encode, decode, errorInfo, readRequests } = require("./protocol");
const { running, log, contextFor } = require("./context");
const { openState, applyStateDeltas, withoutStateKeys, levelText, changedState } = require("./state");
const httpClients = require("./http");
// The loader lives with the core package (cnikit/node/), next to this package in a checkout and in site-packages.
const loader = require("../../cnikit/node/loader.js");

/** @typedef {import("./context").Run} Run */

/**
 * The loaded bundle: its component and the authored definition (for the mocks' examplePayloads).
 * @type {{component: import("../../cnikit/node/loader").Component | null, definition: Record<string, any> | null}}
 */
const loaded = { component: null, definition: null };

/**
 * The `load` op: load the bundle and describe it.
 * @param {{bundle: string}} message
 */
function load({ bundle }) {
  const { component, definition } = loader.load(bundle);
  Object.assign(loaded, { component, definition });
  return loader.describe(component, definition);
}

/** The loaded component; an error when no `load` came first. */
function component() {
  if (!loaded.component) throw new Error("No bundle loaded: send a load request first.");
  return loaded.component;
}

// --- logs: anything the flow writes ----------------------------------------------------------------------------

// Anything the flow writes to stdout would corrupt the protocol: it becomes a log line of the current execution,
// and so does what it writes to stderr (console.warn / console.error). Outside an execution stderr stays stderr:
// runner.py keeps its tail to explain a worker that died.
const writeErr = process.stderr.write.bind(process.stderr);
/**
 * @param {string} severity
 * @param {(text: string) => void} fallback
 * @returns {any}
 */
const captured =
  (severity, fallback) => (/** @type {any} */ chunk, /** @type {any} */ encoding, /** @type {any} */ callback) => {
    const text = Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk);
    if (running.run) log(running.run, severity, text.replace(/\n$/, ""));
    else fallback(text);
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") done();
    return true;
  };
process.stdout.write = captured("info", writeErr);
process.stderr.write = captured("error", writeErr);
httpClients.install();

// --- execution -----------------------------------------------------------------------------------------------

/**
 * @typedef {{result: any, startedAt: Date, endedAt?: Date}} StepOutcome
 */

/**
 * Run one step of `run`; a failure keeps the step's name and start on the error.
 * @param {Run} run
 * @param {string} name
 * @param {() => any} fn
 * @returns {Promise<StepOutcome>}
 */
async function runStep(run, name, fn) {
  run.step = name;
  const startedAt = new Date();
  try {
    const result = await fn();
    return { result, startedAt, endedAt: new Date() };
  } catch (error) {
    // The step's name and start ride on the error (a thrown primitive is wrapped: it cannot carry them).
    const failure = error !== null && typeof error === "object" ? error : new Error(errorInfo(error).message);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the flow's own error, rethrown as it was
    throw Object.assign(failure, { cnikitStep: name, cnikitStartedAt: startedAt });
  } finally {
    if (run.context.globalDebug) {
      const mb = (/** @type {number} */ n) => Math.round((n / 1048576) * 100) / 100;
      const usage = process.memoryUsage();
      const memoryUsage = {
        rss: mb(usage.rss),
        heapTotal: mb(usage.heapTotal),
        heapUsed: mb(usage.heapUsed),
        external: mb(usage.external),
        arrayBuffers: mb(usage.arrayBuffers),
      };
      const duration = Math.round((Date.now() - startedAt.getTime()) * 100) / 100;
      log(run, "metric", JSON.stringify({ stepName: name, memoryUsage, duration, platform: true }));
    }
  }
}

/**
 * Send a `step` event.
 * @param {Run} run
 * @param {string} name
 * @param {{startedAt: Date, endedAt?: Date}} outcome
 * @param {unknown} result
 * @param {string} [error]
 * @param {unknown} [response] the trigger's HTTP response, so a caller gets it at once
 */
function stepEvent(run, name, outcome, result, error, response) {
  send({
    id: run.id,
    type: "step",
    name,
    startedAt: outcome.startedAt.toISOString(),
    endedAt: (outcome.endedAt || new Date()).toISOString(),
    result: encode(result, true),
    error: error || null,
    ...(response !== undefined ? { response } : {}),
  });
}

/**
 * A step's failure: its `step` event, then the error again for the execution.
 * @param {Run} run
 * @param {string} name
 */
const failedStep = (run, name) => (/** @type {any} */ error) => {
  stepEvent(run, name, { startedAt: error.cnikitStartedAt || new Date() }, undefined, errorInfo(error).message);
  throw error;
};

/**
 * The `execute` op: one execution of a flow.
 * @param {Run} run
 */
async function execute(run) {
  const bundle = component();
  const state = openState(run.state);
  const { context, stepIds } = contextFor(run, state.stores, loaded.definition);
  const payload = decode(run.payload);
  const flowKey = run.flowKey;

  // 1. the trigger
  const trigger = run.trigger;
  const triggerOutcome = await runStep(run, "onTrigger", () => {
    context.stepId = stepIds.onTrigger;
    if (trigger.kind === "wrapper") {
      const wrapper = (bundle.triggers || {})[`${flowKey}_onTrigger`];
      if (!wrapper) throw new Error(`The bundle has no trigger ${flowKey}_onTrigger; rebuild the project.`);
      return wrapper.perform(context, payload, trigger.inputs || {});
    }
    if (trigger.kind === "component") {
      return context._components.invokeTrigger(
        { component: trigger.component, key: trigger.key, triggerEventFunctionName: "perform" },
        context,
        payload,
        trigger.inputs || {},
      );
    }
    return { payload }; // the platform's webhook and schedule triggers pass the request through
  }).catch(failedStep(run, "onTrigger"));
  const triggerResult = triggerOutcome.result || {};
  applyStateDeltas(context, triggerResult);
  const results = triggerResult.payload !== undefined ? triggerResult.payload : payload;
  const response = triggerResult.response ? encode(triggerResult.response) : null;
  stepEvent(run, "onTrigger", triggerOutcome, results, undefined, response);

  // 2. onExecution, unless a polling trigger found nothing new
  let executionResult = null;
  const polledNoChanges = triggerResult.resultType === "polled_no_changes";
  if (!polledNoChanges) {
    const action = (bundle.actions || {})[`${flowKey}_onExecution`];
    if (!action) throw new Error(`The bundle has no action ${flowKey}_onExecution; rebuild the project.`);
    const outcome = await runStep(run, "onExecution", () => {
      context.stepId = stepIds.onExecution;
      return action.perform(context, { onTrigger: { results } });
    }).catch(failedStep(run, "onExecution"));
    applyStateDeltas(context, outcome.result);
    executionResult = withoutStateKeys(outcome.result === undefined ? null : outcome.result);
    stepEvent(run, "onExecution", outcome, executionResult);
  } else {
    log(run, "info", "The trigger detected no changes: the execution ends here.");
  }

  // 3. state by the platform's rules (state.js)
  return {
    result: encode(executionResult, true),
    response,
    polledNoChanges,
    state: changedState(state.initial, context, run.stateLimit),
    executionState: levelText(context.executionState),
  };
}

// --- lifecycle events: onInstanceDeploy, onInstanceDelete, webhookCreate, webhookDelete ------------------------

const LIFECYCLE_EVENTS = ["onInstanceDeploy", "onInstanceDelete", "webhookCreate", "webhookDelete"];

/**
 * The `lifecycle` op: one lifecycle function of a flow's `<flowKey>_onTrigger` wrapper (spectral puts the
 * referenced component trigger's function first, then the flow's own). State follows the execution rules.
 * `{ran: false}` when the flow has no such function.
 * @param {Run} run
 */
async function lifecycle(run) {
  const bundle = component();
  if (!LIFECYCLE_EVENTS.includes(run.event)) throw new Error(`unknown lifecycle event ${JSON.stringify(run.event)}`);
  const wrapper = (bundle.triggers || {})[`${run.flowKey}_onTrigger`];
  const fn = wrapper && wrapper[run.event];
  if (typeof fn !== "function") return { ran: false, state: {} };
  const state = openState(run.state);
  const { context } = contextFor(run, state.stores, loaded.definition);
  run.step = run.event;
  applyStateDeltas(context, await fn(context, run.params || {}));
  return { ran: true, state: changedState(state.initial, context) };
}

// --- data sources: what the config wizard offers for a data-source config variable ------------------------------

/**
 * The `dataSource` op: `dataSources[key].perform(context, params)` with the config values entered so far (no
 * state, no flow): `{result, supplementalData?}` as the platform's config wizard receives it.
 * @param {Run} run
 */
async function dataSource(run) {
  const sources = component().dataSources || {};
  const source = sources[run.key];
  if (!source || typeof source.perform !== "function") {
    const known = Object.keys(sources).join(", ") || "none";
    throw new Error(`The bundle has no data source "${run.key}" (its data sources: ${known}); rebuild the project.`);
  }
  const { context } = contextFor(run, openState(undefined).stores, loaded.definition);
  run.step = "dataSource";
  const value = await source.perform(context, decode(run.params || {}));
  const answer = value && typeof value === "object" ? value : { result: value };
  return {
    result: encode(answer.result === undefined ? null : answer.result),
    ...(answer.supplementalData !== undefined ? { supplementalData: encode(answer.supplementalData) } : {}),
  };
}

// --- the loop ------------------------------------------------------------------------------------------------

/** Ops that run the project's code: one at a time, with their logs and HTTP attached to them. */
const RUNS = { execute, lifecycle, dataSource };
/** Ops about the bundle. */
const BUNDLE_OPS = {
  ping: () => ({ pid: process.pid }),
  load,
  preload: (/** @type {{path: string}} */ message) => loader.preload(message.path),
};

/**
 * Answer one request.
 * @param {Record<string, any>} message
 */
async function handle(message) {
  const { id, op } = message;
  try {
    if (Object.prototype.hasOwnProperty.call(BUNDLE_OPS, op)) {
      const value = BUNDLE_OPS[/** @type {keyof typeof BUNDLE_OPS} */ (op)](/** @type {any} */ (message));
      return send({ id, type: "result", ok: true, value });
    }
    if (!Object.prototype.hasOwnProperty.call(RUNS, op)) throw new Error(`unknown op ${JSON.stringify(op)}`);
    /** @type {Run} */
    const run = { ...message, id, step: null };
    // An error escaping the flow's promises (a timer callback that throws) fails the request, as on the platform.
    const crashed = new Promise((_, reject) => (run.crash = reject));
    running.run = run;
    try {
      const value = await Promise.race([RUNS[/** @type {keyof typeof RUNS} */ (op)](run), crashed]);
      return send({ id, type: "result", ok: true, value });
    } catch (error) {
      const step = (error && /** @type {any} */ (error).cnikitStep) || run.step;
      return send({ id, type: "result", ok: false, error: { ...errorInfo(error), step } });
    } finally {
      running.run = null;
    }
  } catch (error) {
    send({ id, type: "result", ok: false, error: errorInfo(error) });
  }
}

// Errors escaping the flow's promises fail the running request, never the worker.
const escaped = (/** @type {unknown} */ error) => {
  if (running.run && running.run.crash) running.run.crash(error);
  else writeErr(`cnikit runner: uncaught ${errorInfo(error).stack}\n`);
};
process.on("uncaughtException", escaped);
process.on("unhandledRejection", escaped);

let queue = Promise.resolve();
readRequests(process.stdin, (message) => {
  queue = queue.then(() => handle(message));
});
process.stdin.on("end", () => process.exit(0));
