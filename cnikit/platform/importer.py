"""Import a CNI project: build it with its package manager, then `prism integrations:import`.

As the official extension: the build always runs first (prism itself never builds, so a stale `dist/` would be
published); `DEBUG` is stripped from every child's environment (spectral prints its whole YAML then, which would
corrupt prism's stdout); prism gets `PRISMATIC_URL` and `PRISM_ACCESS_TOKEN`; its trimmed stdout is the integration
id, recorded in `.spectral/prism.json` next to whatever else is there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from cnikit.definition.build import BuildError, build_with_project_script, package_manager
from cnikit.node import node_environment
from cnikit.platform.errors import PlatformError

PRISM_INSTALL_HINT = (
    "The prism CLI is not installed. Install it with 'npm install -g @prismatic-io/prism' (or set CNIKIT_PRISM_PATH "
    "to its executable), then run `cnikit import` again."
)
IMPORT_TIMEOUT_S = 600.0
_ID = re.compile(r"^[A-Za-z0-9+/=_-]+$")


class ImportFailed(PlatformError):
    """The build or `prism integrations:import` failed; the message says which and why."""


def resolve_prism(prism_path: str | None) -> list[str]:
    """The command that runs prism: the configured path, `prism` on PATH, an installed `npx @prismatic-io/prism`."""
    if prism_path:
        if Path(prism_path).is_file() or shutil.which(prism_path):
            return [prism_path]
        raise ImportFailed(f"CNIKIT_PRISM_PATH points at {prism_path}, which does not exist. {PRISM_INSTALL_HINT}")
    found = shutil.which("prism")
    if found:
        return [found]
    npx = shutil.which("npx")
    if npx:
        try:
            # --no-install: never download prism behind the user's back.
            check = subprocess.run(
                [npx, "--no-install", "@prismatic-io/prism", "--version"],
                capture_output=True,
                text=True,
                timeout=60,
                env=node_environment(),
            )
            if check.returncode == 0:
                return [npx, "--no-install", "@prismatic-io/prism"]
        except (OSError, subprocess.TimeoutExpired):
            pass
    raise ImportFailed(PRISM_INSTALL_HINT)


def _tail(text: str, lines: int = 5) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)


def ensure_dependencies(project: Path, confirm_install: Callable[[str], bool] | None) -> None:
    """Offer `<pm> install` when no `node_modules` is reachable; refuse with what to run when declined."""
    if any((folder / "node_modules").is_dir() for folder in (project, *project.parents)):
        return
    manager = package_manager(project)
    if confirm_install is None or not confirm_install(manager):
        raise ImportFailed(f"Dependencies are not installed. Run '{manager} install' in {project} and try again.")
    executable = shutil.which(manager)
    if executable is None:
        raise ImportFailed(f"Detected '{manager}' as the project's package manager, but it is not on PATH.")
    done = subprocess.run(
        [executable, "install"], cwd=project, env=node_environment(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ImportFailed(f"{manager} install exited with code {done.returncode}: {_tail(done.stderr or done.stdout)}")


def record_integration_id(project: Path, integration_id: str) -> Path:
    """Write `integrationId` into `.spectral/prism.json`, keeping its other keys (compact JSON, as prism)."""
    path = project / ".spectral" / "prism.json"
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(existing, dict):
            existing = {}
    except (OSError, ValueError):
        existing = {}
    existing["integrationId"] = integration_id
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(existing, separators=(",", ":")), encoding="utf-8")
    return path


def import_project(
    project: Path,
    *,
    url: str,
    token: str,
    prism_path: str | None = None,
    confirm_install: Callable[[str], bool] | None = None,
    on_output: Callable[[str], None] | None = None,
) -> str:
    """Build and import `project`; return the integration id (also written to `.spectral/prism.json`)."""
    project = project.resolve()
    say = on_output or (lambda _line: None)
    ensure_dependencies(project, confirm_install)
    say(f"Building {project.name} with {package_manager(project)} run build…")
    try:
        build_with_project_script(project)
    except BuildError as exc:
        detail = f": {_tail(exc.output)}" if getattr(exc, "output", "") else ""
        headline = str(exc).splitlines()[0] if str(exc) else "the build failed"
        raise ImportFailed(f"Build failed, nothing was imported. {headline}{detail}") from None
    command = [*resolve_prism(prism_path), "integrations:import"]
    say("Importing with prism integrations:import…")
    env = {**node_environment(), "PRISMATIC_URL": url, "PRISM_ACCESS_TOKEN": token}
    env.pop("PRISM_REFRESH_TOKEN", None)  # the access token we pass is the one prism must use
    try:
        done = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, timeout=IMPORT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise ImportFailed(f"prism integrations:import did not finish within {IMPORT_TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise ImportFailed(f"Could not run prism ({command[0]}): {exc}. {PRISM_INSTALL_HINT}") from None
    stderr = done.stderr.replace(token, "***") if token else done.stderr
    for line in stderr.splitlines():
        if line.strip():
            say(line.rstrip())
    if done.returncode != 0:
        raise ImportFailed(
            f"prism integrations:import failed with exit code {done.returncode}: {_tail(stderr) or 'no output'}"
        )
    integration_id = done.stdout.strip()
    if not integration_id or not _ID.match(integration_id):
        shown = integration_id.splitlines()[0][:80] if integration_id else "nothing"
        raise ImportFailed(
            f"prism integrations:import printed {shown!r} where an integration id was expected; "
            "is DEBUG or another tool writing to its stdout?"
        )
    record_integration_id(project, integration_id)
    return integration_id


__all__ = ["ImportFailed", "import_project", "record_integration_id", "resolve_prism"]
