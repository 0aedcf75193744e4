"""CNI0xx: what the analyser met while reading the sources (`ProjectModel.notes`).

Syntax errors, a missing entry point, a default export that is not `integration(...)`, files skipped for size or
binary content, and relative imports of files that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnikit.analysis.analyzer import NO_ENTRY_FILE, NOT_AN_INTEGRATION, UNRESOLVED_INTEGRATION
from cnikit.analysis.checks import CheckContext, check
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import SourceNote


def _notes(ctx: CheckContext, kind: str) -> Iterator[SourceNote]:
    return (note for note in ctx.project.notes if note.kind == kind)


def _strip(message: str, prefix: str) -> str:
    return message[len(prefix) :].strip() if message.startswith(prefix) else message


@check("CNI001", Severity.ERROR, "TypeScript syntax error")
def syntax_error(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Report TypeScript syntax errors the parser met, so the developer sees them before a build fails."""
    for note in _notes(ctx, "syntax-error"):
        yield ctx.report(note.span, note.message)


@check("CNI002", Severity.ERROR, "no src/index.ts")
def missing_entry(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Report a project without src/index.ts, the entry spectral's build and the analyser start from."""
    for note in _notes(ctx, "no-entry"):
        if note.message.startswith(NO_ENTRY_FILE):
            yield ctx.report(note.span, note.message)


@check("CNI003", Severity.ERROR, "src/index.ts does not export default integration(...)")
def no_integration(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Report an entry that does not `export default integration(...)`, which prism import needs to find the
    integration."""
    for note in _notes(ctx, "no-entry"):
        if note.message.startswith(NOT_AN_INTEGRATION):
            yield ctx.report(note.span, _strip(note.message, NOT_AN_INTEGRATION))


@check("CNI004", Severity.WARNING, "the integration cannot be resolved statically")
def unresolved_integration(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn when the integration cannot be followed statically, so checks of what lies behind it are skipped."""
    for note in _notes(ctx, "no-entry"):
        if note.message.startswith(UNRESOLVED_INTEGRATION):
            yield ctx.report(note.span, _strip(note.message, UNRESOLVED_INTEGRATION))


@check("CNI005", Severity.WARNING, "source file skipped (over 1 MB or binary)")
def skipped_file(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about source files left out for size or binary content, whose contents go unchecked."""
    for note in _notes(ctx, "skipped"):
        yield ctx.report(note.span, f"Skipped {note.message}")


@check("CNI006", Severity.ERROR, "relative import of a file that does not exist")
def unresolved_import(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Report a relative import of a file that does not exist, which the build would fail on."""
    for note in _notes(ctx, "unresolved-import"):
        yield ctx.report(note.span, note.message)
