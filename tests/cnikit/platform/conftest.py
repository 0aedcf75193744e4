"""Fixtures of the platform tests: an isolated environment around the fake stack (`fake`, tests/conftest.py), a
scripted browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnikit.platform.auth import clear_discovery_cache
from tests.fakes.browser import Browser
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic


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
