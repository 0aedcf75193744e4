// @ts-check
// Outbound HTTP of a request: live, recorded, or replayed from a cassette.
//
// `install()` patches `http.request`/`get`, `https.request`/`get` and `fetch` once. In `live` mode (the default,
// and outside a request) calls pass straight through. In `record` mode each exchange goes out for real and is sent
// to runner.py as an `http` event (which writes the cassette); in `replay` mode it is answered from `run.http.cassette`,
// each recorded exchange used once, matched on method, URL and body.
"use strict";

const http = require("node:http");
const https = require("node:https");
const { Readable, Writable } = require("node:stream");
const { send } = require("./protocol");
const { running } = require("./context");

/** @typedef {import("./context").Run} Run */
/** @typedef {{method: string, url: string, headers: Record<string, string>, body: string}} RecordedRequest */
/** @typedef {{status: number, statusMessage?: string, headers?: Record<string, any>, body?: string}} RecordedResponse */
/**
 * @typedef {{
 *   method: string, url: string, headers: Record<string, string>, options: Record<string, any>,
 *   callback?: (res: any) => void, rawArgs: unknown[],
 * }} Target
 */

const original = {
  httpRequest: http.request,
  httpsRequest: https.request,
  fetch: globalThis.fetch,
};

/** The mode of the request in progress; `live` outside one. */
function httpMode() {
  const run = running.run;
  return run && run.http ? run.http.mode : "live";
}

/**
 * The target of an `http.request(url?, options?, callback?)` call, whatever form its arguments take.
 * @param {string} protocol `http:` or `https:`, from the module called
 * @param {unknown[]} args
 * @returns {Target}
 */
function normalizeArgs(protocol, args) {
  /** @type {URL | null} */
  let url = null;
  /** @type {Record<string, any>} */
  let options = {};
  /** @type {((res: any) => void) | undefined} */
  let callback;
  for (const arg of args) {
    if (typeof arg === "string" || arg instanceof URL) url = new URL(String(arg));
    else if (typeof arg === "function") callback = /** @type {(res: any) => void} */ (arg);
    else if (arg && typeof arg === "object") options = arg;
  }
  const proto = options.protocol || (url ? url.protocol : protocol);
  const host = options.hostname || options.host || (url ? url.hostname : "localhost");
  const port = options.port || (url ? url.port : "");
  const path = options.path || (url ? url.pathname + url.search : "/");
  const defaultPort = proto === "https:" ? "443" : "80";
  const portPart = port && String(port) !== defaultPort ? `:${port}` : "";
  const fullUrl = `${proto}//${String(host).replace(/:\d+$/, "")}${portPart}${path}`;
  /** @type {Record<string, string>} */
  const headers = {};
  for (const [key, value] of Object.entries(options.headers || {})) headers[key.toLowerCase()] = String(value);
  const method = String(options.method || "GET").toUpperCase();
  return { method, url: fullUrl, headers, options, callback, rawArgs: args };
}

/**
 * The recorded response for `request` (each recorded exchange answers once); a clear error when there is none.
 * @param {Run} run
 * @param {RecordedRequest} request
 * @returns {RecordedResponse}
 */
function findRecorded(run, request) {
  const cassette = (run.http && run.http.cassette) || [];
  const sameTarget = (/** @type {any} */ entry) =>
    !entry.used && entry.request.method === request.method && entry.request.url === request.url;
  const entry = cassette.find((item) => sameTarget(item) && (item.request.body || "") === (request.body || ""));
  if (entry) {
    entry.used = true;
    return entry.response;
  }
  const bodyDiffers = cassette.some(sameTarget);
  throw new Error(
    `The cassette ${run.http && run.http.cassettePath} has no recorded response for ${request.method} ${request.url}` +
      (bodyDiffers ? " with this request body (the recorded body differs)" : "") +
      ". Record it again with --http record.",
  );
}

/**
 * An IncomingMessage look-alike holding a recorded (or just fetched) response.
 * @param {RecordedRequest} request
 * @param {RecordedResponse} response
 * @param {InterceptedRequest} fakeReq
 */
