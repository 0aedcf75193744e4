"""Outbound HTTP of a flow: live, recorded once into a cassette, or replayed from it offline.

`--http live` lets requests through untouched. `--http record` lets them through and saves every request and
response (Node `http`, `https` and `fetch`; the runner intercepts them) to a cassette,
`.spectral/local/mocks/http/<name>.json` (by default the flow's stable key). `--http replay` answers every request
from the cassette, in recorded order, and fails the execution with a clear error on a request the cassette does not
have — no network at all. That is what makes a run, and the replay of a stored execution, reproducible.

Cassette file: `{"version": 1, "exchanges": [{"client", "request": {method, url, headers, body}, "response":
{status, statusMessage, headers, body}}]}` where each body is `{"text": …}` when it is UTF-8 text, else
`{"base64": …}` — readable and editable by hand.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any, Literal

from cnikit.project import local_dir

HttpMode = Literal["live", "record", "replay"]
HTTP_MODES: tuple[HttpMode, ...] = ("live", "record", "replay")
CASSETTE_VERSION = 1


class CassetteError(ValueError):
    """A cassette that cannot be used for replay: missing or malformed. The message says what to do."""


def cassette_path(root: Path, name: str) -> Path:
    """Where the cassette called `name` lives (`.spectral/local/mocks/http/<name>.json`)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "cassette"
    return local_dir(root) / "mocks" / "http" / f"{safe}.json"


def load_cassette(path: Path) -> list[dict[str, Any]]:
    """The cassette's exchanges in the runner's wire form (bodies base64); raises `CassetteError`."""
    if not path.is_file():
        raise CassetteError(f"No cassette at {path}: run the flow once with --http record to record one")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        exchanges = raw["exchanges"]
        return [
            {
                "client": item.get("client", "http"),
                "request": {**item["request"], "body": _to_wire(item["request"].get("body"))},
                "response": {**item["response"], "body": _to_wire(item["response"].get("body"))},
            }
            for item in exchanges
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CassetteError(f"{path} is not a cassette this version can read ({error}); record it again") from None


def record_cassette(path: Path, exchanges: list[dict[str, Any]]) -> str | None:
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
    save_cassette(path, exchanges)
    return None


def save_cassette(path: Path, exchanges: list[dict[str, Any]]) -> Path:
    """Write exchanges (wire form) as a readable cassette, atomically."""
    items = [
        {
            "client": item.get("client", "http"),
            "request": {**item["request"], "body": _from_wire(item["request"].get("body"))},
            "response": {**item["response"], "body": _from_wire(item["response"].get("body"))},
        }
        for item in exchanges
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"version": CASSETTE_VERSION, "exchanges": items}, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


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
