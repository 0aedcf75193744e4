"""Emulator test fixtures: each test gets its own temporary copy of a fixture project, already built.

Each fixture project is built once per session (esbuild, vendor bundle included) into a cache; tests copy that
(the build is content-hashed, so the copy is not rebuilt) and get their own `.spectral/local/` — state, store and
instance never leak between tests. The copies resolve npm packages through a symlink to the fixtures' one Node
install.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from emulator.build import build
from emulator.executor import Executor

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _copy(source: Path, target: Path) -> Path:
    # A developer may have run the fixture by hand: never carry its store or instance along.
    shutil.copytree(
        source, target, symlinks=True, ignore=shutil.ignore_patterns("emulator.sqlite*", "instance.json", "mocks")
    )
    return target


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """`built_fixture("emu-state")` → a built copy of that fixture, shared by the session (do not modify it)."""
    cache = tmp_path_factory.mktemp("emu-built")
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            target = cache / name
            shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("local"))
            (target / "node_modules").symlink_to(FIXTURES / "node_modules")
            build(target)
            done[name] = target
        return done[name]

    return get


@pytest.fixture
def project(built_fixture: Callable[[str], Path], tmp_path: Path) -> Callable[[str], Path]:
    """`project("emu-state")` → this test's own built copy of the fixture."""
    return lambda name: _copy(built_fixture(name), tmp_path / name)


@pytest.fixture
def executor_for(project: Callable[[str], Path]) -> Iterator[Callable[..., Executor]]:
    """`executor_for("emu-state", **options)` → a prepared `Executor` on a fresh copy; closed after the test."""
    executors: list[Executor] = []

    def make(name: str, **options: Any) -> Executor:
        executor = Executor(project(name), **options)
        executors.append(executor)
        executor.prepare()
        return executor

    yield make
    for executor in executors:
        executor.close()


class _KeyService(BaseHTTPRequestHandler):
    """Answers with both keys it was sent, and sets a session cookie holding one of them."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        query = parse_qs(urlsplit(self.path).query)
        out = json.dumps({"echoed": f"{query['key'][0]}|{body['key']}"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("set-cookie", f"session={body['key']}; HttpOnly")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def key_service() -> Iterator[str]:
    """A real HTTP service on 127.0.0.1; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeyService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
