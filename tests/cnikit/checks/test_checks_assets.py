"""Checks on icon files (CNI81x, cnikit/analysis/checks/assets.py), on real fixture projects."""

from __future__ import annotations

import pytest

from tests.cnikit.checks.support import (
    Found,
    assert_family_covered,
    case,
    found,
)

FAMILY = "CNI81"

# Each fixture shows one problem; the test asserts every diagnostic of the project (code, range, message).
TRIGGERS = [
    case(
        "check-missing-icon",
        (
            "CNI811",
            "src/index.ts",
            24,
            13,
            (
                'integration iconPath "icon.png" does not exist: expected assets/icon.png (icon paths are '
                "relative to the built output, and the build copies assets/ into it)."
            ),
        ),
    ),
    case(
        "check-icon-not-png",
        (
            "CNI812",
            "src/index.ts",
            24,
            13,
            (
                'integration iconPath "icon.png" is named .png but is not a PNG image (its first bytes are not '
                "the PNG signature); export it as PNG."
            ),
        ),
    ),
]

# The near-miss of each check: check-clean's iconPath "icon.png" is a real PNG in assets/.
NEAR_MISSES = {"CNI811": "check-clean", "CNI812": "check-clean"}

# An iconPath built from process.env cannot be looked up.
SILENCED = [("check-unknown-values", "CNI811"), ("check-unknown-values", "CNI812")]


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
