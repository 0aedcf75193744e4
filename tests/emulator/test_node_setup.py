"""An installed cnikit (no emulator/node/node_modules) installs its Node side on first use, from the lockfile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emulator import node_setup
from emulator.build import NODE_DIR


@pytest.fixture
def installed_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """emulator/node as a wheel ships it (manifests, no node_modules) and an empty user cache."""
    package = tmp_path / "site" / "node"
    package.mkdir(parents=True)
    for name in ("package.json", "package-lock.json", "runner.js"):
        shutil.copyfile(NODE_DIR / name, package / name)
    monkeypatch.setattr(node_setup, "NODE_DIR", package)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_source_tree_uses_its_own_install() -> None:
    assert node_setup.node_modules_dir() == NODE_DIR


def test_first_use_installs_esbuild_into_the_cache_once(installed_layout: Path) -> None:
    said: list[str] = []
    folder = node_setup.node_modules_dir(said.append)
    assert folder.parent == installed_layout / "cnikit"
    assert list((folder / "node_modules" / "@esbuild").glob("*/bin/esbuild"))
    assert said[0].startswith("installing the Node side of cnikit (esbuild, the runner's packages)")
    again: list[str] = []
    assert node_setup.node_modules_dir(again.append) == folder
    assert again == []


def test_an_old_node_is_refused_with_the_version_needed(
    installed_layout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "node"
    fake.write_text("#!/bin/sh\necho v18.19.0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(node_setup.NodeSetupError, match=r"Node v18.19.0 is too old: cnikit needs Node 20\+"):
        node_setup.node_modules_dir()
    assert not (installed_layout / "cnikit").exists() or not any((installed_layout / "cnikit").iterdir())


def test_workers_of_an_installed_cnikit_find_the_runners_packages_in_the_cache(
    installed_layout: Path, tmp_path: Path
) -> None:
    import subprocess

    from emulator.runner import node_binary, worker_environment

    env = worker_environment()
    cached = node_setup.node_modules_dir() / "node_modules"
    assert env["NODE_PATH"].split(":")[0] == str(cached)
    elsewhere = tmp_path / "elsewhere"  # no node_modules here or above: only NODE_PATH can resolve it
    elsewhere.mkdir()
    probe = "require('@mswjs/interceptors/ClientRequest'); console.log('found')"
    done = subprocess.run([node_binary(), "-e", probe], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "found", done.stderr
