"""The built definition: parsing spectral's YAML, loading bundles in Node, building with the project's script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cnikit.definition.build import BuildError, build_with_project_script, package_manager
from cnikit.definition.loading import load_definition
from cnikit.definition.models import BuiltSchedule, DefinitionError, parse_definition_yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ALL_KINDS = FIXTURES / "definition-all-kinds"


def test_parses_the_yaml_spectral_10_31_1_produced() -> None:
    built = parse_definition_yaml((ALL_KINDS / "spectral-10.31.1.yaml").read_text())

    assert built.name == "Definition All Kinds"
    assert built.raw["definitionVersion"] == 7
    assert [flow.name for flow in built.flows] == [
        "Receive Event",
        "Plain Webhook",
        "Nightly Sync",
        "Configured Schedule",
    ]

    receive = built.flow_named("Receive Event")
    assert receive is not None
    assert receive.stable_key == "receive-event"
    assert receive.is_synchronous
    assert receive.endpoint_security_type == "customer_optional"
    assert receive.has_trigger_wrapper and receive.default_trigger is None and receive.trigger_kind == "wrapper"
    assert receive.trigger.key == "receiveEvent_onTrigger"
    assert receive.on_execution.key == "receiveEvent_onExecution"
    assert receive.on_execution.component_key == built.component_key == receive.trigger.component_key

    plain = built.flow_by_stable_key("plain-webhook")
    assert plain is not None
    assert not plain.has_trigger_wrapper and plain.default_trigger == plain.trigger_kind == "webhook"
    assert plain.queue_config == {
        "usesFifoQueue": True,
        "dedupeIdField": {"type": "reference", "value": "onTrigger.results.id"},
    }
    assert plain.retry_config is not None and plain.retry_config["maxAttempts"] == 3
    assert plain.schedule is None

    nightly = built.flow_named("Nightly Sync")
    assert nightly is not None and nightly.default_trigger == "schedule"
    assert nightly.schedule == BuiltSchedule(type="value", value="0 2 * * *", time_zone="Europe/Berlin")
    configured = built.flow_named("Configured Schedule")
    assert configured is not None and configured.schedule is not None
    assert (configured.schedule.type, configured.schedule.value) == ("configVar", "Sync Schedule")


def test_parses_every_kind_of_config_variable() -> None:
    built = parse_definition_yaml((ALL_KINDS / "spectral-10.31.1.yaml").read_text())

    connection = built.config_var("Api Connection")
    assert connection is not None and connection.is_connection
    assert connection.connection_key == "apiConnection"
    assert connection.inputs is not None and connection.inputs["baseUrl"]["value"] == "https://api.example.com"
    mode = built.config_var("Mode")
    assert mode is not None and (mode.data_type, mode.pick_list, mode.default_value) == (
        "picklist",
        ["fast", "slow"],
        "fast",
    )
    enabled = built.config_var("Enabled")
    assert enabled is not None and enabled.default_value == "true"
    schedule = built.config_var("Sync Schedule")
    assert schedule is not None and (schedule.time_zone, schedule.schedule_type) == ("America/Chicago", "none")
    mapping = built.config_var("Mapping")
    assert mapping is not None and mapping.code_language == "json"
    tags = built.config_var("Tags")
    assert tags is not None and tags.collection_type == "valuelist"
    secret = built.config_var("Secret")
    assert secret is not None and secret.org_only and secret.meta["visibleToCustomerDeployer"] is False
    folder = built.config_var("Folder")
    assert folder is not None and (folder.data_type, folder.data_source_key) == ("picklist", "folder")

    assert [page.name for page in built.config_pages] == ["Connections", "Options"]
    assert built.config_pages[0].tagline == "Connect your account"
    options = built.config_pages[1]
    assert options.elements[0].type == "htmlElement" and options.elements[0].value == "<h2>Options</h2>"
    assert options.config_var_keys() == [
        "Target Name",
        "Mode",
        "Enabled",
        "Sync Schedule",
        "Mapping",
        "Tags",
        "Secret",
        "Folder",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [unclosed", "the definition is not valid YAML at line 1, column 16"),
        ("- a list\n", "expected the definition to be a YAML mapping, found list"),
        ("", "expected the definition to be a YAML mapping, found nothing"),
        ("name: X\nflows:\n  - stableKey: a\n", "flows[0]: name: Field required"),
        ("name: X\nrequiredConfigVars:\n  - key: K\n    pickList: 3\n", 'requiredConfigVars[0] "K": pickList:'),
    ],
)
def test_bad_yaml_is_a_clear_error(text: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition_yaml(text)
    assert caught.value.kind == "yaml"
    assert expected in caught.value.message


def _bundle(folder: Path, source: str) -> Path:
    bundle = folder / "dist" / "index.js"
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_text(source)
    return bundle


def test_load_strips_debug_from_the_node_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "true")
    bundle = _bundle(
        tmp_path,
        'exports.default = { codeNativeIntegrationYAML: "name: debug-" + (process.env.DEBUG || "unset") + "\\n" };',
    )
    assert load_definition(bundle).name == "debug-unset"


def test_console_output_of_the_bundle_does_not_corrupt_the_definition(tmp_path: Path) -> None:
    bundle = _bundle(
        tmp_path,
        'console.log("name: not this one"); process.stdout.write("flows: [");\n'
        'exports.default = { codeNativeIntegrationYAML: "name: Real\\n" };',
    )
    assert load_definition(bundle).name == "Real"


def test_load_error_carries_the_message_and_the_node_stack(tmp_path: Path) -> None:
    bundle = _bundle(
        tmp_path, 'function convert() {\n  throw new Error("Duplicate config var key: \\"X\\"");\n}\nconvert();\n'
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(bundle)
    error = caught.value
    assert (error.kind, error.message) == ("load", 'Duplicate config var key: "X"')
    assert "at convert" in error.stack
    assert error.bundle_location() == f"{bundle.resolve()}:2:9"


def test_a_bundle_without_the_definition_says_what_is_expected(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, "exports.default = { actions: {} };")
    with pytest.raises(DefinitionError) as caught:
        load_definition(bundle)
    assert caught.value.kind == "missing"
    assert "no default export with codeNativeIntegrationYAML" in caught.value.message


def test_a_missing_bundle_says_to_build_first(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"no built bundle at .*: build the project first"):
        load_definition(tmp_path / "dist" / "index.js")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, "npm"),
        ({"package-lock.json": "{}"}, "npm"),
        ({"yarn.lock": ""}, "yarn"),
        ({"pnpm-lock.yaml": ""}, "pnpm"),
        ({"bun.lockb": ""}, "bun"),
        ({"package.json": json.dumps({"packageManager": "pnpm@9.1.0"}), "package-lock.json": "{}"}, "pnpm"),
    ],
)
def test_package_manager_follows_the_lockfile(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(text)
    assert package_manager(project) == expected


def test_package_manager_finds_a_workspace_lockfile_above(tmp_path: Path) -> None:
    (tmp_path / "yarn.lock").write_text("")
    project = tmp_path / "integrations" / "shop"
    project.mkdir(parents=True)
    assert package_manager(project) == "yarn"


def test_builds_with_the_project_script_and_loads_the_result() -> None:
    bundle = build_with_project_script(ALL_KINDS)
    assert bundle == ALL_KINDS / "dist" / "index.js"
    built = load_definition(bundle)
    expected = parse_definition_yaml((ALL_KINDS / "spectral-10.31.1.yaml").read_text())
    # Same definition as the recorded one, except the component key spectral draws anew on every build, and what
    # only the bundle's exports tell (connection inputs, data source types: test_definition_exports.py).
    assert built.component_key != expected.component_key
    assert built.has_component_exports and not expected.has_component_exports
    exported = {"raw", "connection_inputs", "data_source_type"}
    different: dict[str, Any] = {
        "raw": True,
        "flows": True,
        "has_component_exports": True,
        "required_config_vars": {"__all__": exported},
    }
    assert built.model_dump(exclude=different) == expected.model_dump(exclude=different)
    assert [(f.name, f.stable_key, f.schedule, f.trigger.key) for f in built.flows] == [
        (f.name, f.stable_key, f.schedule, f.trigger.key) for f in expected.flows
    ]


def test_a_failing_build_reports_the_tools_output() -> None:
    with pytest.raises(BuildError) as caught:
        build_with_project_script(FIXTURES / "definition-build-fails")
    assert "'npm run build' failed with exit code 1" in caught.value.message
    assert 'Expected "}" but found ")"' in caught.value.output


def test_a_project_without_a_build_script_is_told_what_is_expected(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "scripts": {"test": "jest"}}))
    with pytest.raises(BuildError, match=r"has no `build` script; expected one that writes dist/index\.js"):
        build_with_project_script(tmp_path)
