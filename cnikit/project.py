"""Finding CNI projects (a folder holding `.spectral/`) and the paths inside one.

Discovery works like the official extension's `findSpectralDirectories` (official-tooling.md A.5): a plain
directory walk up to `max_depth` levels (entries of the root are depth 0) that ignores `.gitignore` on purpose
(`.spectral/` is often gitignored), skips `node_modules`, `dist`, `.git` and `.vscode`, never descends into a
`.spectral` folder, swallows permission errors, and returns every project found (monorepos, multi-root).

The `.spectral/` rule stays strict; when it finds nothing, `not_found_message` is the one error every command
prints, and it recognises a folder that *is* a CNI project but was never marked (`src/index.ts` and a
`@prismatic-io/spectral` dependency, no `.spectral/`): that error says so and how to mark it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from cnikit.private_files import private_dir, write_private

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


def unmarked_project(path: Path) -> Path | None:
    """The nearest folder at or above `path` that looks like a CNI project but has no `.spectral/`, or None.

    Looks like one: `src/index.ts` and `@prismatic-io/spectral` among the dependencies of its `package.json`.
    """
    path = path.resolve()
    for folder in (path, *path.parents):
        if is_project(folder):
            return None
        if entry_file(folder).is_file() and _depends_on_spectral(folder / "package.json"):
            return folder
    return None


def _depends_on_spectral(package_json: Path) -> bool:
    try:
        manifest = json.loads(package_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict):
        return False
    sections = (manifest.get(key) for key in ("dependencies", "devDependencies", "peerDependencies"))
    return any(isinstance(deps, dict) and "@prismatic-io/spectral" in deps for deps in sections)


def not_found_message(path: Path) -> str:
    """Why no CNI project was found at or above `path`, and what to do: the one wording every command uses."""
    start = path.resolve()
    unmarked = unmarked_project(start)
    if unmarked is not None:
        return (
            f"{unmarked} has src/index.ts and a @prismatic-io/spectral dependency but no {SPECTRAL_DIR}/ folder, "
            f"which is what marks a CNI project: mark it with `mkdir {unmarked / SPECTRAL_DIR}`"
        )
    return (
        f"No CNI project at or above {start}: expected a folder holding {SPECTRAL_DIR}/ (start one with `cnikit init`)"
    )


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
    """`<root>/.spectral/local`: cnikit's own state. Created on request (0700) with a `.gitignore` of `*`."""
    path = root / SPECTRAL_DIR / LOCAL_DIR
    if create:
        private_dir(path)  # also tightens a folder an older cnikit created world-readable
        gitignore = path / ".gitignore"
        if not gitignore.exists():
            write_private(gitignore, "*\n")
    return path


def entry_file(root: Path) -> Path:
    """`<root>/src/index.ts`, the integration's entry point."""
    return root / "src" / "index.ts"
