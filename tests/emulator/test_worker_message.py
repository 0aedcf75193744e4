"""The worker message and the state rules on the Python side (emulator/context.py, emulator/state.py); what the
worker does with them is covered end to end by test_run.py, test_state.py and test_data_source.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from emulator.context import worker_message
from emulator.instance import LocalInstance
from emulator.runner import decode
from emulator.state import STATE_LIMIT, changed_state, lifecycle_keys, read_state, state_keys
from emulator.store import Store

FLOW: Any = SimpleNamespace(stable_key="sync-orders", key="syncOrders")
DEFINITION: Any = SimpleNamespace(name="Acme")


def test_every_message_carries_context_and_mocks_and_only_flows_and_lifecycles_carry_state(tmp_path: Path) -> None:
    mocks = tmp_path / ".spectral/local/mocks/components/acme/actions"
    mocks.mkdir(parents=True)
    (mocks / "listOrders.json").write_text(json.dumps({"data": [1]}))

    with_state = worker_message(tmp_path, {"configVars": {"a": b"x"}}, state={"instanceState": "{}"}, flowKey="f")
    without = worker_message(tmp_path, {"configVars": {}}, key="source", params={})

    assert decode(with_state["context"]) == {"configVars": {"a": b"x"}}  # encoded for the wire: bytes survive
    assert (with_state["state"], with_state["stateLimit"], with_state["flowKey"]) == (
        {"instanceState": "{}"},
        STATE_LIMIT,
        "f",
    )
    assert "state" not in without and "stateLimit" not in without and "payload" not in without
    for message in (with_state, without):
        assert decode(message["mocks"]["acme"]["actions"]["listOrders"]) == {"data": [1]}
        assert message["mocksDir"] == ".spectral/local/mocks/components"


def test_levels_live_in_their_scopes_and_lifecycle_functions_see_no_flow_state(tmp_path: Path) -> None:
    instance = LocalInstance()
    keys = state_keys(instance, DEFINITION, FLOW)
    assert {level: (key.scope, key.flow) for level, key in keys.items()} == {
        "instanceState": (instance.id, "sync-orders"),
        "crossFlowState": (instance.id, ""),
        "integrationState": ("Acme", ""),
    }
    store = Store.open(tmp_path)
    try:
        store.set_state(keys["instanceState"], {"cursor": 3})
        store.set_state(keys["crossFlowState"], {"shared": True})
        assert read_state(store, keys) == {
            "instanceState": '{"cursor":3}',
            "crossFlowState": '{"shared":true}',
            "integrationState": "{}",
        }
        lifecycle = lifecycle_keys(instance, DEFINITION, FLOW)
        assert read_state(store, lifecycle)["instanceState"] == "{}"
        returned = {"instanceState": '{"cursor":4}', "crossFlowState": "{}"}
        assert changed_state(lifecycle, returned) == {keys["crossFlowState"]: "{}"}
        assert changed_state(keys, returned) == {keys["instanceState"]: '{"cursor":4}', keys["crossFlowState"]: "{}"}
    finally:
        store.close()
