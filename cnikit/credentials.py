"""Which HTTP headers carry credentials, and the one function every face uses to mask them.

    mask_headers({"Authorization": "Bearer abc", "Accept": "*/*"})  ->  {"Authorization": "[masked]", "Accept": "*/*"}

Stored requests keep their headers (an exact replay needs them); what is shown — the CLI, `--json`, the admin API,
the TUI, the language server, logs — and what is written to cassettes goes through `mask_headers`.
Known secret values (a connection's secret fields, its token) are masked in text with `mask_secrets`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[masked]"
SECRET_MASK = "••••"
# Authorization, Proxy-Authorization, Cookie, Set-Cookie, Api-Key, X-Api-Key, X-Auth-Token, X-Csrf-Token,
# Client-Secret, X-Amz-Security-Token, X-Hub-Signature … : by name, so a new vendor header is covered too.
_CREDENTIAL = re.compile(r"authorization|cookie|api[-_]?key|token|secret|password|signature|session", re.IGNORECASE)


def is_credential_header(name: str) -> bool:
    """Does a header called `name` carry a credential?"""
    return bool(_CREDENTIAL.search(name))


def mask_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `headers` whose credential values are replaced by `[masked]`."""
    return {name: MASK if is_credential_header(str(name)) else value for name, value in headers.items()}


def mask_request(value: Any) -> Any:
    """A request or trigger payload (`{headers: {...}, ...}`) with its credential headers masked; others as they are."""
    if isinstance(value, dict) and isinstance(value.get("headers"), Mapping):
        return {**value, "headers": mask_headers(value["headers"])}
    return value


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret value replaced by `••••` (longest first: one secret may contain another)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, SECRET_MASK)
    return text
