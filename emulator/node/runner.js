#!/usr/bin/env node
// cnikit's flow runner: a zero-dependency Node program, kept warm by emulator/runner.py.
//
// It loads a built CNI bundle once and executes flows the way the platform does (spec/runtime.md §3–§10):
// the trigger's `perform(context, payload, params)` (or the default webhook behaviour), then the action
// `<flowKey>_onExecution`'s `perform(context, {onTrigger: {results}})`, with a complete context, the four state
// stores, registry components answered by local mocks, and outbound HTTP live, recorded or replayed.
//
// Protocol: line-delimited JSON. Requests on stdin `{id, op, ...}`; on stdout, events `{id, type: "log" | "http" |
// "step", ...}` while the request runs, then exactly one `{id, type: "result", ok, value | error}`. Binary values
// travel tagged as `{"$cnikit$": "bytes", "base64": "..."}`, dates as `{"$cnikit$": "date", "iso": "..."}`.
// One execution at a time per process: runner.py keeps a pool of processes for concurrency.
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");
const https = require("node:https");
const util = require("node:util");
const { Readable, Writable } = require("node:stream");
const { AsyncLocalStorage } = require("node:async_hooks");

const TAG = "$cnikit$";
const writeOut = process.stdout.write.bind(process.stdout);
const send = (message) => writeOut(JSON.stringify(message) + "\n");

// --- values across the wire -------------------------------------------------------------------------------------

// `strict` is for step results, which the platform serializes with msgpack: a function in one is its P10002
// error, a circular reference its P10003. Elsewhere (log arguments) functions are simply left out.
function encode(value, strict = false, seen = new WeakSet()) {
  if (value === null || value === undefined) return value === undefined ? undefined : null;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    return { [TAG]: "bytes", base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  if (value instanceof ArrayBuffer) return { [TAG]: "bytes", base64: Buffer.from(value).toString("base64") };
  if (value instanceof Date) return { [TAG]: "date", iso: value.toISOString() };
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" && strict) {
    throw new Error(`P10002: Result contains non-serializable functions (${value.name || "anonymous"}).`);
  }
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (typeof value !== "object") return value;
  if (seen.has(value)) {
    throw new Error("P10003: Error serializing step results: the result contains a circular reference.");
  }
  seen.add(value);
  try {
    if (value instanceof Error) return { name: value.name, message: value.message };
    if (Array.isArray(value)) return value.map((item) => ((item = encode(item, strict, seen)) === undefined ? null : item));
    if (value instanceof Map) return encode(Object.fromEntries(value), strict, seen);
    if (value instanceof Set) return encode([...value], strict, seen);
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      const encoded = encode(item, strict, seen);
      if (encoded !== undefined) out[key] = encoded;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if (value[TAG] === "bytes") return Buffer.from(value.base64, "base64");
    if (value[TAG] === "date") return new Date(value.iso);
    const out = {};
    for (const [key, item] of Object.entries(value)) out[key] = decode(item);
    return out;
  }
  return value;
}

const errorInfo = (error) =>
  error instanceof Error
    ? { message: error.message, name: error.name, stack: String(error.stack || "") }
    : { message: typeof error === "string" ? error : util.inspect(error), name: "Error", stack: "" };

// --- the bundle ------------------------------------------------------------------------------------------------

const loaded = { bundle: null, component: null, definition: null };

