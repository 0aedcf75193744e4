"""Emulator test fixtures: each test gets its own temporary copy of a fixture project, already built.

Each fixture project is built once per session (esbuild, vendor bundle included) into a cache; tests copy that
(the build is content-hashed, so the copy is not rebuilt) and get their own `.spectral/local/` — state, store and
instance never leak between tests. The copies resolve npm packages through a symlink to the fixtures' one Node
install.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
