"""From the resolved `integration({...})` argument to the CNI nodes: flows, config pages, config vars, registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from cnikit.analysis.construct import construct
from cnikit.analysis.resolver import IDENTITY_HELPERS, is_helper_call, is_spectral
from cnikit.model import (
    ComponentManifest,
    ConfigPage,
    ConfigVar,
    ConfigVarHelper,
    Flow,
    HtmlElement,
    Integration,
    JsArray,
    JsBoolean,
    JsCall,
    JsObject,
    JsProperty,
    JsString,
    JsValue,
)

# What a call of one of the project's own functions returns, when the resolver can tell (`Resolver.expand`).
Expand = Callable[[JsCall], JsValue | None]

_CONFIG_VAR_HELPERS: tuple[ConfigVarHelper, ...] = (
    "configVar",
    "connectionConfigVar",
    "dataSourceConfigVar",
    "customerActivatedConnection",
    "organizationActivatedConnection",
)


def unwrap(value: JsValue | None, *helpers: str) -> JsValue | None:
    """The argument of a spectral identity helper call (`flow({...})` → `{...}`), else the value itself."""
    if isinstance(value, JsCall) and is_spectral(value.source) and value.callee in (helpers or IDENTITY_HELPERS):
        return value.args[0] if value.args else None
    return value


def build_integration(obj: JsObject, span: object, expand: Expand) -> Integration:
    """The integration node for the object passed to `integration()`."""
    integration = construct(
        Integration,
        obj=obj,
        span=span,
        name=obj.str_value("name"),
        flows=[],
        flows_complete=True,
        config_pages=[],
        config_pages_complete=True,
        user_level_config_pages=[],
        user_level_config_pages_complete=True,
        scoped_config_vars=[],
        scoped_config_vars_complete=True,
        component_registry=None,
        component_registry_complete=True,
    )
    integration.flows, integration.flows_complete = _flows(obj, expand)
    pages, complete = _pages(obj, "configPages", expand, user_level=False)
    integration.config_pages, integration.config_pages_complete = pages, complete
    pages, complete = _pages(obj, "userLevelConfigPages", expand, user_level=True)
    integration.user_level_config_pages, integration.user_level_config_pages_complete = pages, complete
    integration.scoped_config_vars, integration.scoped_config_vars_complete = _scoped(obj, expand)
    integration.component_registry, integration.component_registry_complete = _registry(obj, expand)
    if not obj.complete:
        # An unresolved spread in integration({...}) may hide any of these properties.
        for key, attr in (
            ("flows", "flows_complete"),
            ("configPages", "config_pages_complete"),
            ("userLevelConfigPages", "user_level_config_pages_complete"),
            ("scopedConfigVars", "scoped_config_vars_complete"),
            ("componentRegistry", "component_registry_complete"),
        ):
            if key not in obj.props:
                setattr(integration, attr, False)
    return integration


def _flows(obj: JsObject, expand: Expand) -> tuple[list[Flow], bool]:
    value = _expanded(obj.get("flows"), expand)
    if value is None:
        return [], obj.complete
    if not isinstance(value, JsArray):
        return [], False
    flows: list[Flow] = []
    complete = value.complete
    for item in value.items:
        flow_obj = unwrap(_expanded(item, expand), "flow")
        if not isinstance(flow_obj, JsObject):
            complete = False
            continue
        flow_obj = _expand_trigger_reference(flow_obj, expand)
        name = flow_obj.get("name")
        stable_key = flow_obj.get("stableKey")
        flows.append(
            construct(
                Flow,
                name=name.value if isinstance(name, JsString) else None,
                stable_key=stable_key.value if isinstance(stable_key, JsString) else None,
                obj=flow_obj,
                span=item.span,
                name_span=name.span if name is not None else None,
                stable_key_span=stable_key.span if stable_key is not None else None,
            )
        )
    return flows, complete


def _expand_trigger_reference(flow_obj: JsObject, expand: Expand) -> JsObject:
    """`onTrigger: acmeOrderTrigger({...})` → the `{ component, key, values }` object the manifest wrapper returns
    (what spectral sees), placed at the call so diagnostics point where the developer wrote it."""
    prop = flow_obj.props.get("onTrigger")
    call = prop.value if prop is not None else None
    if not isinstance(call, JsCall) or is_spectral(call.source):
        return flow_obj
    reference = expand(call)
    if not isinstance(reference, JsObject):
        return flow_obj
    props = dict(flow_obj.props)
    props["onTrigger"] = construct(
        JsProperty,
        key="onTrigger",
        key_span=prop.key_span if prop else None,
        value=reference.model_copy(update={"span": call.span}),
    )
    return construct(JsObject, span=flow_obj.span, props=props, complete=flow_obj.complete)


def _pages(obj: JsObject, key: str, expand: Expand, *, user_level: bool) -> tuple[list[ConfigPage], bool]:
    value = obj.get(key)
    if value is None:
        return [], obj.complete
    if not isinstance(value, JsObject):
        return [], False
    pages: list[ConfigPage] = []
    for index, (title, prop) in enumerate(value.props.items()):
        page_obj = unwrap(_expanded(prop.value, expand), "configPage")
        page = construct(
            ConfigPage,
            title=title,
            title_span=prop.key_span,
            index=index,
            user_level=user_level,
            obj=page_obj if isinstance(page_obj, JsObject) else None,
            config_vars=[],
            html_elements=[],
            complete=True,
            span=prop.value.span,
        )
        pages.append(page)
        if not isinstance(page_obj, JsObject):
            page.complete = False
            continue
        elements = page_obj.get("elements")
        if not isinstance(elements, JsObject):
            page.complete = elements is None and page_obj.complete
            continue
        page.complete = elements.complete
        for name, element in elements.props.items():
            element_value = element.value
            if isinstance(element_value, JsString):
                page.html_elements.append(
                    construct(
                        HtmlElement,
                        key=name,
                        key_span=element.key_span,
                        html=element_value.value,
                        span=element_value.span,
                    )
                )
                continue
            var = config_var(
                name, element.key_span, element_value, expand, page=title, page_index=index, user_level=user_level
            )
            page.config_vars.append(var)
    return pages, value.complete


def _scoped(obj: JsObject, expand: Expand) -> tuple[list[ConfigVar], bool]:
    value = obj.get("scopedConfigVars")
    if value is None:
        return [], obj.complete
    if not isinstance(value, JsObject):
        return [], False
    out: list[ConfigVar] = []
    for name, prop in value.props.items():
        if isinstance(prop.value, JsString):
            continue  # spectral skips string entries
        var = config_var(name, prop.key_span, prop.value, expand, scoped=True)
        out.append(var)
    return out, value.complete


def config_var(
    name: str,
    name_span: object,
    value: JsValue,
    expand: Expand,
    *,
    page: str | None = None,
    page_index: int | None = None,
    user_level: bool = False,
    scoped: bool = False,
) -> ConfigVar:
    """The config variable `name` whose definition is `value` (a helper call, a wrapper call, a literal …)."""
    helper: ConfigVarHelper = "unknown"
    obj: JsValue | None = None
    wrapper: JsCall | None = None
    reference: JsObject | None = None
    data_type: str | None = None
    stable_key: str | None = None
    definition = _expanded(value, expand)
    if isinstance(definition, JsCall) and is_spectral(definition.source) and definition.callee in _CONFIG_VAR_HELPERS:
        helper = cast(ConfigVarHelper, definition.callee)
        obj = definition.args[0] if definition.args else None
        if definition is not value and isinstance(obj, JsObject) and _references_component(definition.callee, obj):
            # A component-manifest wrapper (`slackOauth2("key", {...})`): its own call, its options argument,
            # and the reference it returns.
            helper, wrapper, reference = "wrapper", cast(JsCall, value), obj
            stable_key = obj.str_value("stableKey")
            data_type = "connection" if definition.callee == "connectionConfigVar" else obj.str_value("dataType")
            obj = wrapper.args[1] if len(wrapper.args) > 1 else None
    elif isinstance(definition, JsObject):
        helper, obj = "literal", definition
        if definition is not value and ("connection" in definition.props or "dataSource" in definition.props):
            reference = definition  # a wrapper that returns the reference as a plain object
    if isinstance(obj, JsObject):
        if helper != "wrapper":
            stable_key = obj.str_value("stableKey")
        if helper in ("connectionConfigVar", "customerActivatedConnection", "organizationActivatedConnection"):
            data_type = "connection"
        elif helper == "dataSourceConfigVar":
            data_type = obj.str_value("dataSourceType")
        elif helper in ("configVar", "literal"):
            data_type = obj.str_value("dataType")
    return construct(
        ConfigVar,
        name=name,
        name_span=name_span,
        helper=helper,
        wrapper=wrapper,
        obj=obj if isinstance(obj, JsObject) else None,
        reference=reference,
        stable_key=stable_key,
        data_type=data_type,
        page=page,
        page_index=page_index,
        user_level=user_level,
        scoped=scoped,
        span=value.span,
    )


def _expanded(value: JsValue | None, expand: Expand) -> JsValue | None:
    """What a call of one of the project's own functions returns, when known; else the value itself."""
    if isinstance(value, JsCall) and not is_spectral(value.source):
        expanded = expand(value)
        if expanded is not None:
            return expanded
    return value


