"""Checks on data-source config variables: their type, their definition, and their place after the connections
they read."""

from __future__ import annotations

from collections.abc import Iterator

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import (
    found_config_vars,
    get,
    inner,
    known_config_vars,
    newer_spectral,
    not_one_of,
    rename_fix,
    strings,
    suggest,
    var_span,
)
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import ConfigVar, JsObject, JsString, Span

DATA_SOURCE_TYPES = (
    "string",
    "date",
    "timestamp",
    "picklist",
    "schedule",
    "code",
    "boolean",
    "number",
    "objectSelection",
    "objectFieldMap",
    "jsonForm",
)


def _data_sources(ctx: CheckContext) -> Iterator[ConfigVar]:
    for var in found_config_vars(ctx.project):
        if var.helper == "dataSourceConfigVar" and var.obj is not None:
            yield var


def contains(outer: Span, span: Span) -> bool:
    """Whether `span` lies within `outer` (same file)."""
    return (
        outer.file == span.file
        and (outer.line, outer.col) <= (span.line, span.col)
        and (span.end_line, span.end_col) <= (outer.end_line, outer.end_col)
    )


@check("CNI501", Severity.ERROR, "unknown dataSourceType")
def unknown_data_source_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a dataSourceType outside the values the platform knows."""
    if newer_spectral(ctx.root):
        return  # a newer spectral may accept values this list does not know yet
    for var in _data_sources(ctx):
        value = get(var.obj, "dataSourceType")
        owner = f' of data source "{var.name}"'
        if diagnostic := not_one_of(ctx, value, DATA_SOURCE_TYPES, "dataSourceType", owner):
            yield diagnostic


@check("CNI502", Severity.ERROR, "dataSourceConfigVar without perform or a component data source")
def data_source_without_definition(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a dataSourceConfigVar with neither perform nor a component data source, so nothing fills it."""
    for var in _data_sources(ctx):
        obj = var.obj
        if obj is None or not obj.complete or "perform" in obj.props or "dataSource" in obj.props:
            continue
        if span := var_span(var):
            yield ctx.report(
                span,
                f'Data source "{var.name}" has neither perform (an inline data source) nor dataSource: {{ component, '
                "key } (a component's data source); add one of them.",
            )


@check("CNI503", Severity.ERROR, "data source reads a connection that is not on an earlier page")
def data_source_before_connection(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a data source that reads a connection not on an earlier page: the wizard asks for connections first."""
    variables = known_config_vars(ctx.project)
    if variables is None:
        return
    connections = {var.name: var for var in variables if var.is_connection and not var.scoped}
    for var in variables:
        if not var.is_data_source or var.span is None or var.page_index is None or var.scoped:
            continue
        for ref in ctx.project.config_var_refs:
            connection = connections.get(ref.name)
            if connection is None or not contains(var.span, ref.span) or connection.user_level != var.user_level:
                continue
            if connection.page_index is not None and connection.page_index >= var.page_index:
                where = (
                    "the same page"
                    if connection.page_index == var.page_index
                    else f'a later page ("{connection.page}")'
                )
                yield ctx.report(
                    ref.span,
                    f'Data source "{var.name}" on config page "{var.page}" uses connection "{ref.name}" from {where}; '
                    "the wizard asks for a connection before it runs data sources, so move the data source to a page "
                    "after the connection's.",
                )


@check("CNI504", Severity.ERROR, "dataSourceReset dependency names no config variable")
def reset_dependencies(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a dataSourceReset dependency that names no config variable, so the reset never happens."""
    variables = known_config_vars(ctx.project)
    if variables is None:
        return
    names = sorted({var.name for var in variables})
    for var in _data_sources(ctx):
        reset = get(var.obj, "dataSourceReset")
        dependencies = get(reset, "dependencies") if isinstance(reset, JsObject) else None
        for name, span in strings(dependencies) or []:
            if name in names or span is None:
                continue
            close = suggest(name, names)
            yield ctx.report(
                span,
                f'Data source "{var.name}" resets when "{name}" changes, but no config variable has that name'
                + (f'; did you mean "{close}"?' if close else "."),
                fix=rename_fix(inner(span, JsString(value=name)), close) if close else None,
            )
