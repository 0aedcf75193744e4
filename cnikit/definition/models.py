"""The built definition: `codeNativeIntegrationYAML` parsed into typed models every face can use.

spectral's `integration()` turns the TypeScript definition into the YAML the platform imports (official-tooling.md
C.2). `parse_definition_yaml` reads it into `BuiltDefinition` (flows, config variables, config pages, with `raw`
holding all of it). The wizard's view of connections (input labels, types, comments, hidden inputs) and data sources
is not in the YAML; given the bundle's `connections` and `dataSources` exports (what `cnikit/node/loader.js`
describes), it is attached to the config vars. Every malformed input is a `DefinitionError` (kind `yaml`) saying
what is wrong and where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from cnikit.model import flow_function_key

_T = TypeVar("_T")


class DefinitionError(Exception):
    """The definition could not be produced or read.

    `message` is what went wrong (for a load error: spectral's own message, verbatim), `stack` the Node stack when
    the error came from Node, `kind` says which stage failed.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: Literal["load", "missing", "yaml", "node"] = "load",
        stack: str = "",
        bundle: Path | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.stack = stack
        self.bundle = bundle

    def bundle_location(self) -> str | None:
        """`file:line:col` of the innermost stack frame inside the bundle, if the stack has one."""
        if self.bundle is None:
            return None
        pattern = re.compile(re.escape(str(self.bundle)) + r":(\d+):(\d+)")
        match = pattern.search(self.stack)
        return f"{self.bundle}:{match.group(1)}:{match.group(2)}" if match else None


class _Built(BaseModel):
    # Attributes are snake_case; the YAML's camelCase keys are accepted as aliases.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class BuiltActionRef(_Built):
    """A step's action: `key` and the component that holds it (the CNI's own component has a random UUID key)."""

    key: str
    component_key: str
    is_public: bool = False
    version: str | None = None


class BuiltSchedule(_Built):
    """A flow's schedule from its trigger step: a cron expression (`value`) or the name of a schedule config var."""

    type: Literal["value", "configVar"]
    value: str
    time_zone: str | None = None  # None or "" means the platform default (UTC)


class BuiltFlow(_Built):
    """One flow of the built definition."""

    name: str
    stable_key: str | None = None
    description: str | None = None
    is_synchronous: bool = False
    endpoint_security_type: str | None = None
    organization_api_keys: list[str] | None = None
    queue_config: dict[str, Any] | None = None
    retry_config: dict[str, Any] | None = None
    schedule: BuiltSchedule | None = None
    trigger: BuiltActionRef
    on_execution: BuiltActionRef
    trigger_inputs: dict[str, Any] = Field(default_factory=dict)
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        """spectral's flow function key (`"List Items"` → `listItems`)."""
        return flow_function_key(self.name)

    @property
    def has_trigger_wrapper(self) -> bool:
        """True when the bundle has a `<flowKey>_onTrigger` trigger (an onTrigger function or lifecycle hooks)."""
        return not self.trigger.is_public and self.trigger.key == f"{self.key}_onTrigger"

    @property
    def trigger_kind(self) -> Literal["wrapper", "webhook", "schedule", "component"]:
        """How the flow is triggered: the bundle's `<flowKey>_onTrigger`, a default trigger, or a registry one."""
        if self.has_trigger_wrapper:
            return "wrapper"
        return self.default_trigger or "component"

    @property
    def default_trigger(self) -> Literal["webhook", "schedule"] | None:
        """`webhook` or `schedule` when the flow uses the platform's default trigger, else None."""
        if self.trigger.component_key == "webhook-triggers" and self.trigger.key == "webhook":
            return "webhook"
        if self.trigger.component_key == "schedule-triggers" and self.trigger.key == "schedule":
            return "schedule"
        return None


class BuiltConnectionInput(_Built):
    """One input of an inline connection, as the bundle's `connections` export describes it (spectral's
    `convertInput`/`convertTemplateInput`), with `write_only` from the YAML (spectral leaves it out of the export).

    The YAML omits inputs with `shown: false` and template inputs; they are kept here with `hidden` set, since the
    platform fills them in itself (a default, or the `template_value` built from the other inputs).
    """

    key: str
    label: str = ""
    type: str = "string"  # string, text, data, password, boolean or template
    required: bool = False
    default: Any = None  # spectral's default ("" for text types, "false" for boolean); a list for collections
    shown: bool = True
    comments: str | None = None
    placeholder: str | None = None
    example: str | None = None
    write_only: bool = False
    collection: Literal["valuelist", "keyvaluelist"] | None = None
    model: list[dict[str, Any]] | None = None  # choices: [{label, value}]
    on_premise_controlled: bool = False
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def secret(self) -> bool:
        """True for `password` inputs: masked, and kept in the keyring rather than a file."""
        return self.type == "password"

    @property
    def template_value(self) -> str | None:
        """The template (`{{#otherInput}}…`) of a template input; None for every other input."""
        return str(self.default) if self.type == "template" and self.default is not None else None

    @property
    def hidden(self) -> bool:
        """True when the wizard does not ask for this input (`shown: false`, or a template input)."""
        return not self.shown or self.type == "template"


class BuiltConfigVar(_Built):
    """One entry of `requiredConfigVars`.

    `connection_inputs` and `data_source_type` come from the bundle's `connections` and `dataSources` exports, for
    the connections and data sources the integration defines inline; they stay empty when only the YAML was read,
    and for components' connections and data sources (their manifest describes them, not the bundle).
    """

    key: str
    stable_key: str | None = None
    description: str | None = None
    data_type: str | None = None
    default_value: str | None = None
    pick_list: list[str] | None = None
    code_language: str | None = None
    collection_type: str | None = None
    time_zone: str | None = None
    schedule_type: str | None = None
    org_only: bool = False
    meta: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Any] | None = None  # connections (and data sources with dependencies)
    connection_key: str | None = None  # inline or referenced connection: the connection's key in its component
    data_source_key: str | None = None  # inline or referenced data source: the data source's key in its component
    use_scoped_config_var: str | None = None  # customer-/organization-activated connections
    connection_inputs: list[BuiltConnectionInput] = Field(default_factory=list)  # inline connections, in order
    data_source_type: str | None = None  # inline data sources: the bundle exports `dataSources[data_source_key]`
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def is_connection(self) -> bool:
        """True for every kind of connection."""
        return self.data_type == "connection"

    def connection_input(self, key: str) -> BuiltConnectionInput | None:
        """The connection input with this key."""
        return next((item for item in self.connection_inputs if item.key == key), None)


