"""`cnikit lsp`: the real command, on stdio (what editors start) and on TCP (for debugging)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
from pathlib import Path

from lsprotocol import types

from tests.server.conftest import StartSession

CNIKIT = shutil.which("cnikit", path=str(Path(sys.executable).parent)) or "cnikit"


async def test_cnikit_lsp_on_stdio_publishes_diagnostics(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root], server_command=[CNIKIT, "lsp"])
    found = await session.diagnostics(root / "src" / "index.ts", lambda ds: len(ds) == 2)
    assert sorted(str(d.code) for d in found) == ["CNI701", "CNI702"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


async def read_message(reader: asyncio.StreamReader) -> dict[str, object]:
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(await reader.readexactly(length))


async def test_cnikit_lsp_on_tcp_answers_initialize(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ}
    env.pop("DEBUG", None)
    server = await asyncio.create_subprocess_exec(
        CNIKIT, "lsp", "--tcp", str(port), env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert server.stderr is not None
        while b"Serving on" not in (line := await asyncio.wait_for(server.stderr.readline(), 20)):
            assert line, "the server exited before listening"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        params = {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}
        writer.write(frame({"jsonrpc": "2.0", "id": 1, "method": types.INITIALIZE, "params": params}))
        await writer.drain()
        while (answer := await asyncio.wait_for(read_message(reader), 20)).get("id") != 1:
            pass
        result = answer["result"]
        assert isinstance(result, dict)
        assert result["serverInfo"]["name"] == "cnikit"
        commands = result["capabilities"]["executeCommandProvider"]["commands"]
        assert "cnikit.server.runLocally" in commands and "cnikit.server.login" in commands
        writer.close()
    finally:
        server.terminate()
        await server.wait()
