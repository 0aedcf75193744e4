"""Commands of this face, registered on the `cnikit` Typer app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this face's commands to `app`."""
