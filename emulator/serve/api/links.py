"""Unguessable, expiring URLs for the calls prism makes without an Authorization header: the package and media
uploads (`PUT`) and the step results (`GET`), as the platform hands out pre-signed storage URLs.

Each link is a random 256-bit token under `/__cnikit/prism/blob/`, valid for `TTL` seconds, remembered in memory
only (a restarted server hands out new ones, as the platform's links expire too).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal

LinkKind = Literal["package", "media", "result"]
TTL = 15 * 60.0  # seconds
PREFIX = "/__cnikit/prism/blob"


@dataclass(frozen=True)
class Link:
    """What a link stands for: a component package upload, a media upload, or one step result."""

    kind: LinkKind
    ref: str  # component key / media file name / "<execution id>\n<step name>"
    expires: float


class Links:
    """Hands out links and resolves them while they are valid. Thread-safe."""

    def __init__(self, base_url: str, ttl: float = TTL) -> None:
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl
        self._links: dict[str, Link] = {}
        self._lock = threading.Lock()

    def url(self, kind: LinkKind, ref: str) -> str:
        """A fresh link to `ref`, valid for `ttl` seconds."""
        now = time.monotonic()
        token = secrets.token_urlsafe(32)
        with self._lock:
            if len(self._links) > 1000:  # forget the expired ones now and then: a long-lived server stays small
                self._links = {t: link for t, link in self._links.items() if link.expires > now}
            self._links[token] = Link(kind, ref, now + self.ttl)
        return f"{self.base_url}{PREFIX}/{token}"

    def resolve(self, token: str, kind: LinkKind) -> Link | None:
        """The link a token stands for, or None when unknown, expired or of another kind."""
        with self._lock:
            link = self._links.get(token)
        if link is None or link.kind != kind or link.expires <= time.monotonic():
            return None
        return link
