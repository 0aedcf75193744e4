"""Outbound HTTP recorded to a cassette, then replayed offline; replay of a stored execution."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from cnikit.cli import app
from emulator.executor import Executor, TriggerRequest
from emulator.httpmock import CassetteError, cassette_path

ExecutorFor = Callable[..., Executor]


class _Echo(BaseHTTPRequestHandler):
    calls: ClassVar[list[str]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        _Echo.calls.append(f"{self.command} {self.path}")
        # `ok` is what Slack's Web API answers on success (its SDK checks it).
        out = json.dumps({"ok": True, "path": self.path, "method": self.command, "body": body}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[ThreadingHTTPServer]:
    """A real HTTP service on 127.0.0.1 that echoes what it receives."""
    _Echo.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _request(base: str) -> TriggerRequest:
    return TriggerRequest.from_body(json.dumps({"base": base}).encode())


def test_record_then_replay_gives_the_same_result_without_the_network(
    executor_for: ExecutorFor, service: ThreadingHTTPServer
) -> None:
    executor = executor_for("emu-http")
    base = f"http://127.0.0.1:{service.server_address[1]}"

    recorded = executor.run("Fetch All", _request(base), http="record")
    assert recorded.succeeded, recorded.error
    assert recorded.result["data"]["viaFetch"] == {"ok": True, "path": "/fetch", "method": "POST", "body": '{"q":1}'}
    assert recorded.result["data"]["viaAxios"]["path"] == "/axios?page=2"
    assert _Echo.calls == ["POST /fetch", "GET /http", "GET /axios?page=2"]
    cassette = json.loads(cassette_path(executor.root, "fetch-all").read_text())
    assert [e["client"] for e in cassette["exchanges"]] == ["fetch", "http", "http"]

    service.shutdown()  # offline from here on
    service.server_close()
    replayed = executor.run("Fetch All", _request(base), http="replay")

    assert replayed.succeeded, replayed.error
    assert replayed.result == recorded.result
    assert len(_Echo.calls) == 3

    again = executor.replay(recorded.execution_id)  # the stored execution: same request, same cassette
    assert again.succeeded, again.error
    assert again.result == recorded.result
    assert again.replay_of == recorded.execution_id
    assert [r.id for r in executor.store.replays_of(recorded.execution_id)] == [again.execution_id]


@pytest.mark.parametrize(
    ("flow", "path", "body", "client"),
    [
        ("Spectral Client", "/axios", '{"n":1}', "http"),
        ("Global Fetch", "/fetch", '{"n":1}', "fetch"),
        ("Node Fetch", "/node-fetch", '{"n":1}', "http"),
        ("Got", "/got", '{"n":1}', "http"),
        ("Slack Web API", "/slack/chat.postMessage", "channel=C1&text=hi", "http"),
    ],
)
def test_every_client_integrations_use_records_and_replays_offline(
    executor_for: ExecutorFor, service: ThreadingHTTPServer, flow: str, path: str, body: str, client: str
) -> None:
    executor = executor_for("emu-http-clients")
    base = f"http://127.0.0.1:{service.server_address[1]}"

    recorded = executor.run(flow, _request(base), http="record")
    assert recorded.succeeded, recorded.error
    assert {k: recorded.result["data"][k] for k in ("path", "method", "body")} == {
        "path": path,
        "method": "POST",
        "body": body,
    }
    stable_key = flow.lower().replace(" ", "-")
    cassette = json.loads(cassette_path(executor.root, stable_key).read_text())
    assert [(e["client"], e["request"]["url"]) for e in cassette["exchanges"]] == [(client, base + path)]
    assert "fixture-token" not in json.dumps(cassette)  # the credential header is masked on disk

    service.shutdown()  # offline from here on
    service.server_close()
    replayed = executor.run(flow, _request(base), http="replay")

    assert replayed.succeeded, replayed.error
    assert replayed.result == recorded.result
    assert _Echo.calls == [f"POST {path}"]


def test_replay_fails_clearly_on_a_request_the_cassette_does_not_have(
    executor_for: ExecutorFor, service: ThreadingHTTPServer
) -> None:
    executor = executor_for("emu-http")
    base = f"http://127.0.0.1:{service.server_address[1]}"
    executor.run("Fetch All", _request(base), http="record")

    outcome = executor.run("Fetch All", _request("http://127.0.0.1:9"), http="replay")

    assert not outcome.succeeded
    assert "has no recorded response for POST http://127.0.0.1:9/fetch" in (outcome.error or "")
    assert "--http record" in (outcome.error or "")


def test_replay_without_a_cassette_is_refused_before_anything_runs(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-http")

    with pytest.raises(CassetteError, match="run the flow once with --http record"):
        executor.run("Fetch All", _request("http://127.0.0.1:9"), http="replay")
    assert executor.store.count_executions() == 0


def test_replay_of_a_stored_execution_gives_the_same_result(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-custom-trigger")
    original = executor.run("Challenge Echo", TriggerRequest.from_body(b'{"challenge": "r", "event": "again"}'))

    replayed = executor.replay(str(executor.store.get_execution(original.execution_id).seq))

    assert replayed.result == original.result
    assert (
        replayed.http_response()
        == original.http_response()
        == {
            "statusCode": 202,
            "contentType": "text/plain",
            "body": "challenge:r",
        }
    )
    assert executor.store.get_execution(replayed.execution_id).replay_of == original.execution_id


def test_a_recording_that_records_nothing_keeps_the_previous_cassette(
    project: Callable[[str], Path], service: ThreadingHTTPServer
) -> None:
    root = project("emu-http")
    base = f"http://127.0.0.1:{service.server_address[1]}"
    first = CliRunner().invoke(
        app,
        ["run", str(root), "--flow", "Fetch All", "--payload", "-", "--http", "record"],
        input=json.dumps({"base": base}),
    )
    assert first.exit_code == 0, first.output
    cassette = cassette_path(root, "fetch-all")
    recorded = cassette.read_text()

    # Nothing answers on port 9: the run fails before any exchange.
    failed = CliRunner().invoke(
        app,
        ["run", str(root), "--flow", "Fetch All", "--payload", "-", "--http", "record"],
        input=json.dumps({"base": "http://127.0.0.1:9"}),
    )

    assert failed.exit_code == 1, failed.output
    assert cassette.read_text() == recorded
    assert f"Nothing was recorded; kept the previous cassette {cassette} and its 3 exchanges" in failed.output
