"""Checks on flow() (CNI2xx, cnikit/analysis/checks/flows.py), on real fixture projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cnikit.checks.support import (
    FIXTURES,
    FamilyTests,
    FixTests,
    SpectralTests,
    case,
    copy_fixture,
    diagnostics,
    spectral_error,
)

FAMILY = "CNI2"

# Each fixture shows one problem; the test asserts every diagnostic of the project (code, range, message).
TRIGGERS = [
    case(
        "check-duplicate-flow-name",
        (
            "CNI201",
            "src/flows.ts",
            14,
            9,
            (
                'Duplicate flow name "Sync Orders": the flow at src/flows.ts:4:9 has the same name. Flow names '
                "must be unique: they key webhookUrls, invokeFlow and endpoint routing."
            ),
        ),
    ),
    case(
        "check-duplicate-flow-stable-key",
        (
            "CNI202",
            "src/flows.ts",
            15,
            14,
            (
                'Duplicate flow stableKey "sync-orders": flow "Sync Orders" at src/flows.ts:5:14 already uses it.'
                " Each flow needs its own stable key."
            ),
        ),
    ),
    case(
        "check-flow-key-collision",
        (
            "CNI213",
            "src/flows.ts",
            14,
            9,
            (
                'Flow names "List Items" and "List-Items" both become the function key "listItems" (spectral '
                "keeps letters and digits only), so one flow's listItems_onExecution replaces the other's. Rename"
                " one of them."
            ),
        ),
    ),
    case(
        "check-flow-without-stable-key",
        (
            "CNI214",
            "src/index.ts",
            12,
            9,
            ('Flow "Sync Orders" has no stableKey; every flow needs name, stableKey and onExecution.'),
        ),
    ),
    case(
        "check-on-instance-remove",
        (
            "CNI215",
            "src/index.ts",
            19,
            3,
            (
                'Flow "Sync Orders" has an unknown property "onInstanceRemove": spectral ignores it. Did you mean'
                ' "onInstanceDelete"?'
            ),
        ),
    ),
    case(
        "check-polling-without-schedule",
        (
            "CNI203",
            "src/index.ts",
            15,
            16,
            ("Sync Orders is marked as a polling trigger but has no schedule. Polling triggers require a schedule."),
        ),
    ),
    case(
        "check-fifo-scheduled-flow",
        (
            "CNI204",
            "src/index.ts",
            16,
            3,
            (
                "Sync Orders has a schedule & usesFifoQueue set to true. FIFO queues cannot be used with "
                "scheduled flows."
            ),
        ),
    ),
    case(
        "check-singleton-without-schedule",
        (
            "CNI205",
            "src/index.ts",
            15,
            18,
            (
                "Sync Orders is configured for singletonExecutions but has no schedule. Unscheduled flows cannot "
                "be configured for singleton executions."
            ),
        ),
    ),
    case(
        "check-fifo-singleton",
        (
            "CNI205",
            "src/index.ts",
            15,
            39,
            (
                "Sync Orders is configured for singletonExecutions but has no schedule. Unscheduled flows cannot "
                "be configured for singleton executions."
            ),
        ),
        (
            "CNI206",
            "src/index.ts",
            15,
            39,
            (
                "Sync Orders is configured for both FIFO queues and singleton executions, but these options are "
                "mutually exclusive. Please choose one."
            ),
        ),
    ),
    case(
        "check-concurrency-limit",
        (
            "CNI207",
            "src/index.ts",
            15,
            55,
            ("Sync Orders has an invalid concurrencyLimit of 20. concurrencyLimit must be between 2 and 15."),
        ),
    ),
    case(
        "check-resolver-without-batch-config",
        (
            "CNI208",
            "src/index.ts",
            15,
            3,
            (
                "Sync Orders defines a triggerResolver/onDeployResolver but no batchConfig. Add `batchConfig: { "
                "batchSize }` to the flow."
            ),
        ),
    ),
    case(
        "check-on-deploy-resolver",
        (
            "CNI209",
            "src/index.ts",
            19,
            3,
            (
                "Sync Orders declares onDeployResolver without onDeployTrigger. Set onDeployTrigger to handle the"
                " initial-deploy fire that the resolver fans out."
            ),
        ),
    ),
    case(
        "check-batch-size",
        (
            "CNI210",
            "src/index.ts",
            15,
            29,
            ("Sync Orders has an invalid batchConfig batchSize of 0. batchSize must be an integer >= 1."),
        ),
    ),
    case(
        "check-concurrent-batch-limit",
        (
            "CNI211",
            "src/index.ts",
            15,
            55,
            (
                "Sync Orders has an invalid batchConfig concurrentBatchLimit of 2.5. concurrentBatchLimit must be"
                " an integer >= 1."
            ),
        ),
    ),
    case(
        "check-lifecycle-without-on-trigger",
        (
            "CNI212",
            "src/index.ts",
            15,
            3,
            (
                'Invalid trigger configuration detected: flow "Sync Orders" defines onInstanceDeploy but no '
                "onTrigger, and spectral only runs lifecycle hooks around an onTrigger function or a component "
                "trigger. Add an onTrigger."
            ),
        ),
    ),
    case(
        "check-fifo-synchronous-flow",
        (
            "CNI216",
            "src/index.ts",
            16,
            3,
            (
                'Flow "Sync Orders" uses a FIFO queue but is synchronous (isSynchronous: true); FIFO queue flows '
                "must be asynchronous."
            ),
        ),
    ),
    case(
        "check-dedupe-without-fifo",
        (
            "CNI217",
            "src/index.ts",
            15,
            18,
            (
                'Flow "Sync Orders" sets dedupeIdField but does not use a FIFO queue, so nothing is deduplicated;'
                ' set usesFifoQueue: true (or type: "sequential"/"throttled").'
            ),
        ),
    ),
    case(
        "check-unknown-queue-type",
        (
            "CNI218",
            "src/index.ts",
            15,
            24,
            ('queueConfig type "sequental" is not one of parallel, throttled, sequential. Did you mean "sequential"?'),
        ),
    ),
    case(
        "check-invalid-cron",
        (
            "CNI219",
            "src/index.ts",
            15,
            22,
            (
                'Flow "Sync Orders" has an invalid cron schedule "0 25 * * *": a field is out of range or not a '
                "valid value."
            ),
        ),
    ),
    case(
        "check-unknown-time-zone",
        (
            "CNI220",
            "src/index.ts",
            15,
            45,
            (
                'Flow "Sync Orders" schedule timezone "America/Chicaco" is not an IANA time zone: did you mean '
                '"America/Chicago"?'
            ),
        ),
    ),
    case(
        "check-schedule-config-var-type",
        (
            "CNI221",
            "src/index.ts",
            15,
            26,
            (
                'Flow "Sync Orders" is scheduled by config variable "Sync Time", which has dataType "string"; a '
                'schedule configVar must have dataType "schedule".'
            ),
        ),
    ),
    case(
        "check-unknown-endpoint-security",
        (
            "CNI222",
            "src/index.ts",
            15,
            25,
            (
                'endpointSecurityType "customer_requred" is not one of unsecured, customer_optional, '
                'customer_required, organization. Did you mean "customer_required"?'
            ),
        ),
    ),
    case(
        "check-organization-security-without-keys",
        (
            "CNI223",
            "src/index.ts",
            15,
            25,
            (
                'Flow "Sync Orders" is secured by organization but has no organizationApiKeys; set '
                "organizationApiKeys to a non-empty list of keys (from process.env, not literals)."
            ),
        ),
    ),
    case(
        "check-org-keys-without-organization-security",
        (
            "CNI224",
            "src/index.ts",
            16,
            3,
            (
                'Flow "Sync Orders" sets organizationApiKeys, which only apply with endpointSecurityType '
                '"organization"; they are ignored here.'
            ),
        ),
    ),
    case(
        "check-customer-required-without-test-keys",
        (
            "CNI225",
            "src/index.ts",
            15,
            25,
            (
                'Flow "Sync Orders" requires customer API keys but has no testApiKeys: `prism '
                'integrations:import` fails with "requires customer API keys but none were provided" unless you '
                "pass --test-api-key."
            ),
        ),
    ),
    case(
        "check-agent-flow-without-schema",
        (
            "CNI226",
            "src/index.ts",
            16,
            3,
            (
                'Flow "Sync Orders" is an agent flow (isAgentFlow: true) but has no schemas.invoke; add schemas: '
                "{ invoke: <JSON schema of its input> }."
            ),
        ),
    ),
    case(
        "check-agent-flow-not-synchronous",
        (
            "CNI227",
            "src/index.ts",
            15,
            3,
            ('Agent flow "Sync Orders" must be synchronous: set isSynchronous: true (found it unset or false).'),
        ),
    ),
    case(
        "check-retry-config-range",
        (
            "CNI228",
            "src/index.ts",
            15,
            31,
            ('Flow "Sync Orders" retryConfig.maxAttempts is 12; it must be an integer from 0 to 10.'),
        ),
    ),
    case(
        "check-error-config",
        (
            "CNI229",
            "src/index.ts",
            15,
            58,
            ('Flow "Sync Orders" errorConfig.maxAttempts is 8; it must be an integer from 0 to 5.'),
        ),
    ),
    case(
        "check-schedule-without-value",
        (
            "CNI230",
            "src/index.ts",
            15,
            15,
            (
                'Flow "Sync Orders" has a schedule with neither value (a cron expression) nor configVar (a '
                'schedule config variable), so it never runs on a schedule. Did you mean "value"?'
            ),
        ),
    ),
    case(
        "check-dedupe-field-path",
        (
            "CNI231",
            "src/index.ts",
            15,
            54,
            (
                'Flow "Sync Orders" queueConfig.dedupeIdField "orderId": it should start with "body." or '
                '"headers." (e.g. "body.data.id" or "headers.x-acme-id").'
            ),
        ),
    ),
    case(
        "check-literal-organization-api-key",
        (
            "CNI232",
            "src/index.ts",
            16,
            25,
            (
                'Flow "Sync Orders" has an API key written in the source; anyone with the code can call the flow.'
                " Read it from the environment (process.env.X, kept in .env) instead."
            ),
        ),
    ),
    case(
        "check-invoke-schema-without-description",
        (
            "CNI233",
            "src/index.ts",
            20,
            21,
            (
                'Input "orderId" of the invoke schema of flow "Sync Orders" has no description; an AI agent reads'
                " descriptions to know what to pass (spectral's schema type requires one)."
            ),
        ),
    ),
    case(
        "check-polling-without-on-trigger",
        (
            "CNI234",
            "src/index.ts",
            15,
            16,
            (
                'Polling flow "Sync Orders" has no onTrigger: a polling flow polls in its onTrigger function '
                "(with context.polling) on each scheduled run. Add onTrigger."
            ),
        ),
    ),
    case(
        "check-batch-flow-with-on-trigger",
        (
            "CNI235",
            "src/index.ts",
            19,
            3,
            (
                'Flow "Sync Orders" has a batched trigger (trigger: batchFlowTrigger(...)), which replaces '
                "onTrigger: this onTrigger never runs. Move its work into the batch trigger."
            ),
        ),
    ),
]

# The near-miss of each check: check-clean uses the same features correctly (a scheduled singleton flow, a throttled
# FIFO flow with dedupeIdField and lifecycle hooks next to onTrigger, a polling flow on a schedule config variable, a
# batch flow, an organization-secured agent flow, a customer_required flow with testApiKeys, valid retry/error config).
NEAR_MISSES = {code: "check-clean" for code in [f"CNI2{n:02}" for n in range(1, 36)]}

# Values the analyser cannot know silence the checks that read them: a concurrencyLimit from util.types.toInt(env),
# a cron and time zone from process.env, onTrigger maybe inside a spread, config variables generated by code.
SILENCED = [
    ("check-unknown-values", "CNI207"),
    ("check-unknown-values", "CNI219"),
    ("check-unknown-values", "CNI220"),
    ("check-unknown-values", "CNI212"),
    ("check-unknown-config-vars", "CNI221"),
]

# spectral throws these very messages when the integration loads (C.3 #7-#15). FIFO + singleton (CNI206) is
# unreachable in spectral's else-if chain: without a schedule it throws the singleton error first.
SPECTRAL = [
    ("check-polling-without-schedule", "CNI203"),
    ("check-fifo-scheduled-flow", "CNI204"),
    ("check-singleton-without-schedule", "CNI205"),
    ("check-concurrency-limit", "CNI207"),
    ("check-resolver-without-batch-config", "CNI208"),
    ("check-on-deploy-resolver", "CNI209"),
    ("check-batch-size", "CNI210"),
    ("check-concurrent-batch-limit", "CNI211"),
]

FIXES = [
    ("check-on-instance-remove", "CNI215", "src/index.ts", 19, ["  onInstanceDelete: async (context) => {"]),
    (
        "check-lifecycle-without-on-trigger",
        "CNI212",
        "src/index.ts",
        15,
        ["  onTrigger: async (context, payload) => ({ payload }),", "  onInstanceDeploy: async (context) => {"],
    ),
    ("check-unknown-queue-type", "CNI218", "src/index.ts", 15, ['  queueConfig: { type: "sequential" },']),
    (
        "check-unknown-time-zone",
        "CNI220",
        "src/index.ts",
        15,
        ['  schedule: { value: "0 6 * * *", timezone: "America/Chicago" },'],
    ),
    ("check-unknown-endpoint-security", "CNI222", "src/index.ts", 15, ['  endpointSecurityType: "customer_required",']),
    ("check-schedule-without-value", "CNI230", "src/index.ts", 15, ['  schedule: { value: "0 6 * * *" },']),
]


def test_lifecycle_hooks_without_on_trigger_break_spectral(tmp_path: Path) -> None:
    message = spectral_error("check-lifecycle-without-on-trigger", tmp_path)
    assert message is not None and message.startswith("Invalid trigger configuration detected: ")
    [ours] = diagnostics(FIXTURES / "check-lifecycle-without-on-trigger", select=["CNI212"])
    assert ours.message.startswith("Invalid trigger configuration detected: ")


def test_fifo_with_singleton_is_refused_by_spectral_with_the_singleton_error(tmp_path: Path) -> None:
    [singleton] = diagnostics(FIXTURES / "check-fifo-singleton", select=["CNI205"])
    assert spectral_error("check-fifo-singleton", tmp_path) == singleton.message


@pytest.mark.parametrize(
    ("fixture", "code"), [("check-on-instance-remove", "CNI215"), ("check-unknown-endpoint-security", "CNI222")]
)
def test_unknown_names_defer_to_a_newer_spectral(fixture: str, code: str, tmp_path: Path) -> None:
    """The lists of flow properties and allowed values are spectral 10.31.1's: with a newer spectral installed, a
    name we do not know may be a new one, so the check stays silent."""
    root = copy_fixture(fixture, tmp_path)
    assert [d.code for d in diagnostics(root, select=[code])] == [code]
    installed = root / "node_modules" / "@prismatic-io" / "spectral"
    installed.mkdir(parents=True)
    (installed / "package.json").write_text('{"name": "@prismatic-io/spectral", "version": "10.40.0"}')
    assert diagnostics(root, select=[code]) == []


class TestFamily(FamilyTests, FixTests, SpectralTests):
    """The tests every check family shares (tests/cnikit/checks/support.py), on this family's cases."""

    family = FAMILY
    triggers = TRIGGERS
    near_misses = NEAR_MISSES
    silenced = SILENCED
    fixes = FIXES
    spectral = SPECTRAL
