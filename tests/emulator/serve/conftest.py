"""`cnikit serve` tests: a real server on 127.0.0.1 (port 0) over a fresh built copy of a fixture, driven by httpx.

`serve("serve-webhooks")` starts it with a frozen clock at `CLOCK_START` (schedules fire only when the test moves
the clock) and returns a `Served` handle: `url`, `client`, `flows` (name → URL), `wait(execution_id)`; `admin(…)`
sends the project's local token on state-changing calls, as the CLI does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from cnikit.local_token import read_token
from emulator.serve import Server
from emulator.serve.clock import Clock
from emulator.serve.runtime import RuntimeEvent

CLOCK_START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # a Thursday in winter (Chicago is UTC-6)


@dataclass
class Served:
    """A running server and a client for it."""

    server: Server
    root: Path
    client: httpx.Client
    events: list[RuntimeEvent] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def flows(self) -> dict[str, str]:
        """Flow name → its webhook URL, from the admin API."""
        answer = self.client.get(f"{self.url}/__cnikit/flows").json()
        return {flow["name"]: flow["url"] for flow in answer["flows"]}

    @property
    def auth(self) -> dict[str, str]:
        """The header state-changing admin calls need: the project's local token."""
        return {"Authorization": f"Bearer {read_token(self.root)}"}

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = self.auth if method != "GET" else {}
        response = self.client.request(method, f"{self.url}/__cnikit/{path}", headers=headers, **kwargs)
        assert response.status_code < 400, response.text
        return response.json()

    def wait(self, execution_id: str, seconds: float = 20) -> dict[str, Any]:
        """The execution once it has finished (fails the test if it has not within `seconds`)."""
        record = self.admin("GET", f"executions/{execution_id}", params={"wait": seconds})
        assert record["status"] in ("succeeded", "failed"), record
        return record

    def advance(self, duration: str) -> dict[str, Any]:
        return self.admin("POST", "clock", json={"advance": duration})


class Gate:
    """A local HTTP endpoint that holds every request until `release()`: keeps an execution in flight."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.go = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gate.arrived.set()
                gate.go.wait(30)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/release"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.go.set()
        self.server.shutdown()


@pytest.fixture
def serve(project: Callable[[str], Path]) -> Iterator[Callable[..., Served]]:
    """`serve(fixture_name, **server_options)` → a `Served` on a fresh copy; stopped after the test."""
    running: list[Served] = []

    def start(name: str, **options: Any) -> Served:
        root = project(name)
        options.setdefault("clock", Clock(CLOCK_START, frozen=True))
        events: list[RuntimeEvent] = []
        server = Server(root, port=0, on_event=events.append, **options)
        server.start()
        served = Served(server, root, httpx.Client(timeout=30), events)
        running.append(served)
        return served

    yield start
    for served in running:
        served.client.close()
        served.server.stop()
