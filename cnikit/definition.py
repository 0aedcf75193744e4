"""The definition as spectral itself produces it: build the project, load `codeNativeIntegrationYAML`.

spectral's `integration()` turns the TypeScript definition into the YAML the platform imports (official-tooling.md
C.1, C.2). This module gets that YAML the way `prism integrations:import` does — build with the project's own
`build` script, `require` `dist/index.js` in Node with `DEBUG` stripped (spectral prints its whole YAML when
`DEBUG=true`) — and parses it into typed models every face can use (the emulator reads flows, triggers and schedules
from here). The wizard's view of connections (input labels, types, comments, hidden inputs) and data sources is not
in the YAML; it is read from the bundle's `connections` and `dataSources` exports and attached to the config vars.

`check_built` is `cnikit check --built`: errors spectral throws while loading become diagnostics placed on the
source the analyser knows, and every disagreement between the static model and the built definition is reported —
that is how the analyser is kept honest.

Diagnostic codes (CNI9xx):
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
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

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
    flow_function_key,
)

_T = TypeVar("_T")

BUNDLE = Path("dist") / "index.js"
LOAD_TIMEOUT = 60.0  # seconds; loading a bundle takes well under one, a hang means top-level code never returns
BUILD_TIMEOUT = 600.0  # seconds; webpack builds take 10–20 s, a cold one on a slow box much longer

# Lockfile → package manager, in the order package-manager-detector checks them.
LOCKFILES: tuple[tuple[str, str], ...] = (
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)

# The Node side of `load_definition`. Output goes after a marker so console output of the bundle's own top-level
# code cannot be mistaken for the result; errors are reported as data, not as a crash.
_MARKER = "\n@@cnikit-definition@@"
_LOADER = r"""
const marker = process.argv[2];
const done = (result) => process.stdout.write(marker + JSON.stringify(result) + "\n", () => process.exit(0));
const load = () => {
  let exported;
  try {
    exported = require(process.argv[1]);
  } catch (error) {
    const isError = error instanceof Error;
    return { ok: false, message: isError ? error.message : String(error), stack: isError ? String(error.stack) : "" };
  }
  const component = exported && exported.default !== undefined ? exported.default : exported;
  const yaml = component ? component.codeNativeIntegrationYAML : undefined;
  if (typeof yaml !== "string") return { ok: false, missing: true, message: "", stack: "" };
  const dataSources = {};
  const sources = component.dataSources && typeof component.dataSources === "object" ? component.dataSources : {};
  for (const [key, source] of Object.entries(sources)) {
    dataSources[key] = { key: plain(source && source.key), dataSourceType: plain(source && source.dataSourceType) };
  }
  const connections = Array.isArray(component.connections) ? plain(component.connections) : [];
  return { ok: true, yaml, exports: { key: plain(component.key), connections, dataSources } };
};
// A JSON-safe copy: functions (perform, clean …), symbols and undefined drop out, as in JSON; a property whose getter
// throws is left out; the depth cap ends cycles.
const plain = (value, depth = 0) => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return String(value);
  if (typeof value !== "object" || depth > 32) return undefined;
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1) ?? null);
  const copy = {};
  for (const key of Object.keys(value)) {
    try {
      const item = plain(value[key], depth + 1);
      if (item !== undefined) copy[key] = item;
    } catch {}
  }
  return copy;
};
done(load());
"""


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


class BuildError(Exception):
    """The project's build script failed; `output` is what the tool printed (stdout then stderr)."""

    def __init__(self, message: str, *, command: list[str] | None = None, output: str = "") -> None:
        super().__init__(message if not output else f"{message}\n{output.rstrip()}")
        self.message = message
        self.command = command or []
        self.output = output


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
            raise DefinitionError(f"{where}: expected a string key, found {_show(key)}", kind="yaml")
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


def node_environment() -> dict[str, str]:
    """The environment for every build and Node process: ours without `DEBUG` (spectral prints its YAML then)."""
    env = dict(os.environ)
    env.pop("DEBUG", None)
    return env


