"""The `cnikit` command.

The core imports no face (DESIGN.md dependency rule): each face declares a `register(app)` function in the
`cnikit.commands` entry-point group (pyproject.toml) and adds its own commands. Command modules keep heavy imports
inside the command functions: `cnikit check` must start in well under a second.

Shared by every command: `--no-color` (before the command) and the `NO_COLOR` environment variable turn colour off
everywhere (click's echo strips it; rich help honours `NO_COLOR` itself); `--install-completion` installs shell
completion (flow and payload names complete: `cnikit.completion`); help shows no `<bool>` type for flags.
"""

from __future__ import annotations

import os
from importlib.metadata import EntryPoints, PackageNotFoundError, distribution
from typing import Any

import typer
from typer.core import TyperGroup, TyperOption

from cnikit import __version__

COMMANDS_GROUP = "cnikit.commands"


class _Root(TyperGroup):
    """The `cnikit` group: `--no-color` is accepted anywhere on the line (`cnikit run --no-color …`), not only
    before the command; it is moved to the front, where the root option takes it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        if "--no-color" in args[:end]:
            args = ["--no-color", *(arg for arg in args[:end] if arg != "--no-color"), *args[end:]]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_Root,
    name="cnikit",
    help="Local tooling for Prismatic code-native integrations: check, run offline, serve, test in the cloud.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cnikit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    no_color: bool = typer.Option(False, "--no-color", help="No colour in any output (as does NO_COLOR=1)."),
) -> None:
    """Local tooling for Prismatic code-native integrations."""
    if no_color or os.environ.get("NO_COLOR"):
        ctx.color = False  # every echo/secho below this context strips its colour (see also report.wants_color)


_option_type = TyperOption.display_type_rich


def _no_flag_type(self: TyperOption, ctx: typer.Context) -> str | None:
    # Typer's rich help prints `<bool>` after every flag (`--json <bool>`), which reads as if it took a value.
    return None if self.is_flag else _option_type(self, ctx)


TyperOption.display_type_rich = _no_flag_type  # type: ignore[method-assign,assignment]


def _register_all() -> None:
    # The faces ship in cnikit's own distribution: reading its metadata alone is instant, where scanning every
    # installed package for the group costs `cnikit check` about 10 ms of start-up.
    try:
        registrations = distribution("cnikit").entry_points.select(group=COMMANDS_GROUP)
    except PackageNotFoundError:
        registrations = EntryPoints(())
    if not registrations:  # not installed, or installed before the group existed: say how to fix it
        raise SystemExit(f"cnikit: no commands registered ({COMMANDS_GROUP}); reinstall: pip install -e .")
    for registration in registrations:
        registration.load()(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    app()
