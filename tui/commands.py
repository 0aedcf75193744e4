"""`cnikit tui [PATH] [--screen results|wizard|payloads|account]`, registered on the `cnikit` Typer app.

Textual and the screens are imported inside the command, so other commands start fast.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer


class ScreenName(StrEnum):
    """The screen the TUI opens on."""

    results = "results"
    wizard = "wizard"
    payloads = "payloads"
    account = "account"


PATH_ARG = typer.Argument(None, help="The CNI project (a folder holding .spectral/, or any path inside it).")
SCREEN_OPT = typer.Option(ScreenName.results, "--screen", "-s", help="The screen to open on.")
LIGHT_OPT = typer.Option(False, "--light", help="Start with the light theme (Ctrl+T switches).")


def register(app: typer.Typer) -> None:
    """Add `cnikit tui` to `app`."""

    @app.command("tui")
    def tui(
        path: Path | None = PATH_ARG,
        screen: ScreenName = SCREEN_OPT,
        light: bool = LIGHT_OPT,
    ) -> None:
        """Browse executions, fill in the config wizard, edit payloads, log in: the terminal UI."""
        from cnikit.project import find_project_root, not_found_message

        start = (path or Path.cwd()).resolve()
        root = find_project_root(start)
        if root is None:
            typer.secho(f"error: {not_found_message(start)}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        from tui.app import CnikitApp
        from tui.workspace import Workspace

        CnikitApp(Workspace(root), screen=screen.value, theme="textual-light" if light else None).run()
