"""docs/editors.md: the server started the way the Neovim snippets start it (`cnikit lsp` over stdio, the project
folder holding `.spectral/` as root) answers a plain LSP client: a raw JSON-RPC exchange, no pygls on this side."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.server.conftest import TIMEOUT

CNIKIT = Path(sys.executable).with_name("cnikit")


class StdioClient:
    """Content-Length framed JSON-RPC over a child's stdin/stdout, as every editor's LSP client speaks it."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        assert process.stdout is not None
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            headers: dict[str, str] = {}
            while (line := stream.readline().decode().strip()) != "":
                name, _, value = line.partition(":")
                headers[name.lower()] = value.strip()
            if "content-length" not in headers:
                return  # end of stream
            self.inbox.put(json.loads(stream.read(int(headers["content-length"]))))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def wait_for(self, accept: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first message `accept` takes; answers the server's own requests (configuration …) on the way."""
        while True:
            message = self.inbox.get(timeout=TIMEOUT)
            if "method" in message and "id" in message:  # a request from the server: a minimal client's answer
                result: Any = (
                    [{}] * len(message["params"]["items"]) if message["method"] == "workspace/configuration" else None
                )
                self.send({"id": message["id"], "result": result})
                continue
            if accept(message):
                return message

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        request_id = self.next_id
        self.send({"id": request_id, "method": method, "params": params})
        answer = self.wait_for(lambda m: m.get("id") == request_id and "method" not in m)
        assert "error" not in answer, answer
        return answer["result"]


@pytest.fixture
def neovim_started(workspace) -> Iterator[tuple[StdioClient, Path]]:
    """`cmd = { "cnikit", "lsp" }`, `root_dir` = the folder holding `.spectral/`, as in docs/editors.md."""
    root = workspace("lsp-run-locally")
    process = subprocess.Popen([str(CNIKIT), "lsp"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    client = StdioClient(process)
    try:
        yield client, root
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_plain_stdio_client_gets_diagnostics_completion_and_hover(neovim_started) -> None:
    client, root = neovim_started
    uri = root.as_uri()
    init = client.request(
        "initialize",
        {
            "processId": None,
            "rootUri": uri,
            "workspaceFolders": [{"uri": uri, "name": root.name}],
            "capabilities": {"textDocument": {"publishDiagnostics": {}}},
            "initializationOptions": {"severityOverrides": {}},
        },
    )
    assert init["serverInfo"]["name"] == "cnikit"
    assert init["capabilities"]["completionProvider"] and init["capabilities"]["hoverProvider"]
    client.notify("initialized", {})

    source = root / "src" / "index.ts"
    text = source.read_text().replace('configVars["Greeting"]', 'configVars["Nope"]', 1)
    doc = {"uri": source.as_uri(), "languageId": "typescript", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": doc})
    published = client.wait_for(
        lambda m: (
            m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == source.as_uri()
            and any(d.get("code") == "CNI701" for d in m["params"]["diagnostics"])
        )
    )
    bad = next(d for d in published["params"]["diagnostics"] if d["code"] == "CNI701")
    assert bad["source"] == "cnikit" and "Nope" in bad["message"]

    line = next(n for n, content in enumerate(text.splitlines()) if 'configVars["Nope"]' in content)
    column = text.splitlines()[line].index('configVars["') + len('configVars["')
    completion = client.request(
        "textDocument/completion",
        {"textDocument": {"uri": source.as_uri()}, "position": {"line": line, "character": column}},
    )
    items = completion["items"] if isinstance(completion, dict) else completion
    assert "Greeting" in [item["label"] for item in items]

    hover_line = next(n for n, content in enumerate(text.splitlines()) if "Greeting: configVar(" in content)
    hover = client.request(
        "textDocument/hover",
        {
            "textDocument": {"uri": source.as_uri()},
            "position": {"line": hover_line, "character": text.splitlines()[hover_line].index("Greeting") + 2},
        },
    )
    assert hover is not None and "Greeting" in json.dumps(hover["contents"])

    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.process.wait(timeout=TIMEOUT) == 0
