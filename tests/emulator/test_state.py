"""State by the platform's rules (spec/runtime.md §7): scopes, success-only writes, null deletes, the 64 MB cap."""

from __future__ import annotations

import json
from collections.abc import Callable

from emulator.executor import Executor, TriggerRequest
from emulator.store import STATE_LIMIT_ERROR

ExecutorFor = Callable[..., Executor]


def _command(**fields: object) -> TriggerRequest:
    return TriggerRequest.from_body(json.dumps(fields).encode())


def _levels(executor: Executor) -> dict[str, dict[str, object]]:
    return {f"{key.level}/{key.flow}": value for key, value in executor.store.list_state()}


def test_each_state_level_persists_across_runs_in_its_scope(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-state")

    first = executor.run("Count")
    second = executor.run("Count")
    sibling = executor.run("Peek")

    assert first.result == {"data": {"flowRuns": 1, "instanceRuns": 1, "integrationRuns": 1}}
    assert second.result == {"data": {"flowRuns": 2, "instanceRuns": 2, "integrationRuns": 2}}
    # The sibling flow shares cross-flow and integration state, has its own flow state, a fresh execution state.
    assert sibling.result == {
        "data": {
            "instanceState": {},
            "crossFlowState": {"instanceRuns": 2, "touched": True},
            "integrationState": {"integrationRuns": 2},
            "executionState": {},
        }
    }
    record = executor.store.get_execution(second.execution_id)
    assert record.execution_state == {"scratch": "only for this execution"}  # kept with the execution only
    assert "executionState/" not in _levels(executor)


def test_state_survives_a_new_executor_on_the_same_project(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-state")
    executor.run("Count")
    executor.close()

    again = Executor(executor.root)
    try:
        again.prepare()
        assert again.run("Count").result["data"]["flowRuns"] == 2
    finally:
        again.close()


def test_a_failing_execution_persists_nothing(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-state")
    executor.run("Count")
    before = _levels(executor)

    failed = executor.run("Count", _command(fail=True))

    assert not failed.succeeded
    assert failed.error == "failing after mutating state on purpose"
    assert failed.error_step == "onExecution"
    assert _levels(executor) == before
    assert executor.run("Count").result["data"]["flowRuns"] == 2


def test_returning_null_deletes_a_key(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-state")
    executor.run("Count")
    assert _levels(executor)["crossFlowState/"] == {"instanceRuns": 1, "touched": True}

    outcome = executor.run("Count", _command(remove="touched"))

    assert outcome.succeeded, outcome.error
    assert _levels(executor)["crossFlowState/"] == {"instanceRuns": 2}


def test_state_over_64_mb_fails_with_the_platform_error_and_saves_nothing(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-state")
    executor.run("Count")
    before = _levels(executor)

    outcome = executor.run("Count", _command(oversize=True))

    assert not outcome.succeeded
    assert outcome.error == STATE_LIMIT_ERROR
    assert (
        STATE_LIMIT_ERROR == "Unable to complete execution, persisted state exceeded maximum limit of 67108864 bytes."
    )
    assert _levels(executor) == before
