"""The CNI projects of the editor's workspace, and the latest analysis of each.

Thin by design: finding projects is `cnikit.project`, analysing is `cnikit.analysis`; this module only
remembers, per project, the last model and diagnostics so every feature answers from the same snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cnikit.diagnostics import Diagnostic
from cnikit.model import ProjectModel

log = logging.getLogger(__name__)

# (root, unsaved buffers) → (model, diagnostics); injected so unit tests and benches can swap it.
AnalyzeFunction = Callable[[Path, Mapping[Path, str]], tuple[ProjectModel, list[Diagnostic]]]


class CommandError(Exception):
    """A command that cannot be done; its message is the one-line reason shown to the user."""


@dataclass
class ProjectState:
    """One CNI project: its root (the folder holding `.spectral/`) and its latest analysis."""

    root: Path
    model: ProjectModel | None = None
    diagnostics: dict[Path, list[Diagnostic]] = field(default_factory=dict)
    published: dict[Path, list[Diagnostic]] = field(default_factory=dict)  # what the client shows, by file
    built: list[Diagnostic] = field(default_factory=list)  # what the last local build said (CNI9xx) until an edit
    built_stamp: int | None = None  # the bundle (mtime) `built` came from
    edits: int = 0  # source changes so far: a build check started before the latest edit is stale
    good_model: ProjectModel | None = None  # the latest model that found the integration (for half-typed code)
    pending: asyncio.Task[None] | None = None  # the debounced re-analysis waiting to run

    @property
    def name(self) -> str:
        """The integration's name when the analyser found it, else the folder's name."""
        integration = self.model.integration if self.model else None
        return integration.name if integration and integration.name else self.root.name

    def contains(self, path: Path) -> bool:
        """Whether `path` lies inside this project."""
        return path == self.root or self.root in path.parents


SCAN_SECONDS = 2.0  # a workspace scan never takes longer ...
SCAN_PROJECTS = 50  # ... nor finds more (each found project is analysed and published)
# Never worth a walk: the file system's own folders (a workspace at `/tmp` or `/opt` may reach them through nothing,
# but a root-level workspace would) and the home folder's application data.
SYSTEM_FOLDERS = frozenset(
    {"/proc", "/sys", "/dev", "/run", "/boot", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/var",
     "/snap", "/System", "/Library", "/Applications", "/Volumes", "/private", "/cores"}
)  # fmt: skip
HOME_SYSTEM_FOLDERS = ("Library", "Applications", "snap", "AppData")


@dataclass
class Scan:
    """What a workspace folder scan found, and what it left out."""

    roots: list[Path]
    cut: str = ""  # why the scan was not whole ("" when it was): root or home folder, time or count limit
    skipped: list[str] = field(default_factory=list)  # the hidden and system folders left out

    def summary(self) -> str:
        """One line: what was left out ("" when nothing was)."""
        hidden = f"skipped {len(self.skipped)} hidden or system folders ({', '.join(self.skipped[:5])}" + (
            ", …)" if len(self.skipped) > 5 else ")"
        )
        return "; ".join(part for part in (self.cut, hidden if self.skipped else "") if part)


def scan(folder: Path) -> Scan:
    """The CNI projects of one workspace folder.

    The file system root and the home folder are never walked (only a `.spectral/` of their own counts); elsewhere
    hidden and system folders are skipped and the walk stops after `SCAN_SECONDS` or `SCAN_PROJECTS` projects.
    """
    from cnikit.project import is_project, walk_projects

    folder = folder.resolve()
    home = Path.home().resolve()
    if folder in (Path(folder.anchor), home):
        what = "the file system root" if folder == Path(folder.anchor) else "the home folder"
        return Scan([folder] if is_project(folder) else [], f"not scanned ({what}): open a project folder instead")
    system = SYSTEM_FOLDERS | {str(home / name) for name in HOME_SYSTEM_FOLDERS}
    result = Scan([])

    def skip(path: Path) -> bool:
        if path.name.startswith(".") or str(path) in system:
            result.skipped.append(str(path.relative_to(folder)))
            return True
        return False

    deadline = time.monotonic() + SCAN_SECONDS
    for root in walk_projects(folder, skip=skip, keep_going=lambda: time.monotonic() < deadline):
        result.roots.append(root)
        if len(result.roots) >= SCAN_PROJECTS:
            result.cut = f"stopped at {SCAN_PROJECTS} projects"
            break
    else:
        if time.monotonic() >= deadline:
            result.cut = f"stopped after {SCAN_SECONDS:g} s ({len(result.roots)} projects found)"
    result.roots.sort()
    return result


class AnalyzeAndCheck:
    """The analyser, keeping its per-file parse cache between runs, followed by every check."""

    def __init__(self) -> None:
        from cnikit.analysis import Analyzer

        self.analyzer = Analyzer()

    def __call__(self, root: Path, overlays: Mapping[Path, str]) -> tuple[ProjectModel, list[Diagnostic]]:
        """Analyse `root` with the unsaved buffers, then run the checks (a check module that fails to load is logged
        and the model kept, so the other features still work)."""
        from cnikit.analysis.checks import run_checks

        model = self.analyzer.analyze(root, overlays)  # keeps the buffers on the model: the payload checks read them
        try:
            diagnostics = run_checks(model)
        except Exception:
            log.exception("running the checks on %s failed", root)
            diagnostics = []
        return model, diagnostics


class Projects:
    """Every CNI project found in the workspace folders, and which one is active for commands."""

    def __init__(self, analyze: AnalyzeFunction | None = None) -> None:
        self._analyze = analyze
        self.states: dict[Path, ProjectState] = {}
        self.active: Path | None = None
        self._told: set[Path] = set()  # folders whose scan summary was logged

    def discover(self, folders: Iterable[Path], *, report: bool = True) -> list[ProjectState]:
        """Find the projects under each workspace folder (`.spectral/` within 5 levels) and remember them, within
        the bounds of `scan`; with `report`, what a scan left out is logged (once per folder)."""
        found: list[ProjectState] = []
        for folder in folders:
            result = scan(folder)
            if report and (summary := result.summary()) and folder not in self._told:
                self._told.add(folder)  # once per folder: the workspace is scanned again after each change
                log.log(logging.WARNING if result.cut else logging.INFO, "looking for CNI projects in %s: %s",
                        folder, summary)  # fmt: skip
            found += [self.add(root) for root in result.roots]
        return found

    def add(self, root: Path) -> ProjectState:
        """Remember a project (once) and return its state; the first project becomes the active one."""
        state = self.states.get(root)
        if state is None:
            state = self.states[root] = ProjectState(root)
        if self.active is None:
            self.active = root
        return state

    def forget_under(self, folder: Path) -> None:
        """Drop the projects of a workspace folder that was removed."""
        for root in [root for root in self.states if root == folder or folder in root.parents]:
            del self.states[root]
            if self.active == root:
                self.active = next(iter(self.states), None)

    def owner(self, path: Path) -> ProjectState | None:
        """The innermost known project containing `path`; a project created since start is picked up here."""
        candidates = [state for state in self.states.values() if state.contains(path)]
        if candidates:
            return max(candidates, key=lambda state: len(state.root.parts))
        from cnikit.project import find_project_root

        root = find_project_root(path)
        return self.add(root) if root is not None else None

    def resolve(self, project: str | None) -> ProjectState:
        """The project a command names (by root path), or the active one; CommandError when there is none."""
        if project:
            root = Path(project)
            state = self.states.get(root) or self.owner(root)
            if state is None:
                raise CommandError(f"{project} is not a CNI project (no .spectral/ folder found there or above)")
            return state
        if self.active is None or self.active not in self.states:
            raise CommandError("No CNI project in this workspace (a folder with .spectral/ within 5 levels)")
        return self.states[self.active]

    def analyze(self, state: ProjectState, overlays: Mapping[Path, str]) -> dict[Path, list[Diagnostic]]:
        """Analyse one project with the editor's unsaved buffers; diagnostics grouped by file.

        An analyser crash is logged and leaves the previous snapshot in place: the server keeps running.
        """
        if self._analyze is None:
            self._analyze = AnalyzeAndCheck()
        try:
            model, diagnostics = self._analyze(state.root, overlays)
        except Exception:
            log.exception("analysis of %s failed; keeping the previous results", state.root)
            return state.diagnostics
        by_file: dict[Path, list[Diagnostic]] = {}
        for diagnostic in [*diagnostics, *state.built]:
            by_file.setdefault(diagnostic.span.file, []).append(diagnostic)
        state.model = model
        if model.integration is not None:
            state.good_model = model
        state.diagnostics = by_file
        return by_file
