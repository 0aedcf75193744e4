"""Checks on references to existing components: the component must be in `componentManifests({...})`, and its
manifest must have the referenced connection, data source or trigger.

The messages are spectral's own (convertIntegration.ts `convertComponentReference`, official-tooling C.3 #5/#6; for
generated manifest wrappers, the one `findUserDefinedComponentKey` throws). References are read where they are
written (`connection: { component: "slack", key: "oauth2" }`) and through the manifest wrappers the analyser could
expand (`slackOauth2("key", {...})`, `onTrigger: slackEventsTrigger({...})`); a wrapper it could not expand stays
silent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import get, obj_at, suggest
from cnikit.analysis.resolver import FIND_COMPONENT_KEY, is_spectral
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import ComponentManifest, Integration, JsBoolean, JsCall, JsObject, JsString, ProjectModel, Span


@dataclass(frozen=True)
class Reference:
    """`{ component: "slack", key: "oauth2" }`, and what kind of manifest entry it names.

    `public` is None when `component` is the registry key written in source; a generated wrapper instead looks the
    registry key up by the manifest's own key (`component`) and visibility (`public`).
    """

    component: str
    component_span: Span
    key: str
    key_span: Span
    kind: str  # "connections" | "dataSources" | "triggers"
    public: bool | None = None


def _reference(obj: JsObject | None, kind: str, site: Span | None) -> Reference | None:
    """The reference in `obj`; located at `site` when it was written elsewhere (inside a manifest wrapper the
    analyser expanded), so the diagnostic points where the developer used it."""
    component, key = get(obj, "component"), get(obj, "key")
    public: bool | None = None
    if isinstance(component, JsCall) and component.callee == FIND_COMPONENT_KEY and is_spectral(component.source):
        name, visibility = component.args[:2]
        if not (isinstance(name, JsString) and isinstance(visibility, JsBoolean)):
            return None
        component, public = name, visibility.value
    if not (isinstance(component, JsString) and isinstance(key, JsString) and component.span and key.span):
        return None
    if site is not None and not _within(site, component.span):
        return Reference(component.value, site, key.value, site, kind, public)
    return Reference(component.value, component.span, key.value, key.span, kind, public)


def _within(outer: Span, span: Span) -> bool:
    return outer.file == span.file and (outer.line, outer.col) <= (span.line, span.col) <= (
        outer.end_line,
        outer.end_col,
    )


def references(integration: Integration) -> Iterator[Reference]:
    """Every statically known component reference: connections and data sources of config variables (written
    inline or returned by a manifest wrapper), flow `onTrigger`."""
    for var in integration.all_config_vars():
        site = var.span
        definition = var.reference if var.reference is not None else var.obj
        written = var.reference is not None or var.helper in ("configVar", "literal")
        if (written or var.helper == "connectionConfigVar") and (
            ref := _reference(obj_at(definition, "connection"), "connections", site)
        ):
            yield ref
        if (written or var.helper == "dataSourceConfigVar") and (
            ref := _reference(obj_at(definition, "dataSource"), "dataSources", site)
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


def registered(ref: Reference, manifests: dict[str, ComponentManifest]) -> ComponentManifest | bool | None:
    """The registry entry a reference names; False when there is none; None when unknown (a generated wrapper's
    lookup meets a manifest whose key or visibility is not known statically)."""
    if ref.public is None:
        return manifests.get(ref.component, False)
    matches = [m for m in manifests.values() if (m.component_key, m.public) == (ref.component, ref.public)]
    if matches:
        return matches[0]  # spectral takes the first registry key that matches
    if any(m.component_key is None or m.public is None for m in manifests.values()):
        return None
    return False


@check("CNI601", Severity.ERROR, "component not in the component registry")
def component_not_registered(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a component reference missing from the component registry: spectral throws this at load time
    (official-tooling C.3 #5)."""
    manifests = registry(ctx.project)
    integration = ctx.project.integration
    if manifests is None or integration is None:
        return
    for ref in references(integration):
        if registered(ref, manifests) is not False:
            continue
        if ref.public is None:
            close = suggest(ref.component, manifests)
            message = f'Component with key "{ref.component}" not found in component registry.' + (
                f' Did you mean "{close}"?' if close else " Add its manifest to componentManifests({ ... })."
            )
        elif integration.component_registry is None:
            message = (
                "Error locating component registry. Is there a component registry defined on your integration? "
                f'The manifest wrapper needs component "{ref.component}": pass componentRegistry: '
                "componentManifests({ ... }) with its manifest to integration()."
            )
        else:
            other = next((m.key for m in manifests.values() if m.component_key == ref.component), None)
            visibility = "public" if ref.public else "private"
            message = (
                f"Error locating component {ref.component} with custom key undefined in the component registry. Is "
                "this component properly installed with a correct public/private setting? "
                + (
                    f'The manifest wrapper looks for the {visibility} component "{ref.component}", but "{other}" in '
                    f"componentManifests({{ ... }}) is {'private' if ref.public else 'public'}."
                    if other is not None
                    else f'The manifest wrapper uses component "{ref.component}": add its manifest to '
                    "componentManifests({ ... })."
                )
            )
        yield ctx.report(ref.component_span, message)


@check("CNI602", Severity.ERROR, "component has no such connection, data source or trigger")
def entry_not_in_manifest(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a reference to an entry the component's manifest lacks: spectral throws this at load time (official-tooling
    C.3 #6)."""
    manifests = registry(ctx.project)
    integration = ctx.project.integration
    if manifests is None or integration is None:
        return
    for ref in references(integration):
        manifest = registered(ref, manifests)
        if not isinstance(manifest, ComponentManifest):
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
                f'Component with key "{manifest.key}" does not have an entry with key "{ref.key}" in the component '
                "registry."
                + (f' Did you mean "{close}"?' if close else f" Its {ref.kind}: {', '.join(entries) or 'none'}."),
            )
