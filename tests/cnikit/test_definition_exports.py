"""What the bundle exports beyond the YAML: connection inputs as the config wizard needs them, inline data sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cnikit.definition.build import build_with_project_script
from cnikit.definition.loading import load_definition
from cnikit.definition.models import BuiltDefinition, DefinitionError, parse_definition_yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CONNECTION_INPUTS = FIXTURES / "definition-connection-inputs"


@pytest.fixture(scope="module")
def built() -> BuiltDefinition:
    return load_definition(build_with_project_script(CONNECTION_INPUTS))


def test_connection_inputs_carry_what_the_wizard_shows(built: BuiltDefinition) -> None:
    connection = built.config_var("Shop Connection")
    assert connection is not None and built.has_component_exports
    assert [
        (item.key, item.label, item.type, item.required, item.default, item.secret, item.hidden)
        for item in connection.connection_inputs
    ] == [
        ("apiKey", "API Key", "password", True, "", True, False),
        ("shopName", "Shop Name", "string", True, "", False, False),
        ("sandbox", "Use Sandbox", "boolean", False, "false", False, False),
        ("region", "Region", "string", False, "eu", False, False),
        ("scopes", "Scopes", "string", False, ["orders:read"], False, False),
        ("apiVersion", "API Version", "string", False, "2024-01", False, True),
        ("baseUrl", "Base URL", "template", False, "https://{{#shopName}}.shop.example.com", False, True),
    ]
    api_key = connection.connection_input("apiKey")
    assert api_key is not None
    assert (api_key.comments, api_key.placeholder, api_key.write_only) == (
        "Found under Settings → API in your shop.",
        "sk_live_…",
        True,  # spectral leaves writeOnly out of the export; it comes from the YAML's input meta
    )
    shop_name = connection.connection_input("shopName")
    assert shop_name is not None
    assert (shop_name.placeholder, shop_name.example, shop_name.comments, shop_name.write_only) == (
        "my-shop",
        "acme-store",
        None,
        False,
    )
    assert "clean" not in shop_name.raw  # the input's clean function does not survive the trip out of Node
    sandbox = connection.connection_input("sandbox")
    assert sandbox is not None and sandbox.comments == "Test against the sandbox."
    region = connection.connection_input("region")
    assert region is not None and region.model == [
        {"label": "Europe", "value": "eu"},
        {"label": "United States", "value": "us"},
    ]
    scopes = connection.connection_input("scopes")
    assert scopes is not None and scopes.collection == "valuelist"
    hidden = [item for item in connection.connection_inputs if item.hidden]
    assert [(item.key, item.shown, item.template_value) for item in hidden] == [
        ("apiVersion", False, None),
        ("baseUrl", False, "https://{{#shopName}}.shop.example.com"),
    ]
    # The YAML itself has no entry for hidden inputs: the wizard learns of them only through the export.
    assert connection.inputs is not None and set(connection.inputs) == {
        "apiKey",
        "shopName",
        "sandbox",
        "region",
        "scopes",
    }


def test_an_inline_data_source_is_tied_to_its_config_variable(built: BuiltDefinition) -> None:
    warehouse = built.config_var("Warehouse")
    assert warehouse is not None
    assert (warehouse.data_source_key, warehouse.data_source_type, warehouse.connection_inputs) == (
        "warehouse",
        "picklist",
        [],
    )
    connection = built.config_var("Shop Connection")
    assert connection is not None and connection.data_source_type is None


def test_the_yaml_alone_leaves_the_exported_fields_empty(built: BuiltDefinition) -> None:
    alone = parse_definition_yaml(yaml.safe_dump(built.raw))
    assert not alone.has_component_exports
    assert [(var.key, var.connection_inputs, var.data_source_type) for var in alone.required_config_vars] == [
        ("Shop Connection", [], None),
        ("Warehouse", [], None),
    ]
    exported = {"connection_inputs", "data_source_type", "raw"}
    assert alone.model_dump(exclude={"has_component_exports": True, "required_config_vars": {"__all__": exported}}) == (
        built.model_dump(exclude={"has_component_exports": True, "required_config_vars": {"__all__": exported}})
    )


# A definition with an inline connection ("Api", on the integration's own component) and a registry component's
# connection that happens to have the same connection key ("Slack", on component "slack").
TWO_CONNECTIONS = """
name: Two Connections
flows:
  - name: Sync
    steps:
      - {name: On Trigger, isTrigger: true, action: {key: webhook, component: {key: webhook-triggers, isPublic: true}}}
      - {name: Sync, action: {key: sync_onExecution, component: {key: own-uuid, isPublic: false}}}
