"""Output formats of `cnikit check`: human (coloured on a tty), JSON, SARIF 2.1.0 and GitHub annotations.

Positions are printed 1-based (the model's spans are 0-based); columns count characters. Paths are shown
relative to `base` (the current directory) when they are below it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # kept out of the import path of `cnikit`'s start-up (pydantic is not needed to parse options)
    from cnikit.diagnostics import Diagnostic, Severity


def wants_color(stream: IO[str]) -> bool:
    """Whether output to `stream` is coloured by default: on a terminal, unless `NO_COLOR` is set (`--no-color`
    turns colour off in the root command's context, so `typer.echo` strips it from whatever is printed)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


_SEVERITIES = ("error", "warning", "info", "hint")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class Format(StrEnum):
    """The output formats of `cnikit check --format`."""

    HUMAN = "human"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"


@dataclass(frozen=True)
class RuleInfo:
    """What a report says about a code: severity and one-line summary (from the check registry)."""

    code: str
    severity: Severity
    summary: str


@dataclass(frozen=True)
class Summary:
    """What was checked: the projects and how many files were read."""

    projects: Sequence[Path]
    files: int


# Keyed by severity value (Severity is a StrEnum, so its members look these up directly).
_COLORS = {"error": "red", "warning": "yellow", "info": "blue", "hint": "cyan"}
_SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}
_GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def display_path(path: Path, base: Path) -> str:
    """`path` relative to `base` when below it, else absolute; always with forward slashes."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def render(
    diagnostics: Sequence[Diagnostic],
    fmt: Format,
    *,
    base: Path,
    summary: Summary,
    rules: Mapping[str, RuleInfo],
    color: bool = False,
    version: str = "",
) -> str:
    """The report of `diagnostics` in `fmt`, ending with a newline (empty for GitHub with nothing to say)."""
    if fmt is Format.JSON:
        return _json(diagnostics, base, summary) + "\n"
    if fmt is Format.SARIF:
        return _sarif(diagnostics, base, rules, version) + "\n"
    if fmt is Format.GITHUB:
        return "".join(_github(d, base) + "\n" for d in diagnostics)
    return _human(diagnostics, base, summary, color)


def summary_line(diagnostics: Sequence[Diagnostic], summary: Summary) -> str:
    """`Found 2 errors and 1 warning in 1 project (5 files).` or `No problems found in …`."""
    counts = Counter(str(d.severity) for d in diagnostics)
    projects = len(summary.projects)
    where = (
        f"{projects} project{'s' if projects != 1 else ''} ({summary.files} file{'s' if summary.files != 1 else ''})"
    )
    if not diagnostics:
        return f"No problems found in {where}."
    parts = [f"{counts[sev]} {sev}{'s' if counts[sev] != 1 else ''}" for sev in _SEVERITIES if counts[sev]]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Found {listed} in {where}."


def _human(diagnostics: Sequence[Diagnostic], base: Path, summary: Summary, color: bool) -> str:
    import click

    lines: list[str] = []
    for d in diagnostics:
        location = f"{display_path(d.span.file, base)}:{d.span.line + 1}:{d.span.col + 1}"
        code = d.code
        if color:
            location = click.style(location, bold=True)
            code = click.style(code, fg=_COLORS[d.severity], bold=d.severity == "error")
        lines.append(f"{location} {code} {d.message}")
    line = summary_line(diagnostics, summary)
    if color:
        errors = any(d.severity == "error" for d in diagnostics)
        line = click.style(line, fg="red" if errors else ("yellow" if diagnostics else "green"))
    if lines:
        lines.append("")
    lines.append(line)
    return "\n".join(lines) + "\n"


def _end(d: Diagnostic) -> tuple[int, int]:
    return d.span.end_line + 1, d.span.end_col + 1


def _json(diagnostics: Sequence[Diagnostic], base: Path, summary: Summary) -> str:
    items: list[dict[str, Any]] = []
    for d in diagnostics:
        end_line, end_col = _end(d)
        item: dict[str, Any] = {
            "code": d.code,
            "severity": d.severity.value,
            "message": d.message,
            "file": display_path(d.span.file, base),
            "line": d.span.line + 1,
            "column": d.span.col + 1,
            "endLine": end_line,
            "endColumn": end_col,
        }
        if d.fix is not None:
            item["fix"] = {
                "title": d.fix.title,
                "edits": [
                    {
                        "file": display_path(edit.span.file, base),
                        "line": edit.span.line + 1,
                        "column": edit.span.col + 1,
                        "endLine": edit.span.end_line + 1,
                        "endColumn": edit.span.end_col + 1,
                        "newText": edit.new_text,
                    }
                    for edit in d.fix.edits
                ],
            }
        items.append(item)
    counts = Counter(str(d.severity) for d in diagnostics)
    document = {
        "diagnostics": items,
        "summary": {
            "projects": [display_path(p, base) for p in summary.projects],
            "files": summary.files,
            **{severity + "s": counts.get(severity, 0) for severity in _SEVERITIES},
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _sarif(diagnostics: Sequence[Diagnostic], base: Path, rules: Mapping[str, RuleInfo], version: str) -> str:
    codes = sorted(set(rules) | {d.code for d in diagnostics})
    rule_index = {code: index for index, code in enumerate(codes)}
    sarif_rules = []
    for code in codes:
        info = rules.get(code)
        rule: dict[str, Any] = {"id": code}
        if info is not None:
            rule["shortDescription"] = {"text": info.summary}
            rule["defaultConfiguration"] = {"level": _SARIF_LEVELS[info.severity]}
        sarif_rules.append(rule)
    results = []
    for d in diagnostics:
        end_line, end_col = _end(d)
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": rule_index[d.code],
            "level": _SARIF_LEVELS[d.severity],
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(d.span.file, base),
                        "region": {
                            "startLine": d.span.line + 1,
                            "startColumn": d.span.col + 1,
                            "endLine": end_line,
                            "endColumn": end_col,
                        },
                    }
                }
            ],
        }
        if d.fix is not None and d.fix.edits:
            result["fixes"] = [
                {
                    "description": {"text": d.fix.title},
                    "artifactChanges": [
                        {
                            "artifactLocation": _artifact(edit.span.file, base),
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": edit.span.line + 1,
                                        "startColumn": edit.span.col + 1,
                                        "endLine": edit.span.end_line + 1,
                                        "endColumn": edit.span.end_col + 1,
                                    },
                                    "insertedContent": {"text": edit.new_text},
                                }
                            ],
                        }
                        for edit in d.fix.edits
                    ],
                }
            ]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "cnikit", "version": version or "0", "rules": sarif_rules}},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": base.resolve().as_uri() + "/"}},
                # Our columns count code points, not SARIF's default UTF-16 code units.
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _artifact(path: Path, base: Path) -> dict[str, str]:
    """A SARIF artifact location: relative to %SRCROOT% (the current folder) when below it, else a file URI."""
    try:
        return {"uri": path.relative_to(base).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": path.as_uri() if path.is_absolute() else path.as_posix()}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(d: Diagnostic, base: Path) -> str:
    end_line, end_col = _end(d)
    props = [
        f"file={_escape_property(display_path(d.span.file, base))}",
        f"line={d.span.line + 1}",
        f"col={d.span.col + 1}",
        f"endLine={end_line}",
        f"endColumn={end_col}",
        f"title={_escape_property(d.code)}",
    ]
    return f"::{_GITHUB_LEVELS[d.severity]} {','.join(props)}::{_escape_data(d.message)}"
