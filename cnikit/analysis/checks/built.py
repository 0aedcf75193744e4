"""Checks of the built definition (CNI9xx): `cnikit check --built`.

`check_built` builds the project with its own build script (`cnikit.definition.build`), loads the bundle
(`cnikit.definition.loading`) and runs the checks registered here with the resulting `Build`. Errors spectral throws
while loading become diagnostics placed on the source the analyser knows, and every disagreement between the static
model and the built definition is reported — that is how the analyser is kept honest. A disagreement means cnikit's
static view is wrong somewhere, not that the project is: a warning.

Codes:
  CNI900  the project's build script failed
  CNI901  spectral threw while the built bundle was loaded (spectral's message, placed on the source)
  CNI902  the bundle loaded but has no readable definition
  CNI910–CNI919  flows disagree (missing, extra, order, stable key, schedule, trigger kind)
  CNI920–CNI929  config pages disagree (missing, extra, order, elements)
  CNI930–CNI939  config variables disagree (missing, extra, stable key, data type, other fields)
  CNI940  the integration's name disagrees
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from cnikit.analysis.checks import CheckContext, check, run_checks
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import (
    ConfigPage,
    ConfigVar,
    Flow,
    Integration,
    JsArray,
    JsBoolean,
    JsFunction,
    JsNumber,
    JsObject,
    JsString,
    JsUndefined,
    JsValue,
    ProjectModel,
    Span,
)

if TYPE_CHECKING:  # imported when used: every `cnikit check` loads this module, few of them build
    from cnikit.definition.build import BuildError
    from cnikit.definition.models import BuiltConfigPage, BuiltConfigVar, BuiltDefinition, BuiltFlow, DefinitionError

BUILD_FAILED = "CNI900"
LOAD_ERROR = "CNI901"
NO_DEFINITION = "CNI902"
FLOW_MISSING = "CNI910"
FLOW_EXTRA = "CNI911"
FLOW_ORDER = "CNI912"
FLOW_STABLE_KEY = "CNI913"
FLOW_SCHEDULE = "CNI914"
FLOW_TRIGGER = "CNI915"
PAGE_MISSING = "CNI920"
PAGE_EXTRA = "CNI921"
PAGE_ORDER = "CNI922"
PAGE_ELEMENTS = "CNI923"
VAR_MISSING = "CNI930"
VAR_EXTRA = "CNI931"
VAR_STABLE_KEY = "CNI932"
VAR_DATA_TYPE = "CNI933"
VAR_FIELD = "CNI934"
NAME_MISMATCH = "CNI940"

# A disagreement means cnikit's static view is wrong somewhere, not that the project is: a warning, and a hint that
# static diagnostics near it may be off.
_DISAGREE = " (cnikit's static reading disagrees with the build here)"
_OUTPUT_TAIL = 25  # lines of build output worth putting in a diagnostic
_LIFECYCLE_HOOKS = ("onInstanceDeploy", "onInstanceDelete", "webhookLifecycleHandlers")
# Standard config var fields the build copies as they are (after JSON-stringifying non-strings).
_VAR_FIELDS = ("codeLanguage", "collectionType", "timeZone")


@dataclass
class Build:
    """What building and loading one project gave: its definition, or the error that stopped it."""

    root: Path
    definition: BuiltDefinition | None = None
    build_error: BuildError | None = None  # the build script failed
    load_error: DefinitionError | None = None  # the bundle did not load, or holds no readable definition
    _disagreements: list[Diagnostic] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, root: Path, bundle: Path | None = None, progress: Callable[[str], None] | None = None) -> Build:
        """Build the project (unless `bundle` is given) and load its definition; `progress` hears the build."""
        from cnikit.definition.build import BuildError, build_with_project_script
        from cnikit.definition.loading import load_definition
        from cnikit.definition.models import DefinitionError

        try:
            bundle = bundle or build_with_project_script(root, progress)
        except BuildError as error:
            return cls(root, build_error=error)
        try:
            return cls(root, definition=load_definition(bundle))
        except DefinitionError as error:
            return cls(root, load_error=error)

    def disagreements(self, model: ProjectModel) -> list[Diagnostic]:
        """Every disagreement between `model` and the built definition (computed once: each CNI91x–CNI940 check
        takes its own code's share)."""
        if self._disagreements is None:
            self._disagreements = compare_definition(model, self.definition) if self.definition else []
        return self._disagreements


def check_built(
    root: Path,
    *,
    model: ProjectModel | None = None,
    bundle: Path | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> list[Diagnostic]:
    """`cnikit check --built`: build the project, load its definition, and run the selected CNI9xx checks.

    Build failures (CNI900), errors spectral throws while loading (CNI901, placed on the source the analyser knows)
    and unreadable definitions (CNI902) are errors; each disagreement between the static model and the built
    definition (CNI910–CNI940) is a warning. Pass `bundle` to skip the build, `model` to reuse an analysis.
    """
    from cnikit.analysis import analyze_project

    root = root.resolve()
    model = model or analyze_project(root)
    return run_checks(model, select, ignore, build=Build.of(root, bundle, progress))


def _build(ctx: CheckContext) -> Build:
    assert ctx.build is not None, "checks of the built definition run only with a Build"
    return ctx.build


@check(BUILD_FAILED, Severity.ERROR, "the project's build script failed", built=True)
def build_failed(ctx: CheckContext) -> Iterator[Diagnostic]:
    """The build tool's message and the tail of its output, on the `build` script of package.json."""
    error = _build(ctx).build_error
    if error is not None:
        lines = [line for line in error.output.splitlines() if not line.startswith("> ")]  # npm's echo of the script
        tail = "\n".join(lines[-_OUTPUT_TAIL:]).strip()
        yield ctx.report(_build_script_span(ctx.root / "package.json"), error.message + (f"\n{tail}" if tail else ""))


@check(LOAD_ERROR, Severity.ERROR, "spectral threw while the built bundle was loaded", built=True)
def load_error(ctx: CheckContext) -> Iterator[Diagnostic]:
    """spectral's own message, placed on the source that causes it when the analyser can tell."""
    error = _build(ctx).load_error
    if error is not None and error.kind == "load":
        yield load_error_diagnostic(error, ctx.project)


@check(NO_DEFINITION, Severity.ERROR, "the built bundle has no readable definition", built=True)
def no_definition(ctx: CheckContext) -> Iterator[Diagnostic]:
    """No bundle, no `codeNativeIntegrationYAML` in it, no Node, or a definition that does not parse."""
    error = _build(ctx).load_error
    if error is not None and error.kind != "load":
        yield load_error_diagnostic(error, ctx.project)


def _disagreement(code: str, ctx: CheckContext) -> list[Diagnostic]:
    """This code's share of the build's disagreements with the static model."""
    return [d for d in _build(ctx).disagreements(ctx.project) if d.code == code]


for _code, _summary in {
    FLOW_MISSING: "a flow of the source is not in the built definition",
    FLOW_EXTRA: "the built definition has a flow the source does not",
    FLOW_ORDER: "flows are in another order in the build",
    FLOW_STABLE_KEY: "a flow's stable key differs in the build",
    FLOW_SCHEDULE: "a flow's schedule differs in the build",
    FLOW_TRIGGER: "a flow's kind of trigger differs in the build",
    PAGE_MISSING: "a config page of the source is not in the built definition",
    PAGE_EXTRA: "the built definition has a config page the source does not",
    PAGE_ORDER: "config pages are in another order in the build",
    PAGE_ELEMENTS: "a config page holds other elements in the build",
    VAR_MISSING: "a config variable of the source is not in the built definition",
    VAR_EXTRA: "the built definition has a config variable the source does not",
    VAR_STABLE_KEY: "a config variable's stable key differs in the build",
    VAR_DATA_TYPE: "a config variable's data type differs in the build",
    VAR_FIELD: "a config variable's codeLanguage, collectionType, timeZone, defaultValue or pickList differs",
    NAME_MISMATCH: "the integration's name differs in the build",
}.items():
    check(_code, Severity.WARNING, _summary, built=True)(partial(_disagreement, _code))


def load_error_diagnostic(error: DefinitionError, model: ProjectModel) -> Diagnostic:
    """The diagnostic for a `DefinitionError`: spectral's message, placed where the analyser can place it."""
    from cnikit.definition.build import BUNDLE

    if error.kind != "load":
        return Diagnostic(code=NO_DEFINITION, severity=Severity.ERROR, span=_default_span(model), message=error.message)
    span = _load_error_span(error.message, model)
    # One line: some messages embed pretty-printed JSON.
    text = re.sub(r"\s*\n\s*", " ", error.message.strip())
    bundle = error.bundle or model.root / BUNDLE
    shown = bundle.relative_to(model.root) if bundle.is_relative_to(model.root) else bundle
    message = f"{text} (thrown while {shown.as_posix()} was loaded)"
    location = error.bundle_location()
    if span is None and location:
        message += f" at {location.replace(str(bundle), shown.as_posix(), 1)}"
    return Diagnostic(code=LOAD_ERROR, severity=Severity.ERROR, span=span or _default_span(model), message=message)


def _build_script_span(package_json: Path) -> Span:
    """The `"build"` key in package.json, else its start."""
    try:
        lines = package_json.read_text().splitlines()
    except OSError:
        return _file_start(package_json)
    for number, line in enumerate(lines):
        col = line.find('"build"')
        if col >= 0:
            return Span(file=package_json, line=number, col=col, end_line=number, end_col=col + len('"build"'))
    return _file_start(package_json)


def _file_start(path: Path) -> Span:
    return Span(file=path, line=0, col=0, end_line=0, end_col=0)


def _default_span(model: ProjectModel) -> Span:
    """The `integration` of the `integration(...)` call (not the whole call), else the start of src/index.ts."""
    if model.integration is None or model.integration.span is None:
        return _file_start(model.entry)
    start = model.integration.span
    try:
        line = start.file.read_text().splitlines()[start.line]
    except (OSError, IndexError):
        line = ""
    width = len("integration") if line[start.col :].startswith("integration") else 0
    return Span(file=start.file, line=start.line, col=start.col, end_line=start.line, end_col=start.col + width)


def _load_error_span(message: str, model: ProjectModel) -> Span | None:
    """Where the source causes spectral's load error, when the static model can tell (official-tooling.md C.3)."""
    integration = model.integration
    if integration is None:
        return None
    if match := re.match(r'Duplicate config var key: "(.*)"$', message):
        same = [var for var in integration.all_config_vars() if var.name == match.group(1)]
        # spectral trips over the second occurrence; point there.
        chosen = same[1] if len(same) > 1 else (same[0] if same else None)
        return chosen.name_span if chosen else None
    if match := re.match(r"Connection (.+?) has onPrem", message):
        var = next((v for v in integration.all_config_vars() if v.stable_key == match.group(1)), None)
        return var.name_span if var else None
    if match := re.match(r'Component with key "(.+?)" does not have an entry with key "(.+?)"', message):
        reference = _find_reference(integration, match.group(1), match.group(2))
        return _span_of(reference, "key", None) if reference is not None else None
    if match := re.match(r'Component with key "(.+?)" not found', message):
        reference = _find_reference(integration, match.group(1), None)
        return _span_of(reference, "component", None) if reference is not None else None
    if message.startswith("Only one flow may define a Preprocess Flow Config"):
        preprocess = [flow for flow in integration.flows if "preprocessFlowConfig" in flow.obj.props]
        if len(preprocess) > 1:
            return preprocess[1].obj.key_span("preprocessFlowConfig")
        return integration.obj.key_span("flows")
    if message.startswith("Invalid trigger configuration detected"):
        # Lifecycle hooks without an onTrigger (official-tooling.md pitfall 19): the JSON does not name the flow.
        hooked = [
            flow
            for flow in integration.flows
            if "onTrigger" not in flow.obj.props and any(hook in flow.obj.props for hook in _LIFECYCLE_HOOKS)
        ]
        return (hooked[0].name_span or hooked[0].span) if len(hooked) == 1 else None
    # Flow-level errors start with the flow's name; the longest name wins ("Sync" vs "Sync All").
    for flow in sorted(integration.flows, key=lambda f: len(f.name or ""), reverse=True):
        if flow.name and message.startswith(flow.name + " "):
            return flow.name_span or flow.span
    return None


def _find_reference(integration: Integration, component: str, key: str | None) -> JsObject | None:
    """The first registry reference `{component, key}` in a flow or config variable that names `component`."""
    roots: list[JsValue] = [flow.obj for flow in integration.flows]
    roots += [var.obj for var in integration.all_config_vars() if var.obj is not None]
    stack = list(reversed(roots))
    while stack:
        value = stack.pop()
        if isinstance(value, JsObject):
            if _static_str(value, "component") == component and (key is None or _static_str(value, "key") == key):
                return value
            stack.extend(reversed([prop.value for prop in value.props.values()]))
        elif isinstance(value, JsArray):
            stack.extend(reversed(value.items))
    return None


class _Unknown:
    """A static value the analyser could not resolve: never compared."""


UNKNOWN = _Unknown()


def _static_str(obj: JsObject | None, key: str) -> str | _Unknown | None:
    """The property as a known string; None when certainly absent; UNKNOWN otherwise."""
    if obj is None:
        return UNKNOWN
    value = obj.get(key)
    if value is None:
        return None if obj.complete else UNKNOWN
    if isinstance(value, JsUndefined):
        return None
    return value.value if isinstance(value, JsString) else UNKNOWN


def _static_default(obj: JsObject | None) -> str | _Unknown | None:
    """A config var's `defaultValue` as the YAML has it: strings as they are, booleans and numbers JSON-stringified."""
    if obj is None:
        return UNKNOWN
    value = obj.get("defaultValue")
    if isinstance(value, JsBoolean):
        return "true" if value.value else "false"
    if isinstance(value, JsNumber):
        return str(int(value.value)) if value.is_integer else repr(value.value)
    return _static_str(obj, "defaultValue")


def _static_pick_list(obj: JsObject | None) -> list[str] | _Unknown | None:
    if obj is None:
        return UNKNOWN
    value = obj.get("pickList")
    if value is None:
        return None if obj.complete else UNKNOWN
    if isinstance(value, JsArray) and value.complete and all(isinstance(item, JsString) for item in value.items):
        return [item.value for item in value.items if isinstance(item, JsString)]
    return UNKNOWN


def _span_of(obj: JsObject | None, key: str, fallback: Span | None) -> Span | None:
    value = obj.get(key) if obj is not None else None
    return (value.span if value is not None else None) or fallback


@dataclass
class _Comparison:
    """Collects the disagreements between one static model and one built definition."""

    model: ProjectModel
    built: BuiltDefinition
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(self, code: str, span: Span | None, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                code=code,
                severity=Severity.WARNING,
                span=span or _default_span(self.model),
                message=message + _DISAGREE,
            )
        )


def compare_definition(model: ProjectModel, built: BuiltDefinition) -> list[Diagnostic]:
    """Every disagreement between the static model and the built definition, skipping what the model marks unknown."""
    integration = model.integration
    if integration is None:
        return []  # the analyser already says why it found no integration()
    comparison = _Comparison(model, built)
    name = _static_str(integration.obj, "name")
    if isinstance(name, str) and name != built.name:
        comparison.report(
            NAME_MISMATCH,
            _span_of(integration.obj, "name", integration.span),
            f'the integration is named "{name}" in the source but "{built.name}" in the build',
        )
    _compare_flows(comparison, integration)
    _compare_pages(comparison, integration, user_level=False)
    _compare_pages(comparison, integration, user_level=True)
    _compare_config_vars(comparison, integration)
    return comparison.diagnostics


def _compare_flows(comparison: _Comparison, integration: Integration) -> None:
    built = comparison.built
    built_by_name = {flow.name: flow for flow in built.flows}
    named = [flow for flow in integration.flows if flow.name is not None]
    for flow in named:
        assert flow.name is not None
        match = built_by_name.get(flow.name)
        if match is None:
            have = ", ".join(f'"{f.name}"' for f in built.flows) or "none"
            comparison.report(
                FLOW_MISSING,
                flow.name_span or flow.span,
                f'flow "{flow.name}" is not in the built definition (its flows: {have})',
            )
            continue
        _compare_flow(comparison, flow, match)
    if not integration.flows_complete or len(named) != len(integration.flows):
        return  # some flow is unknown: it may be any of the built ones
    flows_span = integration.obj.key_span("flows")
    static_names = [flow.name for flow in named]
    for extra in (flow for flow in built.flows if flow.name not in static_names):
        comparison.report(FLOW_EXTRA, flows_span, f'the built definition has a flow "{extra.name}" the source does not')
    built_order = [flow.name for flow in built.flows if flow.name in static_names]
    static_order = [name for name in static_names if name in built_by_name]
    if built_order != static_order:
        comparison.report(
            FLOW_ORDER,
            flows_span,
            f"flows are in the order {_show(static_order)} in the source but {_show(built_order)} in the build",
        )


def _expected_schedule(flow: Flow) -> tuple[str, str | None, str | None] | _Unknown | None:
    """(type, value, time zone) of the flow's schedule; None when it has none; UNKNOWN when unresolved."""
    value = flow.obj.get("schedule")
    if value is None:
        return None if flow.obj.complete else UNKNOWN
    if isinstance(value, JsUndefined):
        return None
    if not isinstance(value, JsObject) or not value.complete:
        return UNKNOWN
    config_var = _static_str(value, "configVar")
    if isinstance(config_var, str):
        return ("configVar", config_var, None)
    cron = _static_str(value, "value")
    zone = _static_str(value, "timezone")
    if isinstance(cron, str) and not isinstance(zone, _Unknown):
        return ("value", cron, zone or None)  # "" and absent both mean UTC
    return UNKNOWN


def _expected_trigger(flow: Flow, schedule: object) -> str | None:
    """`wrapper`, `webhook` or `schedule` as spectral will choose it; None when the source does not tell."""
    props = flow.obj.props
    on_trigger = flow.obj.get("onTrigger")
    hooks = [flow.obj.get(hook) for hook in _LIFECYCLE_HOOKS]
    if isinstance(on_trigger, JsFunction) or any(isinstance(hook, JsFunction | JsObject) for hook in hooks):
        return "wrapper"
    if on_trigger is None and not any(hook in props for hook in (*_LIFECYCLE_HOOKS, "trigger")) and flow.obj.complete:
        if isinstance(schedule, _Unknown):
            return None
        return "schedule" if schedule is not None else "webhook"
    return None


def _describe_trigger(kind: str | None) -> str:
    return {
        "wrapper": "a generated <flow>_onTrigger trigger",
        "webhook": "the default webhook trigger",
        "schedule": "the default schedule trigger",
    }.get(kind or "", "a registry component's trigger")


def _compare_flow(comparison: _Comparison, flow: Flow, built: BuiltFlow) -> None:
    stable_key = _static_str(flow.obj, "stableKey")
    if not isinstance(stable_key, _Unknown) and stable_key != built.stable_key:
        comparison.report(
            FLOW_STABLE_KEY,
            flow.stable_key_span or flow.name_span,
            f'flow "{flow.name}" has stable key {_show(stable_key)} in the source '
            f"but {_show(built.stable_key)} in the build",
        )
    schedule = _expected_schedule(flow)
    if not isinstance(schedule, _Unknown):
        actual = (
            (built.schedule.type, built.schedule.value, built.schedule.time_zone or None) if built.schedule else None
        )
        if schedule != actual:
            comparison.report(
                FLOW_SCHEDULE,
                _span_of(flow.obj, "schedule", flow.name_span),
                f'flow "{flow.name}" is scheduled {_describe_schedule(schedule)} in the source '
                f"but {_describe_schedule(actual)} in the build",
            )
    expected = _expected_trigger(flow, schedule)
    actual_trigger = built.trigger_kind
    if expected is not None and expected != actual_trigger:
        comparison.report(
            FLOW_TRIGGER,
            flow.obj.key_span("onTrigger") if "onTrigger" in flow.obj.props else flow.name_span,
            f'flow "{flow.name}" should use {_describe_trigger(expected)} by its source, '
            f"but the build uses {_describe_trigger(actual_trigger)} ({built.trigger.key})",
        )


def _describe_schedule(schedule: tuple[str, str | None, str | None] | None) -> str:
    if schedule is None:
        return "not at all"
    kind, value, zone = schedule
    if kind == "configVar":
        return f'by config variable "{value}"'
    return f'"{value}"' + (f" in {zone}" if zone else " (UTC)")


def _is_scoped_connection(var: ConfigVar) -> bool:
    """Customer-/organization-activated connections: spectral keeps them off the config pages."""
    if var.helper in ("customerActivatedConnection", "organizationActivatedConnection"):
        return True
    obj = var.obj
    return (
        var.helper == "literal"
        and var.data_type == "connection"
        and obj is not None
        and obj.complete
        and "inputs" not in obj.props
        and "connection" not in obj.props
    )


def _page_is_comparable(page: ConfigPage) -> bool:
    """True when every element of the page is known well enough to say how spectral emits it."""
    return page.complete and all(
        var.helper != "unknown" and (var.data_type is not None or _is_scoped_connection(var))
        for var in page.config_vars
    )


def _compare_pages(comparison: _Comparison, integration: Integration, *, user_level: bool) -> None:
    if user_level:
        pages, complete, group = (
            integration.user_level_config_pages,
            integration.user_level_config_pages_complete,
            "userLevelConfigPages",
        )
    else:
        pages, complete, group = integration.config_pages, integration.config_pages_complete, "configPages"
    built_pages = [page for page in comparison.built.config_pages if page.user_level_configured == user_level]
    built_by_name = {page.name: page for page in built_pages}
    for page in pages:
        match = built_by_name.get(page.title)
        if match is None:
            comparison.report(
                PAGE_MISSING, page.title_span or page.span, f'config page "{page.title}" is not in the built definition'
            )
        elif _page_is_comparable(page):
            _compare_page_elements(comparison, page, match)
    if not complete:
        return
    group_span = integration.obj.key_span(group)
    titles = [page.title for page in pages]
    for extra in (page for page in built_pages if page.name not in titles):
        comparison.report(
            PAGE_EXTRA, group_span, f'the built definition has a config page "{extra.name}" the source does not'
        )
    built_order = [page.name for page in built_pages if page.name in titles]
    static_order = [title for title in titles if title in built_by_name]
    if built_order != static_order:
        comparison.report(
            PAGE_ORDER,
            group_span,
            f"config pages are in the order {_show(static_order)} in the source but {_show(built_order)} in the build",
        )


def _compare_page_elements(comparison: _Comparison, page: ConfigPage, built: BuiltConfigPage) -> None:
    html_vars = {var.name for var in page.config_vars if var.data_type == "htmlElement"}
    expected = [
        var.name for var in page.config_vars if var.data_type != "htmlElement" and not _is_scoped_connection(var)
    ]
    actual = built.config_var_keys()
    if expected != actual:
        comparison.report(
            PAGE_ELEMENTS,
            page.title_span or page.span,
            f'config page "{page.title}" holds config variables {_show(expected)} in the source '
            f"but {_show(actual)} in the build",
        )
    if all(element.html is not None for element in page.html_elements):
        expected_html = [element.html for element in page.html_elements]
        actual_html = [e.value for e in built.elements if e.type == "htmlElement" and e.value not in html_vars]
        if expected_html != actual_html:
            comparison.report(
                PAGE_ELEMENTS,
                page.title_span or page.span,
                f'config page "{page.title}" has {len(expected_html)} HTML element(s) in the source '
                f"but {len(actual_html)} in the build",
            )


def _compare_config_vars(comparison: _Comparison, integration: Integration) -> None:
    built = comparison.built
    static_vars = integration.all_config_vars()
    names = {var.name for var in static_vars}
    for var in static_vars:
        if var.data_type == "htmlElement":
            continue  # spectral leaves HTML elements out of requiredConfigVars
        match = built.config_var(var.name)
        if match is None:
            if var.data_type is not None:  # an unknown type might be htmlElement
                comparison.report(
                    VAR_MISSING,
                    var.name_span or var.span,
                    f'config variable "{var.name}" is not in the built definition',
                )
            continue
        _compare_config_var(comparison, var, match)
    if integration.config_vars_complete:
        span = integration.obj.key_span("configPages")
        for extra in (var for var in built.required_config_vars if var.key not in names):
            comparison.report(
                VAR_EXTRA, span, f'the built definition has a config variable "{extra.key}" the source does not'
            )


def _compare_config_var(comparison: _Comparison, var: ConfigVar, built: BuiltConfigVar) -> None:
    where = var.name_span or var.span
    stable_key: str | _Unknown | None = var.stable_key if var.helper == "wrapper" else _static_str(var.obj, "stableKey")
    if var.helper == "wrapper" and stable_key is None:
        stable_key = UNKNOWN
    if not isinstance(stable_key, _Unknown) and stable_key != built.stable_key:
        comparison.report(
            VAR_STABLE_KEY,
            _span_of(var.obj, "stableKey", where) if var.helper != "wrapper" else where,
            f'config variable "{var.name}" has stable key {_show(stable_key)} in the source '
            f"but {_show(built.stable_key)} in the build",
        )
    if var.data_type is not None and var.data_type != built.data_type:
        comparison.report(
            VAR_DATA_TYPE,
            _span_of(var.obj, "dataSourceType" if var.helper == "dataSourceConfigVar" else "dataType", where),
            f'config variable "{var.name}" is of type {_show(var.data_type)} in the source '
            f"but {_show(built.data_type)} in the build",
        )
    if var.helper not in ("configVar", "literal", "dataSourceConfigVar") or var.is_connection:
        return
    if var.helper == "dataSourceConfigVar" and var.obj is not None and "dataSource" in var.obj.props:
        return  # a referenced data source: its fields come from the component's manifest
    fields: dict[str, tuple[object, object]] = {
        key: (_static_str(var.obj, key), getattr(built, _SNAKE[key])) for key in _VAR_FIELDS
    }
    if var.helper != "dataSourceConfigVar":
        fields["defaultValue"] = (_static_default(var.obj), built.default_value)
        fields["pickList"] = (_static_pick_list(var.obj), built.pick_list)
    for key, (static, actual) in fields.items():
        if isinstance(static, _Unknown) or static == actual:
            continue
        comparison.report(
            VAR_FIELD,
            _span_of(var.obj, key, where),
            f'config variable "{var.name}" has {key} {_show(static)} in the source but {_show(actual)} in the build',
        )


def _show(value: object) -> str:
    """A value in a message: JSON, `none` for a missing one."""
    return "none" if value is None else json.dumps(value)


_SNAKE = {"codeLanguage": "code_language", "collectionType": "collection_type", "timeZone": "time_zone"}
