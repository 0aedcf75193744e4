"""Local run commands (emulator): run a flow, replay, executions, logs, step outputs, the local server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer


def count_local_executions(root: Path, flow: str) -> int:
    """How many local executions a flow has (0 when the emulator store does not exist yet)."""
    from cnikit.project import local_dir
    from emulator.store import DB_NAME, Store

    if not (local_dir(root) / DB_NAME).exists():
        return 0
    with Store.open(root) as store:
        return store.count_executions(flow=flow)


def register(ls: CnikitLanguageServer) -> None:
    """Register the run commands."""