class BuiltPageElement(_Built):
    """An element of a config page: a config var (`value` is its key) or HTML (`value` is the HTML or the key)."""

    type: Literal["configVar", "htmlElement"]
    value: str


class BuiltConfigPage(_Built):
    """One config wizard page."""

    name: str
    tagline: str | None = None
    user_level_configured: bool = False
    elements: list[BuiltPageElement] = Field(default_factory=list)

    def config_var_keys(self) -> list[str]:
        """Keys of the config variables on this page, in order (HTML elements left out)."""
        return [element.value for element in self.elements if element.type == "configVar"]


class BuiltDefinition(_Built):
    """The integration as the platform sees it: `codeNativeIntegrationYAML`, parsed. `raw` holds all of it."""

    name: str
    description: str | None = None
    category: str | None = None
    documentation: str | None = None
    version: str | None = None
    labels: list[str] | None = None
    endpoint_type: str | None = None
    preprocess_flow_name: str | None = None
    external_customer_id_field: dict[str, Any] | None = None
    external_customer_user_id_field: dict[str, Any] | None = None
    flow_name_field: dict[str, Any] | None = None
    flows: list[BuiltFlow] = Field(default_factory=list)
    required_config_vars: list[BuiltConfigVar] = Field(default_factory=list)
    config_pages: list[BuiltConfigPage] = Field(default_factory=list)
    # True when the bundle's `connections` and `dataSources` were read (config vars' `connection_inputs`, …).
    has_component_exports: bool = False
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    def flow_named(self, name: str) -> BuiltFlow | None:
        """The flow with this name."""
        return next((flow for flow in self.flows if flow.name == name), None)

    def flow_by_stable_key(self, stable_key: str) -> BuiltFlow | None:
        """The flow with this stable key."""
        return next((flow for flow in self.flows if flow.stable_key == stable_key), None)

    def config_var(self, key: str) -> BuiltConfigVar | None:
        """The config variable with this key."""
        return next((var for var in self.required_config_vars if var.key == key), None)

    @property
    def component_key(self) -> str | None:
        """The CNI's own component key (a fresh UUID on every build), taken from the first onExecution step."""
        return self.flows[0].on_execution.component_key if self.flows else None


