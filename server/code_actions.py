"""Quick fixes: one code action for every diagnostic whose check offers a fix."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from cnikit.diagnostics import Diagnostic
from server.diagnostics import to_lsp_impl
from server.positions import Locator, path_of, uri_of
from server.settings import ServerSettings

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer


def _overlaps(a: types.Range, b: types.Range) -> bool:
    start_a, end_a = (a.start.line, a.start.character), (a.end.line, a.end.character)
    start_b, end_b = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return start_a <= end_b and start_b <= end_a


def code_actions_impl(
    diagnostics: Iterable[Diagnostic], requested: types.Range, locator: Locator, settings: ServerSettings
) -> list[types.CodeAction]:
    """Quick fixes for the fixable diagnostics of a file that touch the requested range."""
    actions: list[types.CodeAction] = []
    for diagnostic in diagnostics:
        if diagnostic.fix is None or not diagnostic.fix.edits:
            continue
        shown = to_lsp_impl([diagnostic], locator, settings)
        if not shown or not _overlaps(shown[0].range, requested):
            continue
        changes: dict[str, list[types.TextEdit]] = {}
        for edit in diagnostic.fix.edits:
            changes.setdefault(uri_of(edit.span.file), []).append(
                types.TextEdit(range=locator.range(edit.span), new_text=edit.new_text)
            )
        actions.append(
            types.CodeAction(
                title=diagnostic.fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=shown,
                is_preferred=True,
                edit=types.WorkspaceEdit(changes=changes),
            )
        )
    return actions


def register(ls: CnikitLanguageServer) -> None:
    """The code action handler."""

    @ls.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: CnikitLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        path: Path | None = path_of(params.text_document.uri)
        state = ls.projects.owner(path) if path is not None else None
        if state is None or path is None:
            return None
        from server.diagnostics import analyze_now

        if state.pending is not None and not state.pending.done():
            analyze_now(ls, state)  # fixes must match the buffer as it is now
        return code_actions_impl(state.diagnostics.get(path, []), params.range, ls.locator(), ls.settings)