function load({ bundle }) {
  // spectral runs `convertIntegration` inside `integrationContextStorage.run(definition, ...)`: watching that call
  // while the bundle loads gives us the authored definition (component registry with its manifests'
  // examplePayloads) without touching the bundle. Works for esbuild and webpack builds alike.
  const originalRun = AsyncLocalStorage.prototype.run;
  let definition = null;
  AsyncLocalStorage.prototype.run = function (store, fn, ...args) {
    if (!definition && store && typeof store === "object" && Array.isArray(store.flows) && "name" in store) {
      definition = store;
    }
    return originalRun.call(this, store, fn, ...args);
  };
  const vendor = path.join(path.dirname(bundle), "vendor.js");
  if (fs.existsSync(vendor)) preload({ path: vendor }); // the fast build's vendor layer (no-op if preloaded)
  let exported;
  try {
    exported = require(bundle);
  } finally {
    AsyncLocalStorage.prototype.run = originalRun;
  }
  const component = exported && exported.default !== undefined ? exported.default : exported;
  if (!component || typeof component.codeNativeIntegrationYAML !== "string") {
    throw new Error(
      `${bundle} has no default export with codeNativeIntegrationYAML; expected \`export default integration({...})\``,
    );
  }
  Object.assign(loaded, { bundle, component, definition });
  return {
    yaml: component.codeNativeIntegrationYAML,
    actions: Object.keys(component.actions || {}),
    triggers: Object.keys(component.triggers || {}),
    // What the config wizard needs beyond the YAML (cnikit.definition's `exports`): whole connections (every
    // input's label, type, required, default, shown, comments, placeholder, example …) and the data sources' types.
    key: plain(component.key),
    connections: (Array.isArray(component.connections) ? component.connections : []).map((connection) => {
      const copy = plain(connection) || {};
      copy.inputs = (Array.isArray(connection.inputs) ? connection.inputs : []).map((input) => ({
        ...plain(input),
        required: Boolean(input && input.required),
        shown: !input || input.shown !== false,
      }));
      return copy;
    }),
    dataSources: Object.fromEntries(
      Object.entries(component.dataSources || {}).map(([key, source]) => [
        key,
        { key: plain(source && source.key), dataSourceType: plain(source && source.dataSourceType) },
      ]),
    ),
  };
}

// A JSON-safe copy: functions (perform, clean …), symbols and undefined drop out, as in JSON; a property whose
// getter throws is left out; the depth cap ends cycles.
function plain(value, depth = 0) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return String(value);
  if (typeof value !== "object" || depth > 32) return undefined;
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1) ?? null);
  const copy = {};
  for (const key of Object.keys(value)) {
    try {
      const item = plain(value[key], depth + 1);
      if (item !== undefined) copy[key] = item;
    } catch {
      // a getter that throws: left out
    }
  }
  return copy;
}

// While Python is still starting (imports, the build of the project's own layer), the worker evaluates the vendor
// layer: the npm packages, spectral first. `load` then only runs the project's code.
// V8's code cache for the vendor layer (next to it, per Node version) halves its load time after the first.
function preload({ path: file }) {
  const started = Date.now();
  if (require.cache[file]) return { ms: 0, cached: true };
  const cacheFile = `${file}.${process.version}.v8cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, "utf8")), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = mod;
  try {
    script.runInThisContext().call(mod.exports, mod.exports, (id) => mod.require(id), mod, file, path.dirname(file));
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

// --- registry components answered by local mocks -----------------------------------------------------------------

function manifestEntry(componentKey, kind, key) {
  const registry = (loaded.definition && loaded.definition.componentRegistry) || {};
  for (const manifest of Object.values(registry)) {
    if (!manifest || manifest.key !== componentKey) continue;
    for (const [registryKey, entry] of Object.entries(manifest[kind] || {})) {
      if ((entry && entry.key) === key || registryKey === key) return entry;
    }
  }
  return null;
}

function mockFor(run, kind, componentKey, key) {
  const answers = ((run.mocks || {})[componentKey] || {})[kind] || {};
  if (Object.prototype.hasOwnProperty.call(answers, key)) return { found: true, value: decode(answers[key]) };
  const entry = manifestEntry(componentKey, kind, key);
  if (entry && entry.examplePayload !== undefined) return { found: true, value: entry.examplePayload };
  return { found: false };
}

function missingMock(run, kind, componentKey, key, example) {
  const file = `${run.mocksDir}/${componentKey}/${kind}/${key}.json`;
  const what = kind === "actions" ? "action" : "trigger";
  return new Error(
    `No local answer for ${what} "${key}" of component "${componentKey}": create ${file} holding what the ` +
      `${what} returns, e.g. ${example} (the component's manifest has no examplePayload to fall back on).`,
  );
}

