"""The admin API's door: only this machine's own tools get in, and only with the project's token to change things.

`cnikit serve` listens on 127.0.0.1, but a web page the developer opens can still reach it: the browser sends
cross-site requests (a `text/plain` POST needs no preflight) and, through DNS rebinding, makes an attacker's name
resolve to 127.0.0.1. So every request to `/__cnikit/…` must

- name a loopback host (`localhost`, `127.x.x.x`, `[::1]`, or the address the server was bound to) in `Host`:
  a rebound name is refused (403);
- carry no `Origin`, or this server's own (`http://<loopback>:<port>`): a page elsewhere is refused (403);
- when it changes state (any method but GET/HEAD), carry `Authorization: Bearer <the project's local token>`
  (`cnikit.local_token`): refused otherwise (401).

Webhook URLs stay open, as on the platform, and so do `/__cnikit/results/<id>` (where a synchronous webhook's caller
is redirected; execution ids are random UUIDs): both are meant for callers that are not this machine's tools.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from cnikit.local_token import matches

ADMIN = "/__cnikit"
# Open like webhooks: results are reached by webhook callers through a redirect; prism's upload and step-result
# links (emulator.serve.api) are called without a header, and are unguessable and expire instead.
OPEN_PATHS = (f"{ADMIN}/results/", f"{ADMIN}/prism/blob/")
SAFE_METHODS = frozenset({"GET", "HEAD"})


def is_loopback(host: str) -> bool:
    """Is `host` (a name or an address, without port or brackets) this machine's loopback?"""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None]:
    """`example.com:8787` / `[::1]:8787` / `127.0.0.1` → (host, port or None); the host is lower-cased."""
    host, port = value.strip().lower(), None
    if host.startswith("["):
        inside, _, rest = host[1:].partition("]")
        host, tail = inside, rest
    elif host.count(":") == 1:
        host, tail = host.split(":")[0], host[host.index(":") :]
    else:
        tail = ""
    if tail.startswith(":") and tail[1:].isdigit():
        port = int(tail[1:])
    elif tail:
        raise ValueError(value)
    return host, port


class AdminGuard:
    """ASGI middleware guarding `/__cnikit/…` of the server bound to `bound_host:port` with `token`."""

    def __init__(self, app: ASGIApp, *, token: str, port: int, bound_host: str = "127.0.0.1") -> None:
        self.app = app
        self.token = token
        self.port = port
        unspecified = bound_host in ("0.0.0.0", "::", "")
        self.hosts = {"localhost"} | (set() if unspecified else {bound_host.strip("[]").lower()})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not (path == ADMIN or path.startswith(f"{ADMIN}/"))
            or path.startswith(OPEN_PATHS)
        ):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope["method"], _headers(scope["headers"]))
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, message = refusal
        extra = [(b"www-authenticate", b'Bearer realm="cnikit"')] if status == 401 else []
        body = json.dumps({"error": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        """Why a request with these headers is refused (status, one line), or None when it may pass."""
        host_header = headers.get("host", "")
        try:
            host, _port = split_host(host_header)
        except ValueError:
            host = host_header
        if not self._ours(host):
            return 403, (
                f"the cnikit admin API answers only loopback hosts (localhost, 127.0.0.1, [::1]), found Host "
                f"{host_header!r}: open it as http://127.0.0.1:{self.port}"
            )
        origin = headers.get("origin")
        if origin is not None and not self._own_origin(origin):
            return (
                403,
                f"cross-site request refused: Origin {origin!r} is not this server (http://127.0.0.1:{self.port})",
            )
        if method.upper() not in SAFE_METHODS:
            scheme, _, presented = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not matches(self.token, presented.strip()):
                return 401, (
                    "this admin call changes state and needs the project's local token: send "
                    "'Authorization: Bearer <contents of .spectral/local/token>' (the cnikit CLI does)"
                )
        return None

    def _ours(self, host: str) -> bool:
        return is_loopback(host) or host in self.hosts

    def _own_origin(self, origin: str) -> bool:
        scheme, _, rest = origin.partition("://")
        if scheme.lower() != "http" or not rest or "/" in rest:
            return False
        try:
            host, port = split_host(rest)
        except ValueError:
            return False
        return self._ours(host) and (port or 80) == self.port


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, Any]:
    # latin-1 decodes any byte: a malformed header is compared (and refused), never a 500.
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
