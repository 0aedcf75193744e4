"""The definition as spectral itself produces it: build the project, load `codeNativeIntegrationYAML`.

spectral's `integration()` turns the TypeScript definition into the YAML the platform imports (official-tooling.md
C.1, C.2). This module gets that YAML the way `prism integrations:import` does — build with the project's own
`build` script, `require` `dist/index.js` in Node with `DEBUG` stripped (spectral prints its whole YAML when
`DEBUG=true`) — and parses it into typed models every face can use (the emulator reads flows, triggers and schedules
from here).

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
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from cnikit.model import flow_function_key

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
  return typeof yaml === "string" ? { ok: true, yaml } : { ok: false, missing: true, message: "", stack: "" };
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
    def default_trigger(self) -> Literal["webhook", "schedule"] | None:
        """`webhook` or `schedule` when the flow uses the platform's default trigger, else None."""
        if self.trigger.component_key == "webhook-triggers" and self.trigger.key == "webhook":
            return "webhook"
        if self.trigger.component_key == "schedule-triggers" and self.trigger.key == "schedule":
            return "schedule"
        return None


class BuiltConfigVar(_Built):
    """One entry of `requiredConfigVars`."""

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
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def is_connection(self) -> bool:
        """True for every kind of connection."""
        return self.data_type == "connection"


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


def _config_var(raw: dict[str, Any]) -> BuiltConfigVar:
    fields = {key: value for key, value in raw.items() if key not in ("connection", "dataSource")}
    connection = raw.get("connection")
    data_source = raw.get("dataSource")
    if "defaultValue" in fields and not isinstance(fields["defaultValue"], str):
        fields["defaultValue"] = json.dumps(fields["defaultValue"])
    return BuiltConfigVar.model_validate(
        {
            **fields,
            "connection_key": connection.get("key") if isinstance(connection, dict) else None,
            "data_source_key": data_source.get("key") if isinstance(data_source, dict) else None,
            "raw": raw,
        }
    )


def parse_definition_yaml(text: str) -> BuiltDefinition:
    """Parse `codeNativeIntegrationYAML`; raises `DefinitionError` (kind `yaml`) saying what is wrong and where."""
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
    try:
        flows = [_flow(flow) for flow in raw.get("flows") or [] if isinstance(flow, dict)]
        config_vars = [_config_var(var) for var in raw.get("requiredConfigVars") or [] if isinstance(var, dict)]
        fields = {key: value for key, value in raw.items() if key not in ("flows", "requiredConfigVars")}
        return BuiltDefinition.model_validate(
            {**fields, "flows": flows, "required_config_vars": config_vars, "raw": raw}
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DefinitionError(
            f"the definition does not have the expected shape: {where}: {first['msg']}", kind="yaml"
        ) from None


def node_environment() -> dict[str, str]:
    """The environment for every build and Node process: ours without `DEBUG` (spectral prints its YAML then)."""
    env = dict(os.environ)
    env.pop("DEBUG", None)
    return env


def load_definition(bundle: Path, cwd: Path | None = None) -> BuiltDefinition:
    """`require` the built bundle in Node and parse its `default.codeNativeIntegrationYAML`.

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
    return parse_definition_yaml(result["yaml"])


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


def build_with_project_script(root: Path) -> Path:
    """Run the project's `build` script with its package manager and return the bundle (`dist/index.js`).

    Raises `BuildError` with the tool's output when the build fails or produces no bundle.
    """
    root = root.resolve()
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
    command = [executable, "run", "build"]
    try:
        completed = subprocess.run(
            command, cwd=root, env=node_environment(), capture_output=True, text=True, timeout=BUILD_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        message = f"'{manager} run build' did not finish within {BUILD_TIMEOUT:.0f} s"
        raise BuildError(message, command=command) from None
    output = (completed.stdout + completed.stderr).strip()
    if completed.returncode != 0:
        hint = ""
        if not any((folder / "node_modules").is_dir() for folder in (root, *root.parents)):
            hint = f" (dependencies are not installed: run '{manager} install' in {root})"
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
