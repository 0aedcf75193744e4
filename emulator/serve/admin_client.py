"""Calling a running `cnikit serve`'s admin API, with the project's local token when the call changes state.

    response = admin_request("http://127.0.0.1:8787", "POST", "clock", {"advance": "90m"})

The token is found through the project the server serves: `GET /__cnikit/health` names it, and its
`.spectral/local/token` (readable only by the user who runs the server) holds the token. Raises `AdminError` with
one line saying what is wrong; any answer, successful or not, is returned as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from cnikit.local_token import LocalTokenError, read_token

TIMEOUT = 120.0  # a clock move may run many ticks


class AdminError(RuntimeError):
    """The server cannot be reached, or its token cannot be read; the message says what to do."""


def admin_request(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    """`method` `<base>/__cnikit/<path>` with a JSON body; state-changing calls carry the project's token."""
    base = base.rstrip("/")
    headers = {} if method.upper() in ("GET", "HEAD") else {"Authorization": f"Bearer {served_token(base)}"}
    try:
        return httpx.request(method, f"{base}/__cnikit/{path}", json=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise AdminError(_unreachable(base, error)) from None


def served_token(base: str) -> str:
    """The local token of the project the server at `base` serves."""
    try:
        health = httpx.get(f"{base}/__cnikit/health", timeout=10).json()
    except httpx.HTTPError as error:
        raise AdminError(_unreachable(base, error)) from None
    except ValueError:
        raise AdminError(f"{base} answered without JSON: is it a cnikit serve?") from None
    project = health.get("project") if isinstance(health, dict) else None
    if not isinstance(project, str):
        raise AdminError(f"{base} did not say which project it serves: is it a cnikit serve?")
    try:
        token = read_token(Path(project))
    except LocalTokenError as error:
        raise AdminError(str(error)) from None
    if token is None:
        raise AdminError(
            f"no local token in {project}/.spectral/local/token: run this as the user who runs that cnikit serve"
        )
    return token


def _unreachable(base: str, error: httpx.HTTPError) -> str:
    return f"no cnikit serve at {base} ({error}); start one with `cnikit serve`, or pass --url"
