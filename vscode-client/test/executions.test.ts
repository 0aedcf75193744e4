import assert from "node:assert/strict";
import { test } from "node:test";

import { ExecutionStore } from "../src/executions";
import { execution } from "./helpers";

test("live updates insert new executions and replace changed ones, newest first", () => {
  const store = new ExecutionStore();
  store.replace("/p", [execution({ id: "a", startedAt: "2026-11-29T10:00:00Z" })]);
  assert.equal(store.apply("/p", execution({ id: "b", status: "running", startedAt: "2026-11-29T11:00:00Z" })), true);
  assert.equal(store.apply("/p", execution({ id: "b", status: "succeeded", startedAt: "2026-11-29T11:00:00Z" })), true);
  assert.deepEqual(
    store.list().map((e) => [e.id, e.status]),
    [
      ["b", "succeeded"],
      ["a", "succeeded"],
    ],
  );
  assert.equal(store.get("local", "b")?.status, "succeeded");
});

test("updates for another project are ignored", () => {
  const store = new ExecutionStore();
  store.replace("/p", []);
  assert.equal(store.apply("/other", execution()), false);
  assert.deepEqual(store.list(), []);
});

test("a local and a cloud execution with the same id are different executions", () => {
  const store = new ExecutionStore();
  store.apply("/p", execution({ id: "x" }));
  store.apply("/p", execution({ id: "x", source: "cloud" }));
  assert.equal(store.list().length, 2);
});

test("only the newest executions are kept; an update older than all of them is dropped", () => {
  const store = new ExecutionStore(2);
  store.apply("/p", execution({ id: "1", startedAt: "2026-11-29T10:00:00Z" }));
  store.apply("/p", execution({ id: "2", startedAt: "2026-11-29T11:00:00Z" }));
  store.apply("/p", execution({ id: "3", startedAt: "2026-11-29T12:00:00Z" }));
  assert.deepEqual(
    store.list().map((e) => e.id),
    ["3", "2"],
  );
  assert.equal(store.apply("/p", execution({ id: "0", startedAt: "2026-11-29T09:00:00Z" })), false);
});

test("switching project drops the previous project's executions", () => {
  const store = new ExecutionStore();
  store.apply("/p", execution());
  assert.equal(store.setProject("/q"), true);
  assert.deepEqual(store.list(), []);
  assert.equal(store.setProject("/q"), false);
});
