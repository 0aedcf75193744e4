// @ts-check
// The platform's state rules as the worker applies them (state.js; spec/runtime.md §7).
"use strict";

const assert = require("node:assert/strict");
const { test } = require("node:test");
const { openState, applyStateDeltas, withoutStateKeys, levelText, changedState } = require("../state");

test("each persisted level starts from its stored text; a level not sent starts empty", () => {
  const { initial, stores } = openState({ instanceState: '{"cursor":3}' });
  assert.deepEqual(initial, { instanceState: '{"cursor":3}', crossFlowState: "{}", integrationState: "{}" });
  assert.deepEqual(stores, {
    instanceState: { cursor: 3 },
    crossFlowState: {},
    integrationState: {},
    executionState: {},
  });
});

test("a returned delta sets keys, and null deletes them, on every level", () => {
  const { stores } = openState({ instanceState: '{"keep":1,"drop":2}', crossFlowState: '{"x":1}' });
  applyStateDeltas(stores, {
    instanceState: { drop: null, added: [1] },
    crossFlowState: { x: 2 },
    executionState: { seen: true },
    data: "not state",
  });
  assert.deepEqual(stores.instanceState, { keep: 1, added: [1] });
  assert.deepEqual(stores.crossFlowState, { x: 2 });
  assert.deepEqual(stores.executionState, { seen: true });
  applyStateDeltas(stores, null); // nothing returned: nothing changes
  applyStateDeltas(stores, { instanceState: "not an object" });
  assert.deepEqual(stores.instanceState, { keep: 1, added: [1] });
});

test("the state keys are not part of what the step returned", () => {
  const result = { data: 1, instanceState: {}, crossFlowState: {}, integrationState: {}, executionState: {} };
  assert.deepEqual(withoutStateKeys(result), { data: 1 });
  assert.deepEqual(withoutStateKeys([1, 2]), [1, 2]);
  assert.equal(withoutStateKeys("text"), "text");
});

test("only the levels that changed come back, whole, nulls dropped", () => {
  const { initial, stores } = openState({ instanceState: '{"a":1}', integrationState: '{"b":2}' });
  stores.crossFlowState.fresh = "yes";
  stores.integrationState.b = null; // set to null directly: deleted too
  assert.deepEqual(changedState(initial, stores), { crossFlowState: '{"fresh":"yes"}', integrationState: "{}" });
  assert.deepEqual(changedState(openState({}).initial, openState({}).stores), {});
  assert.equal(levelText({ a: null, b: 0 }), '{"b":0}');
});

test("a level replaced rather than changed is read at the end", () => {
  const { initial, stores } = openState({});
  const context = { ...stores };
  context.instanceState = { replaced: true };
  assert.deepEqual(changedState(initial, context), { instanceState: '{"replaced":true}' });
});

test("persisted state over the limit fails with the platform's message", () => {
  const { initial, stores } = openState({ crossFlowState: '{"old":"x"}' });
  stores.instanceState.big = "x".repeat(40);
  assert.throws(
    () => changedState(initial, stores, 50),
    /^Error: Unable to complete execution, persisted state exceeded maximum limit of 50 bytes\.$/,
  );
  assert.deepEqual(Object.keys(changedState(initial, stores, 1000)), ["instanceState"]);
});
