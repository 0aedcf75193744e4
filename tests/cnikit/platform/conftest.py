"""Fixtures of the platform tests: a running fake Prismatic stack, an isolated environment, a scripted browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cnikit.platform.auth import clear_discovery_cache
from tests.fakes.browser import Browser
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic, ServerThread


@pytest.fixture
def fake() -> Iterator[FakePrismatic]:
    """A fake Prismatic stack listening on 127.0.0.1."""
    stack = FakePrismatic()
    server = ServerThread(stack.app)
    stack.url = server.url
    server.start()
    try:
        yield stack
    finally:
        server.stop()


@pytest.fixture
def env(
    fake: FakePrismatic, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> MemoryKeyring:
    """PRISMATIC_URL points at the fake; settings and prism files live in tmp_path; no token in the environment."""
    for var in (
        "PRISM_ACCESS_TOKEN",
        "PRISM_REFRESH_TOKEN",
        "PRISMATIC_TENANT_ID",
        "PRISM_PROFILE",
        "CNIKIT_PROFILE",
        "CNIKIT_PRISM_PATH",
        "DEBUG",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PRISMATIC_URL", fake.url)
    monkeypatch.setenv("CNIKIT_CONFIG_FILE", str(tmp_path / "cnikit-config.yml"))
    monkeypatch.setenv("PRISM_CONFIG_FILE", str(tmp_path / "prism-config.yml"))
    clear_discovery_cache()
    return memory_keyring


@pytest.fixture
def browser() -> Browser:
    """A scripted browser for `PrismaticClient.login`."""
    return Browser()
