"""Checks on config pages and config variables: keys, stable keys, data types, picklists, code, schedules,
collections, visibility and default values.

CNI301 carries spectral's own message (`Duplicate config var key: "<key>"`, official-tooling C.3 #1); CNI302 is the
case spectral misses (a key in both `configPages` and `userLevelConfigPages`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import (
    found_config_vars,
    get,
    inner,
    key_span,
    newer_spectral,
    not_one_of,
    quoted,
    rename_fix,
    repeats,
    string,
    strings,
    suggest,
    value_span,
    var_span,
)
from cnikit.analysis.checks.flows import cron_problem, time_zone_problem, time_zones
from cnikit.diagnostics import Diagnostic, Fix, Severity, TextEdit
from cnikit.model import ConfigPage, ConfigVar, JsString, JsUndefined, Span

CONFIG_VAR_TYPES = (
    "string",
    "date",
    "timestamp",
    "picklist",
    "code",
    "boolean",
    "number",
    "schedule",
    "objectSelection",
    "objectFieldMap",
    "jsonForm",
    "htmlElement",
)
SINGLE_VALUE_TYPES = ("schedule", "objectSelection", "objectFieldMap", "jsonForm", "htmlElement")
COLLECTION_TYPES = ("valuelist", "keyvaluelist")
CODE_LANGUAGES = ("json", "xml", "html")
VISIBILITY_TYPES = ("customer", "embedded", "organization")
PICKLIST_VALUE_MAX = 64
SCRIPT = re.compile(r"<script\b", re.IGNORECASE)
# Helpers whose object literal is a plain config variable (dataType, defaultValue …).
STANDARD_HELPERS = ("configVar", "literal")


def _pages(ctx: CheckContext) -> list[ConfigPage]:
    integration = ctx.project.integration
    if integration is None:
        return []
    return [*integration.config_pages, *integration.user_level_config_pages]


def _standard(ctx: CheckContext) -> Iterator[ConfigVar]:
    """Plain config variables (`configVar({...})` or an untyped literal) whose object was resolved."""
    for var in found_config_vars(ctx.project):
        if var.helper in STANDARD_HELPERS and var.obj is not None:
            yield var


def _where(ctx: CheckContext, var: ConfigVar) -> str:
    if var.scoped:
        return "in scopedConfigVars"
    group = "user level config page" if var.user_level else "config page"
    return f'on {group} "{var.page}"'


def _insert_after(span: Span, key_col: int, text: str) -> TextEdit:
    """An edit that adds `,\\n<indent><text>` right after `span` (a property value), keeping the object valid."""
    at = span.model_copy(update={"line": span.end_line, "col": span.end_col})
    return TextEdit(span=at, new_text=f",\n{' ' * key_col}{text}")


@check("CNI301", Severity.ERROR, "duplicate config variable key")
def duplicate_config_var_key(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch one config variable key used twice within a page group: spectral throws this at load time (official-tooling
    C.3 #1)."""
    integration = ctx.project.integration
    if integration is None:
        return
    scoped = {var.name for var in integration.scoped_config_vars}
    for pages in (integration.config_pages, integration.user_level_config_pages):
        seen: set[str] = set()
        for page in pages:
            for var in page.config_vars:
                if var.helper == "unknown":
                    continue  # it may be a string (HTML) element, which spectral skips
                if (var.name in seen or var.name in scoped) and (span := var_span(var)):
                    yield ctx.report(span, f'Duplicate config var key: "{var.name}"')
                seen.add(var.name)


