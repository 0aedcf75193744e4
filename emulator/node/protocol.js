// @ts-check
// The wire between emulator/runner.py and this worker: line-delimited JSON, and the codec of values on it.
//
// Requests arrive on stdin as `{id, op, ...}`; on stdout go events `{id, type: "log" | "http" | "step", ...}` while
// a request runs, then exactly one `{id, type: "result", ok, value | error}`. Binary values travel tagged as
// `{"$cnikit$": "bytes", "base64": "..."}`, dates as `{"$cnikit$": "date", "iso": "..."}`, and numbers JSON cannot
// write as `{"$cnikit$": "number", "value": "Infinity"}` (`encode`/`decode` in emulator/runner.py are the Python
// side of the same tags).
"use strict";

const util = require("node:util");

const TAG = "$cnikit$";

// Bound now: runner.js later turns what the flow writes to stdout into log lines, and the protocol must bypass that.
const writeOut = process.stdout.write.bind(process.stdout);

/**
 * Write one message line to runner.py.
 * @param {Record<string, unknown>} message
 */
function send(message) {
  writeOut(JSON.stringify(message) + "\n");
}

/**
 * A value made JSON-safe for the wire. `strict` is for step results, which the platform serializes with msgpack: a
 * function in one is its P10002 error, a circular reference its P10003. Elsewhere (log arguments) functions are
 * simply left out.
 * @param {unknown} value
 * @param {boolean} [strict]
 * @param {WeakSet<object>} [seen] the objects on the current path (a cycle, not a shared reference, is an error)
 * @returns {unknown}
 */
function encode(value, strict = false, seen = new WeakSet()) {
  if (value === null || value === undefined) return value === undefined ? undefined : null;
  if (value instanceof Uint8Array) {
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
    if (Array.isArray(value)) {
      return value.map((item) => {
        const encoded = encode(item, strict, seen);
        return encoded === undefined ? null : encoded;
      });
    }
    if (value instanceof Map) return encode(Object.fromEntries(value), strict, seen);
    if (value instanceof Set) return encode([...value], strict, seen);
    /** @type {Record<string, unknown>} */
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

/**
 * A value from the wire, tagged bytes and dates restored.
 * @param {any} value
 * @returns {any}
 */
function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if (value[TAG] === "bytes") return Buffer.from(value.base64, "base64");
    if (value[TAG] === "date") return new Date(value.iso);
    if (value[TAG] === "number") return Number(value.value);
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [key, item] of Object.entries(value)) out[key] = decode(item);
    return out;
  }
  return value;
}

/**
 * What runner.py gets of an error: message, name and stack (a thrown non-Error is described, never lost).
 * @param {unknown} error
 * @returns {{message: string, name: string, stack: string}}
 */
function errorInfo(error) {
  return error instanceof Error
    ? { message: error.message, name: error.name, stack: String(error.stack || "") }
    : { message: typeof error === "string" ? error : util.inspect(error), name: "Error", stack: "" };
}

/**
 * JSON of a value for a log line; never throws.
 * @param {unknown} value
 */
function safeJson(value) {
  try {
    return JSON.stringify(encode(value));
  } catch {
    return "[unserializable]";
  }
}

/**
 * Call `onMessage` with each request line read from `stream`, in order; a line that is not JSON is answered with
 * an error result (id null) and skipped.
 * @param {NodeJS.ReadableStream} stream
 * @param {(message: Record<string, any>) => void} onMessage
 */
function readRequests(stream, onMessage) {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (/** @type {string} */ chunk) => {
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
        send({
          id: null,
          type: "result",
          ok: false,
          error: { message: `bad request line: ${errorInfo(error).message}` },
        });
        continue;
      }
      onMessage(message);
    }
  });
}

module.exports = { TAG, send, encode, decode, errorInfo, safeJson, readRequests };
