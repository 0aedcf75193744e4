"""State rules, the Python half (spec/runtime.md §7). The Node half is in emulator/node/ (runner.js: `STATE_LEVELS`,
`applyStateDeltas`, `dropNulls` and the size check at the end of `execute`): a change to one is a change to both.

- Three persisted levels (`STATE_LEVELS`, stored by emulator/store.py): `instanceState` per instance and flow,
  `crossFlowState` per instance, `integrationState` per integration; `state_keys` says where each one lives.
- An invocation reads every level whole at its start (`read_state`: JSON text, `{}` for a level never written).
- Node applies the returned deltas, drops `null` keys, caps the three levels at `STATE_LIMIT` bytes combined and
  returns each changed level whole; an execution writes them only on success (`changed_state` for
  `Store.finish_execution`, which writes them in the same transaction as the outcome).
- Lifecycle functions have no flow state (§4.2): they see cross-flow and integration state only (`lifecycle_keys`).
- Data sources see no state at all. `executionState` lives for one execution and is stored with it, not as a level.
"""

from __future__ import annotations

from cnikit.definition.models import BuiltDefinition, BuiltFlow
from emulator.instance import LocalInstance
from emulator.store import STATE_LEVELS, STATE_LIMIT, StateKey, Store

__all__ = ["STATE_LEVELS", "STATE_LIMIT", "changed_state", "lifecycle_keys", "read_state", "state_keys"]


def state_keys(instance: LocalInstance, definition: BuiltDefinition, flow: BuiltFlow) -> dict[str, StateKey]:
    """Where each persisted state level of `flow` lives for this instance (spec/runtime.md §7 scopes)."""
    return {
        "instanceState": StateKey("instanceState", instance.id, flow.stable_key or flow.key),
        "crossFlowState": StateKey("crossFlowState", instance.id),
        "integrationState": StateKey("integrationState", definition.name),
    }


def lifecycle_keys(instance: LocalInstance, definition: BuiltDefinition, flow: BuiltFlow) -> dict[str, StateKey]:
    """The levels a lifecycle function of `flow` sees and may change: all but the flow's own `instanceState`."""
    keys = state_keys(instance, definition, flow)
    del keys["instanceState"]
    return keys


def read_state(store: Store, keys: dict[str, StateKey]) -> dict[str, str]:
    """Every level as the worker receives it: stored JSON text, `{}` when never written or not among `keys`."""
    return {level: (store.get_state_text(keys[level]) or "{}") if level in keys else "{}" for level in STATE_LEVELS}


def changed_state(keys: dict[str, StateKey], returned: dict[str, str]) -> dict[StateKey, str]:
    """The changed levels a worker returned (`{level: JSON text}`) that `keys` allows, keyed where they are stored."""
    return {keys[level]: text for level, text in returned.items() if level in keys}
