"""The project's local token: the one secret that opens the local emulator's state-changing doors.

One random token per project, created on first use at `.spectral/local/token` (mode 0600, in a 0700 folder), read
from there by every local client: the CLI (`cnikit clock`, `cnikit instance`), the language server and the TUI.
`cnikit serve` requires it as `Authorization: Bearer <token>` on every state-changing admin call, and hands the
same token to the prism CLI as `PRISM_ACCESS_TOKEN`.

It is shaped as a JWT (header.payload.signature, base64url) whose `exp` is far off, because prism decodes the
access token's expiry when a refresh token is also set. Nothing verifies the signature: the server compares the
whole token with the one in the file (constant time), so the 256 random bits in `jti` and the signature are what
make it unguessable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from cnikit.private_files import tighten, write_private
from cnikit.project import local_dir

TOKEN_FILE = "token"
EXPIRES = 4_102_444_800  # 2100-01-01T00:00:00Z: "never", in a form every JWT library accepts


class LocalTokenError(RuntimeError):
    """The token file exists but cannot be used; the message names the file and what to do."""


def token_path(root: Path) -> Path:
    """`.spectral/local/token` of the project at `root`."""
    return local_dir(root) / TOKEN_FILE


def read_token(root: Path) -> str | None:
    """The project's token, or None when it has none yet (nothing is created); tightens the file's mode."""
    path = tighten(token_path(root))
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise LocalTokenError(f"cannot read {path} ({error.strerror}); delete it to get a new token") from None
    if token.count(".") != 2:
        raise LocalTokenError(f"{path} does not hold a token; delete it to get a new one")
    return token


def local_token(root: Path) -> str:
    """The project's token, created (0600) on first use. Safe when several processes ask at once: one file wins."""
    token = read_token(root)
    if token is not None:
        return token
    folder = local_dir(root, create=True)
    tmp = write_private(folder / f".{TOKEN_FILE}.{os.getpid()}.new", new_token() + "\n")
    try:
        os.link(tmp, token_path(root))  # creates the file complete, or fails when another process was first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    token = read_token(root)
    if token is None:
        raise LocalTokenError(f"{token_path(root)} could not be created")
    return token


def new_token() -> str:
    """A fresh JWT-shaped token (HS256 header, `exp` in 2100, 256 random bits)."""
    header = _b64({"alg": "HS256", "typ": "JWT"})
    claims = _b64(
        {
            "iss": "cnikit",
            "sub": "cnikit-local",
            "aud": "cnikit-serve",
            "iat": int(time.time()),
            "exp": EXPIRES,
            "jti": secrets.token_urlsafe(32),
        }
    )
    signing_input = f"{header}.{claims}"
    signature = hmac.new(secrets.token_bytes(32), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def matches(token: str, presented: str | None) -> bool:
    """Is `presented` (a bearer token from a request) this token? Constant-time."""
    return presented is not None and hmac.compare_digest(token.encode(), presented.encode())


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=").decode()