function componentsFor(run) {
  return {
    invoke: async (ref, _context, values) => {
      const componentKey = ref.component.key;
      const answer = mockFor(run, "actions", componentKey, ref.key);
      if (!answer.found) throw missingMock(run, "actions", componentKey, ref.key, '{"data": {...}}');
      log(run, "debug", `${componentKey}.${ref.key} answered by a local mock (inputs: ${safeJson(values)})`);
      return answer.value;
    },
    invokeTrigger: async (ref, _context, payload, _params) => {
      const componentKey = ref.component.key;
      const event = ref.triggerEventFunctionName || "perform";
      if (event !== "perform") return {}; // lifecycle events of registry triggers have nothing to do offline
      // The platform's instance deploy/remove triggers pass their payload through, like the webhook trigger.
      if (componentKey === "management-triggers") return { payload };
      const answer = mockFor(run, "triggers", componentKey, ref.key);
      if (!answer.found) throw missingMock(run, "triggers", componentKey, ref.key, '{"payload": {...}}');
      const result = answer.value && typeof answer.value === "object" ? answer.value : {};
      log(run, "debug", `${componentKey}.${ref.key} trigger answered by a local mock`);
      return { ...result, payload: result.payload !== undefined ? result.payload : payload };
    },
  };
}

const safeJson = (value) => {
  try {
    return JSON.stringify(encode(value));
  } catch {
    return "[unserializable]";
  }
};

// --- logs ---------------------------------------------------------------------------------------------------

let current = null; // the execution in progress: logs from anywhere (console too) belong to it

function log(run, severity, message) {
  if (!run) return;
  send({ id: run.id, type: "log", timestamp: new Date().toISOString(), severity, step: run.step, message });
}

const format = (args) =>
  util.formatWithOptions({ depth: 6, breakLength: Infinity }, ...args.map((arg) => (Buffer.isBuffer(arg) ? `<Buffer ${arg.length} bytes>` : arg)));

