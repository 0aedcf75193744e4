"""Resolvers of the user, integrations, flows, the system instance and prism's import steps (publishComponent,
components, importIntegration, uploadMedia, updateIntegration): thin over `Imports` and the served definition."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ariadne import MutationType, ObjectType, QueryType

from emulator.serve.api.ids import cursor, global_id, parse_id, start_after
from emulator.serve.api.imports import ImportFailed, Integration
from emulator.serve.api.state import ApiState, api, payload_error

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

    from cnikit.definition.models import BuiltFlow

FLOWS_PAGE = 10  # flows per page of `Integration.flows` (prism follows `pageInfo` for more)
LOCAL_ORG = "local emulator (cnikit serve)"

query = QueryType()
mutation = MutationType()
integration_type = ObjectType("Integration")
instance_type = ObjectType("Instance")


def local_user() -> dict[str, Any]:
    """The one user of the emulator: the developer, in an organization named for what it is."""
    return {
        "name": "Local developer",
        "email": "developer@localhost",
        "tenantId": "local",
        "org": {"id": global_id("Organization", "local"), "name": LOCAL_ORG},
        "customer": None,
    }


@query.field("authenticatedUser")
def resolve_me(_obj: Any, _info: GraphQLResolveInfo) -> dict[str, Any]:
    return local_user()


@query.field("listUserTenants")
def resolve_tenants(_obj: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    tenant = {"tenantId": "local", "url": api(info).base_url, "orgName": LOCAL_ORG, "awsRegion": "local"}
    return {"nodes": [{**tenant, "systemSuspended": False}]}


@query.field("integrations")
def resolve_integrations(
    _obj: Any, info: GraphQLResolveInfo, name_Icontains: str | None = None, name: str | None = None, **_: Any
) -> dict[str, Any]:
    found = [
        i
        for i in api(info).imports.listed()
        if (name is None or i.name == name) and (not name_Icontains or name_Icontains.casefold() in i.name.casefold())
    ]
    return {"nodes": found, "pageInfo": {"hasNextPage": False, "endCursor": None}}


@query.field("integration")
def resolve_integration(_obj: Any, info: GraphQLResolveInfo, id: str) -> Integration:
    found = api(info).imports.get(id)
    if found is None:
        raise ValueError(
            f"Integration with id '{id}' does not exist; `prism integrations:list` shows the imported ones"
        )
    return found


def _served_flows(state: ApiState, integration: Integration) -> list[BuiltFlow]:
    definition = state.runtime.definition
    return definition.flows if definition.name == integration.name else []


def flow_node(state: ApiState, flow: BuiltFlow) -> dict[str, Any]:
    """An `IntegrationFlow`: the served flow with its local test URL."""
    from emulator.instance import webhook_url

    key = flow.stable_key or flow.key
    return {
        "id": global_id("IntegrationFlow", key),
        "stableKey": flow.stable_key,
        "name": flow.name,
        "description": flow.description,
        "testUrl": webhook_url(state.runtime.instance, key),
        "isSynchronous": flow.is_synchronous,
        "usesFifoQueue": bool((flow.queue_config or {}).get("usesFifoQueue")),
        "endpointSecurityType": (flow.endpoint_security_type or "customer_optional").upper(),
        "trigger": {
            "action": {
                "component": {
                    "id": global_id("Component", flow.trigger.component_key),
                    "key": flow.trigger.component_key,
                    "versionNumber": 1,
                },
                "isPollingTrigger": False,
                "scheduleSupport": "VALID" if flow.schedule else "INVALID",
            }
        },
    }


def find_flow(state: ApiState, flow_id: str) -> BuiltFlow | None:
    """The served flow an `IntegrationFlow` (or `InstanceFlowConfig`) id names."""
    key = parse_id(flow_id, "IntegrationFlow") or parse_id(flow_id, "InstanceFlowConfig")
    return next((f for f in state.runtime.definition.flows if key in (f.stable_key, f.key)), None)


@integration_type.field("versionNumber")
def resolve_version(obj: Integration, _info: GraphQLResolveInfo) -> int:
    return obj.version


@integration_type.field("isCodeNative")
def resolve_code_native(_obj: Integration, _info: GraphQLResolveInfo) -> bool:
    return True


@integration_type.field("labels")
def resolve_labels(obj: Integration, info: GraphQLResolveInfo) -> list[str]:
    definition = api(info).runtime.definition
    return list(definition.labels or []) if definition.name == obj.name else []


@integration_type.field("category")
def resolve_category(obj: Integration, info: GraphQLResolveInfo) -> str | None:
    definition = api(info).runtime.definition
    return definition.category if definition.name == obj.name else None


@integration_type.field("customer")
def resolve_customer(_obj: Integration, _info: GraphQLResolveInfo) -> None:
    return None


@integration_type.field("flows")
def resolve_flows(obj: Integration, info: GraphQLResolveInfo, after: str | None = None) -> dict[str, Any]:
    state = api(info)
    flows = _served_flows(state, obj)
    start = start_after(after, "IntegrationFlow")
    page = flows[start : start + FLOWS_PAGE]
    end = start + len(page) - 1
    return {
        "nodes": [flow_node(state, f) for f in page],
        "pageInfo": {
            "hasNextPage": end + 1 < len(flows),
            "endCursor": cursor("IntegrationFlow", end) if page else None,
        },
    }


@integration_type.field("testConfigVariables")
def resolve_test_config_variables(_obj: Integration, _info: GraphQLResolveInfo, **_: Any) -> dict[str, Any]:
    return {"nodes": []}  # connections are authorized in the local wizard, never through an authorizeUrl


@integration_type.field("systemInstance")
def resolve_system_instance(obj: Integration, info: GraphQLResolveInfo) -> dict[str, Any]:
    state = api(info)
    instance = state.runtime.instance
    return {
        "id": instance.global_id("Instance"),
        "integration": obj,
        "configState": config_state(state),
        "configVariables": {"nodes": []},
    }


@instance_type.field("flowConfigs")
def resolve_flow_configs(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    from emulator.instance import flow_api_keys

    state = api(info)
    nodes = []
    for flow in _served_flows(state, obj["integration"]):
        node = flow_node(state, flow)
        config_id = global_id("InstanceFlowConfig", flow.stable_key or flow.key)
        nodes.append({"id": config_id, "flow": node, "apiKeys": flow_api_keys(state.runtime.instance, flow)})
    return {"nodes": nodes}


def config_state(state: ApiState) -> str:
    """FULLY_CONFIGURED when the local instance has a value for every required config variable (and every
    connection secret), else NEEDS_INSTANCE_CONFIGURATION."""
    from emulator.instance import config_vars

    missing: list[str] = []
    definition = state.runtime.definition
    values = config_vars(state.runtime.executor.configuration()[0], definition, missing)
    empty = [
        v.key
        for v in definition.required_config_vars
        if not v.is_connection and v.data_type != "htmlElement" and values.get(v.key) in (None, "")
    ]
    return "NEEDS_INSTANCE_CONFIGURATION" if missing or empty else "FULLY_CONFIGURED"


@query.field("components")
def resolve_components(
    _obj: Any, info: GraphQLResolveInfo, key: str | None = None, versionNumber: int | None = None, **_: Any
) -> dict[str, Any]:
    found = api(info).imports.component(key, versionNumber)
    return {"nodes": [] if found is None else [_component(found.id, found.key, found.version)]}


def _component(ident: str, key: str, version: int) -> dict[str, Any]:
    return {"id": ident, "key": key, "versionNumber": version, "label": key, "forCodeNativeIntegration": True}


@query.field("uploadMedia")
def resolve_upload_media(_obj: Any, info: GraphQLResolveInfo, objectId: str, fileName: str, **_: Any) -> dict[str, Any]:
    url = api(info).links.url("media", fileName)
    return {"uploadUrl": url, "objectUrl": url, "error": None}


@mutation.field("publishComponent")
def resolve_publish(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    state = api(info)
    definition = input.get("definition")
    key = definition.get("key") if isinstance(definition, dict) else None
    try:
        component = state.imports.publish(str(key or ""))
    except ImportFailed as failed:
        return payload_error("definition", str(failed))
    connections = [c for c in input.get("connections") or [] if isinstance(c, dict) and c.get("key")]
    icons = [{"connectionKey": c["key"], "iconUploadUrl": state.links.url("media", c["key"])} for c in connections]
    return {
        "publishResult": {
            "component": _component(component.id, component.key, component.version),
            "iconUploadUrl": state.links.url("media", "icon.png"),
            "packageUploadUrl": state.links.url("package", component.key),
            "sourceUploadUrl": None,
            "connectionIconUploadUrls": icons,
            "connectionAvatarIconUploadUrls": icons,
        },
        "errors": [],
    }


@mutation.field("importIntegration")
def resolve_import(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    try:
        integration = api(info).imports.import_integration(str(input["definition"]), input.get("integrationId"))
    except ImportFailed as failed:
        return payload_error("definition", str(failed))
    return {"integration": integration, "errors": []}


@mutation.field("updateIntegration")
def resolve_update_integration(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    found = api(info).imports.get(str(input["id"]))
    if found is None:
        return payload_error("id", f"no integration with id {input['id']} on this server")
    return {"integration": found, "errors": []}


@mutation.field("updateInstance")
def resolve_update_instance(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    state = api(info)
    listed = state.imports.listed()
    if input["id"] != state.runtime.instance.global_id("Instance") or not listed:
        return payload_error("id", f"no instance with id {input['id']} on this server")
    return {"instance": resolve_system_instance(listed[-1], info), "errors": []}
