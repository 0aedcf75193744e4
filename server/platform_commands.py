"""Platform commands (Prismatic): login, logout, me, refresh token, URL, import, test, open in browser."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer


def status_impl(ls: CnikitLanguageServer) -> dict[str, Any]:
    """The status bar's content: who is logged in where, and the active project."""
    active = ls.projects.states.get(ls.projects.active) if ls.projects.active else None
    return {
        "user": None,
        "organization": None,
        "url": ls.settings.prismatic_url,
        "activeProject": str(active.root) if active else None,
        "activeIntegration": active.name if active else None,
    }


def send_status(ls: CnikitLanguageServer) -> None:
    """Send `cnikit/status`."""
    ls.notify("cnikit/status", status_impl(ls))


def register(ls: CnikitLanguageServer) -> None:
    """Register the platform commands."""
