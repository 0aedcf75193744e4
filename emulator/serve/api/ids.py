"""Opaque ids and cursors, shaped like the platform's: `base64("<Type>:<key>")` (e.g. `SW50ZWdyYXRpb246…`).

Clients treat them as opaque; the emulator decodes its own to find what they name. A value that is not one of
ours decodes to None, never an exception (bad input is answered with a clear message by the caller).
"""

from __future__ import annotations

import base64
import binascii


def global_id(kind: str, key: str | int) -> str:
    """`base64("<kind>:<key>")`."""
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


def parse_id(value: str | None, kind: str) -> str | None:
    """The key of a `global_id(kind, key)`, or None when `value` is not one of that kind."""
    if not value:
        return None
    try:
        text = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix = f"{kind}:"
    return text[len(prefix) :] if text.startswith(prefix) else None


def cursor(kind: str, position: int) -> str:
    """A page cursor: the position (a row id or an index) of the last item seen."""
    return global_id(f"{kind}Cursor", position)


def parse_cursor(value: str | None, kind: str) -> int | None:
    """The position in a `cursor(kind, position)`; None for no cursor (`""` counts as none, as prism sends it).

    Raises ValueError for a cursor that is not one of ours, so a client never silently restarts from the top.
    """
    if not value:
        return None
    key = parse_id(value, f"{kind}Cursor")
    if key is None or not key.lstrip("-").isdigit():
        raise ValueError(f"'{value}' is not a cursor of this list ({kind})")
    return int(key)


def start_after(value: str | None, kind: str) -> int:
    """The index a page starts at: just after the position in a `cursor(kind, index)`, 0 without one."""
    position = parse_cursor(value, kind)
    return 0 if position is None else position + 1