def load_definition(bundle: Path, cwd: Path | None = None) -> BuiltDefinition:
    """`require` the built bundle in Node and parse its `default.codeNativeIntegrationYAML`, with what the YAML
    leaves out taken from the same export: the inline connections' inputs (labels, types, comments …) and the
    inline data sources' types (see `parse_definition_yaml`).

    `cwd` defaults to the bundle's folder (spectral reads `../.spectral/metadata.json` relative to it, as when prism
    runs from `dist/`). An error thrown while loading raises `DefinitionError` with spectral's message and the Node
    stack.
    """
    bundle = bundle.resolve()
    if not bundle.is_file():
        raise DefinitionError(f"no built bundle at {bundle}: build the project first", kind="missing", bundle=bundle)
    node = shutil.which("node")
    if node is None:
        raise DefinitionError("Node.js was not found on PATH; install Node 20 or newer", kind="node", bundle=bundle)
    try:
        completed = subprocess.run(
            [node, "-e", _LOADER, str(bundle), _MARKER],
            cwd=cwd or bundle.parent,
            env=node_environment(),
            capture_output=True,
            text=True,
            timeout=LOAD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise DefinitionError(
            f"loading {bundle} did not finish within {LOAD_TIMEOUT:.0f} s (top-level code that never returns?)",
            kind="node",
            bundle=bundle,
        ) from None
    _, found, tail = completed.stdout.rpartition(_MARKER)
    if not found:
        detail = (completed.stderr or completed.stdout).strip()
        raise DefinitionError(
            f"Node exited with code {completed.returncode} while loading {bundle}" + (f":\n{detail}" if detail else ""),
            kind="node",
            bundle=bundle,
        )
    result = json.loads(tail)
    if result.get("missing"):
        raise DefinitionError(
            f"{bundle} has no default export with codeNativeIntegrationYAML; "
            "expected `export default integration({...})` in src/index.ts",
            kind="missing",
            bundle=bundle,
        )
    if not result["ok"]:
        raise DefinitionError(result["message"], kind="load", stack=result["stack"], bundle=bundle)
    return parse_definition_yaml(result["yaml"], exports=result["exports"])


def package_manager(root: Path) -> str:
    """The project's package manager: `packageManager` in package.json, else the nearest lockfile, else npm."""
    try:
        declared = json.loads((root / "package.json").read_text()).get("packageManager")
    except (OSError, ValueError, AttributeError):
        declared = None
    if isinstance(declared, str) and declared:
        return declared.split("@", 1)[0]
    for folder in (root, *root.parents):  # monorepos keep one lockfile at the workspace root
        for lockfile, manager in LOCKFILES:
            if (folder / lockfile).is_file():
                return manager
    return "npm"


def missing_dependencies(root: Path) -> str | None:
    """`dependencies are not installed: run 'npm install' in <root>` when no node_modules is at or above `root`."""
    if any((folder / "node_modules").is_dir() for folder in (root, *root.parents)):
        return None
    return f"dependencies are not installed: run '{package_manager(root)} install' in {root}"


def project_build_command(root: Path) -> tuple[str, list[str]]:
    """The project's package manager and the command that runs its `build` script (`npm run build`).

    Raises `BuildError` when there is no package.json, no `build` script or no such package manager.
    """
    package_json = root / "package.json"
    if not package_json.is_file():
        raise BuildError(f"no package.json in {root}; a CNI project is built by its package.json `build` script")
    try:
        scripts = json.loads(package_json.read_text()).get("scripts") or {}
    except ValueError as error:
        raise BuildError(f"{package_json} is not valid JSON: {error}") from None
    if "build" not in scripts:
        raise BuildError(f"{package_json} has no `build` script; expected one that writes {BUNDLE}")
    manager = package_manager(root)
    executable = shutil.which(manager)
    if executable is None:
        raise BuildError(f"Detected '{manager}' as the project's package manager, but '{manager}' is not on PATH")
    return manager, [executable, "run", "build"]


def build_with_project_script(root: Path) -> Path:
    """Run the project's `build` script with its package manager and return the bundle (`dist/index.js`).

    Raises `BuildError` with the tool's output when the build fails or produces no bundle.
    """
    root = root.resolve()
    manager, command = project_build_command(root)
    try:
        completed = subprocess.run(
            command, cwd=root, env=node_environment(), capture_output=True, text=True, timeout=BUILD_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        message = f"'{manager} run build' did not finish within {BUILD_TIMEOUT:.0f} s"
        raise BuildError(message, command=command) from None
    output = (completed.stdout + completed.stderr).strip()
    if completed.returncode != 0:
        missing = missing_dependencies(root)
        hint = f" ({missing})" if missing else ""
        raise BuildError(
            f"'{manager} run build' failed with exit code {completed.returncode} in {root}{hint}",
            command=command,
            output=output,
        )
    bundle = root / BUNDLE
    if not bundle.is_file():
        raise BuildError(
            f"'{manager} run build' succeeded but did not write {BUNDLE}; the build must bundle src/index.ts there",
            command=command,
            output=output,
        )
    return bundle


# --- `cnikit check --built`: load errors and static-vs-built disagreements as diagnostics -----------------------

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


def check_built(root: Path, *, model: ProjectModel | None = None, bundle: Path | None = None) -> list[Diagnostic]:
    """`cnikit check --built`: build the project, load its definition, and compare it with the static model.

    Build failures (CNI900), errors spectral throws while loading (CNI901, placed on the source the analyser knows)
    and unreadable definitions (CNI902) are errors; each disagreement between the static model and the built
    definition (CNI910–CNI940) is a warning. Pass `bundle` to skip the build, `model` to reuse an analysis.
    """
    from cnikit.analysis import analyze_project

    root = root.resolve()
    model = model or analyze_project(root)
    try:
        bundle = bundle or build_with_project_script(root)
    except BuildError as error:
        lines = [line for line in error.output.splitlines() if not line.startswith("> ")]  # npm's echo of the script
        tail = "\n".join(lines[-_OUTPUT_TAIL:]).strip()
        message = error.message + (f"\n{tail}" if tail else "")
        span = _build_script_span(root / "package.json")
        return [Diagnostic(code=BUILD_FAILED, severity=Severity.ERROR, span=span, message=message)]
    try:
        built = load_definition(bundle)
    except DefinitionError as error:
        return [load_error_diagnostic(error, model)]
    return compare_definition(model, built)


def load_error_diagnostic(error: DefinitionError, model: ProjectModel) -> Diagnostic:
    """The diagnostic for a `DefinitionError`: spectral's message, placed where the analyser can place it."""
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
