"""Small helpers the check families share: known-value accessors, spans, "did you mean" and fixes.

Every accessor returns None when the value is absent *or* not statically known, so a check written with them
cannot report on something an unknown value might hide.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from cnikit.analysis.checks import CheckContext
from cnikit.diagnostics import Diagnostic, Fix, TextEdit
from cnikit.model import (
    ConfigVar,
    Flow,
    JsArray,
    JsBoolean,
    JsFunction,
    JsNull,
    JsNumber,
    JsObject,
    JsString,
    JsUndefined,
    JsValue,
    ProjectModel,
    Span,
)

KNOWN_SPECTRAL = (10, 31, 1)
T = TypeVar("T")


def found_flows(project: ProjectModel) -> list[Flow]:
    """The flows the analyser found (perhaps not all of them: enough for checks that look at one flow at a time)."""
    return project.integration.flows if project.integration is not None else []


def found_config_vars(project: ProjectModel) -> list[ConfigVar]:
    """The config variables the analyser found (perhaps not all: enough for checks on one variable at a time)."""
    return project.integration.all_config_vars() if project.integration is not None else []


_VERSIONS: dict[Path, tuple[Path | None, float, tuple[int, ...] | None]] = {}


def spectral_version(root: Path) -> tuple[int, ...] | None:
    """The version of `@prismatic-io/spectral` Node would load for the project (walking up like Node), if any.

    Remembered per project and re-read when its package.json changes (an `npm install` while the server runs).
    """
    root = root.resolve()
    cached = _VERSIONS.get(root)
    if cached is not None and cached[0] is not None and _mtime(cached[0]) == cached[1]:
        return cached[2]
    for folder in (root, *root.parents):
        manifest = folder / "node_modules" / "@prismatic-io" / "spectral" / "package.json"
        if manifest.is_file():
            try:
                text = str(json.loads(manifest.read_text(encoding="utf-8")).get("version", ""))
                version: tuple[int, ...] | None = tuple(int(part) for part in text.split("-")[0].split("."))
            except (OSError, ValueError, AttributeError):
                version = None
            _VERSIONS[root] = (manifest, _mtime(manifest), version)
            return version
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def newer_spectral(root: Path) -> bool:
    """True when the project runs a spectral newer than the one these checks' lists of names and values come from
    (10.31.1): a name they do not know may then be new, so checks of unknown names stay silent."""
    version = spectral_version(root)
    return version is not None and version > KNOWN_SPECTRAL


def known_flows(project: ProjectModel) -> list[Flow] | None:
    """Every flow, or None when the list of flows is not fully known (a check on all flows must not run)."""
    integration = project.integration
    if integration is None or not integration.flows_complete:
        return None
    return integration.flows


def known_config_vars(project: ProjectModel) -> list[ConfigVar] | None:
    """Every config variable, or None when some page or list of variables is not fully known."""
    integration = project.integration
    if integration is None or not integration.config_vars_complete:
        return None
    return integration.all_config_vars()


def repeats(items: Iterable[T], key: Callable[[T], str | None]) -> Iterator[tuple[T, T]]:
    """Each item whose key (skipped when None) an earlier item already has, paired with that first item."""
    first: dict[str, T] = {}
    for item in items:
        name = key(item)
        if name is not None and (earlier := first.setdefault(name, item)) is not item:
            yield item, earlier


def truthy(value: JsValue | None) -> bool | None:
    """JavaScript truthiness of a value, None when the value is not statically known."""
    if value is None or isinstance(value, JsUndefined | JsNull):
        return False
    if isinstance(value, JsBoolean):
        return value.value
    if isinstance(value, JsNumber):
        return value.value != 0
    if isinstance(value, JsString):
        return value.value != ""
    if isinstance(value, JsObject | JsFunction) or value.kind in ("array", "call"):
        return True
    return None


def present(obj: JsObject, key: str) -> bool | None:
    """Whether `obj[key]` is truthy; None when unknown (an unknown value, or a key a spread may hide)."""
    if key not in obj.props:
        return False if obj.complete else None
    return truthy(obj.props[key].value)


def get(obj: JsObject | None, key: str) -> JsValue | None:
    """`obj[key]`, or None when `obj` is None or has no such property."""
    return obj.get(key) if obj is not None else None


def has(obj: JsObject | None, key: str) -> bool | None:
    """True/False when it is known whether `obj` has `key` (set to anything but `undefined`); None when unknown."""
    if obj is None:
        return None
    value = obj.get(key)
    if value is not None and not isinstance(value, JsUndefined):
        return True
    return False if obj.complete else None


def string(obj: JsObject | None, key: str) -> str | None:
    """`obj[key]` when it is a known string."""
    value = get(obj, key)
    return value.value if isinstance(value, JsString) else None


def number(obj: JsObject | None, key: str) -> float | None:
    """`obj[key]` when it is a known number."""
    value = get(obj, key)
    return value.value if isinstance(value, JsNumber) else None


def boolean(obj: JsObject | None, key: str) -> bool | None:
    """`obj[key]` when it is a known boolean."""
    value = get(obj, key)
    return value.value if isinstance(value, JsBoolean) else None


def obj_at(obj: JsObject | None, key: str) -> JsObject | None:
    """`obj[key]` when it is an object literal (complete or not)."""
    value = get(obj, key)
    return value if isinstance(value, JsObject) else None


def strings(value: JsValue | None) -> list[tuple[str, Span | None]] | None:
    """The items of a fully known array of strings, with their spans; None otherwise."""
    if not isinstance(value, JsArray) or not value.complete:
        return None
    if not all(isinstance(item, JsString) for item in value.items):
        return None
    return [(item.value, item.span) for item in value.items if isinstance(item, JsString)]


def value_span(obj: JsObject | None, key: str, fallback: Span | None = None) -> Span | None:
    """The span of `obj[key]`'s value (else its key, else `fallback`)."""
    if obj is not None and key in obj.props:
        prop = obj.props[key]
        return prop.value.span or prop.key_span or fallback
    return fallback


