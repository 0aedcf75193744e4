"""Bad input from the client is answered the JSON-RPC way: an error with the request's id, never an "Error in
server" box, a hang or a traceback in the log (tracebacks are for bugs). Forwarded logs: warnings always, info
only with `debug`."""

from __future__ import annotations

import asyncio
import os
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.server.conftest import REPO, TIMEOUT, StartSession, uri
from tests.server.test_cli import frame, read_message


def _hermetic_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CNIKIT_CONFIG_FILE": str(tmp_path / "config.yml")}
    env["PRISM_CONFIG_FILE"] = str(tmp_path / "prism-config.yml")
    for name in ("DEBUG", "PRISM_ACCESS_TOKEN", "PRISM_REFRESH_TOKEN", "PRISMATIC_URL", "CNIKIT_KEYRING_PASSWORD"):
        env.pop(name, None)
    return env


def _raw(body: bytes) -> bytes:
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


async def test_raw_stdio_bad_messages_get_json_rpc_errors_and_no_traceback(tmp_path: Path) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        env=_hermetic_env(tmp_path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None and server.stderr is not None
    stdout = server.stdout
    received: list[dict[str, Any]] = []

    async def answer(match: dict[str, Any]) -> dict[str, Any]:
        # The next message with these fields; notifications met on the way are kept for later checks.
        while True:
            message = await asyncio.wait_for(read_message(stdout), TIMEOUT)
            received.append(message)
            if all(key in message and message[key] == value for key, value in match.items()):
                return message

    def send(message: dict[str, Any] | bytes) -> None:
        assert server.stdin is not None
        server.stdin.write(message if isinstance(message, bytes) else frame(message))

    init = {"processId": None, "rootUri": None, "capabilities": {}}
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init})
    await answer({"id": 1})
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    send(_raw(b'{"jsonrpc": "2.0", "id": 2, "method": '))  # cut short
    parse_error = await answer({"id": None})
    send(_raw(b"[1, 2]"))  # JSON, but no JSON-RPC message
    invalid_request = await answer({"id": None})
    hover = {"textDocument": {"uri": (tmp_path / "a.ts").as_uri()}}  # no position
    send({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": hover})
    invalid_params = await answer({"id": 3})
    change = {"textDocument": {"uri": (tmp_path / "never-opened.ts").as_uri(), "version": 2}, "contentChanges": []}
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": change})
    send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 1}})  # answered long ago
    send({"jsonrpc": "2.0", "id": 4, "method": "workspace/executeCommand", "params": {"command": "cnikit.server.me"}})
    not_logged_in = await answer({"id": 4})
    run = {"command": "cnikit.server.runLocally", "arguments": [{}]}
    send({"jsonrpc": "2.0", "id": 5, "method": "workspace/executeCommand", "params": run})
    missing_argument = await answer({"id": 5})
    send({"jsonrpc": "2.0", "id": 6, "method": "shutdown"})
    await answer({"id": 6})
    send({"jsonrpc": "2.0", "method": "exit"})
    assert await asyncio.wait_for(server.wait(), TIMEOUT) == 0
    log = (await server.stderr.read()).decode()

    assert parse_error["error"]["code"] == -32700
    assert invalid_request["error"]["code"] == -32600
    assert invalid_params["error"]["code"] == -32602
    assert "invalid params for textDocument/hover" in invalid_params["error"]["message"]
    assert "position" in invalid_params["error"]["message"]
    assert not_logged_in["error"]["code"] == int(types.LSPErrorCodes.RequestFailed)
    assert missing_argument["error"]["code"] == -32602
    assert "flow" in missing_argument["error"]["message"]
    boxes = [m for m in received if m.get("method") == "window/showMessage"]
    assert not [m for m in boxes if "Error in server" in m["params"]["message"]], boxes
    assert "Traceback" not in log, log
    assert "Cancel notification for unknown message id" not in log
    assert "never-opened.ts, which was never opened: ignored" in log


def _forwarded(session: Any, text: str) -> list[types.LogMessageParams]:
    return [m for m in session.client.log_messages if text in m.message]


@pytest.mark.parametrize("debug", [False, True])
async def test_malformed_requests_answer_minus_32602_and_logs_forward_by_level(
    start_session: StartSession, workspace: Any, debug: bool
) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root], init_options={"debug": debug})
    await session.analysed()
    index = root / "src" / "index.ts"

    # The client library cannot build a hover without a position: send the message as it is, await its answer.
    answered: Future[Any] = Future()
    session.client.protocol._request_futures["no-position"] = answered
    hover_without_position = {"textDocument": {"uri": uri(index)}}
    session.client.protocol._send_data(
        {"jsonrpc": "2.0", "id": "no-position", "method": types.TEXT_DOCUMENT_HOVER, "params": hover_without_position}
    )
    with pytest.raises(JsonRpcException) as raised:  # answered with the request's id, or this would time out
        await asyncio.wait_for(asyncio.wrap_future(answered), TIMEOUT)
    assert raised.value.code == -32602
    session.client.text_document_did_change(  # never opened
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(root / "nowhere.ts"), version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")],
        )
    )
    session.open(index)  # still serving: a real hover answers
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri(index)), position=types.Position(0, 0))
    )
    assert hover is None or isinstance(hover, types.Hover)

    assert _forwarded(session, "invalid params for textDocument/hover")[0].type == types.MessageType.Warning
    ignored = _forwarded(session, "which was never opened: ignored")
    assert bool(ignored) == debug  # info: only with debug
    assert not [m for m in session.client.messages if "Error in server" in m.message]


async def test_an_unusable_store_is_one_line_as_in_the_cli(start_session: StartSession, workspace: Any) -> None:
    root = workspace("lsp-diagnostics")
    store = root / ".spectral" / "local" / "emulator.sqlite"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(b"not a database, not even close" * 10)
    session = await start_session([root])

    with pytest.raises(JsonRpcException) as raised:
        await session.command("cnikit.server.listExecutions", {"project": str(root)})

    assert raised.value.code == int(types.LSPErrorCodes.RequestFailed)
    assert raised.value.message == (
        f"{store} is not a usable cnikit store (not an SQLite database): move it aside (with any emulator.sqlite-wal"
        " and emulator.sqlite-shm next to it) and cnikit starts a new one; nothing was changed"
    )
    assert store.read_bytes() == b"not a database, not even close" * 10
    # The watch for executions of other processes says it once, as a warning, and keeps the server quiet.
    said = await session.wait_for(
        types.WINDOW_LOG_MESSAGE, lambda: [m for m in session.client.log_messages if raised.value.message in m.message]
    )
    assert [m.type for m in said] == [types.MessageType.Warning]
    assert not [m for m in session.client.log_messages if "failed" in m.message]
