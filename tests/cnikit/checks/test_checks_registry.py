"""Checks on the component registry (CNI6xx, cnikit/analysis/checks/registry.py), on real fixture projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnikit.analysis import analyze_project
from tests.cnikit.checks.support import (
    FIXTURES,
    Found,
    assert_family_covered,
    case,
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
    ],
)
def test_spectral_throws_the_same_error(fixture: str, code: str, tmp_path: Path) -> None:
    [ours] = diagnostics(FIXTURES / fixture, select=[code])
    theirs = spectral_error(fixture, tmp_path)
    assert theirs is not None and ours.message.startswith(theirs)


def test_unknown_registry_fixture_really_hides_its_manifests() -> None:
    integration = analyze_project(FIXTURES / "check-unknown-registry").integration
    assert integration is not None and not integration.component_registry_complete


@pytest.mark.parametrize(("fixture", "expected"), TRIGGERS)
def test_fixture_reports_its_problem(fixture: str, expected: list[Found]) -> None:
    assert found(fixture) == expected


@pytest.mark.parametrize(("code", "fixture"), sorted(NEAR_MISSES.items()))
def test_near_miss_reports_nothing(code: str, fixture: str) -> None:
    assert found(fixture, select=[code]) == []


@pytest.mark.parametrize(("fixture", "code"), SILENCED)
def test_unknown_value_silences_check(fixture: str, code: str) -> None:
    assert found(fixture, select=[code]) == []


def test_every_check_of_the_family_is_covered() -> None:
    assert_family_covered(FAMILY, TRIGGERS, NEAR_MISSES)