def key_span(obj: JsObject | None, key: str, fallback: Span | None = None) -> Span | None:
    """The span of `obj`'s property key `key` (else its value, else `fallback`)."""
    if obj is not None and key in obj.props:
        prop = obj.props[key]
        return prop.key_span or prop.value.span or fallback
    return fallback


def first_span(*spans: Span | None) -> Span | None:
    """The first span that is not None."""
    return next((span for span in spans if span is not None), None)


def flow_span(flow: Flow) -> Span | None:
    """Where to point for a problem of the flow as a whole: its name, else the flow expression."""
    return first_span(flow.name_span, flow.span, flow.obj.span)


def var_span(var: ConfigVar) -> Span | None:
    """Where to point for a problem of a config variable as a whole: its name (the element key)."""
    return first_span(var.name_span, var.span, var.obj.span if var.obj else None)


def inner(span: Span, value: JsString) -> Span:
    """The span inside the quotes of a single-line string literal (for edits that keep the quotes)."""
    if span.line == span.end_line and span.end_col - span.col == len(value.value) + 2:
        return span.model_copy(update={"col": span.col + 1, "end_col": span.end_col - 1})
    return span


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to `name` ("did you mean"), or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def not_one_of(
    ctx: CheckContext, value: JsValue | None, known: Sequence[str], name: str, owner: str = "", *, fold: bool = False
) -> Diagnostic | None:
    """For a string `value` that is not among `known`: `<name> "<value>"<owner> is not one of <known>.` at the
    string, with a "did you mean" and its rename fix when one is close (compared in lower case when `fold`).
    None when the value is fine, absent or not a known string."""
    if not isinstance(value, JsString) or value.value in known or value.span is None:
        return None
    close = suggest(value.value.lower() if fold else value.value, known)
    return ctx.report(
        value.span,
        f'{name} "{value.value}"{owner} is not one of {", ".join(known)}.'
        + (f' Did you mean "{close}"?' if close else ""),
        fix=rename_fix(inner(value.span, value), close) if close else None,
    )


def rename_fix(span: Span, new_text: str) -> Fix:
    """A fix that replaces the text at `span` by `new_text`."""
    return Fix(title=f'Change to "{new_text}"', edits=[TextEdit(span=span, new_text=new_text)])


def quoted(text: str) -> str:
    """`text` in double quotes, the way messages name things."""
    return f'"{text}"'
