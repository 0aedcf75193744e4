"""`cnikit doctor`: is this machine set up to use cnikit? One screen, one line per check, each with its fix.

Essential checks (Python, Node >= 20, npm) decide the exit status: 0 when they all pass, 1 otherwise. The others
(the emulator's Node side, the keyring, prism, login, the project) only warn: cnikit works without them, with less.
Nothing here touches the network or changes a setting, a token or a project. It lives with the emulator because it
looks at the emulator's Node side (on disk, and in `emulator.node_setup`'s cache folder when that module exists).
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer

from cnikit.report import wants_color

MIN_NODE = 20
MIN_PYTHON = (3, 11)
Status = Literal["ok", "warn", "fail"]
MARKS: dict[Status, tuple[str, str]] = {"ok": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red")}


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, what was found, and how to fix it when it is not ok."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    essential: bool = False


def _version_of(command: str) -> str | None:
    """`<command> --version`, stripped; None when the command is missing or fails."""
    found = shutil.which(command)
    if found is None:
        return None
    try:
        done = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def check_python() -> Check:
    """The Python cnikit runs on (3.11 or newer)."""
    found = f"{platform.python_version()} ({sys.executable})"
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("Python", "ok", found, essential=True)
    return Check("Python", "fail", found, "install Python 3.11 or newer and reinstall cnikit with it", essential=True)


def check_node() -> Check:
    """Node.js 20 or newer on PATH: it runs the flows and the builds."""
    fix = f"install Node.js {MIN_NODE} or newer (https://nodejs.org, or nvm install {MIN_NODE})"
    version = _version_of("node")
    if version is None:
        return Check("Node", "fail", "node is not on PATH", fix, essential=True)
    major = re.match(r"v?(\d+)", version)
    if major is None or int(major.group(1)) < MIN_NODE:
        return Check("Node", "fail", f"{version}: cnikit needs {MIN_NODE} or newer", fix, essential=True)
    return Check("Node", "ok", version, essential=True)


def check_npm() -> Check:
    """npm on PATH: it installs the projects' packages and cnikit's own Node side."""
    version = _version_of("npm")
    if version is None:
        return Check("npm", "fail", "npm is not on PATH", "install Node.js, which brings npm", essential=True)
    return Check("npm", "ok", version, essential=True)


def check_node_side() -> Check:
    """The emulator's Node side (esbuild, the runner's packages): in a checkout's `emulator/node`, else in the cache
    an installed cnikit fills on first use (`emulator.node_setup`)."""
    from emulator import node_setup

    folder = node_setup.installed_dir()
    if folder is not None:
        return Check("Node side", "ok", f"installed in {folder / 'node_modules'}")
    return Check(
        "Node side",
        "warn",
        f"not installed yet (it goes to {node_setup.cache_dir()})",
        "nothing to do: the first `cnikit run` installs it from cnikit's lockfile (npm ci, once, needs the registry)",
    )


def check_keyring() -> Check:
    """Where secrets (tokens, connection passwords) go: an OS keyring or the documented encrypted file."""
    from cnikit import secrets

    try:
        secrets.backend()
    except secrets.KeyringUnavailable:
        return Check(
            "keyring",
            "warn",
            "no OS keyring: logins and secret connection fields cannot be kept",
            f"set {secrets.PASSWORD_ENV} to keep them in an encrypted file ({secrets.default_file()}), "
            "install an OS keyring (Secret Service, Keychain), or set PYTHON_KEYRING_BACKEND",
        )
    except secrets.SecretStoreError as error:
        return Check("keyring", "warn", str(error), f"fix {secrets.PASSWORD_ENV} or {secrets.FILE_ENV}")
    return Check("keyring", "ok", secrets.keyring_status())


def check_prism(project: Path | None) -> Check:
    """The prism CLI (for `cnikit import`): the configured path or `prism` on PATH."""
    from cnikit.settings import SettingsError, load_settings

    try:
        configured = load_settings(project).prism_path
    except SettingsError as error:
        return Check("prism", "warn", str(error), "fix the settings file it names")
    found = configured if configured and Path(configured).is_file() else shutil.which(configured or "prism")
    if found:
        return Check("prism", "ok", found)
    fix = "npm install -g @prismatic-io/prism (only `cnikit import` needs it)"
    if configured:
        return Check("prism", "warn", f"CNIKIT_PRISM_PATH / prism_path points at {configured}, which is missing", fix)
    return Check("prism", "warn", "prism is not on PATH", fix)


def check_login(project: Path | None) -> Check:
    """Whether tokens exist for the configured stack (not whether they are still accepted: no network here)."""
    from cnikit import secrets
    from cnikit.platform.auth import Session
    from cnikit.settings import SettingsError, load_settings

    try:
        session = Session(load_settings(project), None)  # type: ignore[arg-type]  # no HTTP: only reads tokens
        if session.is_logged_in():
            return Check("login", "ok", f"logged in to {session.url} (tokens from {session.source})")
    except (SettingsError, secrets.SecretStoreError) as error:
        return Check("login", "warn", str(error), "fix the setting it names, then `cnikit login`")
    return Check("login", "warn", f"not logged in to {session.url}", "cnikit login (only the cloud commands need it)")


def check_project(start: Path) -> tuple[Check, Path | None]:
    """The CNI project at or above `start`, and the check line saying so."""
    from cnikit.project import SPECTRAL_DIR, find_project_root, unmarked_project

    root = find_project_root(start)
    if root is not None:
        return Check("project", "ok", str(root)), root
    unmarked = unmarked_project(start)
    if unmarked is not None:
        detail = f"{unmarked} has src/index.ts and a spectral dependency but no {SPECTRAL_DIR}/ folder"
        return Check("project", "warn", detail, f"mark it: mkdir {unmarked / SPECTRAL_DIR}"), None
    fix = "cd into your project (a folder holding .spectral/), or start one: cnikit init"
    return Check("project", "warn", f"no CNI project at or above {start}", fix), None


def diagnose(start: Path) -> list[Check]:
    """Every check, in the order the report shows them."""
    project_check, root = check_project(start)
    return [
        check_python(),
        check_node(),
        check_npm(),
        check_node_side(),
        check_keyring(),
        check_prism(root),
        check_login(root),
        project_check,
    ]


def render(checks: list[Check], *, color: bool) -> str:
    """The one-screen report: a line per check (its fix indented below it), then the verdict."""
    width = max(len(c.name) for c in checks)
    lines: list[str] = []
    for c in checks:
        mark, fg = MARKS[c.status]
        lines.append(f"{typer.style(mark, fg=fg) if color else mark} {c.name:<{width}}  {c.detail}")
        if c.status != "ok" and c.fix:
            lines.append(f"  {'':<{width}}  → {c.fix}")
    failed = [c.name for c in checks if c.essential and c.status == "fail"]
    lines.append("")
    lines.append(f"Not ready: fix {', '.join(failed)}." if failed else "Ready: every essential check passed.")
    return "\n".join(lines) + "\n"


def doctor_command(
    path: Annotated[
        Path | None, typer.Argument(help="Where to look for the project.", show_default="current folder")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    color: Annotated[
        bool | None,
        typer.Option("--color/--no-color", help="Colour the marks (default: on a terminal).", show_default=False),
    ] = None,
) -> None:
    """Check the set-up (Python, Node, npm, keyring, prism, login, project): exit 1 when an essential check fails."""
    checks = diagnose((path or Path.cwd()).resolve())
    ok = not any(c.essential and c.status == "fail" for c in checks)
    if as_json:
        typer.echo(json.dumps({"ok": ok, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        use_color = wants_color(sys.stdout) if color is None else color
        typer.echo(render(checks, color=use_color), nl=False)
    raise typer.Exit(0 if ok else 1)
