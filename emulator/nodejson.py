"""JSON exactly as Node reads and writes it: `parse` is `JSON.parse` of a request body, `stringify` is what
`JSON.stringify` makes of a value that came back from the flow.

`parse` (spec/runtime.md §2.5): the body is read as UTF-8 (invalid bytes become U+FFFD, like `Buffer.toString`);
`NaN`, `Infinity` and `-Infinity` literals are not JSON (`MalformedJson`); a number beyond a double is `±inf`
(`1e999` is `Infinity` in Node); every number is a double, so integers beyond 2**53 become floats and `-0` stays
negative; lone surrogates (`"\\ud800"`) are kept; arrays and objects nested thousands deep parse (up to
`MAX_DEPTH`, far beyond CPython's default recursion limit of 1,000, which is raised here once for that).

`stringify`: bytes become `{"type": "Buffer", "data": [...]}` (a Buffer's `toJSON`), datetimes ISO 8601 with
milliseconds and `Z`, non-finite numbers `null`; text is UTF-8 (lone surrogates escaped, as `JSON.stringify` does).
"""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime
from typing import Any

MAX_DEPTH = 20_000  # a 6 MB body could nest deeper; past this the body is refused with a clear message
MAX_SAFE_INTEGER = 2**53

# Every recursive walk of a parsed value (the JSON codec, the wire's encode/decode, masking) needs a frame per
# level; CPython's default of 1,000 would fail a 5,000-deep body that Node reads without a word.
if sys.getrecursionlimit() < MAX_DEPTH + 1_000:
    sys.setrecursionlimit(MAX_DEPTH + 1_000)


class MalformedJson(ValueError):
    """Text that `JSON.parse` rejects."""


class TooDeep(ValueError):
    """JSON nested deeper than `MAX_DEPTH` levels."""


def _refuse_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not JSON")


def _number(text: str) -> int | float:
    value = int(text)
    if value == 0 and text.startswith("-"):
        return -0.0
    return value if abs(value) <= MAX_SAFE_INTEGER else float(text)


def parse(body: bytes | str) -> Any:
    """The value `JSON.parse` gives for this text; raises `MalformedJson` or `TooDeep`."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_int=_number)
    except RecursionError:
        raise TooDeep(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    except MalformedJson:
        raise
    except ValueError as error:
        raise MalformedJson(str(error)) from None


def _node_value(value: Any) -> Any:
    """`value` with what JSON cannot hold turned into what `JSON.stringify` writes for it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return {"type": "Buffer", "data": list(bytes(value))}
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dict):
        return {str(k): _node_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_node_value(v) for v in value]
    return value


def utf8(text: str) -> bytes:
    """The bytes Node writes for a string (`Buffer.from(text)`): a lone surrogate becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def stringify(value: Any) -> bytes:
    """The UTF-8 bytes of `JSON.stringify(value)` for a value from the flow (see the module docstring)."""
    node = _node_value(value)
    try:
        return json.dumps(node, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: JSON.stringify escapes it, and so does ensure_ascii
        return json.dumps(node, allow_nan=False, separators=(",", ":")).encode("utf-8")
