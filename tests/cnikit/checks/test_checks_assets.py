"""Checks on icon files (CNI81x, cnikit/analysis/checks/assets.py), on real fixture projects."""

from __future__ import annotations

from pathlib import Path

from tests.cnikit.checks.support import (
    FIXTURES,
    FamilyTests,
    case,
    copy_fixture,
    diagnostics,
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


def test_icon_already_in_the_built_output_is_found(tmp_path: Path) -> None:
    """A build that puts the icon straight into dist/ is fine too: prism reads iconPath relative to dist/."""
    root = copy_fixture("check-missing-icon", tmp_path)
    (root / "dist").mkdir()
    (root / "dist" / "icon.png").write_bytes((FIXTURES / "check-clean" / "assets" / "icon.png").read_bytes())
    assert diagnostics(root, select=["CNI81"]) == []


def test_icon_that_is_not_named_png_is_refused(tmp_path: Path) -> None:
    root = copy_fixture("check-icon-not-png", tmp_path)
    (root / "assets" / "icon.png").rename(root / "assets" / "icon.jpg")
    index = root / "src" / "index.ts"
    index.write_text(index.read_text().replace('iconPath: "icon.png"', 'iconPath: "icon.jpg"'))
    assert found(root, select=["CNI812"]) == [
        (
            "CNI812",
            "src/index.ts",
            24,
            13,
            'integration iconPath "icon.jpg" must be a .png file (prism import accepts only PNG).',
        )
    ]


class TestFamily(FamilyTests):
    """The tests every check family shares (tests/cnikit/checks/support.py), on this family's cases."""

    family = FAMILY
    triggers = TRIGGERS
    near_misses = NEAR_MISSES
    silenced = SILENCED
