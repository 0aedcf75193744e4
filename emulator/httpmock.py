"""Outbound HTTP of a flow: live, recorded once into a cassette, or replayed from it offline.

`--http live` lets requests through untouched. `--http record` lets them through and saves every request and
response (Node `http`, `https` and `fetch`; the runner intercepts them) to a cassette,
`.spectral/local/mocks/http/<name>.json` (by default the flow's stable key). `--http replay` answers every request
from the cassette, in recorded order, and fails the execution with a clear error on a request the cassette does not
have — no network at all. That is what makes a run, and the replay of a stored execution, reproducible.

Cassette file: `{"version": 1, "exchanges": [{"client", "request": {method, url, headers, body}, "response":
{status, statusMessage, headers, body}}]}` where each body is `{"text": …}` when it is UTF-8 text, else
`{"base64": …}` — readable and editable by hand.

Cassettes hold no credentials. On the way to disk, credential headers (Authorization, Api-Key, cookies, …:
`cnikit.credentials`) become `[masked]`, and every occurrence of a known secret of the instance (a secret
connection field, a connection token; 4 characters or more, as is or percent-encoded) in a URL, a header or a body
becomes `[secret:<name>]`. On the way back (replay) those placeholders are filled in memory with the secrets' values
now, so requests still match (method, URL and body); `[masked]` headers stay masked. Cassette files are 0600.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from cnikit.credentials import mask_headers
from cnikit.private_files import private_dir, tighten, write_private
from cnikit.project import local_dir

HttpMode = Literal["live", "record", "replay"]
HTTP_MODES: tuple[HttpMode, ...] = ("live", "record", "replay")
CASSETTE_VERSION = 1
MIN_SECRET = 4  # shorter values are not credentials, and would be found everywhere
Secrets = Mapping[str, str]  # a name (`<config var>/<field>`) → the secret's value


class CassetteError(ValueError):
    """A cassette that cannot be used for replay: missing or malformed. The message says what to do."""


def cassette_path(root: Path, name: str) -> Path:
    """Where the cassette called `name` lives (`.spectral/local/mocks/http/<name>.json`)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "cassette"
    return local_dir(root) / "mocks" / "http" / f"{safe}.json"


def load_cassette(path: Path, secrets: Secrets | None = None) -> list[dict[str, Any]]:
    """The cassette's exchanges in the runner's wire form (bodies base64), `[secret:…]` placeholders filled from
    `secrets`; raises `CassetteError`. Tightens the file to 0600."""
    if not path.is_file():
        raise CassetteError(f"No cassette at {path}: run the flow once with --http record to record one")
    tighten(path)
    restore = [(placeholder, value) for value, placeholder in _secret_forms(secrets or {})]
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        exchanges = raw["exchanges"]
        return [
            _swapped(
                {
                    "client": item.get("client", "http"),
                    "request": {**item["request"], "body": _to_wire(item["request"].get("body"))},
                    "response": {**item["response"], "body": _to_wire(item["response"].get("body"))},
                },
                restore,
            )
            for item in exchanges
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CassetteError(f"{path} is not a cassette this version can read ({error}); record it again") from None


def redact(exchange: dict[str, Any], secrets: Secrets) -> dict[str, Any]:
    """An exchange (wire form) as a cassette keeps it: credential headers masked, known secrets as placeholders."""
    hidden = _secret_forms(secrets)
    masked = {
        **exchange,
        "request": {**exchange["request"], "headers": mask_headers(exchange["request"].get("headers") or {})},
        "response": {**exchange["response"], "headers": mask_headers(exchange["response"].get("headers") or {})},
    }
    return _swapped(masked, hidden)


def record_cassette(path: Path, exchanges: list[dict[str, Any]], secrets: Secrets | None = None) -> str | None:
    """Save what a `--http record` run recorded, unless that would replace a cassette by an empty one.

    A run that recorded nothing (it failed before any answer, say a DNS error) keeps the previous cassette: the
    user's earlier recording is worth more than an empty one. Returns a note saying so, or None when it saved.
    """
    if not exchanges and path.is_file():
        try:
            previous = len(json.loads(path.read_text(encoding="utf-8")).get("exchanges") or [])
        except (OSError, ValueError, AttributeError):
            previous = -1  # unreadable: still the user's file, still kept
        if previous != 0:
            count = f"its {previous} exchange{'s' if previous != 1 else ''}" if previous > 0 else "it"
            return f"Nothing was recorded; kept the previous cassette {path} and {count}"
    save_cassette(path, exchanges, secrets)
    return None


def save_cassette(path: Path, exchanges: list[dict[str, Any]], secrets: Secrets | None = None) -> Path:
    """Write exchanges (wire form) as a readable, redacted cassette, atomically and 0600."""
    items = []
    for exchange in exchanges:
        item = redact(exchange, secrets or {})
        items.append(
            {
                "client": item.get("client", "http"),
                "request": {**item["request"], "body": _from_wire(item["request"].get("body"))},
                "response": {**item["response"], "body": _from_wire(item["response"].get("body"))},
            }
        )
    private_dir(path.parent.parent)  # mocks/
    private_dir(path.parent)  # mocks/http/
    write_private(path, json.dumps({"version": CASSETTE_VERSION, "exchanges": items}, indent=2) + "\n")
    return path


def _secret_forms(secrets: Secrets) -> list[tuple[str, str]]:
    """(how a secret may appear, its placeholder), longest first so a secret inside another is not split.

    Both forms are listed even when they are equal, so a placeholder recorded for one is filled in whatever the
    secret's value is at replay; when equal, the plain one (listed first, stable sort) is the one written."""
    forms: list[tuple[str, str]] = []
    for name, value in secrets.items():
        if len(value) >= MIN_SECRET:
            forms += [(value, f"[secret:{name}]"), (quote(value, safe=""), f"[secret:{name}:url]")]
    return sorted(forms, key=lambda pair: -len(pair[0]))


def _swap(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def _swapped(exchange: dict[str, Any], pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`exchange` (wire form) with each `old` replaced by `new` in its URL, header values and bodies."""
    if not pairs:
        return exchange
    raw = [(old.encode(), new.encode()) for old, new in pairs]

    def body(wire: Any) -> str:
        data = base64.b64decode(wire or "")
        for old, new in raw:
            data = data.replace(old, new)
        return base64.b64encode(data).decode()

    def headers(values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            key: [_swap(str(v), pairs) for v in value] if isinstance(value, list) else _swap(str(value), pairs)
            for key, value in values.items()
        }

    request, response = exchange["request"], exchange["response"]
    return {
        **exchange,
        "request": {
            **request,
            "url": _swap(str(request.get("url", "")), pairs),
            "headers": headers(request.get("headers") or {}),
            "body": body(request.get("body")),
        },
        "response": {**response, "headers": headers(response.get("headers") or {}), "body": body(response.get("body"))},
    }


def _from_wire(body: str | None) -> dict[str, str]:
    data = base64.b64decode(body or "")
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": body or ""}


def _to_wire(body: Any) -> str:
    if isinstance(body, dict):
        if "text" in body:
            return base64.b64encode(str(body["text"]).encode()).decode()
        return str(body.get("base64", ""))
    if isinstance(body, str):  # hand-written cassettes may hold the text directly
        return base64.b64encode(body.encode()).decode()
    return ""