def _references_component(helper: str, obj: JsObject) -> bool:
    """True for a connection or data source that references a registry component rather than defining one."""
    return (helper == "connectionConfigVar" and "connection" in obj.props) or (
        helper == "dataSourceConfigVar" and "dataSource" in obj.props
    )


def _registry(obj: JsObject, expand: Expand) -> tuple[list[ComponentManifest] | None, bool]:
    value = _expanded(obj.get("componentRegistry"), expand)
    if value is None:
        return None, obj.complete
    registry = unwrap(value, "componentManifests")
    if not isinstance(registry, JsObject):
        return None, False
    manifests: list[ComponentManifest] = []
    for key, prop in registry.props.items():
        manifest = unwrap(_expanded(prop.value, expand), "componentManifest")
        lists: dict[str, Any] = {}
        if isinstance(manifest, JsObject):
            visibility = manifest.get("public")
            lists["component_key"] = manifest.str_value("key")
            lists["public"] = visibility.value if isinstance(visibility, JsBoolean) else None
        for attr, field in (
            ("actions", "actions"),
            ("triggers", "triggers"),
            ("dataSources", "data_sources"),
            ("connections", "connections"),
        ):
            entries = manifest.get(attr) if isinstance(manifest, JsObject) else None
            lists[field] = list(entries.props) if isinstance(entries, JsObject) and entries.complete else None
        manifests.append(construct(ComponentManifest, key=key, key_span=prop.key_span, value=prop.value, **lists))
    return manifests, registry.complete


def is_integration_call(value: JsValue | None) -> bool:
    """True for `integration(...)` from spectral."""
    return is_helper_call(value, "integration")
