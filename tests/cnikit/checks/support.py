"""What the check tests share: run the real analyser and checks on a fixture project, in a comparable form."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from _pytest.mark.structures import ParameterSet

from cnikit.analysis import check_project
from cnikit.analysis.checks import load_checks
from cnikit.diagnostics import Diagnostic

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

Found = tuple[str, str, int, int, str]  # code, file relative to the project, 1-based line, 1-based column, message


def diagnostics(root: Path, select: Sequence[str] = ()) -> list[Diagnostic]:
    """Every diagnostic of the project at `root` (analysis + all checks)."""
    return check_project(root, select=select)


def found(fixture: str | Path, select: Sequence[str] = ()) -> list[Found]:
    """The diagnostics of a fixture project as (code, file, line, col, message), lines and columns 1-based."""
    root = fixture if isinstance(fixture, Path) else FIXTURES / fixture
    return [
        (d.code, d.span.file.relative_to(root).as_posix(), d.span.line + 1, d.span.col + 1, d.message)
        for d in diagnostics(root, select)
    ]


def codes_of_family(prefix: str) -> set[str]:
    """The registered check codes starting with `prefix` (`CNI1` …)."""
    return {code for code in load_checks() if code.startswith(prefix)}


def apply_fix(diagnostic: Diagnostic) -> None:
    """Apply a diagnostic's fix to the files on disk (edits in one file, applied from last to first)."""
    assert diagnostic.fix is not None
    for edit in sorted(diagnostic.fix.edits, key=lambda e: (e.span.line, e.span.col), reverse=True):
        path = edit.span.file
        lines = path.read_text(encoding="utf-8").split("\n")
        start = sum(len(line) + 1 for line in lines[: edit.span.line]) + edit.span.col
        end = sum(len(line) + 1 for line in lines[: edit.span.end_line]) + edit.span.end_col
        text = "\n".join(lines)
        path.write_text(text[:start] + edit.new_text + text[end:], encoding="utf-8")


def copy_fixture(fixture: str, tmp_path: Path) -> Path:
    """A private copy of a fixture project that a test may change."""
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    return root


ESBUILD = FIXTURES / "node_modules" / ".bin" / "esbuild"


def spectral_error(fixture: str | Path, tmp_path: Path) -> str | None:
    """Bundle the fixture (a name, or a project folder) with esbuild and load it with the real spectral: the message
    it throws, None if it loads."""
    from cnikit.definition.loading import load_definition
    from cnikit.definition.models import DefinitionError
    from cnikit.node import node_environment

    root = fixture if isinstance(fixture, Path) else FIXTURES / fixture
    bundle = tmp_path / root.name / "dist" / "index.js"
    subprocess.run(
        [
            str(ESBUILD),
            "src/index.ts",
            "--bundle",
            "--platform=node",
            "--format=cjs",
            f"--outfile={bundle}",
            "--log-level=error",
        ],
        cwd=root,
        # A copy outside tests/fixtures still finds the shared Node install (esbuild reads NODE_PATH).
        env={**node_environment(), "NODE_PATH": str(FIXTURES / "node_modules")},
        check=True,
    )
    try:
        load_definition(bundle)
    except DefinitionError as error:
        assert error.kind == "load", error.message
        return error.message
    return None


def case(fixture: str, *expected: Found) -> ParameterSet:
    """A parametrized trigger case: the fixture and every diagnostic it must produce."""
    return pytest.param(fixture, list(expected), id=fixture)


def fixed_lines(root: Path, file: str, first: int, count: int = 1) -> list[str]:
    """Lines `first`.. (1-based) of a file of the project, after a fix was applied."""
    return (root / file).read_text(encoding="utf-8").splitlines()[first - 1 : first - 1 + count]


# --- the tests every family of checks shares ---------------------------------------------------------------
# A test module declares its cases and subclasses these as `class TestFamily(FamilyTests, …)`; conftest.py's
# `pytest_generate_tests` parametrizes each test method from the class attributes named here.
CASES = {
    "test_fixture_reports_its_problem": (("fixture", "expected"), "triggers"),
    "test_near_miss_reports_nothing": (("code", "fixture"), "near_misses"),
    "test_unknown_value_silences_check": (("fixture", "code"), "silenced"),
    "test_fix_repairs_the_source": (("fixture", "code", "file", "line", "fixed"), "fixes"),
    "test_spectral_throws_the_same_message": (("fixture", "code"), "spectral"),
}


def parametrize_family(metafunc: pytest.Metafunc) -> None:
    """Parametrize a shared family test (see `CASES`) with the cases its class declares."""
    spec = CASES.get(metafunc.function.__name__)
    if spec is None or metafunc.cls is None:
        return
    names, attribute = spec
    cases = getattr(metafunc.cls, attribute)
    metafunc.parametrize(names, sorted(cases.items()) if isinstance(cases, dict) else cases)


class FamilyTests:
    """Each check of the family (codes starting with `family`) reports its trigger fixture (code, range and
    message of every diagnostic), stays silent on its near-miss and on values that cannot be known statically."""

    family: ClassVar[str]
    triggers: ClassVar[list[ParameterSet]]  # `case(fixture, *expected)` each
    near_misses: ClassVar[dict[str, str]]  # code → fixture
    silenced: ClassVar[list[tuple[str, str]]]  # (fixture, code)

    def test_fixture_reports_its_problem(self, fixture: str, expected: list[Found]) -> None:
        assert found(fixture) == expected

    def test_near_miss_reports_nothing(self, code: str, fixture: str) -> None:
        assert found(fixture, select=[code]) == []

    def test_unknown_value_silences_check(self, fixture: str, code: str) -> None:
        assert found(fixture, select=[code]) == []

    def test_every_check_of_the_family_is_covered(self) -> None:
        triggered = {item[0] for param in self.triggers for item in param.values[1]}  # type: ignore[union-attr]
        family = codes_of_family(self.family)
        assert family, f"no check is registered under {self.family}"
        assert family - triggered == set(), "checks without a trigger fixture"
        assert family - set(self.near_misses) == set(), "checks without a near-miss"


class FixTests:
    """Applying a check's fix to (a copy of) its fixture gives the expected lines and silences the check."""

    fixes: ClassVar[list[tuple[str, str, str, int, list[str]]]]  # (fixture, code, file, first line, fixed lines)

    def test_fix_repairs_the_source(
        self, fixture: str, code: str, file: str, line: int, fixed: list[str], tmp_path: Path
    ) -> None:
        root = copy_fixture(fixture, tmp_path)
        [diagnostic] = diagnostics(root, select=[code])
        apply_fix(diagnostic)
        assert fixed_lines(root, file, line, len(fixed)) == fixed
        assert diagnostics(root, select=[code]) == []


class SpectralTests:
    """The real spectral, loading the fixture, throws exactly the message the check reports."""

    spectral: ClassVar[list[tuple[str, str]]]  # (fixture, code)

    def test_spectral_throws_the_same_message(self, fixture: str, code: str, tmp_path: Path) -> None:
        [ours] = diagnostics(FIXTURES / fixture, select=[code])
        assert spectral_error(fixture, tmp_path) == ours.message
