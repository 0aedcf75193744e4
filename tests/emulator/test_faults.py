"""Faults are contained: timeout, memory cap, a killed worker — clear error, state untouched, next run succeeds."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.executor import ExecutionUpdate, Executor
from emulator.runner import RunnerError

ExecutorFor = Callable[..., Executor]


def _assert_recovers(executor: Executor) -> None:
    """State untouched by the fault, and the next execution runs in a fresh worker and succeeds."""
    assert executor.store.list_state() == []
    after = executor.run("Ok")
    assert after.succeeded, after.error
    assert after.result == {"data": {"okRuns": 1, "touched": False}}


def test_a_flow_that_never_ends_is_stopped_at_the_timeout(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-faults")

    outcome = executor.run("Spin", timeout=1.0)

    assert not outcome.succeeded
    assert outcome.error == "Execution exceeded the maximum allowed duration of 1 second and was stopped."
    assert executor.store.get_execution(outcome.execution_id).status == "failed"
    _assert_recovers(executor)


def test_a_flow_that_allocates_without_bound_hits_the_memory_cap(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-faults", max_memory_mb=64)

    outcome = executor.run("Allocate", timeout=60)

    assert not outcome.succeeded
    assert outcome.error == "Execution has exceeded the maximum allowed memory (64 MB)."
    _assert_recovers(executor)


def test_a_worker_killed_mid_execution_fails_it_and_is_replaced(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-faults")
    killed: list[int] = []

    def kill_when_waiting(update: ExecutionUpdate) -> None:
        match = re.fullmatch(r"waiting in (\d+)", update.log.message) if update.log else None
        if match:
            pid = int(match.group(1))
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

    outcome = executor.run("Wait For Kill", on_update=kill_when_waiting, timeout=60)

    assert killed, "the flow never reported its worker"
    assert not outcome.succeeded
    assert outcome.error == "The Node worker running the execution was killed by signal 9; it has been replaced."
    _assert_recovers(executor)
    assert executor.pool is not None and executor.pool.replaced == 1
    assert all(worker.pid != killed[0] for worker in executor.pool.workers())


def test_an_error_thrown_outside_the_flow_s_promises_fails_the_execution_not_the_worker(
    executor_for: ExecutorFor,
) -> None:
    executor = executor_for("emu-faults")

    outcome = executor.run("Throw Later", timeout=60)

    assert not outcome.succeeded
    assert outcome.error == "thrown from a timer"
    _assert_recovers(executor)
    assert executor.pool is not None and executor.pool.replaced == 0


def test_a_step_result_holding_a_function_fails_like_the_platform_p10002(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-faults")

    outcome = executor.run("Returns Function")

    assert not outcome.succeeded
    assert outcome.error == "P10002: Result contains non-serializable functions (notData)."
    assert outcome.error_step == "onExecution"
    _assert_recovers(executor)


def test_a_bundle_that_spectral_refuses_to_load_is_a_clear_error(project: Callable[[str], Path]) -> None:
    root = project("definition-duplicate-config-var-key")
    executor = Executor(root)
    try:
        with pytest.raises(RunnerError, match='Duplicate config var key: "'):
            executor.prepare()
    finally:
        executor.close()


def test_ctrl_c_records_the_execution_as_stopped_and_the_next_run_works(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-faults")
    started: list[str] = []

    def interrupt_when_spinning(update: ExecutionUpdate) -> None:
        if update.log and update.log.message == "spinning":
            started.append(update.execution_id)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        executor.run("Spin", on_update=interrupt_when_spinning, timeout=60)

    record = executor.store.get_execution(started[0])
    assert record.status == "failed"
    assert record.error == "The execution was stopped by the user (interrupted)."
    _assert_recovers(executor)
