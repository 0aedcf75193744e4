// @ts-check
// Outbound HTTP of a request: live, recorded, or replayed from a cassette.
//
// `install()` applies @mswjs/interceptors' ClientRequest interceptor (`http`/`https` `request` and `get`, so axios,
// node-fetch, got and SDKs built on them) and its fetch interceptor (the global `fetch`), once. In `live` mode (the
// default, and outside a request) every call passes through untouched. In `record` mode it goes out for real and each
// exchange is sent to runner.py as an `http` event (which writes the cassette) before the caller sees the response's
// end; in `replay` mode it is answered from `run.http.cassette`, each recorded exchange used once, matched on method,
// URL and body, and a request the cassette does not have fails with a clear error, never reaching the network.
"use strict";

const { ClientRequestInterceptor } = require("@mswjs/interceptors/ClientRequest");
const { FetchInterceptor } = require("@mswjs/interceptors/fetch");
const { send } = require("./protocol");
const { running } = require("./context");

/** @typedef {import("./context").Run} Run */
/** @typedef {{method: string, url: string, headers: Record<string, string | string[]>, body: string}} RecordedRequest */
/** @typedef {{status: number, statusMessage?: string, headers?: Record<string, any>, body?: string}} RecordedResponse */

// fetch hands over the body already decoded: a fetch exchange is recorded without the encoding headers, so a replay
// serves it as it is.
const DECODED_HEADERS = new Set(["content-encoding", "content-length"]);

/** The request in progress when it records or replays; null when calls pass through. */
function interceptingRun() {
  const run = running.run;
  return run && run.http && run.http.mode !== "live" ? run : null;
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
 * A Fetch `Request` or `Response`'s headers as a plain object (lower-case names), without the `skip`ped ones.
 * @param {Headers} headers
 * @param {Set<string>} [skip]
 * @returns {Record<string, string | string[]>}
 */
function plainHeaders(headers, skip = new Set()) {
  /** @type {Record<string, string | string[]>} */
  const plain = {};
  headers.forEach((value, key) => {
    if (!skip.has(key)) plain[key] = value;
  });
  if (plain["set-cookie"]) plain["set-cookie"] = headers.getSetCookie(); // one cookie each, as Node keeps them
  return plain;
}

/**
 * The request as a cassette keeps it (body base64). Reads a clone: the interceptor still sends the original.
 * @param {Request} request
 * @returns {Promise<RecordedRequest>}
 */
async function recordedRequest(request) {
  const body = request.body ? Buffer.from(await request.clone().arrayBuffer()) : Buffer.alloc(0);
  return {
    method: request.method.toUpperCase(),
    url: request.url,
    headers: plainHeaders(request.headers),
    body: body.toString("base64"),
  };
}

/**
 * A Fetch `Response` for a recorded response.
 * @param {RecordedResponse} recorded
 */
function replayedResponse(recorded) {
  const headers = new Headers();
  for (const [key, value] of Object.entries(recorded.headers || {})) {
    for (const item of Array.isArray(value) ? value : [value]) headers.append(key, String(item));
  }
  const nullBody = [101, 204, 205, 304].includes(recorded.status);
  return new Response(nullBody ? null : Buffer.from(recorded.body || "", "base64"), {
    status: recorded.status,
    statusText: recorded.statusMessage || "",
    headers,
  });
}

/**
 * Attach record and replay to one interceptor; `client` names it in the cassette (`http` or `fetch`).
 * @param {import("@mswjs/interceptors").Interceptor<import("@mswjs/interceptors").HttpRequestEventMap>} interceptor
 * @param {"http" | "fetch"} client
 */
function follow(interceptor, client) {
  /** @type {Map<string, {run: Run, request: RecordedRequest}>} requests being recorded, by the interceptor's id */
  const recording = new Map();
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the interceptor awaits async listeners
  interceptor.on("request", async ({ request, requestId, controller }) => {
    const run = interceptingRun();
    if (!run || !run.http) return; // live: pass through
    const recorded = await recordedRequest(request);
    if (run.http.mode === "record") {
      recording.set(requestId, { run, request: recorded });
      return;
    }
    try {
      controller.respondWith(replayedResponse(findRecorded(run, recorded)));
    } catch (error) {
      controller.errorWith(/** @type {Error} */ (error));
    }
  });
  // The interceptor holds the response's end back until this listener is done: the cassette sees the exchange first.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the interceptor awaits async listeners
  interceptor.on("response", async ({ response, requestId }) => {
    const pending = recording.get(requestId);
    if (!pending) return;
    recording.delete(requestId);
    const body = Buffer.from(await response.arrayBuffer());
    const recorded = {
      status: response.status,
      statusMessage: response.statusText,
      headers: plainHeaders(response.headers, client === "fetch" ? DECODED_HEADERS : undefined),
      body: body.toString("base64"),
    };
    send({ id: pending.run.id, type: "http", exchange: { client, request: pending.request, response: recorded } });
  });
}

let installed = false;

/** Intercept Node's HTTP clients and `fetch` (once): each call then follows the mode of the request in progress. */
function install() {
  if (installed) return;
  installed = true;
  const clientRequest = new ClientRequestInterceptor();
  const fetchInterceptor = new FetchInterceptor();
  follow(clientRequest, "http");
  follow(fetchInterceptor, "fetch");
  clientRequest.apply();
  fetchInterceptor.apply();
}

module.exports = { install };