def _action(step: dict[str, Any]) -> BuiltActionRef:
    action = step.get("action") or {}
    component = action.get("component") or {}
    return BuiltActionRef(
        key=str(action.get("key", "")),
        component_key=str(component.get("key", "")),
        is_public=bool(component.get("isPublic", False)),
        version=component.get("version"),
    )


def _flow(raw: dict[str, Any]) -> BuiltFlow:
    steps = raw.get("steps") or []
    trigger = next((step for step in steps if isinstance(step, dict) and step.get("isTrigger")), {})
    execution = next((step for step in steps if isinstance(step, dict) and not step.get("isTrigger")), {})
    schedule = None
    if isinstance(trigger.get("schedule"), dict):
        raw_schedule = trigger["schedule"]
        meta = raw_schedule.get("meta") or {}
        schedule = BuiltSchedule(
            type=raw_schedule.get("type"), value=str(raw_schedule.get("value", "")), time_zone=meta.get("timeZone")
        )
    fields = {key: value for key, value in raw.items() if key not in ("steps", "schedule")}
    return BuiltFlow.model_validate(
        {
            **fields,
            "schedule": schedule,
            "trigger": _action(trigger),
            "on_execution": _action(execution),
            "trigger_inputs": trigger.get("inputs") or {},
            "raw": raw,
        }
    )


class _ExportedConnection(_Built):
    key: str
    inputs: list[dict[str, Any]] = Field(default_factory=list)


class _ExportedDataSource(_Built):
    data_source_type: str | None = None


class _Exports(_Built):
    """The bundle's default export beyond the YAML, JSON-safe: the CNI component's key, `connections`, `dataSources`."""

    key: str | None = None
    connections: list[_ExportedConnection] = Field(default_factory=list)
    data_sources: dict[str, _ExportedDataSource] = Field(default_factory=dict)


@dataclass(frozen=True)
class _Own:
    """What the bundle exports for the integration's own (inline) connections and data sources."""

    component_key: str | None  # None: the definition does not say, every reference counts as the integration's own
    connections: dict[str, _ExportedConnection]
    data_sources: dict[str, _ExportedDataSource]

    def owns(self, reference: object) -> str | None:
        """The key of a `connection`/`dataSource` reference of the YAML when it points at the integration's own
        component, else None (a registry component's connection or data source)."""
        if not isinstance(reference, dict) or not isinstance(reference.get("key"), str):
            return None
        component = reference.get("component")
        component_key = component.get("key") if isinstance(component, dict) else None
        return reference["key"] if self.component_key in (None, component_key) else None


def _read_exports(exports: Mapping[str, Any], flows: list[BuiltFlow]) -> _Own:
    try:
        parsed = _Exports.model_validate(exports)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DefinitionError(
            f"the bundle's connections/dataSources export does not have the expected shape: {where}: {first['msg']}",
            kind="yaml",
        ) from None
    component_key = parsed.key or (flows[0].on_execution.component_key if flows else None)
    return _Own(component_key, {c.key: c for c in parsed.connections}, parsed.data_sources)


def _connection_inputs(exported: _ExportedConnection, yaml_inputs: object) -> list[BuiltConnectionInput]:
    """The connection's inputs, in definition order; `writeOnly` only survives in the YAML's input `meta`."""
    yaml_inputs = yaml_inputs if isinstance(yaml_inputs, dict) else {}
    inputs = []
    for index, item in enumerate(exported.inputs):
        where = f"connection {json.dumps(exported.key)}: inputs[{index}]"
        key = item.get("key")
        if not isinstance(key, str):
            shown = "none" if key is None else json.dumps(key)
            raise DefinitionError(f"{where}: expected a string key, found {shown}", kind="yaml")
        yaml_input = yaml_inputs.get(key)
        meta = yaml_input.get("meta") if isinstance(yaml_input, dict) else None
        write_only = isinstance(meta, dict) and meta.get("writeOnly") is True
        try:
            inputs.append(
                BuiltConnectionInput.model_validate(
                    {**item, "label": item.get("label") or key, "write_only": write_only, "raw": item}
                )
            )
        except ValidationError as error:
            raise _shape_error(error, f"{where} {json.dumps(key)}") from None
    return inputs


