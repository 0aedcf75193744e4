"""Log lines reach the store while the execution runs (in small batches), so another process can follow them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from emulator.executor import ExecutionOutcome, Executor, TriggerRequest
from emulator.store import Store

ExecutorFor = Callable[..., Executor]


class Gate:
    """An HTTP endpoint the flow waits on until the test releases it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gate.release.wait(timeout=30)
                body = b"go"
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/go"


@pytest.fixture
def gate() -> Iterator[Gate]:
    gate = Gate()
    thread = threading.Thread(target=gate.server.serve_forever, daemon=True)
    thread.start()
    yield gate
    gate.release.set()
    gate.server.shutdown()
    gate.server.server_close()


def start(executor: Executor, gate: Gate, lines: int) -> tuple[threading.Thread, list[ExecutionOutcome]]:
    body = json.dumps({"release": gate.url, "lines": lines}).encode()
    outcomes: list[ExecutionOutcome] = []
    thread = threading.Thread(target=lambda: outcomes.append(executor.run("Waiter", TriggerRequest.from_body(body))))
    thread.start()
    return thread, outcomes


def written_when(
    executor: Executor, predicate: Callable[[list[str]], bool], batches: list[int] | None = None
) -> threading.Event:
    """An event set once the lines written early to the store satisfy `predicate` (batch sizes go to `batches`)."""
    event = threading.Event()
    written: list[str] = []
    append = executor.store.append_logs

    def spy(execution_id: str, logs: list[tuple[str, str, str | None, str]]) -> None:
        append(execution_id, logs)
        if batches is not None:
            batches.append(len(logs))
        written.extend(message for _ts, _sev, _step, message in logs)
        if predicate(written):
            event.set()

    executor.store.append_logs = spy  # type: ignore[method-assign]
    return event


def test_another_process_follows_the_logs_of_a_running_execution(executor_for: ExecutorFor, gate: Gate) -> None:
    executor = executor_for("emu-live-logs")
    waiting = written_when(executor, lambda lines: "waiting for the release" in lines)

    thread, outcomes = start(executor, gate, lines=3)
    assert waiting.wait(timeout=30), "the lines before the wait never reached the store"

    with Store(executor.store.path) as other:  # its own connection, as another process has
        running = other.list_executions()[0]
        assert running.status == "running"
        seen = [log.message for log in other.logs(running.id)]
        assert seen[-4:] == ["line 1", "line 2", "line 3", "waiting for the release"]
        gate.release.set()
        thread.join(timeout=30)
        assert outcomes and outcomes[0].succeeded, outcomes and outcomes[0].error
        final = [log.message for log in other.logs(running.id)]
    # Every line exactly once, in order: the early batches and the rest written at the end.
    assert final == [line.message for line in outcomes[0].logs]
    assert "released: go" in final and final[-1].startswith("Ending Instance")


def test_a_burst_of_lines_is_written_in_batches(executor_for: ExecutorFor, gate: Gate) -> None:
    executor = executor_for("emu-live-logs")
    batches: list[int] = []
    waiting = written_when(executor, lambda lines: "waiting for the release" in lines, batches)

    thread, outcomes = start(executor, gate, lines=1000)
    assert waiting.wait(timeout=30)
    with Store(executor.store.path) as other:
        running = other.list_executions()[0]
        assert len(other.logs(running.id)) >= 1001  # all of it, while the flow still waits
    assert len(batches) >= 10 and max(batches) <= 100  # in batches of at most 100 lines, not one by one
    gate.release.set()
    thread.join(timeout=30)
    assert outcomes[0].succeeded
    messages = [log.message for log in executor.store.logs(outcomes[0].execution_id)]
    assert messages == [line.message for line in outcomes[0].logs]
    assert len(messages) == len(set(messages))  # nothing written twice
