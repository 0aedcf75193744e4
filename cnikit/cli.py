"""The `cnikit` command.

Each face registers its own commands from its own module (`register(app)`), so this file stays a
table of contents. Command modules keep heavy imports inside the command functions: `cnikit check`
must start in well under a second.
"""

from __future__ import annotations

import typer

from cnikit import __version__

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
    # Lazy by design: cnikit/ never imports the faces at module level (DESIGN.md dependency rule).
    from cnikit.commands import register as register_core
    from cnikit.platform.commands import register as register_platform
    from emulator.commands import register as register_emulator
    from server.commands import register as register_server
    from tui.commands import register as register_tui

    for register in (register_core, register_emulator, register_platform, register_server, register_tui):
        register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    app()