def _config_var(raw: dict[str, Any], own: _Own | None = None) -> BuiltConfigVar:
    fields = {key: value for key, value in raw.items() if key not in ("connection", "dataSource")}
    connection = raw.get("connection")
    data_source = raw.get("dataSource")
    if "defaultValue" in fields and not isinstance(fields["defaultValue"], str):
        fields["defaultValue"] = json.dumps(fields["defaultValue"])
    extra: dict[str, Any] = {}
    if own is not None:
        exported = own.connections.get(own.owns(connection) or "")
        if exported is not None:
            extra["connection_inputs"] = _connection_inputs(exported, raw.get("inputs"))
        source = own.data_sources.get(own.owns(data_source) or "")
        if source is not None:
            extra["data_source_type"] = source.data_source_type
    return BuiltConfigVar.model_validate(
        {
            **fields,
            **extra,
            "connection_key": connection.get("key") if isinstance(connection, dict) else None,
            "data_source_key": data_source.get("key") if isinstance(data_source, dict) else None,
            "raw": raw,
        }
    )


def parse_definition_yaml(text: str, exports: Mapping[str, Any] | None = None) -> BuiltDefinition:
    """Parse `codeNativeIntegrationYAML`; raises `DefinitionError` (kind `yaml`) saying what is wrong and where.

    `exports` is what the bundle's default export holds beyond the YAML, JSON-safe: `{key, connections,
    dataSources}` (functions dropped; `key` may be left out, the YAML's component key is used then). With it, inline
    connections get their `connection_inputs` and inline data sources their `data_source_type`; without it (the
    YAML alone) those stay empty and `has_component_exports` is False.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = ""
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(error, "problem", None) or str(error)
        raise DefinitionError(f"the definition is not valid YAML{where}: {problem}", kind="yaml") from None
    if not isinstance(raw, dict):
        found = "nothing" if raw is None else type(raw).__name__
        raise DefinitionError(f"expected the definition to be a YAML mapping, found {found}", kind="yaml")
    flows = [_item(_flow, "flows", index, item) for index, item in enumerate(raw.get("flows") or [])]
    own = _read_exports(exports, flows) if exports is not None else None
    config_vars = [
        _item(lambda item: _config_var(item, own), "requiredConfigVars", index, item)
        for index, item in enumerate(raw.get("requiredConfigVars") or [])
    ]
    fields = {key: value for key, value in raw.items() if key not in ("flows", "requiredConfigVars")}
    try:
        return BuiltDefinition.model_validate(
            {
                **fields,
                "flows": flows,
                "required_config_vars": config_vars,
                "has_component_exports": own is not None,
                "raw": raw,
            }
        )
    except ValidationError as error:
        raise _shape_error(error, "") from None


def _item(parse: Callable[[dict[str, Any]], _T], group: str, index: int, raw: object) -> _T:
    """Parse one entry of a list in the definition; errors name the entry (`flows[2] "Sync": name: …`)."""
    where = f"{group}[{index}]"
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: expected a mapping, found {type(raw).__name__}", kind="yaml")
    name = raw.get("name", raw.get("key"))
    if isinstance(name, str):
        where += f" {json.dumps(name)}"
    try:
        return parse(raw)
    except ValidationError as error:
        raise _shape_error(error, where) from None


def _shape_error(error: ValidationError, where: str) -> DefinitionError:
    first = error.errors()[0]
    field_path = ".".join(str(part) for part in first["loc"] if part != "raw")
    prefix = f"{where}: " if where else ""
    return DefinitionError(
        f"the definition does not have the expected shape: {prefix}{field_path}: {first['msg']}", kind="yaml"
    )
