"""A local `cnikit serve` as the stack: when the stack URL is a loopback address (`PRISMATIC_URL=http://127.0.0.1:
<port>`, as `cnikit serve` prints it) and no token is in the environment, the client signs in with the project's
local token (`.spectral/local/token`, `cnikit.local_token`), so `cnikit test`, `results`, `me`, the language
server and VS Code work against the emulator through the same client code as against the cloud.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from cnikit.platform.tokens import TokenSet

LOCAL_LABEL = "local emulator"


def is_loopback(url: str) -> bool:
    """Is `url` on this machine (127.0.0.0/8, ::1, localhost)?"""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_tokens(url: str, project: Path | None) -> TokenSet | None:
    """The project's local token as a session's tokens, when `url` is local and the project has one (the server
    creates it when it starts); None otherwise. It never expires and is never refreshed."""
    from cnikit.local_token import read_token

    if project is None or not is_loopback(url):
        return None
    token = read_token(project)
    return None if token is None else TokenSet(access_token=token, expires_at=float("inf"))
