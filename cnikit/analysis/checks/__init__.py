"""The check catalogue: one module per family, every check registered with a stable code.

A check is a function `(ctx: CheckContext) -> Iterable[Diagnostic]`, declared with `@check(...)`:

    @check("CNI301", Severity.ERROR, "duplicate config variable key")
    def duplicate_config_var_key(ctx: CheckContext) -> Iterator[Diagnostic]:
        ...
        yield ctx.report(span, f'Duplicate config var key: "{name}"')

`ctx.report` fills in the code and severity of the running check. `run_checks` isolates each check: one
that raises is logged and skipped, the others still run.

Code ranges by family:
  CNI0xx  analysis (syntax errors, missing entry, skipped files)
  CNI1xx  integration()                       (checks/integration.py)
  CNI2xx  flows                               (checks/flows.py)
  CNI3xx  config pages and config variables   (checks/config_vars.py)
  CNI4xx  connections                         (checks/connections.py)
  CNI5xx  data sources                        (checks/data_sources.py)
  CNI6xx  component registry and manifests    (checks/registry.py)
  CNI7xx  references from code (configVars, invokeFlow)  (checks/references.py)
  CNI8xx  payload files and assets            (checks/payloads.py, checks/assets.py)
  CNI9xx  the built definition (build and load errors, static vs built disagreement)  (checks/built.py)

The CNI9xx checks are registered with `built=True`: they need the project built and loaded (`cnikit check --built`,
`checks.built.check_built`), so `run_checks` runs them only when it is given that `Build`, and then only them.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cnikit.diagnostics import Diagnostic, Fix, Severity
from cnikit.model import ProjectModel, Span

if TYPE_CHECKING:
    from cnikit.analysis.checks.built import Build

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckInfo:
    """What a check is: its code, default severity and a one-line summary (shown by `cnikit check --list`)."""

    code: str
    severity: Severity
    summary: str
    built: bool = False  # a check of the built definition: runs only with a `Build`


@dataclass
class CheckContext:
    """What a check sees: the project model (and, for checks of the built definition, the `Build`), and a way to
    report findings under its own code."""

    project: ProjectModel
    info: CheckInfo | None = None
    build: Build | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def root(self) -> Path:
        """The project's root folder (the parent of `.spectral/`)."""
        return self.project.root

    def report(
        self, span: Span, message: str, *, fix: Fix | None = None, severity: Severity | None = None
    ) -> Diagnostic:
        """A diagnostic of the running check at `span`."""
        assert self.info is not None, "report() is only valid while a check runs"
        return Diagnostic(
            code=self.info.code, severity=severity or self.info.severity, span=span, message=message, fix=fix
        )


CheckFunction = Callable[[CheckContext], Iterable[Diagnostic]]

REGISTRY: dict[str, tuple[CheckInfo, CheckFunction]] = {}


def check(
    code: str, severity: Severity, summary: str, *, built: bool = False
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under a stable code (`built`: it reads the built definition). Codes are unique; registering
    one twice is a bug."""

    def register(function: CheckFunction) -> CheckFunction:
        if code in REGISTRY:
            raise ValueError(f"check code {code} is registered twice")
        REGISTRY[code] = (CheckInfo(code, severity, summary, built), function)
        return function

    return register


def load_checks() -> dict[str, tuple[CheckInfo, CheckFunction]]:
    """Import every check module in this package (once) and return the registry."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY


def selected(code: str, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> bool:
    """Whether `code` passes `--select`/`--ignore`; both accept prefixes (`CNI3` selects CNI300–CNI399)."""
    if select and not any(code.startswith(prefix) for prefix in select):
        return False
    return not any(code.startswith(prefix) for prefix in ignore)


def run_checks(
    project: ProjectModel, select: Sequence[str] = (), ignore: Sequence[str] = (), *, build: Build | None = None
) -> list[Diagnostic]:
    """Run every selected static check on `project` or, given the project's `build`, every selected check of the
    built definition; a check that raises is logged and skipped."""
    diagnostics: list[Diagnostic] = []
    for code, (info, function) in sorted(load_checks().items()):
        if info.built != (build is not None) or not selected(code, select, ignore):
            continue
        ctx = CheckContext(project=project, info=info, build=build)
        try:
            diagnostics.extend(function(ctx))
        except Exception:  # one broken check must never take the others (or the server) down
            log.exception("check %s failed on %s; skipped", code, project.root)
    return diagnostics
