"""The wizard's rules without a terminal: fields from the built definition, validation per data type, JSON Forms
schemas, schedules, HTML helper text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cnikit.definition.models import parse_definition_yaml
from tui.wizard_form import (
    ConnectionMeta,
    FieldSpec,
    html_to_markdown,
    next_runs,
    validate_code,
    validate_json_schema,
    validate_scalar,
    validate_schedule,
    wizard_pages,
)

YAML = """
definitionVersion: 7
name: Wizard Shapes
requiredConfigVars:
  - key: Api Connection
    stableKey: api-connection
    dataType: connection
    connection: {key: apiConnection, component: {key: abc, version: LATEST, isPublic: false}}
    inputs:
      apiKey: {type: value, value: "", meta: {orgOnly: false}}
      baseUrl: {type: value, value: "https://api.example.com", meta: {orgOnly: false}}
    orgOnly: false
    meta: {visibleToCustomerDeployer: true, visibleToOrgDeployer: true}
  - {key: Mode, stableKey: mode, dataType: picklist, pickList: [fast, slow], defaultValue: fast, orgOnly: false}
  - {key: Secret Label, stableKey: secret, dataType: string, orgOnly: true, defaultValue: x,
     meta: {visibleToCustomerDeployer: false, visibleToOrgDeployer: true}}
  - {key: App Token, stableKey: app-token, dataType: string, orgOnly: false,
     meta: {visibleToCustomerDeployer: false, visibleToOrgDeployer: false}}
  - key: Folder
    stableKey: folder
    dataType: picklist
    orgOnly: false
    dataSource: {key: folder, component: {key: abc, version: LATEST, isPublic: false}}
configPages:
  - name: Connections
    tagline: Connect
    elements: [{type: configVar, value: Api Connection}]
  - name: Options
    elements:
      - {type: htmlElement, value: "<h2>Options</h2>"}
      - {type: configVar, value: Mode}
      - {type: configVar, value: Secret Label}
      - {type: configVar, value: App Token}
      - {type: configVar, value: Folder}
  - name: Per User
    userLevelConfigured: true
    elements: []
"""
CONNECTIONS = [
    ConnectionMeta(
        "apiConnection",
        "Api Connection",
        [
            {"key": "apiKey", "label": "API Key", "type": "password", "required": True, "shown": True},
            {"key": "baseUrl", "label": "Base URL", "type": "string", "required": True, "shown": True},
        ],
    )
]


def test_pages_and_fields_come_from_the_built_definition() -> None:
    pages = wizard_pages(parse_definition_yaml(YAML), CONNECTIONS)
    assert [page.name for page in pages] == ["Connections", "Options"]  # user-level pages are another wizard
    connection = pages[0].fields[0]
    assert connection.is_connection and not connection.oauth2
    assert [(i.key, i.label, i.secret, i.default) for i in connection.inputs] == [
        ("apiKey", "API Key", True, ""),
        ("baseUrl", "Base URL", False, "https://api.example.com"),
    ]
    options = pages[1]
    assert options.elements[0].html == "<h2>Options</h2>"
    mode, label, token, folder = options.fields
    assert mode.pick_list == ("fast", "slow") and mode.default == "fast" and mode.required
    assert label.org_only and label.hidden_from_customer and not label.hidden_from_org
    assert not token.org_only and token.hidden_from_customer and token.hidden_from_org  # embedded
    assert folder.data_source == "folder"


@pytest.mark.parametrize(
    ("data_type", "value", "expected"),
    [
        ("number", "42", None),
        ("number", "3.5", None),
        ("number", "lots", "Expected a number such as 42 or 3.5, found 'lots'."),
        ("date", "03/31/2026", None),
        ("date", "31/03/2026", "Expected a date as mm/dd/yyyy (e.g. 03/31/2026), found '31/03/2026'."),
        ("timestamp", "03/31/2026, 09:30 AM", None),
        ("timestamp", "yesterday", "Expected a timestamp as mm/dd/yyyy, HH:MM AM/PM"),
        ("boolean", "true", None),
        ("boolean", "yes", "Expected true or false, found 'yes'."),
        ("string", "", None),
    ],
)
def test_scalar_values_are_validated_by_data_type(data_type: str, value: str, expected: str | None) -> None:
    error = validate_scalar(FieldSpec("Var", data_type), value)
    if expected is None:
        assert error is None
    else:
        assert error is not None and error.startswith(expected)


def test_picklist_values_must_be_offered_and_short() -> None:
    spec = FieldSpec("Mode", "picklist", pick_list=("fast", "slow"))
    assert validate_scalar(spec, "slow") is None
    assert validate_scalar(spec, "medium") == "Expected one of fast, slow, found 'medium'."
    assert "at most 64 characters" in (validate_scalar(FieldSpec("Free", "picklist"), "x" * 65) or "")


def test_code_is_validated_in_its_language() -> None:
    assert validate_code('{"a": 1}', "json") is None
    assert validate_code('{"a": }', "json") == "Invalid JSON at line 1, column 7: Expecting value."
    assert validate_code("<a><b></a>", "xml") is not None
    assert validate_code("<p>anything", "html") is None


def test_schedules_need_five_cron_fields_and_a_known_time_zone() -> None:
    assert validate_schedule("0 2 * * *", "Europe/Berlin") is None
    assert "five fields" in (validate_schedule("0 2 * *", "") or "")
    assert "Unknown time zone 'Mars/Olympus'" in (validate_schedule("0 2 * * *", "Mars/Olympus") or "")
    runs = next_runs("0 2 * * *", "America/Chicago", datetime(2026, 3, 1, 12, 0, tzinfo=UTC), count=2)
    assert [run.strftime("%Y-%m-%d %H:%M %Z") for run in runs] == ["2026-03-02 02:00 CST", "2026-03-03 02:00 CST"]


def test_json_form_values_are_checked_against_the_schema() -> None:
    schema = {
        "type": "object",
        "required": ["email"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "count": {"type": "integer", "minimum": 1},
            "kind": {"type": "string", "oneOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]},
        },
    }
    assert validate_json_schema({"email": "a@b.co", "count": 2, "kind": "a"}, schema) == []
    assert validate_json_schema({"count": 0, "kind": "c", "email": "nope"}, schema) == [
        "email: expected an email address, found 'nope'",
        "count: at least 1",
        'kind: expected one of "a", "b"',
    ]
    assert validate_json_schema({}, schema) == ["email: required"]


def test_html_helper_text_reads_as_markdown() -> None:
    text = (
        '<h2>Setup</h2><p>Read the <a href="https://x.test/docs">docs</a>, then <b>save</b>.</p><ul><li>one</li></ul>'
    )
    assert html_to_markdown(text) == "## Setup\n\nRead the [docs](https://x.test/docs), then **save**.\n\n- one"
    assert html_to_markdown("plain &amp; simple") == "plain & simple"
