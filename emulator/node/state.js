// @ts-check
// The platform's state rules on the worker's side (spec/runtime.md §7): the one place runner.js applies them.
//
// A request carries each persisted level as its stored JSON text (`{"instanceState": "{...}", ...}`). A step's
// result may hold deltas per level: a key set to null deletes it, any other value replaces it. At the end, null
// values are dropped, each level that changed is returned whole as JSON text, and the three persisted levels
// together must fit the 64 MB limit. executionState lives for one execution only.
//
// The Python side — where each level is stored and under which scope, the limit's value, and writing the changed
// levels back — is emulator/store.py (STATE_LEVELS, STATE_LIMIT, Store.set_state) and the executor's `state_keys`.
"use strict";

/** The persisted levels, in the order emulator/store.py's STATE_LEVELS lists them. */
const STATE_LEVELS = /** @type {const} */ (["instanceState", "crossFlowState", "integrationState"]);
/** Keys of a step result that are state deltas, not part of the result. */
const RESULT_STATE_KEYS = /** @type {const} */ ([...STATE_LEVELS, "executionState"]);

/**
 * @typedef {typeof STATE_LEVELS[number]} StateLevel
 * @typedef {Record<string, unknown>} Level
 * @typedef {Record<StateLevel, Level> & {executionState: Level}} StateStores
 * @typedef {{initial: Record<StateLevel, string>, stores: StateStores}} OpenedState
 */

/**
 * The state stores of one request, parsed from the stored texts (a level not sent starts empty).
 * @param {Partial<Record<StateLevel, string>> | undefined} texts
 * @returns {OpenedState}
 */
function openState(texts) {
  const initial = /** @type {Record<StateLevel, string>} */ ({});
  const stores = /** @type {StateStores} */ ({ executionState: {} });
  for (const level of STATE_LEVELS) {
    initial[level] = (texts && texts[level]) || "{}";
    stores[level] = JSON.parse(initial[level]);
  }
  return { initial, stores };
}

/**
 * Apply the state deltas a step returned (`{instanceState: {key: value | null}, ...}`) to the stores.
 * @param {Partial<StateStores>} stores
 * @param {unknown} result
 */
function applyStateDeltas(stores, result) {
  if (!result || typeof result !== "object") return;
  for (const level of RESULT_STATE_KEYS) {
    const delta = /** @type {Record<string, unknown>} */ (result)[level];
    const store = stores[level];
    if (!delta || typeof delta !== "object" || !store) continue;
    for (const [key, value] of Object.entries(delta)) {
      if (value === null) delete store[key];
      else store[key] = value;
    }
  }
}

/**
 * A step result without its state deltas (what the step really returned).
 * @param {unknown} result
 * @returns {unknown}
 */
function withoutStateKeys(result) {
  if (!result || typeof result !== "object" || Array.isArray(result)) return result;
  /** @type {Record<string, unknown>} */
  const out = { ...result };
  for (const key of RESULT_STATE_KEYS) delete out[key];
  return out;
}

/**
 * A level's JSON text, null values dropped (null deletes, also when set directly on the store).
 * @param {Level} level
 */
function levelText(level) {
  for (const [key, value] of Object.entries(level)) if (value === null) delete level[key];
  return JSON.stringify(level);
}

/**
 * The levels that changed since `initial`, whole, as JSON text. `stores` is read at the end (the context itself:
 * a flow may replace `context.instanceState` rather than change it). With `limit`, throws the platform's error when
 * the persisted levels together exceed it (in bytes).
 * @param {Record<StateLevel, string>} initial
 * @param {Record<StateLevel, Level>} stores
 * @param {number} [limit]
 * @returns {Partial<Record<StateLevel, string>>}
 */
function changedState(initial, stores, limit) {
  /** @type {Partial<Record<StateLevel, string>>} */
  const changed = {};
  let size = 0;
  for (const level of STATE_LEVELS) {
    const text = levelText(stores[level]);
    size += Buffer.byteLength(text);
    if (text !== initial[level]) changed[level] = text;
  }
  if (limit !== undefined && size > limit) {
    throw new Error(`Unable to complete execution, persisted state exceeded maximum limit of ${limit} bytes.`);
  }
  return changed;
}

module.exports = {
  STATE_LEVELS,
  RESULT_STATE_KEYS,
  openState,
  applyStateDeltas,
  withoutStateKeys,
  levelText,
  changedState,
};