requiredConfigVars:
  - key: Api
    dataType: connection
    connection: {key: api, component: {key: own-uuid, version: LATEST, isPublic: false}}
    inputs: {token: {type: value, value: "", meta: {writeOnly: true}}}
  - key: Slack
    dataType: connection
    connection: {key: api, component: {key: slack, isPublic: true}, template: null}
    inputs: {token: {type: value, value: ""}}
"""
EXPORTED_API = {"key": "api", "label": "Api", "inputs": [{"key": "token", "label": "Token", "type": "password"}]}


def test_only_the_integrations_own_connections_get_exported_inputs() -> None:
    # The runner's `info` has no component key: the one the YAML's steps name is used.
    definition = parse_definition_yaml(TWO_CONNECTIONS, exports={"yaml": "…", "connections": [EXPORTED_API]})
    api, slack = definition.required_config_vars
    assert [(item.key, item.label, item.secret, item.write_only) for item in api.connection_inputs] == [
        ("token", "Token", True, True)
    ]
    assert slack.connection_inputs == []


def test_an_input_without_a_label_is_labelled_by_its_key() -> None:
    exports = {"connections": [{"key": "api", "inputs": [{"key": "token", "type": "string"}]}]}
    api = parse_definition_yaml(TWO_CONNECTIONS, exports=exports).required_config_vars[0]
    assert [(item.key, item.label) for item in api.connection_inputs] == [("token", "token")]


@pytest.mark.parametrize(
    ("exports", "expected"),
    [
        (
            {"connections": "apiKey"},
            "the bundle's connections/dataSources export does not have the expected shape: connections: "
            "Input should be a valid list",
        ),
        (
            {"connections": [{"key": "api", "inputs": [{"label": "Token"}]}]},
            'connection "api": inputs[0]: expected a string key, found none',
        ),
        (
            {"connections": [{"key": "api", "inputs": [{"key": "token", "required": "sometimes"}]}]},
            'connection "api": inputs[0] "token": required: Input should be a valid boolean',
        ),
    ],
)
def test_a_malformed_export_is_a_clear_error(exports: dict[str, Any], expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition_yaml(TWO_CONNECTIONS, exports=exports)
    assert caught.value.kind == "yaml"
    assert expected in caught.value.message


def test_exports_leave_node_json_safely(tmp_path: Path) -> None:
    # A hand-written bundle whose exports hold what JSON cannot: functions, a cycle, a throwing getter, a BigInt.
    bundle = tmp_path / "dist" / "index.js"
    bundle.parent.mkdir(parents=True)
    bundle.write_text(
        "const input = { key: 'token', label: 'Token', type: 'password', clean: (v) => v, default: 10n };\n"
        "input.self = input;\n"
        "Object.defineProperty(input, 'broken', { enumerable: true, get() { throw new Error('no'); } });\n"
        "exports.default = {\n"
        "  key: 'own-uuid',\n"
        f"  codeNativeIntegrationYAML: {TWO_CONNECTIONS!r},\n"
        "  connections: [{ key: 'api', label: 'Api', inputs: [input] }],\n"
        "  dataSources: { other: { key: 'other', dataSourceType: 'picklist', perform: async () => ({}) } },\n"
        "};\n"
    )
    definition = load_definition(bundle)
    [token] = definition.required_config_vars[0].connection_inputs
    assert (token.key, token.label, token.secret, token.default) == ("token", "Token", True, "10")
    assert "clean" not in token.raw and "broken" not in token.raw
    assert token.raw["self"]["self"]["key"] == "token"  # the cycle is cut off deeper down, not followed forever
