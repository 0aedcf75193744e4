"""Build a CNI project with its own `build` script, as `prism integrations:import` does (official-tooling.md C.1).

The package manager is the project's (`packageManager` in package.json, else the nearest lockfile, else npm); the
build runs with `DEBUG` stripped and must write `dist/index.js`. Every failure is a `BuildError` carrying the tool's
output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from cnikit.node import node_environment

BUNDLE = Path("dist") / "index.js"
BUILD_TIMEOUT = 600.0  # seconds; webpack builds take 10–20 s, a cold one on a slow box much longer
PROGRESS_EVERY = 10.0  # seconds between "still building" lines

# Lockfile → package manager, in the order package-manager-detector checks them.
LOCKFILES: tuple[tuple[str, str], ...] = (
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)


class BuildError(Exception):
    """The project's build script failed; `output` is what the tool printed (stdout then stderr)."""

    def __init__(self, message: str, *, command: list[str] | None = None, output: str = "") -> None:
        super().__init__(message if not output else f"{message}\n{output.rstrip()}")
        self.message = message
        self.command = command or []
        self.output = output


def package_manager(root: Path) -> str:
    """The project's package manager: `packageManager` in package.json, else the nearest lockfile, else npm."""
    try:
        declared = json.loads((root / "package.json").read_text()).get("packageManager")
    except (OSError, ValueError, AttributeError):
        declared = None
    if isinstance(declared, str) and declared:
        return declared.split("@", 1)[0]
    for folder in (root, *root.parents):  # monorepos keep one lockfile at the workspace root
        for lockfile, manager in LOCKFILES:
            if (folder / lockfile).is_file():
                return manager
    return "npm"


def missing_dependencies(root: Path) -> str | None:
    """`dependencies are not installed: run 'npm install' in <root>` when no node_modules is at or above `root`."""
    if any((folder / "node_modules").is_dir() for folder in (root, *root.parents)):
        return None
    return f"dependencies are not installed: run '{package_manager(root)} install' in {root}"


def project_build_command(root: Path) -> tuple[str, list[str]]:
    """The project's package manager and the command that runs its `build` script (`npm run build`).

    Raises `BuildError` when there is no package.json, no `build` script or no such package manager.
    """
    package_json = root / "package.json"
    if not package_json.is_file():
        raise BuildError(f"no package.json in {root}; a CNI project is built by its package.json `build` script")
    try:
        scripts = json.loads(package_json.read_text()).get("scripts") or {}
    except ValueError as error:
        raise BuildError(f"{package_json} is not valid JSON: {error}") from None
    if "build" not in scripts:
        raise BuildError(f"{package_json} has no `build` script; expected one that writes {BUNDLE}")
    manager = package_manager(root)
    executable = shutil.which(manager)
    if executable is None:
        raise BuildError(f"Detected '{manager}' as the project's package manager, but '{manager}' is not on PATH")
    return manager, [executable, "run", "build"]


def build_with_project_script(root: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Run the project's `build` script with its package manager and return the bundle (`dist/index.js`).

    `progress` hears what is happening (the start, a line every 10 s, the end). Raises `BuildError` with the tool's
    output when the build fails or produces no bundle.
    """
    say = progress or (lambda _line: None)
    root = root.resolve()
    manager, command = project_build_command(root)
    say(f"building {root.name} with '{manager} run build'…")
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=root, env=node_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    while True:
        elapsed = time.monotonic() - started
        try:
            # Waiting again after a timeout loses no output (subprocess docs): the pause is only for the progress line.
            stdout, stderr = process.communicate(timeout=max(0.0, min(PROGRESS_EVERY, BUILD_TIMEOUT - elapsed)))
            break
        except subprocess.TimeoutExpired:
            if time.monotonic() - started >= BUILD_TIMEOUT:
                process.kill()
                process.communicate()
                raise BuildError(
                    f"'{manager} run build' did not finish within {BUILD_TIMEOUT:.0f} s", command=command
                ) from None
            say(f"still building ({time.monotonic() - started:.0f} s)…")
    completed = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    say(f"'{manager} run build' finished in {time.monotonic() - started:.1f} s")
    output = (completed.stdout + completed.stderr).strip()
    if completed.returncode != 0:
        missing = missing_dependencies(root)
        hint = f" ({missing})" if missing else ""
        raise BuildError(
            f"'{manager} run build' failed with exit code {completed.returncode} in {root}{hint}",
            command=command,
            output=output,
        )
    bundle = root / BUNDLE
    if not bundle.is_file():
        raise BuildError(
            f"'{manager} run build' succeeded but did not write {BUNDLE}; the build must bundle src/index.ts there",
            command=command,
            output=output,
        )
    return bundle
