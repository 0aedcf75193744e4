"""Finding CNI projects (a folder holding `.spectral/`) and the paths inside one.

Discovery works like the official extension's `findSpectralDirectories` (official-tooling.md A.5): a plain
directory walk up to `max_depth` levels (entries of the root are depth 0) that ignores `.gitignore` on purpose
(`.spectral/` is often gitignored), skips `node_modules`, `dist`, `.git` and `.vscode`, never descends into a
`.spectral` folder, swallows permission errors, and returns every project found (monorepos, multi-root).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

SPECTRAL_DIR = ".spectral"
FLOWS_DIR = "flows"
PAYLOADS_DIR = "payloads"
LOCAL_DIR = "local"
SKIPPED_DIRS = frozenset({"node_modules", "dist", ".git", ".vscode"})


def is_project(path: Path) -> bool:
    """True when `path` is a folder holding a `.spectral/` folder."""
    return (path / SPECTRAL_DIR).is_dir()


def find_projects(root: Path, max_depth: int = 5) -> list[Path]:
    """Every CNI project at or below `root`, sorted; the root itself counts when it holds `.spectral/`."""
    return sorted(set(walk_projects(root, max_depth)))


def walk_projects(
    root: Path,
    max_depth: int = 5,
    *,
    skip: Callable[[Path], bool] | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> Iterator[Path]:
    """The CNI projects at or below `root` as the walk finds them (a caller may stop early). `skip(folder)` leaves
    a folder out (besides `SKIPPED_DIRS`); the walk ends as soon as `keep_going()` is False."""

    def walk(folder: Path, depth: int) -> Iterator[Path]:
        if depth > max_depth or (keep_going is not None and not keep_going()):
            return
        try:
            with os.scandir(folder) as entries:
                subdirs = [entry for entry in entries if entry.is_dir(follow_symlinks=False)]
        except OSError:
            return  # unreadable folder: skip it, like the extension does
        subdirs.sort(key=lambda e: e.name)
        if any(entry.name == SPECTRAL_DIR for entry in subdirs):
            yield folder
        for entry in subdirs:
            path = Path(entry.path)
            if entry.name not in SKIPPED_DIRS and entry.name != SPECTRAL_DIR and not (skip and skip(path)):
                yield from walk(path, depth + 1)

    yield from walk(root.resolve(), 0)


def find_project_root(path: Path) -> Path | None:
    """The nearest folder at or above `path` (a file or folder) that holds `.spectral/`, or None."""
    path = path.resolve()
    for folder in (path, *path.parents):
        if is_project(folder):
            return folder
    return None


def spectral_dir(root: Path) -> Path:
    """`<root>/.spectral`."""
    return root / SPECTRAL_DIR


def flows_dir(root: Path) -> Path:
    """`<root>/.spectral/flows`: per-flow folders named by stable key (shared with the official extension)."""
    return root / SPECTRAL_DIR / FLOWS_DIR


def payloads_dir(root: Path, stable_key: str) -> Path:
    """`<root>/.spectral/flows/<stableKey>/payloads`."""
    return flows_dir(root) / stable_key / PAYLOADS_DIR


def local_dir(root: Path, *, create: bool = False) -> Path:
    """`<root>/.spectral/local`: cnikit's own state. Created on request with a `.gitignore` of `*`."""
    path = root / SPECTRAL_DIR / LOCAL_DIR
    if create:
        path.mkdir(parents=True, exist_ok=True)
        gitignore = path / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n", encoding="utf-8")
    return path


def entry_file(root: Path) -> Path:
    """`<root>/src/index.ts`, the integration's entry point."""
    return root / "src" / "index.ts"
