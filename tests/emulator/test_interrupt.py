"""No execution is left "running": `cnikit run` and `cnikit serve` in their own processes, stopped by real signals.

Each test starts the command on a flow that waits forever (`Wait For Kill` of `emu-faults`), waits for the flow's
log line, sends the signal, then reads the store the way any later process does.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from emulator.interrupt import Owner, is_alive, this_process
from emulator.store import INTERRUPTED, NewExecution, Store

CNIKIT = [str(Path(sys.executable).parent / "cnikit")]  # the console script, as a user runs it
Project = Callable[[str], Path]


@pytest.fixture
def started() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """`started(*args)` → a running `cnikit *args` in its own process group; the group is killed after the test."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str | Path) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [*CNIKIT, *(str(a) for a in args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its own group: the test can kill the Node workers it leaves behind
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _read_until(stream: IO[str] | None, pattern: str) -> str:
    assert stream is not None
    seen = []
    for line in stream:  # blocks until the process prints the line (or ends)
        seen.append(line)
        if re.search(pattern, line):
            return line
    pytest.fail(f"never printed {pattern!r}; printed:\n{''.join(seen)}")


def _wait_for_log(execution_url: str, prefix: str) -> None:
    # The admin API has no feed of execution logs: ask again until the flow has logged (each answer takes ms).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logs = httpx.get(execution_url, timeout=30).json().get("logs") or []
        if any(line["message"].startswith(prefix) for line in logs):
            return
    pytest.fail(f"the execution never logged {prefix!r}")


def _only_execution(root: Path) -> tuple[str, str | None]:
    with Store.open(root) as store:  # opening the store is what fails orphaned executions
        (record,) = store.list_executions()
        return record.status, record.error


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGHUP])
def test_run_stopped_by_a_signal_records_the_execution_as_interrupted(
    project: Project, started: Callable[..., subprocess.Popen[str]], sent: signal.Signals
) -> None:
    root = project("emu-faults")
    run = started("run", root, "--flow", "Wait For Kill")
    _read_until(run.stdout, "waiting in")

    run.send_signal(sent)

    assert run.wait(timeout=30) == 130  # like Ctrl-C
    assert _only_execution(root) == ("failed", f"{INTERRUPTED} ({sent.name})")  # written by the run itself


def test_run_killed_outright_is_failed_by_the_next_process_that_opens_the_store(
    project: Project, started: Callable[..., subprocess.Popen[str]]
) -> None:
    root = project("emu-faults")
    run = started("run", root, "--flow", "Wait For Kill")
    _read_until(run.stdout, "waiting in")

    os.killpg(run.pid, signal.SIGKILL)  # the run and its Node worker: nothing can record anything
    run.wait(timeout=30)

    assert _only_execution(root) == ("failed", INTERRUPTED)


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGKILL])
def test_serve_stopped_by_a_signal_leaves_no_execution_running(
    project: Project, started: Callable[..., subprocess.Popen[str]], sent: signal.Signals
) -> None:
    root = project("emu-faults")
    serve = started("serve", root, "--port", "0", "--no-watch")
    admin = _read_until(serve.stdout, r"^admin API:")
    base = re.search(r"(http://127\.0\.0\.1:\d+)/", admin)
    assert base is not None
    flows = httpx.get(f"{base.group(1)}/__cnikit/flows", timeout=30).json()["flows"]
    url = next(flow["url"] for flow in flows if flow["name"] == "Wait For Kill")
    execution_id = httpx.post(url, json={}, timeout=30).json()["executionId"]
    _wait_for_log(f"{base.group(1)}/__cnikit/executions/{execution_id}", "waiting in")

    if sent == signal.SIGKILL:
        os.killpg(serve.pid, signal.SIGKILL)
    else:
        serve.send_signal(sent)
    code = serve.wait(timeout=30)

    expected = INTERRUPTED if sent == signal.SIGKILL else f"{INTERRUPTED} ({sent.name})"
    assert _only_execution(root) == ("failed", expected)
    if sent == signal.SIGTERM:
        assert code == 0  # stopped cleanly, without waiting for the execution


def _begin(store: Store, execution_id: str) -> None:
    store.begin_execution(NewExecution(execution_id, "inst", "flow", "Flow", "INTEGRATION_FLOW_TEST", {}))


def test_an_execution_whose_pid_was_reused_is_failed_but_a_live_owners_is_not(tmp_path: Path) -> None:
    path = tmp_path / "emulator.sqlite"
    with Store(path) as store:
        _begin(store, "mine")
        _begin(store, "reused-pid")
        _begin(store, "unknown-owner")  # written by a cnikit from before owners were recorded
        parent = Owner(os.getppid(), "")  # a live process (pytest's parent) that started at another time
        with store._tx() as db:
            db.execute("UPDATE executions SET owner_started='0' WHERE id='reused-pid'")
            db.execute("UPDATE executions SET owner_pid=NULL, owner_started=NULL WHERE id='unknown-owner'")
    assert is_alive(this_process()) and is_alive(parent) and not is_alive(Owner(os.getppid(), "0"))

    with Store(path) as store:
        statuses = {r.id: (r.status, r.error) for r in store.list_executions()}
        assert [log.message for log in store.logs("reused-pid")] == [INTERRUPTED]

    assert statuses == {
        "mine": ("running", None),  # this process still runs it
        "reused-pid": ("failed", INTERRUPTED),
        "unknown-owner": ("failed", INTERRUPTED),
    }


def test_an_interrupted_executions_late_end_is_ignored(tmp_path: Path) -> None:
    with Store(tmp_path / "emulator.sqlite") as store:
        _begin(store, "stopping")
        assert store.interrupt_running() == ["stopping"]

        store.finish_execution("stopping", status="succeeded", result={"late": True})

        record = store.get_execution("stopping")
        assert (record.status, record.error, record.result) == ("failed", INTERRUPTED, None)
