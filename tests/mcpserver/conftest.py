"""MCP server fixtures: a built copy of the assistant fixture per test, and the server's client (the Python SDK's
own `Client`, connected in-process)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp.client import Client

from cnikit.platform.auth import clear_discovery_cache
from emulator.build import build
from mcpserver.server import build_server
from tests.fakes.keyring import MemoryKeyring

FIXTURES = Path(__file__).parents[1] / "fixtures"


PLATFORM_VARIABLES = (
    "PRISMATIC_URL",
    "PRISM_ACCESS_TOKEN",
    "PRISM_REFRESH_TOKEN",
    "PRISMATIC_TENANT_ID",
    "PRISM_PROFILE",
)


@pytest.fixture(autouse=True)
def logged_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, memory_keyring: MemoryKeyring) -> MemoryKeyring:
    """No Prismatic login reaches the tests (the developer's own would add the cloud tools): settings files in
    tmp_path, tokens in a fresh in-memory keyring, none in the environment."""
    for var in (*PLATFORM_VARIABLES, "CNIKIT_PROFILE", "CNIKIT_PRISM_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CNIKIT_CONFIG_FILE", str(tmp_path / "cnikit-config.yml"))
    monkeypatch.setenv("PRISM_CONFIG_FILE", str(tmp_path / "prism-config.yml"))
    clear_discovery_cache()
    return memory_keyring


@pytest.fixture(scope="session")
def built_assistant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `mcp-assistant` fixture, built once for the session (tests copy it; never modify this one)."""
    target = tmp_path_factory.mktemp("mcp-built") / "mcp-assistant"
    shutil.copytree(FIXTURES / "mcp-assistant", target)
    (target / "node_modules").symlink_to(FIXTURES / "node_modules")
    build(target)
    return target


@pytest.fixture
def project(built_assistant: Path, tmp_path: Path) -> Path:
    """This test's own built copy of the assistant fixture (own store, state and instance)."""
    return Path(shutil.copytree(built_assistant, tmp_path / "mcp-assistant", symlinks=True))


@asynccontextmanager
async def served(project: Path) -> AsyncIterator[Client]:
    """The Python SDK's client on the project's MCP server, in-process (a context manager, not a fixture: the
    SDK's task group must be left in the task that entered it)."""
    server, opened = build_server(project)
    try:
        async with Client(server) as connected:
            yield connected
    finally:
        opened.close()
