"""Diagnostics end to end: at start, while typing, on payload files, with severity overrides, quick fixes."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from tests.server.conftest import REPO, StartSession, uri


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def text_at(path: Path, range_: types.Range) -> str:
    lines = path.read_text().splitlines()
    assert range_.start.line == range_.end.line
    return lines[range_.start.line][range_.start.character : range_.end.character]


async def test_whole_workspace_is_checked_at_start_with_exact_ranges(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root])
    index = root / "src" / "index.ts"
    found = await session.diagnostics(index, lambda ds: len(ds) == 2)
    assert codes(found) == ["CNI701", "CNI702"]
    by_code = {d.code: d for d in found}
    assert text_at(index, by_code["CNI701"].range) == "Api Key Nmae"
    assert text_at(index, by_code["CNI702"].range) == "Import Contact"
    assert "did you mean" in by_code["CNI701"].message
    assert by_code["CNI701"].severity == types.DiagnosticSeverity.Error
    assert by_code["CNI701"].source == "cnikit"

    pages = await session.diagnostics(root / "src" / "configPages.ts")
    assert codes(pages) == ["CNI309"]
    payload = root / ".spectral" / "flows" / "import-contacts" / "payloads" / "broken.json"
    assert codes(await session.diagnostics(payload)) == ["CNI801"]
    # Progress was reported for the start-up analysis.
    await session.analysed()


async def test_editing_updates_the_diagnostics_of_the_buffer(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root])
    index = root / "src" / "index.ts"
    await session.diagnostics(index, lambda ds: len(ds) == 2)
    session.open(index)
    session.replace_all(index, index.read_text().replace("Api Key Nmae", "Api Key Name"))
    found = await session.diagnostics(index, lambda ds: codes(ds) == ["CNI702"])
    assert text_at(index, found[0].range) == "Import Contact"
    # Nothing was written to disk: the buffer is analysed, not the file.
    assert "Api Key Nmae" in index.read_text()
    # A second edit that fixes the flow name too clears the file.
    session.replace_all(
        index,
        index.read_text().replace("Api Key Nmae", "Api Key Name").replace('"Import Contact"', '"Import Contacts"'),
    )
    assert list(await session.diagnostics(index, lambda ds: not ds)) == []


async def test_rapid_edits_are_debounced_into_one_analysis(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root], init_options={"diagnosticDelayMs": 400})
    index = root / "src" / "index.ts"
    await session.diagnostics(index, lambda ds: len(ds) == 2)
    session.open(index)
    original = index.read_text()
    seen = len(session.published.history)
    # Five edits in a row: each intermediate state would publish a different set.
    states = [
        original.replace("Api Key Nmae", "Api Key Name"),  # one problem left
        original,  # two again
        original.replace("Api Key Nmae", "Api Key Name"),
        original + "\nexport const broken = ;\n",  # three
        original.replace("Api Key Nmae", "Api Key Name").replace('"Import Contact"', '"Import Contacts"'),  # none
    ]
    for text in states:
        session.replace_all(index, text)
    await session.diagnostics(index, lambda ds: not ds)
    after = [list(diagnostics) for uri_, diagnostics in session.published.history[seen:] if uri_ == uri(index)]
    assert after == [[]], f"expected one publication after the edits, got {len(after)}"


async def test_files_changed_on_disk_are_analysed(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root])
    index = root / "src" / "index.ts"
    await session.diagnostics(index, lambda ds: len(ds) == 2)
    await asyncio.wait_for(session.registered.wait(), 45)
    (registration,) = session.registrations  # the server asked the editor to watch TypeScript and payload files
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    index.write_text(index.read_text().replace("Api Key Nmae", "Api Key Name"))  # e.g. a git checkout
    session.disk_changed(index)
    assert codes(await session.diagnostics(index, lambda ds: len(ds) == 1)) == ["CNI702"]
    # A new file on disk is part of the project at once.
    extra = root / "src" / "extra.ts"
    extra.write_text("export const broken = ;\n")
    session.disk_changed(extra, types.FileChangeType.Created)
    assert codes(await session.diagnostics(extra)) == ["CNI001"]


async def test_syntax_error_in_one_file_keeps_the_others_checked(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root])
    pages = root / "src" / "configPages.ts"
    await session.diagnostics(pages, lambda ds: codes(ds) == ["CNI309"])
    session.open(pages)
    session.replace_all(pages, pages.read_text() + "\nexport const broken = ;\n")
    found = await session.diagnostics(pages, lambda ds: codes(ds) == ["CNI001", "CNI309"])
    syntax = next(d for d in found if d.code == "CNI001")
    assert syntax.range.start.line == len(pages.read_text().splitlines()) + 1  # the appended line
    # The other files are still checked against the broken buffer.
    assert codes(await session.diagnostics(root / "src" / "index.ts")) == ["CNI701", "CNI702"]


async def test_quick_fixes_for_diagnostics_with_a_fix(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root])
    index = root / "src" / "index.ts"
    found = await session.diagnostics(index, lambda ds: len(ds) == 2)
    unknown_var = next(d for d in found if d.code == "CNI701")
    actions = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(index)),
            range=unknown_var.range,
            context=types.CodeActionContext(diagnostics=[unknown_var]),
        )
    )
    assert actions is not None
    (action,) = [a for a in actions if isinstance(a, types.CodeAction)]
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None and action.edit.changes is not None
    (edit,) = action.edit.changes[uri(index)]
    assert edit.new_text == "Api Key Name"
    assert text_at(index, edit.range) == "Api Key Nmae"

    pages = root / "src" / "configPages.ts"
    (missing_language,) = await session.diagnostics(pages)
    actions = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(pages)),
            range=missing_language.range,
            context=types.CodeActionContext(diagnostics=[missing_language]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions]
    assert titles == ['Add codeLanguage: "json"']


async def test_severity_overrides_from_initialization_options(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session(
        [root], init_options={"severityOverrides": {"CNI702": "off", "CNI701": "warning"}, "diagnosticDelayMs": 0}
    )
    index = root / "src" / "index.ts"
    (only,) = await session.diagnostics(index, lambda ds: len(ds) == 1)
    assert only.code == "CNI701"
    assert only.severity == types.DiagnosticSeverity.Warning


async def test_severity_overrides_from_workspace_configuration(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root], configuration={"severityOverrides": {"CNI309": "hint"}})
    pages = root / "src" / "configPages.ts"
    (hint,) = await session.diagnostics(pages, lambda ds: len(ds) == 1 and ds[0].severity == 4)
    assert hint.code == "CNI309"


async def test_changed_settings_apply_at_once(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root])
    index = root / "src" / "index.ts"
    await session.diagnostics(index, lambda ds: len(ds) == 2)
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"cnikit": {"severityOverrides": {"CNI701": "off"}}})
    )
    assert codes(await session.diagnostics(index, lambda ds: len(ds) == 1)) == ["CNI702"]
    # The client may also only say "changed": the server then asks for the section.
    session.client.set_configuration({"severityOverrides": {"CNI702": "info"}}, section="cnikit")
    session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    found = await session.diagnostics(index, lambda ds: len(ds) == 2 and ds[1].severity == 3)
    assert [(d.code, d.severity) for d in found] == [
        ("CNI701", types.DiagnosticSeverity.Error),
        ("CNI702", types.DiagnosticSeverity.Information),
    ]


async def test_invalid_settings_are_reported_and_defaults_kept(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root], init_options={"severityOverrides": {"CNI701": "loud"}})
    index = root / "src" / "index.ts"
    found = await session.diagnostics(index, lambda ds: len(ds) == 2)
    assert all(d.severity == types.DiagnosticSeverity.Error for d in found)
    message = await session.wait_for(types.WINDOW_SHOW_MESSAGE, lambda: session.client.messages)
    assert "severityOverrides.CNI701" in message[0].message


async def test_payload_buffer_is_checked_while_typing(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session([root])
    payload = root / ".spectral" / "flows" / "import-contacts" / "payloads" / "broken.json"
    await session.diagnostics(payload, lambda ds: codes(ds) == ["CNI801"])
    session.open(payload, language="json")
    typo = '{"headers": {}, "data": {"contacts": [1, 2]}, "contentType": "application/jsn"}'
    session.replace_all(payload, typo)
    (wrong_type,) = await session.diagnostics(payload, lambda ds: codes(ds) == ["CNI802"])
    assert "contentType" in wrong_type.message
    assert typo[wrong_type.range.start.character : wrong_type.range.end.character] == '"application/jsn"'
    actions = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(payload)),
            range=wrong_type.range,
            context=types.CodeActionContext(diagnostics=[wrong_type]),
        )
    )
    assert actions is not None
    (fix,) = [a for a in actions if isinstance(a, types.CodeAction)]
    assert fix.edit is not None and fix.edit.changes is not None
    assert fix.edit.changes[uri(payload)][0].new_text == "application/json"
    assert "application/jsn" not in payload.read_text()  # nothing was written: the buffer is what was checked
    session.replace_all(payload, '{"headers": {}, "data": {"contacts": [1, 2]}, "contentType": "application/json"}')
    assert list(await session.diagnostics(payload, lambda ds: not ds)) == []


async def test_a_failing_check_is_logged_and_the_server_keeps_running(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-diagnostics")
    session = await start_session(
        [root], server_command=[sys.executable, str(REPO / "tests" / "server" / "failing_check_server.py")]
    )
    index = root / "src" / "index.ts"
    found = await session.diagnostics(index, lambda ds: len(ds) == 2)
    assert codes(found) == ["CNI701", "CNI702"]  # the other checks still ran
    logged = await session.wait_for(
        types.WINDOW_LOG_MESSAGE,
        lambda: [m for m in session.client.log_messages if "CNI998" in m.message],
    )
    assert logged[0].type == types.MessageType.Error
    # Still serving: an edit is analysed and published.
    session.open(index)
    session.replace_all(index, index.read_text().replace("Api Key Nmae", "Api Key Name"))
    assert codes(await session.diagnostics(index, lambda ds: len(ds) == 1)) == ["CNI702"]


async def test_several_projects_in_a_multi_root_workspace(start_session: StartSession, workspace) -> None:
    first = workspace("lsp-diagnostics")
    second = workspace("lsp-navigation")
    session = await start_session([first, second])
    await session.diagnostics(first / "src" / "index.ts", lambda ds: len(ds) == 2)
    projects = await session.command("cnikit.server.listProjects")
    assert sorted(Path(p["project"]).name for p in projects) == ["lsp-diagnostics", "lsp-navigation"]
    assert sum(1 for p in projects if p["active"]) == 1


async def test_projects_below_a_workspace_folder_are_found(start_session: StartSession, workspace, tmp_path) -> None:
    workspace("lsp-diagnostics")
    workspace("lsp-navigation")
    session = await start_session([tmp_path])  # a monorepo: the projects sit one level down
    await session.diagnostics(tmp_path / "lsp-diagnostics" / "src" / "index.ts", lambda ds: len(ds) == 2)
    projects = await session.command("cnikit.server.listProjects")
    assert sorted(p["name"] for p in projects) == ["Contact Import", "Order Sync"]
