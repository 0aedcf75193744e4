"""Webhook endpoints of the local instance: URLs per endpoint type, API keys, and routing (spec/runtime.md §2).

* Every flow has its flow-specific URL `/trigger/<base64 InstanceFlowConfig id>` (the one in `context.webhookUrls`,
  so `invokeFlow` works whatever the endpoint type).
* `instance_specific` adds one URL for the instance (`base64("Instance:<id>")`), `shared_instance` one for the
  integration (`base64("Integration:<name>")`); a request there is routed to a flow by the integration's
  `triggerPreprocessFlowConfig` fields (paths into the trigger payload) or by the preprocess flow's result.
* Security: `Api-Key` header checked for `organization` (its keys), `customer_required` (the local customer's key,
  `instance.local_api_key`) and `customer_optional` (only when a key is sent: it must be right).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from cnikit.definition.models import BuiltDefinition, BuiltFlow
from emulator.instance import LocalInstance, flow_api_keys, webhook_url
from emulator.request import TriggerRequest, parse_body

EndpointKind = Literal["flow", "instance", "shared"]


class RoutingError(Exception):
    """The request cannot be routed to a flow: `status` and `message` are the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Endpoint:
    """One URL the server answers on."""

    kind: EndpointKind
    token: str
    url: str
    flow: BuiltFlow | None = None  # flow-specific endpoints only


def _token(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def endpoints(definition: BuiltDefinition, instance: LocalInstance) -> list[Endpoint]:
    """Every endpoint of the local instance, flow-specific ones first, in definition order."""
    found = []
    for flow in definition.flows:
        url = webhook_url(instance, flow.stable_key or flow.key)
        found.append(Endpoint("flow", _token(url), url, flow))
    base = instance.webhookBaseUrl.rstrip("/")
    if definition.endpoint_type == "instance_specific":
        token = instance.global_id("Instance")
        found.append(Endpoint("instance", token, f"{base}/trigger/{token}"))
    elif definition.endpoint_type == "shared_instance":
        token = base64.b64encode(f"Integration:{definition.name}".encode()).decode()
        found.append(Endpoint("shared", token, f"{base}/trigger/{token}"))
    return found


def check_api_key(flow: BuiltFlow, instance: LocalInstance, request: TriggerRequest) -> None:
    """Raise `RoutingError(401)` unless the request's `Api-Key` header satisfies the flow's endpoint security.

    The platform does not document the status of a refused key (spec/runtime.md §13.5); 401 is our choice.
    """
    security = flow.endpoint_security_type or "customer_optional"
    if security == "unsecured":
        return
    keys = flow_api_keys(instance, flow)
    sent = request.header("api-key")
    if sent is None and security == "customer_optional":
        return
    if sent is None:
        raise RoutingError(401, f"Flow '{flow.name}' requires an Api-Key header ({security} endpoint security).")
    if sent not in keys:
        raise RoutingError(401, f"The Api-Key sent is not one of the keys of flow '{flow.name}'.")


def payload_view(request: TriggerRequest) -> dict[str, Any]:
    """The parts of the trigger payload routing fields may point into: headers, body, query, path fragment.

    Header names are lower-cased (HTTP headers are case-insensitive; the docs advise lowercase field paths).
    """
    try:
        data, content_type = parse_body(request)
    except ValueError:
        data, content_type = None, ""
    return {
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "queryParameters": dict(request.query),
        "body": {"data": data, "contentType": content_type},
        "pathFragment": request.path_fragment,
    }


def lookup(value: Any, path: str) -> Any:
    """Follow a dotted path (`body.data.id`) into a value; None when any part is missing."""
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, value.get(part.lower()) if part.lower() != part else None)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def field_path(field: dict[str, Any] | str | None, prefix: str) -> str | None:
    """A routing field of the built definition as a path below `prefix` (`payload.results.`, `onExecution.results.`)."""
    if field is None:
        return None
    value = field.get("value") if isinstance(field, dict) else field
    if not isinstance(value, str):
        return None
    return value[len(prefix) :] if value.startswith(prefix) else value


def as_text(value: Any) -> str | None:
    """A routing value as the text it is compared as."""
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def route(
    definition: BuiltDefinition,
    instance: LocalInstance,
    endpoint: Endpoint,
    source: dict[str, Any],
    *,
    prefix: str,
) -> BuiltFlow:
    """The flow an instance-specific or shared request goes to, from routing values found in `source`.

    `source` is the trigger payload (fields prefixed `payload.results.`) or the preprocess flow's result
    (`onExecution.results.`). Raises `RoutingError(404)` naming what was looked for and what was found.
    """
    targets = [f for f in definition.flows if f.name != definition.preprocess_flow_name]
    name_path = field_path(definition.flow_name_field, prefix)
    customer_path = field_path(definition.external_customer_id_field, prefix)
    if endpoint.kind == "shared":
        customer = as_text(lookup(source, customer_path)) if customer_path else None
        if customer is None:
            raise RoutingError(404, f"No external customer id at '{customer_path}' of the request.")
        if customer != instance.customer.externalId:
            raise RoutingError(
                404,
                f"No instance of '{definition.name}' for customer '{customer}' "
                f"(the local instance's customer is '{instance.customer.externalId}', see instance.json).",
            )
    if name_path is None and len(targets) == 1:
        return targets[0]  # a single-flow integration needs no flow name
    name = as_text(lookup(source, name_path)) if name_path else None
    if name is None:
        raise RoutingError(404, f"No flow name at '{name_path}' of the request.")
    flow = definition.flow_named(name)
    if flow is None or flow.name == definition.preprocess_flow_name:
        names = ", ".join(repr(f.name) for f in targets)
        raise RoutingError(404, f"No flow named '{name}' in '{definition.name}'; its flows: {names}.")
    return flow
