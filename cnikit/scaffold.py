"""`cnikit init`: scaffold a new CNI project the way `prism integrations:init` does.

The files come from `cnikit/templates/project/` (shipped as package data): spectral pinned to 10.31.1, the webpack
build prism's default toolchain uses, a tsconfig that includes `.spectral/*`, prism's `.spectral/index.ts` typing
shim, an example flow, a config page, the component registry, `documentation.md`, an icon, a `.gitignore` and a
payload file for the example flow in the official extension's place. On top of prism, the result is marked as a
CNI project (`.spectral/`) and runs offline at once (`cnikit run --flow "Example Flow" --payload example`). Left
out: prism's `.npmrc` (its component-manifest registry needs a Prismatic login), `.env.testing`, the jest test and
the example HTTP client (the example flow calls no API, so it runs without a connection).

Template files are text with `{{name}}`, `{{package}}` and `{{description}}` placeholders; a leading `_` in a path
part stands for a leading dot (`_spectral/` → `.spectral/`), because packaging tools skip dotfiles. Scaffolding
writes nothing when any file it would write already exists.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from cnikit.project import SPECTRAL_DIR

EXAMPLE_FLOW = "Example Flow"
EXAMPLE_PAYLOAD = "example"
DESCRIPTION = "A Prismatic code-native integration."
BINARY_SUFFIXES = frozenset({".png"})


class ScaffoldError(ValueError):
    """The project cannot be scaffolded there; the message says why and what to do."""


@dataclass(frozen=True)
class Scaffold:
    """A freshly written project: its root, display name and the files written (relative to the root)."""

    root: Path
    name: str
    files: list[Path]


def _templates() -> list[tuple[Path, Traversable]]:
    """(target path relative to the project, template file) for every template, sorted by target."""
    found: list[tuple[Path, Traversable]] = []

    def walk(folder: Traversable, prefix: Path) -> None:
        for entry in folder.iterdir():
            part = "." + entry.name[1:] if entry.name.startswith("_") else entry.name
            if entry.is_dir():
                walk(entry, prefix / part)
            elif entry.is_file():
                found.append((prefix / part, entry))

    walk(resources.files("cnikit") / "templates" / "project", Path())
    return sorted(found, key=lambda pair: pair[0])


def package_name(name: str) -> str:
    """An npm package name for a display name: `Acme Sync!` → `acme-sync`."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
    return slug or "integration"


def scaffold(target: Path, name: str | None = None) -> Scaffold:
    """Write a new CNI project into `target` (created if needed); its display name defaults to the folder's name."""
    root = target.resolve()
    if root.exists() and not root.is_dir():
        raise ScaffoldError(f"{target} is a file, not a folder")
    if (root / SPECTRAL_DIR).is_dir():
        raise ScaffoldError(f"{target} is already a CNI project (it holds {SPECTRAL_DIR}/)")
    display = (name if name is not None else root.name).strip()
    if not display:
        raise ScaffoldError("--name must not be empty")
    templates = _templates()
    clashes = [str(relative) for relative, _ in templates if (root / relative).exists()]
    if clashes:
        raise ScaffoldError(f"{target} already has {', '.join(clashes)}: scaffold into a new or empty folder")
    # json.dumps(...)[1:-1] escapes quotes and backslashes for the TypeScript and JSON strings the name lands in.
    values = {
        "{{name}}": json.dumps(display)[1:-1],
        "{{package}}": package_name(display),
        "{{description}}": DESCRIPTION,
    }
    for relative, template in templates:
        destination = root / relative
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            if destination.suffix in BINARY_SUFFIXES:
                destination.write_bytes(template.read_bytes())
                continue
            text = template.read_text(encoding="utf-8")
            for placeholder, value in values.items():
                text = text.replace(placeholder, value)
            destination.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ScaffoldError(f"cannot write {destination}: {error.strerror or error}") from None
    return Scaffold(root=root, name=display, files=[relative for relative, _ in templates])


def npm_install(root: Path) -> None:
    """Run `npm install` in `root`, its output going to the terminal; ScaffoldError when it cannot or fails."""
    npm = shutil.which("npm")
    if npm is None:
        raise ScaffoldError("npm is not on PATH: install Node.js 20 or newer (it brings npm), then run `npm install`")
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=root, check=False)
    if done.returncode != 0:
        raise ScaffoldError(f"`npm install` failed in {root} (exit status {done.returncode}); see its output above")


def next_steps(result: Scaffold, *, shown_as: str, installed: bool) -> str:
    """What to type next, as printed by `cnikit init`: `shown_as` is how the user named the folder."""
    lines = [f"Created {result.name} in {shown_as} ({len(result.files)} files). Next:"]
    if shown_as not in (".", "./"):
        lines.append(f"  cd {shown_as}")
    if not installed:
        lines.append("  npm install")
    lines += ["  cnikit check", f'  cnikit run --flow "{EXAMPLE_FLOW}" --payload {EXAMPLE_PAYLOAD}']
    return "\n".join(lines) + "\n"


def init_command(
    path: Annotated[
        Path, typer.Argument(help="The folder for the new project (created if needed).", show_default="current folder")
    ] = Path("."),
    name: Annotated[
        str | None, typer.Option("--name", help="The integration's display name (default: the folder's name).")
    ] = None,
    install: Annotated[bool, typer.Option("--install", help="Run `npm install` in the new project.")] = False,
) -> None:
    """Scaffold a new CNI project (like `prism integrations:init`), ready for `cnikit check` and `cnikit run`."""
    try:
        result = scaffold(path, name)
    except ScaffoldError as error:
        _fail(error, 2)  # nothing was written
    if install:
        try:
            npm_install(result.root)
        except ScaffoldError as error:
            typer.echo(next_steps(result, shown_as=str(path), installed=False), nl=False)
            _fail(error, 1)  # the project is there; only the install is missing
    typer.echo(next_steps(result, shown_as=str(path), installed=install), nl=False)


def _fail(error: ScaffoldError, code: int) -> NoReturn:
    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)
