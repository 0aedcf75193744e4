"""The served schema against what prism actually sends: every GraphQL document in the installed prism bundle
(`@prismatic-io/prism`, pinned in tests/fixtures/package.json), the recorded requests of prism 10.4.0
(/work/shared/spec/prism-compat, copied under tests/fixtures/prism-compat) and cnikit's own operations.

A prism upgrade that adds, renames or changes an operation fails here loudly: the dev-loop operations must
validate, and the complete list of operations in the bundle is pinned, so a new one is looked at.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLError, GraphQLSchema, parse, validate

import cnikit.platform.operations as operations
from emulator.serve.api import make_schema

FIXTURES = Path(__file__).parents[2] / "fixtures"
BUNDLE = FIXTURES / "node_modules" / "@prismatic-io" / "prism" / "lib" / "index.js"
RECORDING = FIXTURES / "prism-compat" / "prism-10.4.0-requests.jsonl"

# The operations of the commands `cnikit serve` answers (README "Use the prism CLI offline"): me, tenants,
# integrations:list/import, flows:list/test, executions:step-result:get.
DEV_LOOP = {
    "whoami": "authenticatedUser",
    "ListUserTenants": "listUserTenants",
    "listIntegrations": "integrations",
    "publishComponent": "publishComponent",
    "component": "components",
    "importIntegration": "importIntegration",
    "getPresignedUrl": "uploadMedia",
    "commitAvatarUpload": "updateIntegration",
    "GetIntegrationFlows": "integration",
    "GetIntegrationSystemInstance": "integration",
    "TestIntegrationFlow": "testIntegrationFlow",
    "GetExecutionLogs": "logs",
    "GetExecutionSections": "executionSections",
    "GetExecutionStepResults": "executionResult",
    "IsCniExecutionComplete": "executionResult",
    "getStepOutputDetails": "executionResult",
    "executionResults": "executionResult",
}

# Every operation name in prism 10.4.0's bundle; the ones outside DEV_LOOP are commands the emulator does not serve
# (customers, instances, alerts, marketplace …). A prism upgrade changes this list: decide, then update it.
ALL_OPERATIONS = {
    *DEV_LOOP,
    *[
        "ConvertToCNI",
        "DeleteIntegration",
        "GetExecutions",
        "GetIntegrationFlow",
        "GetPolledExecution",
        "MarketplaceTranslations",
        "UpdateIntegrationFlowListeningMode",
        "availableConnections",
        "clearAlertMonitor",
        "createAlertGroup",
        "createAlertMonitor",
        "createAlertWebhook",
        "createCustomer",
        "createCustomerUser",
        "createInstance",
        "createIntegration",
        "createOnPremiseResourceJWT",
        "createOrganizationUser",
        "deleteAlertGroup",
        "deleteAlertMonitor",
        "deleteAlertWebhook",
        "deleteComponent",
        "deleteCustomer",
        "deleteInstance",
        "deleteIntegration",
        "deleteOnPremiseResource",
        "deleteUser",
        "deployInstance",
        "disableInstance",
        "enableInstance",
        "export",
        "exportWorkflow",
        "forkIntegration",
        "generateSigningKey",
        "getSystemInstanceId",
        "importPublicKey",
        "importWorkflow",
        "instance",
        "integration",
        "listAlertEvents",
        "listAlertGroups",
        "listAlertMonitors",
        "listAlertTriggers",
        "listAlertWebhooks",
        "listComponentActions",
        "listComponentTriggers",
        "listComponents",
        "listCustomerRoles",
        "listCustomerUsers",
        "listCustomers",
        "listInstanceConfigVariables",
        "listInstanceFlowConfigs",
        "listInstanceTestLogs",
        "listInstances",
        "listIntegrationVersions",
        "listLogSeverityLevels",
        "listOnPremiseResources",
        "listOrganizationRoles",
        "listOrganizationSigningKeys",
        "listUsers",
        "logs",
        "markAvailability",
        "pollExecution",
        "publishIntegration",
        "rotateOnPremiseResourceJWT",
        "setInstanceApiKeys",
        "state",
        "testInstanceFlowConfig",
        "updateCustomer",
        "updateInstance",
        "updateInstanceGlobalDebug",
        "updateIntegration",
        "updateMarketplaceConfiguration",
        "updateOrganization",
        "updateUser",
        "validateIntegrationSchema",
    ],
}


@cache
def schema() -> GraphQLSchema:
    return make_schema()


@cache
def bundle_documents() -> dict[str, list[str]]:
    """Operation name → the GraphQL documents of that name in the prism bundle (string literals, unescaped)."""
    text = BUNDLE.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    for match in re.finditer(r"\b(query|mutation)\s+([A-Za-z_]\w*)\s*[({]", text):
        depth, end = 0, match.start()
        for end in range(match.start(), min(len(text), match.start() + 20_000)):
            char = text[end]
            if char == "`":
                break
            depth += {"{": 1, "}": -1}.get(char, 0)
            if char == "}" and depth == 0:
                break
        document = text[match.start() : end + 1].replace("\\n", "\n").replace('\\"', '"')
        try:
            parse(document)
        except GraphQLError:
            continue  # prose in the bundle ("query the …"), not a document
        if document not in found.setdefault(match.group(2), []):
            found[match.group(2)].append(document)
    return found


def _root_fields(document: str) -> set[str]:
    operation = parse(document).definitions[0]
    return {selection.name.value for selection in operation.selection_set.selections}  # type: ignore[attr-defined]


def _errors(document: str) -> list[str]:
    return [error.message for error in validate(schema(), parse(document))]


def test_the_bundle_holds_exactly_the_pinned_operations() -> None:
    assert set(bundle_documents()) == ALL_OPERATIONS


@pytest.mark.parametrize("name", sorted(DEV_LOOP))
def test_every_dev_loop_document_in_the_bundle_validates(name: str) -> None:
    documents = [d for d in bundle_documents()[name] if DEV_LOOP[name] in _root_fields(d)]
    assert documents, f"prism no longer sends {name} on {DEV_LOOP[name]}"
    for document in documents:
        assert _errors(document) == [], document


def test_every_recorded_request_validates() -> None:
    recorded = [json.loads(line) for line in RECORDING.read_text().splitlines() if line.strip()]
    queries = [r["gql"] for r in recorded if r.get("gql")]
    assert len(queries) >= 15
    for request in queries:
        assert _errors(request["query"]) == [], request["query"]


def test_every_cnikit_operation_validates() -> None:
    documents = [v for k, v in vars(operations).items() if k.isupper() and isinstance(v, str)]
    assert len(documents) >= 6
    for document in documents:
        assert _errors(document) == [], document


def test_an_unknown_field_is_refused_by_validation() -> None:
    assert _errors("{ authenticatedUser { name favouriteColour } }")
