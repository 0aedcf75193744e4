"""Checks on integration() (CNI1xx, cnikit/analysis/checks/integration.py), on real fixture projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnikit.analysis import analyze_project
from cnikit.model import JsObject, JsString, is_known
from tests.cnikit.checks.support import (
    FIXTURES,
    FamilyTests,
    SpectralTests,
    apply_fix,
    case,
    copy_fixture,
    diagnostics,
    fixed_lines,
    found,
    spectral_error,
)

FAMILY = "CNI1"

# Each fixture shows one problem; the test asserts every diagnostic of the project (code, range, message).
TRIGGERS = [
    case(
        "check-two-preprocess-flows",
        ("CNI101", "src/index.ts", 26, 3, "Only one flow may define a Preprocess Flow Config."),
    ),
    case(
        "check-preprocess-flow-and-trigger-config",
        (
            "CNI102",
            "src/index.ts",
            36,
            3,
            "Integration must not define both a Trigger Preprocess Flow Config and a Preprocess Flow.",
        ),
    ),
    case(
        "check-endpoint-without-routing",
        (
            "CNI103",
            "src/index.ts",
            34,
            17,
            "Integration with specified EndpointType must define either a Trigger Preprocess Flow Config or a "
            "Preprocess Flow.",
        ),
    ),
    case(
        "check-unknown-endpoint-type",
        (
            "CNI104",
            "src/index.ts",
            24,
            17,
            'endpointType "flow_specifc" is not one of flow_specific, instance_specific, shared_instance. '
            'Did you mean "flow_specific"?',
        ),
    ),
    case(
        "check-shared-endpoint-without-customer-field",
        (
            "CNI105",
            "src/index.ts",
            25,
            3,
            'endpointType "shared_instance" needs externalCustomerIdField in the preprocess config (e.g. '
            '"body.data.accountId"): a shared endpoint receives every customer\'s requests and must tell them apart.',
        ),
    ),
    case(
        "check-instance-endpoint-with-customer-field",
        (
            "CNI106",
            "src/index.ts",
            27,
            5,
            'endpointType "instance_specific" already knows the customer from the URL; omit externalCustomerIdField.',
        ),
    ),
    case(
        "check-preprocess-header-case",
        (
            "CNI107",
            "src/index.ts",
            25,
            49,
            'flowNameField "headers.X-Acme-Flow" names a header with capitals; use lowercase header names '
            '("headers.x-acme-flow"), since clients differ in how they case headers.',
        ),
    ),
    case(
        "check-integration-without-flows",
        ("CNI108", "src/index.ts", 14, 10, "integration() flows is empty; add at least one flow()."),
    ),
    case(
        "check-integration-without-description",
        (
            "CNI109",
            "src/index.ts",
            22,
            3,
            "integration() has no description; customers see it in the marketplace, so describe what the "
            "integration does.",
        ),
    ),
    case(
        "check-user-level-without-user-field",
        (
            "CNI110",
            "src/index.ts",
            33,
            3,
            "This integration has userLevelConfigPages on an instance or shared endpoint, so the preprocess config "
            'needs externalCustomerUserIdField (e.g. "headers.x-acme-user"): it says which user\'s configuration a '
            "request runs with.",
        ),
    ),
]

# The near-miss of each check: a fixture where the same feature is used correctly (check-clean has one preprocess
# flow on an instance_specific endpoint, no externalCustomerIdField, flows and a description).
NEAR_MISSES = {
    "CNI101": "check-clean",
    "CNI102": "check-clean",
    "CNI103": "check-clean",
    "CNI104": "check-clean",
    "CNI105": "check-clean-shared-endpoint",  # shared_instance with externalCustomerIdField
    "CNI106": "check-clean",
    "CNI107": "check-clean-shared-endpoint",  # lowercase headers.x-acme-flow
    "CNI108": "check-clean",
    "CNI109": "check-clean",
    "CNI110": "check-clean",  # user level pages, and the preprocess flow says externalCustomerUserIdField
}

# Values the analyser cannot know (an endpointType computed from process.env) silence the checks that read them.
SILENCED = [("check-unknown-values", "CNI103"), ("check-unknown-values", "CNI104")]

# spectral throws these very messages when the integration loads.
SPECTRAL = [
    ("check-two-preprocess-flows", "CNI101"),
    ("check-preprocess-flow-and-trigger-config", "CNI102"),
    ("check-endpoint-without-routing", "CNI103"),
]


def test_unknown_endpoint_type_fix_picks_the_close_value(tmp_path: Path) -> None:
    root = copy_fixture("check-unknown-endpoint-type", tmp_path)
    [diagnostic] = diagnostics(root, select=["CNI104"])
    apply_fix(diagnostic)
    assert fixed_lines(root, "src/index.ts", 24) == ['  endpointType: "flow_specific",']
    assert diagnostics(root, select=["CNI104"]) == []


def test_header_case_fix_lowercases_the_header(tmp_path: Path) -> None:
    root = copy_fixture("check-preprocess-header-case", tmp_path)
    [diagnostic] = diagnostics(root, select=["CNI107"])
    apply_fix(diagnostic)
    assert fixed_lines(root, "src/index.ts", 25) == [
        '  triggerPreprocessFlowConfig: { flowNameField: "headers.x-acme-flow" },'
    ]
    assert diagnostics(root, select=["CNI107"]) == []


def test_description_fix_adds_a_description_after_the_name(tmp_path: Path) -> None:
    root = copy_fixture("check-integration-without-description", tmp_path)
    [diagnostic] = diagnostics(root, select=["CNI109"])
    apply_fix(diagnostic)
    assert fixed_lines(root, "src/index.ts", 22, 3) == [
        '  name: "Acme",',
        '  description: "TODO: describe this integration",',
        "  flows: [syncOrders],",
    ]
    assert diagnostics(root, select=["CNI109"]) == []


@pytest.mark.parametrize("fixture", ["check-clean", "check-clean-shared-endpoint"])
def test_near_miss_fixtures_are_fully_resolved_and_report_nothing(fixture: str) -> None:
    """Their silence only means something if the analyser saw everything in them."""
    model = analyze_project(FIXTURES / fixture)
    integration = model.integration
    assert integration is not None
    assert integration.flows_complete and integration.config_vars_complete and integration.component_registry_complete
    assert all(flow.obj.complete and flow.name and flow.stable_key for flow in integration.flows)
    assert all(var.obj is not None and var.obj.complete for var in integration.all_config_vars())
    assert found(fixture) == []


def test_unknown_values_fixture_really_hides_its_values() -> None:
    """The SILENCED cases of every family rely on these values being unknown to the analyser; if it learns to
    evaluate one of them, the fixture must change rather than the silence pass for another reason."""
    integration = analyze_project(FIXTURES / "check-unknown-values").integration
    assert integration is not None
    assert not is_known(integration.obj.get("endpointType"))  # CNI103, CNI104
    assert not is_known(integration.obj.get("iconPath"))  # CNI811, CNI812
    sync_orders, process_order = integration.flows
    schedule = sync_orders.obj.get("schedule")
    assert isinstance(schedule, JsObject)
    assert not is_known(schedule.get("value")) and not isinstance(schedule.get("timezone"), JsString)  # CNI219/220
    queue = process_order.obj.get("queueConfig")
    assert not (isinstance(queue, JsObject) and is_known(queue.get("concurrencyLimit")))  # CNI207
    assert not process_order.obj.complete  # onTrigger may come from the spread: CNI212
    variables = {var.name: var for var in integration.all_config_vars()}
    connection, priority, mapping = (variables[name].obj for name in ("Acme Connection", "Priority", "Field Mapping"))
    assert connection is not None and not isinstance(connection.get("inputs"), JsObject)  # a call: CNI404
    assert priority is not None and not is_known(priority.get("pickList"))  # CNI307
    assert mapping is not None and not mapping.complete  # codeLanguage may come from the spread: CNI309


@pytest.mark.parametrize("fixture", ["check-clean", "check-clean-shared-endpoint"])
def test_near_miss_fixtures_load_in_spectral(fixture: str, tmp_path: Path) -> None:
    """spectral itself accepts the near-misses of its own load-time errors."""
    assert spectral_error(fixture, tmp_path) is None


class TestFamily(FamilyTests, SpectralTests):
    """The tests every check family shares (tests/cnikit/checks/support.py), on this family's cases."""

    family = FAMILY
    triggers = TRIGGERS
    near_misses = NEAR_MISSES
    silenced = SILENCED
    spectral = SPECTRAL