@check("CNI302", Severity.ERROR, "config variable key in both configPages and userLevelConfigPages")
def key_in_both_page_groups(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a key on both a config page and a user level page, which spectral misses and the user level one silently
    wins."""
    integration = ctx.project.integration
    if integration is None:
        return
    first: dict[str, ConfigVar] = {}
    for page in integration.config_pages:
        for var in page.config_vars:
            if var.helper != "unknown":  # an unresolved element may be an HTML string
                first.setdefault(var.name, var)
    for page in integration.user_level_config_pages:
        for var in page.config_vars:
            other = first.get(var.name)
            if other is not None and var.helper != "unknown" and (span := var_span(var)):
                yield ctx.report(
                    span,
                    f'Duplicate config var key: "{var.name}" is on config page "{other.page}" and on user level '
                    f'config page "{var.page}". spectral does not detect this: the user level one silently replaces '
                    "the other. Rename one of them.",
                )


@check("CNI303", Severity.ERROR, "duplicate config variable stable key")
def duplicate_config_var_stable_key(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch two config variables with one stableKey, which would share (and clobber) the values customers saved."""
    for var, first in repeats(found_config_vars(ctx.project), lambda var: var.stable_key):
        if span := value_span(var.obj, "stableKey", var_span(var)):
            yield ctx.report(
                span,
                f'Duplicate config var stableKey "{var.stable_key}": "{first.name}" {_where(ctx, first)} already '
                f'uses it. A stable key identifies one config variable across renames: give "{var.name}" its own.',
            )


@check("CNI304", Severity.ERROR, "config variable without stableKey")
def missing_stable_key(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a config variable without a stableKey: spectral's types require one, and without it a rename loses saved
    values."""
    helpers = (*STANDARD_HELPERS, "connectionConfigVar", "dataSourceConfigVar")
    for var in found_config_vars(ctx.project):
        if var.helper not in helpers or var.obj is None or not var.obj.complete:
            continue
        value = var.obj.get("stableKey")
        if (value is None or isinstance(value, JsUndefined)) and (span := var_span(var)):
            yield ctx.report(
                span,
                f'Config variable "{var.name}" has no stableKey; every config variable needs one, or a rename '
                "loses the values customers saved.",
            )


@check("CNI305", Severity.ERROR, "unknown config variable dataType")
def unknown_data_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a dataType that is not a config variable type, pointing credentials at connectionConfigVar."""
    if newer_spectral(ctx.root):
        return  # a newer spectral may accept values this list does not know yet
    for var in _standard(ctx):
        value = get(var.obj, "dataType")
        if not isinstance(value, JsString) or value.value in CONFIG_VAR_TYPES or value.value == "connection":
            continue
        if value.span is None:
            continue
        close = suggest(value.value, CONFIG_VAR_TYPES)
        hint = f' Did you mean "{close}"?' if close else ""
        if value.value.lower() in ("credential", "credentials", "secret", "password"):
            hint = ' Credentials are connections: use connectionConfigVar({ dataType: "connection", inputs }).'
        yield ctx.report(
            value.span,
            f'dataType "{value.value}" of config variable "{var.name}" is not a config variable type; expected one '
            f"of {', '.join(CONFIG_VAR_TYPES)}.{hint}",
            fix=rename_fix(inner(value.span, value), close) if close else None,
        )


@check("CNI306", Severity.ERROR, "picklist without pickList")
def picklist_without_values(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a picklist variable without pickList, which spectral's types require: the wizard would offer no options."""
    for var in _standard(ctx):
        if string(var.obj, "dataType") != "picklist" or var.obj is None or not var.obj.complete:
            continue
        if "pickList" not in var.obj.props and (span := value_span(var.obj, "dataType")):
            yield ctx.report(span, f'Picklist "{var.name}" has no pickList; add pickList: ["…"] with its options.')


@check("CNI307", Severity.ERROR, "picklist default not in pickList")
def picklist_default(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a picklist default that is not among its pickList values, which the wizard cannot show as selected."""
    for var in _standard(ctx):
        if string(var.obj, "dataType") != "picklist" or "collectionType" in (var.obj.props if var.obj else {}):
            continue
        options = strings(get(var.obj, "pickList"))
        default = get(var.obj, "defaultValue")
        if options is None or not isinstance(default, JsString) or default.span is None:
            continue
        values = [value for value, _ in options]
        if default.value not in values:
            close = suggest(default.value, values)
            yield ctx.report(
                default.span,
                f'defaultValue "{default.value}" of picklist "{var.name}" is not one of its pickList values '
                f"({', '.join(quoted(value) for value in values)})." + (f' Did you mean "{close}"?' if close else ""),
                fix=rename_fix(inner(default.span, default), close) if close else None,
            )


@check("CNI308", Severity.ERROR, "picklist value longer than 64 characters")
def picklist_value_length(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch picklist values longer than the platform's 64-character limit."""
    for var in _standard(ctx):
        if string(var.obj, "dataType") != "picklist":
            continue
        for value, span in strings(get(var.obj, "pickList")) or []:
            if len(value) > PICKLIST_VALUE_MAX and span:
                yield ctx.report(
                    span,
                    f'Picklist "{var.name}" has a value of {len(value)} characters; picklist values may be at most '
                    f"{PICKLIST_VALUE_MAX} characters.",
                )


@check("CNI309", Severity.ERROR, "code variable without a valid codeLanguage")
def code_language(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a code variable without a valid codeLanguage, which spectral's types require; offers codeLanguage "json" as
    a fix."""
    for var in _standard(ctx):
        obj = var.obj
        if obj is None or string(obj, "dataType") != "code":
            continue
        language = get(obj, "codeLanguage")
        data_type_span = value_span(obj, "dataType")
        type_key = key_span(obj, "dataType")
        if language is None and obj.complete and data_type_span and type_key:
            yield ctx.report(
                data_type_span,
                f'Code config variable "{var.name}" has no codeLanguage; set it to one of {", ".join(CODE_LANGUAGES)}.',
                fix=Fix(
                    title='Add codeLanguage: "json"',
                    edits=[_insert_after(data_type_span, type_key.col, 'codeLanguage: "json"')],
                ),
            )
        elif diagnostic := not_one_of(ctx, language, CODE_LANGUAGES, "codeLanguage", f' of "{var.name}"', fold=True):
            yield diagnostic


@check("CNI310", Severity.ERROR, "invalid collectionType")
def collection_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch collectionType on a dataType that cannot be a list (only string, date, timestamp, picklist, code, boolean,
    number can)."""
    for var in found_config_vars(ctx.project):
        value = get(var.obj, "collectionType")
        if not isinstance(value, JsString) or value.span is None:
            continue
        if diagnostic := not_one_of(ctx, value, COLLECTION_TYPES, "collectionType", f' of "{var.name}"'):
            yield diagnostic
            continue
        type_key = "dataSourceType" if var.helper == "dataSourceConfigVar" else "dataType"
        data_type = string(var.obj, type_key)
        if data_type in SINGLE_VALUE_TYPES:
            yield ctx.report(
                value.span,
                f'"{var.name}" is a {data_type} and cannot be a list: collectionType is only allowed for string, '
                "date, timestamp, picklist, code, boolean and number values. Remove collectionType.",
            )


@check("CNI311", Severity.WARNING, "organization-only config variable without a default")
def organization_without_default(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about an organization-only variable without a default: customers cannot set it, so every instance needs your
    team."""
    for var in _standard(ctx):
        obj = var.obj
        if obj is None or string(obj, "permissionAndVisibilityType") != "organization" or not obj.complete:
            continue
        if "defaultValue" not in obj.props and (span := value_span(obj, "permissionAndVisibilityType")):
            yield ctx.report(
                span,
                f'"{var.name}" is visible to your organization only, but has no defaultValue: customers cannot set it, '
                "so your team would have to set it for every instance. Add a defaultValue.",
            )


@check("CNI312", Severity.ERROR, "unknown permissionAndVisibilityType")
def unknown_visibility(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a permissionAndVisibilityType outside the values the platform knows."""
    if newer_spectral(ctx.root):
        return  # a newer spectral may accept values this list does not know yet
    for var in found_config_vars(ctx.project):
        value = get(var.obj, "permissionAndVisibilityType")
        if diagnostic := not_one_of(ctx, value, VISIBILITY_TYPES, "permissionAndVisibilityType", f' of "{var.name}"'):
            yield diagnostic


@check("CNI313", Severity.ERROR, "objectSelection/objectFieldMap not from a data source")
def object_types_need_data_source(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch objectSelection/objectFieldMap defined with configVar: these values always come from a data source."""
    for var in _standard(ctx):
        value = get(var.obj, "dataType")
        if isinstance(value, JsString) and value.value in ("objectSelection", "objectFieldMap") and value.span:
            yield ctx.report(
                value.span,
                f'"{var.name}" is an {value.value}, which always comes from a data source; define it with '
                f'dataSourceConfigVar({{ dataSourceType: "{value.value}", perform }}) instead of configVar.',
            )


@check("CNI314", Severity.ERROR, "invalid cron expression in a schedule config variable")
def schedule_default_cron(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a schedule variable whose cron defaultValue croniter rejects, so instances would start with a broken
    schedule."""
    for var in _standard(ctx):
        default = get(var.obj, "defaultValue")
        if string(var.obj, "dataType") != "schedule" or not isinstance(default, JsString) or default.span is None:
            continue
        if default.value and (problem := cron_problem(default.value)):
            yield ctx.report(
                default.span,
                f'Schedule "{var.name}" has an invalid cron defaultValue "{default.value}": {problem}.',
            )


@check("CNI315", Severity.WARNING, "unknown time zone in a schedule config variable")
def schedule_time_zone(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about a schedule variable's timezone that is not an IANA name, suggesting the closest one."""
    for var in _standard(ctx):
        zone = get(var.obj, "timeZone")
        if string(var.obj, "dataType") != "schedule" or not isinstance(zone, JsString) or zone.span is None:
            continue
        if zone.value and (problem := time_zone_problem(zone.value)):
            close = suggest(zone.value, time_zones())
            yield ctx.report(
                zone.span,
                f'Schedule "{var.name}" timeZone "{zone.value}" is not an IANA time zone: {problem}',
                fix=rename_fix(inner(zone.span, zone), close) if close else None,
            )


@check("CNI316", Severity.ERROR, "config variable name contains a dot")
def dotted_name(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a dot in a config variable name, which makes references ambiguous and breaks some components at run
    time."""
    for var in found_config_vars(ctx.project):
        if "." in var.name and var.helper != "unknown" and (span := var_span(var)):
            yield ctx.report(
                span,
                f'Config variable name "{var.name}" contains ".", which makes references to it ambiguous (some '
                "components fail with \"Cannot read properties of undefined (reading 'key')\"); use only letters, "
                "digits and spaces.",
            )


@check("CNI317", Severity.WARNING, "defaultValue does not match the dataType")
def default_value_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about a defaultValue of the wrong kind for its dataType (a string "true" for a boolean, text for a
    number)."""
    for var in _standard(ctx):
        data_type = string(var.obj, "dataType")
        default = get(var.obj, "defaultValue")
        if (
            not isinstance(default, JsString)
            or default.span is None
            or "collectionType" in (var.obj.props if var.obj else {})
        ):
            continue
        if data_type == "boolean" and default.value in ("true", "false"):
            yield ctx.report(
                default.span,
                f'Boolean "{var.name}" has the string defaultValue "{default.value}"; use the boolean {default.value}.',
                fix=Fix(
                    title=f"Use the boolean {default.value}",
                    edits=[TextEdit(span=default.span, new_text=default.value)],
                ),
            )
        elif data_type == "boolean":
            yield ctx.report(
                default.span, f'Boolean "{var.name}" has defaultValue "{default.value}"; expected true or false.'
            )
        elif data_type == "number" and not _is_number(default.value):
            yield ctx.report(
                default.span, f'Number "{var.name}" has defaultValue "{default.value}", which is not a number.'
            )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@check("CNI318", Severity.ERROR, "config page without elements")
def page_without_elements(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a config page without elements (often its variables written beside them), so the page shows nothing."""
    for page in _pages(ctx):
        obj = page.obj
        if obj is None or not obj.complete or "elements" in obj.props or page.title_span is None:
            continue
        stray = [key for key in obj.props if key != "tagline"]
        hint = f" (its keys {', '.join(quoted(key) for key in stray)} look like elements)" if stray else ""
        yield ctx.report(
            page.title_span,
            f'Config page "{page.title}" has no elements{hint}; put its config variables inside elements: {{ … }}.',
        )


@check("CNI319", Severity.WARNING, "HTML helper text with a script")
def html_script(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about a <script> in HTML helper text: the wizard shows helper text but never runs scripts."""
    for page in _pages(ctx):
        for element in page.html_elements:
            if element.html and SCRIPT.search(element.html) and element.span:
                yield ctx.report(
                    element.span,
                    f'HTML element "{element.key}" on config page "{page.title}" contains a <script>; the wizard '
                    "shows helper text, it does not run scripts. Remove it.",
                )