function loggerFor(run) {
  const at = (severity) => (...args) => log(run, severity, format(args));
  return {
    metric: (...args) => log(run, "metric", args.length === 1 && typeof args[0] === "object" ? safeJson(args[0]) : format(args)),
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    log: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

// Anything the flow writes to stdout would corrupt the protocol: it becomes a log line of the current execution,
// and so does what it writes to stderr (console.warn / console.error). Outside an execution stderr stays stderr:
// runner.py keeps its tail to explain a worker that died.
const writeErr = process.stderr.write.bind(process.stderr);
const captured = (severity, fallback) => (chunk, encoding, callback) => {
  const text = Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk);
  if (current) log(current, severity, text.replace(/\n$/, ""));
  else fallback(text);
  const done = typeof encoding === "function" ? encoding : callback;
  if (typeof done === "function") done();
  return true;
};
process.stdout.write = captured("info", writeErr);
process.stderr.write = captured("error", writeErr);

// --- outbound HTTP: live, record, replay -------------------------------------------------------------------------

const original = {
  httpRequest: http.request,
  httpGet: http.get,
  httpsRequest: https.request,
  httpsGet: https.get,
  fetch: globalThis.fetch,
};

function httpMode() {
  return current && current.http ? current.http.mode : "live";
}

function normalizeArgs(protocol, args) {
  let url = null;
  let options = {};
  let callback;
  for (const arg of args) {
    if (typeof arg === "string" || arg instanceof URL) url = new URL(String(arg));
    else if (typeof arg === "function") callback = arg;
    else if (arg && typeof arg === "object") options = arg;
  }
  const proto = options.protocol || (url ? url.protocol : protocol);
  const host = options.hostname || options.host || (url ? url.hostname : "localhost");
  const port = options.port || (url ? url.port : "");
  const path = options.path || (url ? url.pathname + url.search : "/");
  const defaultPort = proto === "https:" ? "443" : "80";
  const portPart = port && String(port) !== defaultPort ? `:${port}` : "";
  const fullUrl = `${proto}//${String(host).replace(/:\d+$/, "")}${portPart}${path}`;
  const headers = {};
  for (const [key, value] of Object.entries(options.headers || {})) headers[key.toLowerCase()] = String(value);
  return { method: String(options.method || "GET").toUpperCase(), url: fullUrl, headers, options, callback, rawArgs: args };
}

function findRecorded(run, request) {
  const cassette = run.http.cassette || [];
  const sameTarget = (entry) => !entry.used && entry.request.method === request.method && entry.request.url === request.url;
  const entry = cassette.find((item) => sameTarget(item) && (item.request.body || "") === (request.body || ""));
  if (entry) {
    entry.used = true;
    return entry.response;
  }
  const bodyDiffers = cassette.some(sameTarget);
  throw new Error(
    `The cassette ${run.http.cassettePath} has no recorded response for ${request.method} ${request.url}` +
      (bodyDiffers ? " with this request body (the recorded body differs)" : "") +
      ". Record it again with --http record.",
  );
}

function fakeResponse(request, response, fakeReq) {
  const res = new Readable({ read() {} });
  res.statusCode = response.status;
  res.statusMessage = response.statusMessage || "";
  res.headers = { ...(response.headers || {}) };
  res.rawHeaders = Object.entries(res.headers).flatMap(([key, value]) => [key, String(value)]);
  res.httpVersion = "1.1";
  res.url = request.url;
  res.req = fakeReq;
  res.socket = null;
  res.setTimeout = () => res;
  res.push(Buffer.from(response.body || "", "base64"));
  res.push(null);
  return res;
}

// A ClientRequest look-alike: collects the body, then answers from the real network (record) or the cassette.
class InterceptedRequest extends Writable {
  constructor(run, target, perform) {
    super();
    this.run = run;
    this.target = target;
    this.perform = perform;
    this.chunks = [];
    this.headers = { ...target.headers };
    this.method = target.method;
    this.path = target.options.path || new URL(target.url).pathname;
    this.host = new URL(target.url).hostname;
    this.protocol = new URL(target.url).protocol;
    this.aborted = false;
    this.reusedSocket = false;
    if (target.callback) this.once("response", target.callback);
  }
  _write(chunk, encoding, done) {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
    done();
  }
  _final(done) {
    done();
    const request = { method: this.method, url: this.target.url, headers: this.headers, body: Buffer.concat(this.chunks).toString("base64") };
    this.perform(request).then(
      (response) => {
        if (this.aborted) return;
        this.emit("response", fakeResponse(request, response, this));
        this.emit("close");
      },
      (error) => {
        if (!this.aborted) this.emit("error", error);
      },
    );
  }
  end(data, encoding, callback) {
    if (data === null) data = undefined;
    return super.end(data, encoding, callback);
  }
  setHeader(name, value) {
    this.headers[name.toLowerCase()] = String(value);
  }
  getHeader(name) {
    return this.headers[name.toLowerCase()];
  }
  removeHeader(name) {
    delete this.headers[name.toLowerCase()];
  }
  getHeaders() {
    return { ...this.headers };
  }
  setTimeout(_ms, callback) {
    if (callback) this.once("timeout", callback);
    return this;
  }
  setNoDelay() {}
  setSocketKeepAlive() {}
  flushHeaders() {}
  abort() {
    this.aborted = true;
    this.emit("abort");
    this.destroy();
  }
}

function realRequest(protocol, target, body) {
  return new Promise((resolve, reject) => {
    const send = protocol === "https:" ? original.httpsRequest : original.httpRequest;
    const options = { ...target.options, method: target.method, headers: target.headers };
    delete options.agent; // the caller's agent may be a proxy-aware wrapper of the patched module
    const req = send.call(protocol === "https:" ? https : http, new URL(target.url), options, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode,
          statusMessage: res.statusMessage,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("base64"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function intercept(protocol, originalFn) {
  return function (...args) {
    const mode = httpMode();
    if (mode === "live") return originalFn.apply(this, args);
    const run = current;
    const target = normalizeArgs(protocol, args);
    const perform = async (request) => {
      if (mode === "replay") return findRecorded(run, request);
      const response = await realRequest(new URL(target.url).protocol, target, Buffer.from(request.body, "base64"));
      send({ id: run.id, type: "http", exchange: { client: "http", request, response } });
      return response;
    };
    return new InterceptedRequest(run, target, perform);
  };
}

function interceptGet(request) {
  return function (...args) {
    const req = request.apply(this, args);
    req.end();
    return req;
  };
}

http.request = intercept("http:", original.httpRequest);
https.request = intercept("https:", original.httpsRequest);
http.get = interceptGet(http.request);
https.get = interceptGet(https.request);

if (typeof original.fetch === "function") {
  globalThis.fetch = async function (input, init) {
    const mode = httpMode();
    if (mode === "live") return original.fetch(input, init);
    const run = current;
    const req = new Request(input, init);
    const headers = {};
    req.headers.forEach((value, key) => (headers[key] = value));
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : Buffer.alloc(0);
    const request = { method: req.method.toUpperCase(), url: req.url, headers, body: body.toString("base64") };
    let response;
    if (mode === "replay") {
      response = findRecorded(run, request);
    } else {
      const res = await original.fetch(req.url, { method: req.method, headers, body: body.length ? body : undefined });
      const responseHeaders = {};
      // fetch has already decoded the body: drop the encoding headers so a replay serves it as it is.
      res.headers.forEach((value, key) => {
        if (key !== "content-encoding" && key !== "content-length") responseHeaders[key] = value;
      });
      const data = Buffer.from(await res.arrayBuffer());
      response = { status: res.status, statusMessage: res.statusText, headers: responseHeaders, body: data.toString("base64") };
      send({ id: run.id, type: "http", exchange: { client: "fetch", request, response } });
    }
    const nullBody = [101, 204, 205, 304].includes(response.status);
    return new Response(nullBody ? null : Buffer.from(response.body || "", "base64"), {
      status: response.status,
      statusText: response.statusMessage || "",
      headers: response.headers,
    });
  };
}

// --- execution -----------------------------------------------------------------------------------------------

const STATE_LEVELS = ["instanceState", "crossFlowState", "integrationState"];
const RESULT_STATE_KEYS = [...STATE_LEVELS, "executionState"];

function applyStateDeltas(context, result) {
  if (!result || typeof result !== "object") return;
  for (const level of RESULT_STATE_KEYS) {
    const delta = result[level];
    if (!delta || typeof delta !== "object") continue;
    for (const [key, value] of Object.entries(delta)) {
      if (value === null) delete context[level][key];
      else context[level][key] = value;
    }
  }
}

function withoutStateKeys(result) {
  if (!result || typeof result !== "object" || Array.isArray(result)) return result;
  const out = { ...result };
  for (const key of RESULT_STATE_KEYS) delete out[key];
  return out;
}

function dropNulls(level) {
  for (const [key, value] of Object.entries(level)) if (value === null) delete level[key];
  return level;
}

async function runStep(run, name, fn) {
  run.step = name;
  const startedAt = new Date();
  const before = process.memoryUsage();
  try {
    const result = await fn();
    return { result, startedAt, endedAt: new Date(), before };
  } catch (error) {
    error.cnikitStep = name;
    error.cnikitStartedAt = startedAt;
    throw error;
  } finally {
    if (run.context.globalDebug) {
      const mb = (n) => Math.round((n / 1048576) * 100) / 100;
      const usage = process.memoryUsage();
      log(
        run,
        "metric",
        JSON.stringify({
          stepName: name,
          memoryUsage: { rss: mb(usage.rss), heapTotal: mb(usage.heapTotal), heapUsed: mb(usage.heapUsed), external: mb(usage.external), arrayBuffers: mb(usage.arrayBuffers) },
          duration: Math.round((Date.now() - startedAt.getTime()) * 100) / 100,
          platform: true,
        }),
      );
    }
  }
}

function stepEvent(run, name, outcome, result, error, response) {
  send({
    id: run.id,
    type: "step",
    name,
    startedAt: outcome.startedAt.toISOString(),
    endedAt: (outcome.endedAt || new Date()).toISOString(),
    result: encode(result, true),
    error: error || null,
    ...(response !== undefined ? { response } : {}), // the trigger's HTTP response, so a caller gets it at once
  });
}

async function execute(run) {
  if (!loaded.component) throw new Error("No bundle loaded: send a load request first.");
  const { component } = loaded;
  const initial = {};
  const state = {};
  for (const level of STATE_LEVELS) {
    initial[level] = run.state[level] || "{}";
    state[level] = JSON.parse(initial[level]);
  }
  const { stepIds, ...base } = decode(run.context);
  const context = {
    ...base,
    logger: loggerFor(run),
    instanceState: state.instanceState,
    crossFlowState: state.crossFlowState,
    integrationState: state.integrationState,
    executionState: {},
    _components: componentsFor(run),
  };
  run.context = context;
  const payload = decode(run.payload);
  const flowKey = run.flowKey;

  // 1. the trigger
  const trigger = run.trigger;
  const triggerOutcome = await runStep(run, "onTrigger", async () => {
    context.stepId = stepIds.onTrigger;
    if (trigger.kind === "wrapper") {
      const wrapper = (component.triggers || {})[`${flowKey}_onTrigger`];
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
  }).catch((error) => {
    stepEvent(run, "onTrigger", { startedAt: error.cnikitStartedAt || new Date() }, undefined, errorInfo(error).message);
    throw error;
  });
  const triggerResult = triggerOutcome.result || {};
  applyStateDeltas(context, triggerResult);
  const results = triggerResult.payload !== undefined ? triggerResult.payload : payload;
  const response = triggerResult.response ? encode(triggerResult.response) : null;
  stepEvent(run, "onTrigger", triggerOutcome, results, undefined, response);

  // 2. onExecution, unless a polling trigger found nothing new
  let executionResult = null;
  const polledNoChanges = triggerResult.resultType === "polled_no_changes";
  if (!polledNoChanges) {
    const action = (component.actions || {})[`${flowKey}_onExecution`];
    if (!action) throw new Error(`The bundle has no action ${flowKey}_onExecution; rebuild the project.`);
    const outcome = await runStep(run, "onExecution", () => {
      context.stepId = stepIds.onExecution;
      return action.perform(context, { onTrigger: { results } });
    }).catch((error) => {
      stepEvent(run, "onExecution", { startedAt: error.cnikitStartedAt || new Date() }, undefined, errorInfo(error).message);
      throw error;
    });
    applyStateDeltas(context, outcome.result);
    executionResult = withoutStateKeys(outcome.result === undefined ? null : outcome.result);
    stepEvent(run, "onExecution", outcome, executionResult);
  } else {
    log(run, "info", "The trigger detected no changes: the execution ends here.");
  }

  // 3. state by the platform's rules: null deletes, each changed level written whole, 64 MB combined cap.
  const changed = {};
  let size = 0;
  for (const level of STATE_LEVELS) {
    const text = JSON.stringify(dropNulls(context[level]));
    size += Buffer.byteLength(text);
    if (text !== initial[level]) changed[level] = text;
  }
  if (size > run.stateLimit) {
    throw new Error(`Unable to complete execution, persisted state exceeded maximum limit of ${run.stateLimit} bytes.`);
  }
  return {
    result: encode(executionResult, true),
    response,
    polledNoChanges,
    state: changed,
    executionState: JSON.stringify(dropNulls(context.executionState)),
  };
}

// --- lifecycle events: onInstanceDeploy, onInstanceDelete, webhookCreate, webhookDelete ------------------------

const LIFECYCLE_EVENTS = ["onInstanceDeploy", "onInstanceDelete", "webhookCreate", "webhookDelete"];

// Runs one lifecycle function of a flow's `<flowKey>_onTrigger` wrapper (spectral puts the referenced component
// trigger's function first, then the flow's own). State follows the execution rules: returned deltas applied,
// changed levels returned whole. `{ran: false}` when the flow has no such function.
async function lifecycle(run) {
  if (!loaded.component) throw new Error("No bundle loaded: send a load request first.");
  if (!LIFECYCLE_EVENTS.includes(run.event)) throw new Error(`unknown lifecycle event ${JSON.stringify(run.event)}`);
  const wrapper = (loaded.component.triggers || {})[`${run.flowKey}_onTrigger`];
  const fn = wrapper && wrapper[run.event];
  if (typeof fn !== "function") return { ran: false, state: {} };
  const initial = {};
  const state = {};
  for (const level of STATE_LEVELS) {
    initial[level] = run.state[level] || "{}";
    state[level] = JSON.parse(initial[level]);
  }
  const { stepIds, ...base } = decode(run.context);
  const context = { ...base, logger: loggerFor(run), ...state, executionState: {}, _components: componentsFor(run) };
  run.context = context;
  run.step = run.event;
  applyStateDeltas(context, await fn(context, run.params || {}));
  const changed = {};
  for (const level of STATE_LEVELS) {
    const text = JSON.stringify(dropNulls(context[level]));
    if (text !== initial[level]) changed[level] = text;
  }
  return { ran: true, state: changed };
}

// --- data sources: what the config wizard offers for a data-source config variable ------------------------------

// Runs `dataSources[key].perform(context, params)` with the config values entered so far (no state, no flow):
// `{result, supplementalData?}` as the platform's config wizard receives it.
async function dataSource(run) {
  if (!loaded.component) throw new Error("No bundle loaded: send a load request first.");
  const sources = loaded.component.dataSources || {};
  const source = sources[run.key];
  if (!source || typeof source.perform !== "function") {
    const known = Object.keys(sources).join(", ") || "none";
    throw new Error(`The bundle has no data source "${run.key}" (its data sources: ${known}); rebuild the project.`);
  }
  const context = {
    ...decode(run.context),
    logger: loggerFor(run),
    instanceState: {},
    crossFlowState: {},
    integrationState: {},
    executionState: {},
    _components: componentsFor(run),
  };
  run.context = context;
  run.step = "dataSource";
  const value = await source.perform(context, decode(run.params || {}));
  const answer = value && typeof value === "object" ? value : { result: value };
  return {
    result: encode(answer.result === undefined ? null : answer.result),
    ...(answer.supplementalData !== undefined ? { supplementalData: encode(answer.supplementalData) } : {}),
  };
}

// --- the loop ------------------------------------------------------------------------------------------------

async function handle(message) {
  const { id, op } = message;
  try {
    if (op === "ping") return send({ id, type: "result", ok: true, value: { pid: process.pid } });
    if (op === "load") return send({ id, type: "result", ok: true, value: load(message) });
    if (op === "preload") return send({ id, type: "result", ok: true, value: preload(message) });
    if (op === "execute") {
      const run = { ...message, step: null };
      // An error escaping the flow's promises (a timer callback that throws) fails the execution, as on the platform.
      const crashed = new Promise((_, reject) => (run.crash = reject));
      current = run;
      try {
        const value = await Promise.race([execute(run), crashed]);
        return send({ id, type: "result", ok: true, value });
      } catch (error) {
        return send({ id, type: "result", ok: false, error: { ...errorInfo(error), step: error.cnikitStep || run.step } });
      } finally {
        current = null;
      }
    }
    if (op === "lifecycle" || op === "dataSource") {
      const run = { ...message, step: null };
      const crashed = new Promise((_, reject) => (run.crash = reject)); // a timer callback that throws fails it too
      current = run;
      try {
        const value = await Promise.race([(op === "lifecycle" ? lifecycle : dataSource)(run), crashed]);
        return send({ id, type: "result", ok: true, value });
      } catch (error) {
        return send({ id, type: "result", ok: false, error: { ...errorInfo(error), step: run.step } });
      } finally {
        current = null;
      }
    }
    throw new Error(`unknown op ${JSON.stringify(op)}`);
  } catch (error) {
    send({ id, type: "result", ok: false, error: errorInfo(error) });
  }
}

// Errors escaping the flow's promises fail the running execution, never the worker.
const escaped = (error) => {
  if (current) current.crash(error);
  else writeErr(`cnikit runner: uncaught ${errorInfo(error).stack}\n`);
};
process.on("uncaughtException", escaped);
process.on("unhandledRejection", escaped);

let buffered = "";
let queue = Promise.resolve();
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf("\n")) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (!line.trim()) continue;
    let message;
    try {
      message = JSON.parse(line);
    } catch (error) {
      send({ id: null, type: "result", ok: false, error: { message: `bad request line: ${error.message}` } });
      continue;
    }
    queue = queue.then(() => handle(message));
  }
});
process.stdin.on("end", () => process.exit(0));
