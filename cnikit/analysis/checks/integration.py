"""Checks on `integration({...})` itself: name, flows, endpoint type and preprocess-flow routing.

CNI101–CNI103 carry spectral's own messages (convertIntegration.ts, official-tooling C.3 #2–#4).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import (
    first_span,
    get,
    inner,
    key_span,
    newer_spectral,
    not_one_of,
    obj_at,
    present,
    rename_fix,
    string,
)
from cnikit.diagnostics import Diagnostic, Fix, Severity, TextEdit
from cnikit.model import Flow, Integration, JsArray, JsObject, JsString, JsUndefined, Span

ENDPOINT_TYPES = ("flow_specific", "instance_specific", "shared_instance")
ROUTED_ENDPOINT_TYPES = ("instance_specific", "shared_instance")
# Top-level keys of a trigger payload a routing field can start from.
PAYLOAD_ROOTS = ("headers", "body", "rawBody", "queryParameters", "pathFragment", "customer", "user", "instance")


def _preprocess_flows(integration: Integration) -> list[Flow]:
    """The flows known to define a preprocessFlowConfig."""
    return [flow for flow in integration.flows if present(flow.obj, "preprocessFlowConfig")]


def _no_preprocess_flow(integration: Integration) -> bool:
    """True only when it is known that no flow defines a preprocessFlowConfig."""
    return integration.flows_complete and all(
        present(flow.obj, "preprocessFlowConfig") is False for flow in integration.flows
    )


@check("CNI101", Severity.ERROR, "more than one preprocess flow")
def several_preprocess_flows(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch more than one flow with preprocessFlowConfig: spectral throws this at load time (official-tooling C.3
    #2)."""
    integration = ctx.project.integration
    if integration is None:
        return
    for flow in _preprocess_flows(integration)[1:]:
        if span := key_span(flow.obj, "preprocessFlowConfig"):
            yield ctx.report(span, "Only one flow may define a Preprocess Flow Config.")


