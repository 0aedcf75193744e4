"""Token storage: one keyring entry per stack URL and profile, plus a read-only view of the prism CLI's profiles.

The keyring entry (service `cnikit`, name `tokens:<profile>@<url>`) holds JSON
`{accessToken, refreshToken, idToken, expiresAt (epoch ms), tenantId}` — the official extension's `prismatic.tokens`
shape. The prism CLI's `~/.config/prism/config.yml` (`{version: 1, defaultProfile, profiles: {<name>: {accessToken,
expiresIn, refreshToken, scope, tokenType, tenantId?, prismaticUrl}}}`, or the legacy flat file) is only ever read.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cnikit import secrets

SERVICE = "cnikit"
REFRESH_BUFFER_S = 300  # refresh five minutes before expiry, as the extension and prism do


def normalize_url(url: str) -> str:
    """The stack URL as a key: no trailing slash."""
    return url.strip().rstrip("/")


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim (epoch seconds) of a JWT, read without verifying it; None when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        exp = json.loads(base64.urlsafe_b64decode(padded)).get("exp")
    except (ValueError, AttributeError):
        return None
    return float(exp) if isinstance(exp, int | float) else None


@dataclass
class TokenSet:
    """Tokens of one login. `repr` never shows a token."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: float = 0.0  # epoch seconds; 0 = unknown, refresh before use
    id_token: str = field(default="", repr=False)
    tenant_id: str | None = None

    def needs_refresh(self, now: float | None = None, buffer: float = REFRESH_BUFFER_S) -> bool:
        """True when the access token is missing or expires within `buffer` seconds."""
        now = time.time() if now is None else now
        return not self.access_token or self.expires_at - now < buffer

    def to_json(self) -> str:
        """The stored form (the extension's `prismatic.tokens` shape)."""
        return json.dumps(
            {
                "accessToken": self.access_token,
                "refreshToken": self.refresh_token,
                "idToken": self.id_token,
                "expiresAt": int(self.expires_at * 1000),
                "tenantId": self.tenant_id,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet | None:
        """Parse the stored form; None for anything unreadable (treated as logged out, like the extension)."""
        try:
            data = json.loads(text)
            return cls(
                access_token=str(data.get("accessToken") or ""),
                refresh_token=str(data.get("refreshToken") or ""),
                id_token=str(data.get("idToken") or ""),
                expires_at=float(data.get("expiresAt") or 0) / 1000,
                tenant_id=data.get("tenantId") or None,
            )
        except (ValueError, TypeError, AttributeError):
            return None


class TokenStore:
    """Tokens for one (stack URL, profile) in the keyring, through `cnikit.secrets`."""

    def __init__(self, url: str, profile: str) -> None:
        self.url = normalize_url(url)
        self.profile = profile

    @property
    def key(self) -> str:
        """The keyring entry name."""
        return f"tokens:{self.profile}@{self.url}"

    def load(self) -> TokenSet | None:
        """The stored tokens, or None."""
        raw = secrets.get_secret(SERVICE, self.key)
        return TokenSet.from_json(raw) if raw else None

    def save(self, tokens: TokenSet) -> None:
        """Store `tokens` (raises `secrets.KeyringUnavailable` with what to do when there is no safe keyring)."""
        secrets.set_secret(SERVICE, self.key, tokens.to_json())

    def clear(self) -> None:
        """Forget the tokens."""
        secrets.delete_secret(SERVICE, self.key)


@dataclass
class PrismProfile:
    """One profile of the prism CLI's config file."""

    name: str
    prismatic_url: str
    tokens: TokenSet


def read_prism_profiles(path: Path) -> tuple[str | None, dict[str, PrismProfile]]:
    """(defaultProfile, profiles) of prism's config file; `(None, {})` when the file is missing or unreadable.

    A legacy flat file (top-level `accessToken`, …) is profile `default` at `PRISMATIC_URL` or the default stack.
    """
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None, {}
    if not isinstance(data, dict):
        return None, {}
    if "profiles" not in data and "accessToken" in data:
        import os

        from cnikit.settings import DEFAULT_URL

        data = {"defaultProfile": "default", "profiles": {"default": {**data, "prismaticUrl": None}}}
        data["profiles"]["default"]["prismaticUrl"] = os.environ.get("PRISMATIC_URL") or DEFAULT_URL
    raw_profiles = data.get("profiles")
    if not isinstance(raw_profiles, dict):
        return None, {}
    profiles: dict[str, PrismProfile] = {}
    for name, raw in raw_profiles.items():
        if not isinstance(raw, dict) or not raw.get("prismaticUrl"):
            continue
        access = str(raw.get("accessToken") or "")
        profiles[str(name)] = PrismProfile(
            name=str(name),
            prismatic_url=normalize_url(str(raw["prismaticUrl"])),
            tokens=TokenSet(
                access_token=access,
                refresh_token=str(raw.get("refreshToken") or ""),
                # prism stores a relative expiresIn; the JWT's own exp is the truth (0 = refresh before use).
                expires_at=jwt_expiry(access) or 0.0,
                tenant_id=str(raw["tenantId"]) if raw.get("tenantId") else None,
            ),
        )
    default = data.get("defaultProfile")
    return (str(default) if default else None), profiles
