// @ts-check
// The codec of values on the wire (protocol.js): what runner.py's `encode`/`decode` expect on the other side.
"use strict";

const assert = require("node:assert/strict");
const { PassThrough } = require("node:stream");
const { test } = require("node:test");
const { TAG, encode, decode, readRequests } = require("../protocol");

test("bytes and dates travel tagged and come back as they were", () => {
  const value = {
    file: Buffer.from("héllo"),
    at: new Date("2026-01-02T03:04:05.678Z"),
    list: [new Uint8Array([1, 2])],
  };
  const wire = JSON.parse(JSON.stringify(encode(value)));
  assert.deepEqual(wire.file, { [TAG]: "bytes", base64: Buffer.from("héllo").toString("base64") });
  assert.deepEqual(wire.at, { [TAG]: "date", iso: "2026-01-02T03:04:05.678Z" });
  const back = decode(wire);
  assert.ok(Buffer.isBuffer(back.file) && back.file.toString() === "héllo");
  assert.ok(back.at instanceof Date && back.at.getTime() === value.at.getTime());
  assert.deepEqual([...back.list[0]], [1, 2]);
});

test("a view into a larger buffer sends only its own bytes", () => {
  const whole = Buffer.from("0123456789");
  assert.equal(Buffer.from(/** @type {any} */ (encode(whole.subarray(2, 5))).base64, "base64").toString(), "234");
});

test("values JSON lacks become what the platform makes of them", () => {
  const encoded = encode({
    big: 12n,
    map: new Map([["a", 1]]),
    set: new Set([1, 2]),
    error: new TypeError("bad"),
    gone: undefined,
    fn: () => 1,
    holes: [undefined, () => 1, 3],
  });
  assert.deepEqual(encoded, {
    big: "12",
    map: { a: 1 },
    set: [1, 2],
    error: { name: "TypeError", message: "bad" },
    holes: [null, null, 3],
  });
});

test("a step result with a function or a cycle fails as the platform's msgpack does", () => {
  assert.throws(() => encode({ perform() {} }, true), /^Error: P10002: .*\(perform\)/);
  /** @type {Record<string, unknown>} */
  const cyclic = { name: "loop" };
  cyclic.self = cyclic;
  assert.throws(() => encode(cyclic, true), /^Error: P10003: /);
  assert.throws(() => encode(cyclic), /P10003/); // a cycle never encodes, strict or not
});

test("the same object twice is not a cycle", () => {
  const shared = { id: 1 };
  assert.deepEqual(encode({ a: shared, b: [shared, shared] }, true), { a: { id: 1 }, b: [{ id: 1 }, { id: 1 }] });
});

test("requests split across chunks arrive whole and in order, blank lines skipped", async () => {
  const stream = new PassThrough();
  /** @type {Record<string, any>[]} */
  const seen = [];
  readRequests(stream, (message) => seen.push(message));
  stream.write('{"id": 1, "op": "pi');
  stream.write('ng"}\n\n{"id": 2, "op": "load", "bundle": "/b.js"}\n{"id": 3');
  stream.end(', "op": "ping"}\n');
  await new Promise((resolve) => stream.on("end", resolve));
  assert.deepEqual(seen, [
    { id: 1, op: "ping" },
    { id: 2, op: "load", bundle: "/b.js" },
    { id: 3, op: "ping" },
  ]);
});
