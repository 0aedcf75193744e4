"""cnikit.analysis: TypeScript sources → `ProjectModel` (no build), and the checks that run on it.

    from cnikit.analysis import Analyzer, analyze_project, check_project

    model = analyze_project(Path("examples/todo-sync"))
    diagnostics = check_project(Path("examples/todo-sync"), select=["CNI3"])

Keep one `Analyzer` alive (the language server does) to re-parse only the files that changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cnikit.analysis.analyzer import Analyzer
from cnikit.diagnostics import Diagnostic
from cnikit.model import ProjectModel

__all__ = ["Analyzer", "analyze_project", "check_project"]


def analyze_project(root: Path, overlays: Mapping[Path, str] | None = None) -> ProjectModel:
    """Analyse the CNI project at `root` (the folder holding `.spectral/`) with a fresh analyser."""
    return Analyzer().analyze(root, overlays)


def check_project(
    root: Path,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    analyzer: Analyzer | None = None,
) -> list[Diagnostic]:
    """Analyse the project at `root` and run every selected check; diagnostics sorted by file and position."""
    from cnikit.analysis.checks import run_checks

    model = (analyzer or Analyzer()).analyze(root)
    diagnostics = run_checks(model, select, ignore)
    return sorted(diagnostics, key=lambda d: (str(d.span.file), d.span.line, d.span.col, d.code))
