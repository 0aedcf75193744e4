"""Checks on the component registry (CNI6xx, cnikit/analysis/checks/registry.py), on real fixture projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnikit.analysis import analyze_project
from cnikit.analysis.checks.registry import references
from tests.cnikit.checks.support import (
    FIXTURES,
    FamilyTests,
    case,
    copy_fixture,
    diagnostics,
    found,
    spectral_error,
)

FAMILY = "CNI6"

# Each fixture shows one problem; the test asserts every diagnostic of the project (code, range, message).
TRIGGERS = [
    case(
        "check-component-not-in-registry",
        (
            "CNI601",
            "src/index.ts",
            23,
            34,
            ('Component with key "acmee" not found in component registry. Did you mean "acme"?'),
        ),
    ),
    case(
        "check-component-entry-missing",
        (
            "CNI602",
            "src/index.ts",
            23,
            47,
            (
                'Component with key "acme" does not have an entry with key "oauth2" in the component registry. '
                "Its connections: apiKey."
            ),
        ),
    ),
    case(
        "check-wrapper-entry-missing",
        (
            "CNI602",
            "src/index.ts",
            21,
            26,
            (
                'Component with key "acme" does not have an entry with key "oauth2" in the component registry. '
                "Its connections: apiKey."
            ),
        ),
    ),
    case(
        "check-wrapper-component-not-registered",
        (
            "CNI601",
            "src/index.ts",
            20,
            26,
            (
                "Error locating component acme with custom key undefined in the component registry. Is this "
                "component properly installed with a correct public/private setting? The manifest wrapper uses "
                'component "acme": add its manifest to componentManifests({ ... }).'
            ),
        ),
    ),
    case(
        "check-wrapper-trigger-entry-missing",
        (
            "CNI602",
            "src/index.ts",
            11,
            14,
            (
                'Component with key "acme" does not have an entry with key "orderCreated" in the component '
                'registry. Did you mean "orderEvents"?'
            ),
        ),
    ),
]

# The near-miss of each check: check-clean's "Acme Partner Connection" references the registered component "acme"
# and its connection "apiKey".
NEAR_MISSES = {"CNI601": "check-clean", "CNI602": "check-clean"}

# A registry whose manifests come from a call cannot be listed statically.
SILENCED = [("check-unknown-registry", "CNI601"), ("check-unknown-registry", "CNI602")]

# spectral throws these very messages when the integration loads (C.3 #5, #6); ours add a "did you mean".


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("check-component-not-in-registry", "CNI601"),
        ("check-component-entry-missing", "CNI602"),
        ("check-wrapper-entry-missing", "CNI602"),  # reported where the manifest wrapper is called
        ("check-wrapper-component-not-registered", "CNI601"),  # generated wrappers look their component up
        ("check-wrapper-trigger-entry-missing", "CNI602"),
    ],
)
def test_spectral_throws_the_same_error(fixture: str, code: str, tmp_path: Path) -> None:
    [ours] = diagnostics(FIXTURES / fixture, select=[code])
    theirs = spectral_error(FIXTURES / fixture, tmp_path)
    assert theirs is not None and ours.message.startswith(theirs)


def test_generated_wrappers_used_correctly_report_nothing() -> None:
    """The near-miss for wrappers: every reference is resolved (so silence is not just "unknown") and registered."""
    integration = analyze_project(FIXTURES / "check-wrapper-clean").integration
    assert integration is not None
    assert [(ref.component, ref.public, ref.key, ref.kind) for ref in references(integration)] == [
        ("acme", True, "oauth2", "connections"),
        ("acme", True, "selectQueue", "dataSources"),
        ("acme", True, "orderCreated", "triggers"),
    ]
    assert found("check-wrapper-clean", select=["CNI601", "CNI602"]) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("  componentRegistry,\n});", "});"),
            "Error locating component registry. Is there a component registry defined on your integration? The "
            'manifest wrapper needs component "acme": pass componentRegistry: componentManifests({ ... }) with its '
            "manifest to integration().",
        ),
        (
            ("public: true", "public: false"),
            "Error locating component acme with custom key undefined in the component registry. Is this component "
            "properly installed with a correct public/private setting? The manifest wrapper looks for the public "
            'component "acme", but "acme" in componentManifests({ ... }) is private.',
        ),
    ],
    ids=["no-registry", "registered-as-private"],
)
def test_wrapper_lookup_failures_match_spectral(edit: tuple[str, str], expected: str, tmp_path: Path) -> None:
    root = copy_fixture("check-wrapper-clean", tmp_path)
    path = root / ("src/index.ts" if "componentRegistry" in edit[0] else "src/manifests/acme/index.ts")
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    messages = [d.message for d in diagnostics(root, select=["CNI601"])]
    assert messages == [expected] * 3  # the connection, the data source and the trigger
    theirs = spectral_error(root, tmp_path / "build")
    assert theirs is not None and expected.startswith(theirs)


def test_unknown_registry_fixture_really_hides_its_manifests() -> None:
    integration = analyze_project(FIXTURES / "check-unknown-registry").integration
    assert integration is not None and not integration.component_registry_complete


class TestFamily(FamilyTests):
    """The tests every check family shares (tests/cnikit/checks/support.py), on this family's cases."""

    family = FAMILY
    triggers = TRIGGERS
    near_misses = NEAR_MISSES
    silenced = SILENCED