@check("CNI102", Severity.ERROR, "both triggerPreprocessFlowConfig and a preprocess flow")
def trigger_config_and_preprocess_flow(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch triggerPreprocessFlowConfig beside a preprocess flow: spectral throws this at load time (official-tooling
    C.3 #3)."""
    integration = ctx.project.integration
    if integration is None or not present(integration.obj, "triggerPreprocessFlowConfig"):
        return
    if _preprocess_flows(integration) and (span := key_span(integration.obj, "triggerPreprocessFlowConfig")):
        yield ctx.report(
            span, "Integration must not define both a Trigger Preprocess Flow Config and a Preprocess Flow."
        )


@check("CNI103", Severity.ERROR, "instance or shared endpoint without routing")
def endpoint_without_routing(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an instance or shared endpointType with no routing config: spectral throws this at load time
    (official-tooling C.3 #4)."""
    integration = ctx.project.integration
    if integration is None:
        return
    endpoint = get(integration.obj, "endpointType")
    if not isinstance(endpoint, JsString) or endpoint.value not in ROUTED_ENDPOINT_TYPES or endpoint.span is None:
        return
    if present(integration.obj, "triggerPreprocessFlowConfig") is False and _no_preprocess_flow(integration):
        yield ctx.report(
            endpoint.span,
            "Integration with specified EndpointType must define either a Trigger Preprocess Flow Config or a "
            "Preprocess Flow.",
        )


@check("CNI104", Severity.ERROR, "unknown endpointType")
def unknown_endpoint_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an endpointType outside the values the platform knows."""
    if newer_spectral(ctx.root):
        return  # a newer spectral may accept values this list does not know yet
    integration = ctx.project.integration
    endpoint = get(integration.obj, "endpointType") if integration else None
    if diagnostic := not_one_of(ctx, endpoint, ENDPOINT_TYPES, "endpointType"):
        yield diagnostic


def _routing_config(integration: Integration) -> tuple[JsObject, Span] | None:
    """The preprocess config that routes requests (a preprocess flow's, else the trigger one) and its key span."""
    flows = _preprocess_flows(integration)
    if not flows and not integration.flows_complete:
        return None  # an unseen flow may be the preprocess flow
    owner = flows[0].obj if len(flows) == 1 else integration.obj
    key = "preprocessFlowConfig" if len(flows) == 1 else "triggerPreprocessFlowConfig"
    config = obj_at(owner, key)
    span = key_span(owner, key)
    if config is None or span is None:
        return None
    return config, span


@check("CNI105", Severity.WARNING, "shared endpoint without externalCustomerIdField")
def shared_without_customer_field(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about a shared endpoint without externalCustomerIdField: it receives every customer's requests and must tell
    them apart."""
    integration = ctx.project.integration
    if integration is None or string(integration.obj, "endpointType") != "shared_instance":
        return
    routing = _routing_config(integration)
    if routing and routing[0].complete and "externalCustomerIdField" not in routing[0].props:
        yield ctx.report(
            routing[1],
            'endpointType "shared_instance" needs externalCustomerIdField in the preprocess config (e.g. '
            '"body.data.accountId"): a shared endpoint receives every customer\'s requests and must tell them apart.',
        )


@check("CNI106", Severity.WARNING, "instance-specific endpoint with externalCustomerIdField")
def instance_with_customer_field(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about externalCustomerIdField on an instance-specific endpoint, which already knows the customer from its
    URL."""
    integration = ctx.project.integration
    if integration is None or string(integration.obj, "endpointType") != "instance_specific":
        return
    routing = _routing_config(integration)
    if (
        routing
        and (span := key_span(routing[0], "externalCustomerIdField"))
        and "externalCustomerIdField" in routing[0].props
    ):
        yield ctx.report(
            span,
            'endpointType "instance_specific" already knows the customer from the URL; omit externalCustomerIdField.',
        )


@check("CNI107", Severity.WARNING, "routing field is not a trigger payload path, or has a capitalised header")
def trigger_config_paths(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about a routing field that is not a trigger payload path, or names a header with capitals that clients may
    case differently."""
    integration = ctx.project.integration
    config = obj_at(integration.obj, "triggerPreprocessFlowConfig") if integration else None
    for field in ("flowNameField", "externalCustomerIdField", "externalCustomerUserIdField"):
        value = get(config, field)
        if not isinstance(value, JsString) or value.span is None:
            continue
        root, _, rest = value.value.partition(".")
        if root not in PAYLOAD_ROOTS or not rest:
            yield ctx.report(
                value.span,
                f'{field} "{value.value}" should be a path into the trigger payload starting with "headers.", '
                '"body." or "queryParameters." (e.g. "headers.x-acme-flow" or "body.data.flowName").',
            )
        elif root == "headers" and rest != rest.lower():
            fixed = f"headers.{rest.lower()}"
            yield ctx.report(
                value.span,
                f'{field} "{value.value}" names a header with capitals; use lowercase header names ("{fixed}"), '
                "since clients differ in how they case headers.",
                fix=rename_fix(inner(value.span, value), fixed),
            )


@check("CNI108", Severity.ERROR, "integration without name or flows")
def missing_name_or_flows(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an integration without a name or without flows, which spectral's types require and import needs."""
    integration = ctx.project.integration
    if integration is None:
        return
    obj = integration.obj
    anchor = first_span(obj.span, integration.span)
    name = get(obj, "name")
    if (name is None and obj.complete) or isinstance(name, JsUndefined):
        if anchor:
            yield ctx.report(anchor, "integration() has no name; name is required (it is how import finds it).")
    elif isinstance(name, JsString) and not name.value.strip() and name.span:
        yield ctx.report(name.span, "integration() name is empty; give it the name of the app it connects to.")
    flows = get(obj, "flows")
    if flows is None and obj.complete and anchor:
        yield ctx.report(anchor, "integration() has no flows; flows is required and needs at least one flow().")
    elif isinstance(flows, JsArray) and flows.complete and not flows.items and flows.span:
        yield ctx.report(flows.span, "integration() flows is empty; add at least one flow().")


@check("CNI109", Severity.WARNING, "integration without a description")
def missing_description(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about an integration without a description, which customers see in the marketplace; offers a TODO one as a
    fix."""
    integration = ctx.project.integration
    if integration is None:
        return
    obj = integration.obj
    description = get(obj, "description")
    name_span = key_span(obj, "name")
    if description is None and obj.complete and name_span and "name" in obj.props:
        prop = obj.props["name"]
        end = prop.value.span or name_span
        insert = end.model_copy(update={"line": end.end_line, "col": end.end_col})
        yield ctx.report(
            name_span,
            "integration() has no description; customers see it in the marketplace, so describe what the "
            "integration does.",
            fix=Fix(
                title="Add a description",
                edits=[
                    TextEdit(
                        span=insert, new_text=f',\n{" " * name_span.col}description: "TODO: describe this integration"'
                    )
                ],
            ),
        )


@check("CNI110", Severity.WARNING, "user level configuration on a routed endpoint without externalCustomerUserIdField")
def user_level_without_user_field(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about user level config on a routed endpoint without externalCustomerUserIdField, so no request can name its
    user."""
    integration = ctx.project.integration
    if integration is None or not integration.user_level_config_pages:
        return
    if string(integration.obj, "endpointType") not in ROUTED_ENDPOINT_TYPES:
        return
    routing = _routing_config(integration)
    if routing and routing[0].complete and "externalCustomerUserIdField" not in routing[0].props:
        yield ctx.report(
            routing[1],
            "This integration has userLevelConfigPages on an instance or shared endpoint, so the preprocess config "
            'needs externalCustomerUserIdField (e.g. "headers.x-acme-user"): it says which user\'s configuration '
            "a request runs with.",
        )
