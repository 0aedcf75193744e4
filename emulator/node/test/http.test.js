// @ts-check
// Replay from a cassette (http.js): what every client gets back, with no network at all.
"use strict";

const assert = require("node:assert/strict");
const http = require("node:http");
const zlib = require("node:zlib");
const { test } = require("node:test");
const { install } = require("../http");
const { running } = require("../context");

install();

/**
 * Run `body` as a request in `replay` mode over `exchanges`.
 * @param {any[]} exchanges
 * @param {() => Promise<void>} body
 */
async function replaying(exchanges, body) {
  /** @type {any} */ (running).run = { id: "t", http: { mode: "replay", cassette: exchanges, cassettePath: "c.json" } };
  try {
    await body();
  } finally {
    running.run = null;
  }
}

/**
 * @param {string} url
 * @returns {Promise<http.IncomingMessage & {data: Buffer, text: string}>}
 */
const get = (url) =>
  new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const data = Buffer.concat(chunks);
          resolve(Object.assign(res, { data, text: data.toString() }));
        });
      })
      .on("error", reject);
  });

/** @param {string} url @param {object} response */
const exchange = (url, response, method = "GET") => ({ client: "http", request: { method, url, body: "" }, response });

test("node:http gets the recorded status, headers (cookies one by one) and a gzip body as recorded", async () => {
  const gzipped = zlib.gzipSync("hello").toString("base64");
  const headers = { "content-encoding": "gzip", "transfer-encoding": "chunked", "set-cookie": ["a=1", "b=2"] };
  await replaying([exchange("http://127.0.0.1:9/x", { status: 201, headers, body: gzipped })], async () => {
    const res = await get("http://127.0.0.1:9/x");
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.headers["set-cookie"], ["a=1", "b=2"]);
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal(zlib.gunzipSync(res.data).toString(), "hello");
  });
});

test("fetch gets a recorded 204 with no body, and each recorded exchange answers once", async () => {
  await replaying([exchange("http://127.0.0.1:9/gone", { status: 204, headers: {}, body: "" }, "DELETE")], async () => {
    const res = await globalThis.fetch("http://127.0.0.1:9/gone", { method: "DELETE" });
    assert.equal(res.status, 204);
    assert.equal(await res.text(), "");
    await assert.rejects(globalThis.fetch("http://127.0.0.1:9/gone", { method: "DELETE" }), (error) => {
      const message = String(/** @type {any} */ (error).message) + String(/** @type {any} */ (error).cause);
      return message.includes("c.json has no recorded response for DELETE http://127.0.0.1:9/gone");
    });
  });
});

test("outside a request, calls pass through to the network", async () => {
  const server = http.createServer((_req, res) => res.end("live"));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  try {
    assert.equal((await get(`http://127.0.0.1:${port}/`)).text, "live");
    assert.equal(await (await globalThis.fetch(`http://127.0.0.1:${port}/`)).text(), "live");
  } finally {
    server.close();
  }
});
