"""Fixtures shared by every test area. Keep this minimal and generic; area fixtures go in area conftest files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import keyring
import pytest

from tests.fakes.keyring import MemoryKeyring

if TYPE_CHECKING:
    from tests.fakes.prismatic import FakePrismatic


@pytest.fixture
def memory_keyring(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MemoryKeyring]:
    """Secrets go to a fresh in-memory keyring for the test; the environment cannot redirect them elsewhere."""
    for var in ("PYTHON_KEYRING_BACKEND", "CNIKIT_KEYRING_PASSWORD", "CNIKIT_KEYRING_FILE"):
        monkeypatch.delenv(var, raising=False)
    # A developer's own keyringrc.cfg (an explicit keyring choice) must not apply either.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def fake() -> Iterator[FakePrismatic]:
    """A fake Prismatic stack listening on 127.0.0.1 (platform, server and TUI tests)."""
    from tests.fakes.prismatic import FakePrismatic, ServerThread  # uvicorn: only for the tests that use it

    stack = FakePrismatic()
    server = ServerThread(stack.app)
    stack.url = server.url
    server.start()
    try:
        yield stack
    finally:
        server.stop()
