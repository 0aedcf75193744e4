"""Fixtures shared by every test area. Keep this minimal and generic; area fixtures go in area conftest files."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest

from tests.fakes.keyring import MemoryKeyring

if TYPE_CHECKING:
    from tests.fakes.prismatic import FakePrismatic

REPO = Path(__file__).resolve().parents[1]
# What running tests may create: interpreter, tool and npm caches, and pytest-textual-snapshot's failure report.
# `dist/` too, for now: the built-definition tests (tests/cnikit/test_definition_built.py) still run the projects'
# own `npm run build` in tests/fixtures/definition-* and examples/todo-sync (their `dist/` is gitignored).
CACHES = {"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", "node_modules", "dist"}
REPORTS = {"snapshot_report.html"}


def tree_changes(repo: Path = REPO) -> dict[str, str] | None:
    """What `git status` shows in the working tree, path → fingerprint (None outside a git checkout).

    Ignored paths count too (a build in a fixture's `.spectral/local/` is ignored, yet it is a test writing into the
    repository), except caches; a changed or untracked file is fingerprinted by its content, so a file that was
    already dirty and changes again is noticed as well.
    """
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--ignored", "-z"], cwd=repo, capture_output=True, check=True
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return None
    changes: dict[str, str] = {}
    entries = iter(out.split("\0")[:-1])
    for entry in entries:
        status, path = entry[:2], entry[3:]
        if status[0] in "RC":  # a rename or copy is followed by its source path
            next(entries, None)
        if CACHES & set(Path(path).parts) or Path(path).name in REPORTS:
            continue
        file = repo / path
        content = file.read_bytes() if file.is_file() and status != "!!" else b""
        changes[path] = f"{status}:{hashlib.sha256(content).hexdigest()}"
    return changes


@pytest.fixture(scope="session", autouse=True)
def tree_left_clean() -> Iterator[None]:
    """Fail the session when tests leave new or changed files in the repository: tests write into temporary
    copies (see tests/tui/conftest.py `copy_project`), never into tests/fixtures or examples."""
    before = tree_changes()
    yield
    after = tree_changes()
    if before is not None and after is not None:
        left = sorted(path for path, mark in after.items() if before.get(path) != mark)
        assert not left, f"files changed in the repository while tests ran (a test, or an editor): {', '.join(left)}"


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
