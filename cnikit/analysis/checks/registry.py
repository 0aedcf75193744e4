"""Checks on references to existing components: the component must be in `componentManifests({...})`, and its
manifest must have the referenced connection, data source or trigger.

The messages are spectral's own (convertIntegration.ts `convertComponentReference`, official-tooling C.3 #5/#6).
Manifest wrapper calls (`slackOauth2("key", {...})`) are not followed: their component is only known inside the
generated manifest code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import get, obj_at, suggest
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import ComponentManifest, Integration, JsObject, JsString, ProjectModel, Span


@dataclass(frozen=True)
class Reference:
    """`{ component: "slack", key: "oauth2" }` written in source, and what kind of manifest entry it names."""

    component: str
    component_span: Span
    key: str
    key_span: Span
    kind: str  # "connections" | "dataSources" | "triggers"


def _reference(obj: JsObject | None, kind: str, site: Span | None) -> Reference | None:
    """The reference in `obj`; located at `site` when it was written elsewhere (inside a manifest wrapper the
    analyser expanded), so the diagnostic points where the developer used it."""
    component, key = get(obj, "component"), get(obj, "key")
    if not (isinstance(component, JsString) and isinstance(key, JsString) and component.span and key.span):
        return None
    if site is not None and not _within(site, component.span):
        return Reference(component.value, site, key.value, site, kind)
    return Reference(component.value, component.span, key.value, key.span, kind)


def _within(outer: Span, span: Span) -> bool:
    return outer.file == span.file and (outer.line, outer.col) <= (span.line, span.col) <= (
        outer.end_line,
        outer.end_col,
    )


def references(integration: Integration) -> Iterator[Reference]:
    """Every literal component reference: connections and data sources of config variables, flow `onTrigger`."""
    for var in integration.all_config_vars():
        site = var.span
        if var.helper in ("connectionConfigVar", "configVar", "literal") and (
            ref := _reference(obj_at(var.obj, "connection"), "connections", site)
        ):
            yield ref
        if var.helper in ("dataSourceConfigVar", "configVar", "literal") and (
            ref := _reference(obj_at(var.obj, "dataSource"), "dataSources", site)
        ):
            yield ref
    for flow in integration.flows:
        on_trigger = flow.obj.props.get("onTrigger")
        if on_trigger and (ref := _reference(obj_at(flow.obj, "onTrigger"), "triggers", on_trigger.value.span)):
            yield ref


def registry(project: ProjectModel) -> dict[str, ComponentManifest] | None:
    """The registry by key when fully known (no registry given = empty); None when it may hide entries."""
    integration = project.integration
    if integration is None:
        return None
    if integration.component_registry is None:
        return {} if integration.obj.complete and "componentRegistry" not in integration.obj.props else None
    if not integration.component_registry_complete:
        return None
    return {manifest.key: manifest for manifest in integration.component_registry}


@check("CNI601", Severity.ERROR, "component not in the component registry")
def component_not_registered(ctx: CheckContext) -> Iterator[Diagnostic]:
    manifests = registry(ctx.project)
    integration = ctx.project.integration
    if manifests is None or integration is None:
        return
    for ref in references(integration):
        if ref.component not in manifests:
            close = suggest(ref.component, manifests)
            yield ctx.report(
                ref.component_span,
                f'Component with key "{ref.component}" not found in component registry.'
                + (f' Did you mean "{close}"?' if close else " Add its manifest to componentManifests({ ... })."),
            )


@check("CNI602", Severity.ERROR, "component has no such connection, data source or trigger")
def entry_not_in_manifest(ctx: CheckContext) -> Iterator[Diagnostic]:
    manifests = registry(ctx.project)
    integration = ctx.project.integration
    if manifests is None or integration is None:
        return
    for ref in references(integration):
        manifest = manifests.get(ref.component)
        if manifest is None:
            continue
        entries = {
            "connections": manifest.connections,
            "dataSources": manifest.data_sources,
            "triggers": manifest.triggers,
        }[ref.kind]
        if entries is not None and ref.key not in entries:
            close = suggest(ref.key, entries)
            yield ctx.report(
                ref.key_span,
                f'Component with key "{ref.component}" does not have an entry with key "{ref.key}" in the component '
                "registry."
                + (f' Did you mean "{close}"?' if close else f" Its {ref.kind}: {', '.join(entries) or 'none'}."),
            )
