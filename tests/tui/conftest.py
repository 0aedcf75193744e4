"""Fixtures of the TUI tests: fixture projects copied to a temporary folder, a frozen clock, the app."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cnikit.platform.auth import clear_discovery_cache
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic
from tests.tui.seed import NOW
from tui.app import CnikitApp
from tui.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def copy_project(tmp_path: Path) -> Callable[[str], Path]:
    """Copy `tests/fixtures/<name>` to a temporary folder (its builds and instance.json land there, not in the
    repository); packages resolve from the shared fixture node_modules through a link next to it."""

    def copy(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(FIXTURES / name, root, ignore=_generated)
        link = tmp_path / "node_modules"
        if not link.exists():
            os.symlink(FIXTURES / "node_modules", link)
        return root

    return copy


def _generated(folder: str, names: list[str]) -> set[str]:
    """Leave out what builds and runs produce: `dist/` and `.spectral/local/`."""
    skipped = {"dist"} & set(names)
    if Path(folder).name == ".spectral" and "local" in names:
        skipped.add("local")
    return skipped


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    """A project folder with nothing recorded yet."""
    root = tmp_path / "empty"
    (root / ".spectral").mkdir(parents=True)
    return root


@pytest.fixture
def stack(
    fake: FakePrismatic, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> FakePrismatic:
    """The fake stack with a second tenant; the environment points at it, and no developer's login or config can
    leak in."""
    fake.tenants.append({"tenantId": "tenant-globex", "url": "", "orgName": "Globex", "awsRegion": "eu-west-1"})
    for var in ("PRISM_ACCESS_TOKEN", "PRISM_REFRESH_TOKEN", "PRISMATIC_TENANT_ID", "PRISM_PROFILE", "CNIKIT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PRISMATIC_URL", fake.url)
    monkeypatch.setenv("CNIKIT_CONFIG_FILE", str(tmp_path / "cnikit-config.yml"))
    monkeypatch.setenv("PRISM_CONFIG_FILE", str(tmp_path / "prism-config.yml"))
    clear_discovery_cache()
    return fake


def make_app(root: Path, screen: str = "results") -> CnikitApp:
    """The app on `root` with the clock frozen at `seed.NOW` (relative times are deterministic)."""
    return CnikitApp(Workspace(root), screen=screen, now=lambda: NOW)


SNAPSHOT_PYTHON = (3, 11)  # snapshots render slightly differently across Python/Textual versions: one baseline


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to rewrite snapshots on another Python than the baseline's (harlequin's guard)."""
    if config.getoption("--snapshot-update", default=False) and sys.version_info[:2] != SNAPSHOT_PYTHON:
        raise pytest.UsageError(
            f"Update TUI snapshots with Python {'.'.join(map(str, SNAPSHOT_PYTHON))}, "
            f"not {sys.version_info.major}.{sys.version_info.minor}: the baselines were drawn there."
        )
