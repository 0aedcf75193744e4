"""Flow test payload files, in the official extension's format and place.

`<project>/.spectral/flows/<flowStableKey>/payloads/<name>.json` holds
`{"headers": {...} | [], "data": object | string, "contentType": "application/json" | "application/xml" |
"application/csv"}`. The official extension, the emulator (`cnikit run --payload`), the language server and the
TUI all read and write them through this module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

FLOWS_DIR = Path(".spectral") / "flows"
PAYLOADS_DIR = "payloads"
CONTENT_TYPES = ("application/json", "application/xml", "application/csv")
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")
DEFAULT_PAYLOAD: dict[str, Any] = {
    "headers": {"prismatic-debug": "false"},
    "data": {},
    "contentType": "application/json",
}


class PayloadError(ValueError):
    """A payload file that cannot be used. The message names the file and, for bad JSON, the line and column."""

    def __init__(self, path: Path, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(f"{path}:{line + 1}:{col + 1}: {message}")
        self.path = path
        self.line = line  # 0-based
        self.col = col  # 0-based
        self.reason = message


class Payload(BaseModel):
    """A payload file's content. `headers` may be `[]` in files the official extension wrote."""

    headers: dict[str, str] = Field(default_factory=dict)
    data: Any = None
    contentType: str = "application/json"  # the official file format's key

    def body(self) -> bytes:
        """The request body this payload stands for: strings as they are, anything else as JSON."""
        if isinstance(self.data, str):
            return self.data.encode()
        return json.dumps(self.data).encode()


def payloads_dir(root: Path, stable_key: str) -> Path:
    """The folder that holds the payload files of the flow with this stable key."""
    return root / FLOWS_DIR / stable_key / PAYLOADS_DIR


def list_payloads(root: Path) -> dict[str, list[Path]]:
    """Payload files of every flow folder, by stable key (sorted; only `*.json`, not recursive)."""
    base = root / FLOWS_DIR
    if not base.is_dir():
        return {}
    found: dict[str, list[Path]] = {}
    for flow_dir in sorted(path for path in base.iterdir() if path.is_dir()):
        folder = flow_dir / PAYLOADS_DIR
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        found[flow_dir.name] = files
    return found


def parse_payload(text: str, path: Path) -> Payload:
    """Parse a payload file's text; raises `PayloadError` saying what is wrong and where."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise PayloadError(path, f"invalid JSON: {error.msg}", error.lineno - 1, error.colno - 1) from None
    if not isinstance(raw, dict):
        raise PayloadError(path, f"expected an object with headers, data and contentType, found {_kind(raw)}")
    headers = raw.get("headers", {})
    if headers == []:
        headers = {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise PayloadError(path, "headers must be an object of string values")
    content_type = raw.get("contentType", "application/json")
    if content_type not in CONTENT_TYPES:
        raise PayloadError(path, f"contentType {json.dumps(content_type)} is not one of {', '.join(CONTENT_TYPES)}")
    data = raw.get("data")
    if content_type != "application/json" and not isinstance(data, str):
        raise PayloadError(path, f"data must be a string when contentType is {content_type}")
    return Payload(headers=headers, data=data, contentType=content_type)


def load_payload(path: Path) -> Payload:
    """Read and parse a payload file; raises `PayloadError` (also for a missing or unreadable file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PayloadError(path, f"cannot read the payload file: {error.strerror}") from None
    except UnicodeDecodeError:
        raise PayloadError(path, "the payload file is not UTF-8 text") from None
    return parse_payload(text, path)


def validate_name(name: str) -> str | None:
    """The official extension's rule for payload names; returns the error message, or None when valid."""
    if not name:
        return "Payload name is required"
    if not NAME_PATTERN.match(name):
        return "Payload name can only contain letters, numbers, hyphens, and underscores"
    return None


def create_payload(
    root: Path, stable_key: str, name: str, payload: Payload | None = None, *, overwrite: bool = False
) -> Path:
    """Write a new payload file (the official default content unless `payload` is given) and return its path.

    Refuses an invalid name, and an existing file unless `overwrite` — nothing the user wrote is lost.
    """
    problem = validate_name(name)
    if problem:
        raise ValueError(problem)
    path = payloads_dir(root, stable_key) / f"{name}.json"
    if path.exists() and not overwrite:
        raise FileExistsError(f'Payload file "{path.name}" already exists')
    content = payload.model_dump() if payload else DEFAULT_PAYLOAD
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def _kind(value: object) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), "null"
    )