function fakeResponse(request, response, fakeReq) {
  /** @type {any} */
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
  /**
   * @param {Target} target
   * @param {(request: RecordedRequest) => Promise<RecordedResponse>} perform
   */
  constructor(target, perform) {
    super();
    this.target = target;
    this.perform = perform;
    /** @type {Buffer[]} */
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
  /** @param {any} chunk @param {BufferEncoding} encoding @param {() => void} done */
  _write(chunk, encoding, done) {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
    done();
  }
  /** @param {() => void} done */
  _final(done) {
    done();
    const body = Buffer.concat(this.chunks).toString("base64");
    const request = { method: this.method, url: this.target.url, headers: this.headers, body };
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
  /** @param {any} [data] @param {any} [encoding] @param {any} [callback] */
  end(data, encoding, callback) {
    return super.end(data === null ? undefined : data, encoding, callback);
  }
  /** @param {string} name @param {unknown} value */
  setHeader(name, value) {
    this.headers[name.toLowerCase()] = String(value);
  }
  /** @param {string} name */
  getHeader(name) {
    return this.headers[name.toLowerCase()];
  }
  /** @param {string} name */
  removeHeader(name) {
    delete this.headers[name.toLowerCase()];
  }
  getHeaders() {
    return { ...this.headers };
  }
  /** @param {number} _ms @param {() => void} [callback] */
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

/**
 * Send `target` for real with the unpatched client.
 * @param {string} protocol
 * @param {Target} target
 * @param {Buffer} body
 * @returns {Promise<RecordedResponse>}
 */
function realRequest(protocol, target, body) {
  return new Promise((resolve, reject) => {
    const request = protocol === "https:" ? original.httpsRequest : original.httpRequest;
    /** @type {Record<string, any>} */
    const options = { ...target.options, method: target.method, headers: target.headers };
    delete options.agent; // the caller's agent may be a proxy-aware wrapper of the patched module
    const req = request.call(protocol === "https:" ? https : http, new URL(target.url), options, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode || 0,
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

/**
 * A patched `request` of the `http` or `https` module.
 * @param {string} protocol
 * @param {(...args: any[]) => any} originalFn
 */
function intercept(protocol, originalFn) {
  /** @this {unknown} @param {any[]} args */
  return function (...args) {
    const mode = httpMode();
    const run = running.run;
    if (mode === "live" || !run) return originalFn.apply(this, args);
    const target = normalizeArgs(protocol, args);
    const perform = async (/** @type {RecordedRequest} */ request) => {
      if (mode === "replay") return findRecorded(run, request);
      const response = await realRequest(new URL(target.url).protocol, target, Buffer.from(request.body, "base64"));
      send({ id: run.id, type: "http", exchange: { client: "http", request, response } });
      return response;
    };
    return new InterceptedRequest(target, perform);
  };
}

/**
 * `get`: `request` then `end`.
 * @param {(...args: any[]) => any} request
 */
function interceptGet(request) {
  /** @this {unknown} @param {any[]} args */
  return function (...args) {
    const req = request.apply(this, args);
    req.end();
    return req;
  };
}

/**
 * The patched `fetch`.
 * @param {typeof fetch} originalFetch
 * @returns {typeof fetch}
 */
function interceptFetch(originalFetch) {
  return async function (input, init) {
    const mode = httpMode();
    const run = running.run;
    if (mode === "live" || !run) return originalFetch(input, init);
    const req = new Request(input, init);
    /** @type {Record<string, string>} */
    const headers = {};
    req.headers.forEach((value, key) => (headers[key] = value));
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : Buffer.alloc(0);
    const request = { method: req.method.toUpperCase(), url: req.url, headers, body: body.toString("base64") };
    /** @type {RecordedResponse} */
    let response;
    if (mode === "replay") {
      response = findRecorded(run, request);
    } else {
      const res = await originalFetch(req.url, { method: req.method, headers, body: body.length ? body : undefined });
      /** @type {Record<string, string>} */
      const responseHeaders = {};
      // fetch has already decoded the body: drop the encoding headers so a replay serves it as it is.
      res.headers.forEach((value, key) => {
        if (key !== "content-encoding" && key !== "content-length") responseHeaders[key] = value;
      });
      const data = Buffer.from(await res.arrayBuffer());
      response = {
        status: res.status,
        statusMessage: res.statusText,
        headers: responseHeaders,
        body: data.toString("base64"),
      };
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

let installed = false;

/** Patch Node's HTTP clients and `fetch` (once): each call then follows the mode of the request in progress. */
function install() {
  if (installed) return;
  installed = true;
  http.request = /** @type {any} */ (intercept("http:", original.httpRequest));
  https.request = /** @type {any} */ (intercept("https:", original.httpsRequest));
  http.get = /** @type {any} */ (interceptGet(http.request));
  https.get = /** @type {any} */ (interceptGet(https.request));
  if (typeof original.fetch === "function") globalThis.fetch = interceptFetch(original.fetch);
}

module.exports = { install };
