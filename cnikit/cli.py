"""The `cnikit` command.

The core imports no face (DESIGN.md dependency rule): each face declares a `register(app)` function in the
`cnikit.commands` entry-point group (pyproject.toml) and adds its own commands. Command modules keep heavy imports
inside the command functions: `cnikit check` must start in well under a second.
"""

from __future__ import annotations

from importlib.metadata import EntryPoints, PackageNotFoundError, distribution

import typer

from cnikit import __version__

COMMANDS_GROUP = "cnikit.commands"

app = typer.Typer(
    name="cnikit",
    help="Local tooling for Prismatic code-native integrations: check, run offline, serve, test in the cloud.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cnikit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Local tooling for Prismatic code-native integrations."""


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
