"""Checks on flow payload files, `.spectral/flows/<stableKey>/payloads/*.json` (the official extension's format):
the JSON must parse, `contentType` must be one the platform accepts, and the folder must belong to a flow.

Parsing is `cnikit.payloads`' job; these checks only turn its errors into diagnostics with ranges.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import known_flows, rename_fix, suggest
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import Span
from cnikit.payloads import CONTENT_TYPES, PayloadError, list_payloads, parse_payload

CONTENT_TYPE_VALUE = re.compile(r'"contentType"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\s]+)')


def read(ctx: CheckContext, path: Path) -> str:
    """A file of the project as the editor has it: the unsaved overlay when there is one, else the file on disk."""
    overlay = ctx.project.overlays.get(path.resolve())
    return overlay if overlay is not None else path.read_text(encoding="utf-8")


def _problems(ctx: CheckContext) -> Iterator[tuple[Path, str, PayloadError]]:
    """Every payload file `cnikit.payloads` refuses, with the text it read and its error."""
    for files in list_payloads(ctx.root).values():
        for path in files:
            try:
                text = read(ctx, path)
            except (OSError, UnicodeDecodeError):
                continue  # unreadable now (being written, or not text): the next run sees it again
            try:
                parse_payload(text, path)
            except PayloadError as error:
                yield path, text, error


def _line_span(path: Path, text: str, line: int, col: int) -> Span:
    """From (line, col) to the end of that line."""
    lines = text.splitlines()
    end = len(lines[line]) if line < len(lines) else col
    return Span(file=path, line=line, col=col, end_line=line, end_col=max(end, col + 1))


def _offset_span(path: Path, text: str, start: int, end: int) -> Span:
    line = text.count("\n", 0, start)
    col = start - (text.rfind("\n", 0, start) + 1)
    end_line = text.count("\n", 0, end)
    end_col = end - (text.rfind("\n", 0, end) + 1)
    return Span(file=path, line=line, col=col, end_line=end_line, end_col=end_col)


@check("CNI801", Severity.ERROR, "payload file is not valid JSON")
def payload_json(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a payload file that is not valid JSON, which no flow run can load."""
    for path, text, error in _problems(ctx):
        if error.reason.startswith("invalid JSON"):
            yield ctx.report(
                _line_span(path, text, error.line, error.col),
                f"Payload file {path.name} is not valid JSON ({error.reason.removeprefix('invalid JSON: ')}); "
                "expected an object with headers, data and contentType.",
            )


@check("CNI802", Severity.ERROR, "payload contentType is not one the platform accepts")
def payload_content_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a payload contentType the platform does not accept for a trigger payload."""
    for path, text, error in _problems(ctx):
        if not error.reason.startswith("contentType"):
            continue
        match = CONTENT_TYPE_VALUE.search(text)
        span = _offset_span(path, text, *match.span(1)) if match else _line_span(path, text, 0, 0)
        value = json.loads(text).get("contentType")
        close = suggest(value, CONTENT_TYPES) if isinstance(value, str) else None
        quoted = match is not None and match.group(1).startswith('"')
        yield ctx.report(
            span,
            f"Payload file {path.name} has contentType {json.dumps(value)}; expected one of "
            f"{', '.join(CONTENT_TYPES)}." + (f' Did you mean "{close}"?' if close else ""),
            fix=rename_fix(_offset_span(path, text, match.start(1) + 1, match.end(1) - 1), close)
            if close and match and quoted
            else None,
        )


@check("CNI803", Severity.ERROR, "payload file has the wrong shape")
def payload_shape(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a payload file whose JSON lacks the shape of the official extension's format (headers, data,
    contentType)."""
    for path, text, error in _problems(ctx):
        if error.reason.startswith(("invalid JSON", "contentType")):
            continue
        key = next((key for key in ("headers", "data") if error.reason.startswith(key)), None)
        match = re.search(rf'"{key}"\s*:', text) if key else None
        span = _offset_span(path, text, match.start(), match.start() + len(key) + 2) if match and key else None
        yield ctx.report(span or _line_span(path, text, 0, 0), f"Payload file {path.name}: {error.reason}.")


@check("CNI804", Severity.WARNING, "payload folder of a stable key no flow has")
def payload_orphan(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about payloads stored under a stable key no flow has (often a renamed flow), so no flow can use them."""
    flows = known_flows(ctx.project)
    if flows is None or any(flow.stable_key is None for flow in flows):
        return
    keys = sorted(flow.stable_key for flow in flows if flow.stable_key is not None)
    for stable_key, files in list_payloads(ctx.root).items():
        if stable_key in keys:
            continue
        close = suggest(stable_key, keys)
        hint = f'; did you mean "{close}"?' if close else f"; the flows' stable keys are {', '.join(keys)}."
        for path in files:
            try:
                text = read(ctx, path)
            except (OSError, UnicodeDecodeError):
                text = ""
            yield ctx.report(
                _line_span(path, text, 0, 0),
                f'Payload file {path.name} is stored for flow stable key "{stable_key}", but no flow has that stable '
                f"key, so no flow can use it{hint}",
            )
