"""Unit tests of the pure `*_impl` functions and helpers under the handlers: no server, no client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from lsprotocol import types

from cnikit.analysis import Analyzer
from cnikit.diagnostics import Diagnostic, Fix, Severity, TextEdit
from cnikit.model import ProjectModel, Span
from server.code_actions import code_actions_impl
from server.code_lens import code_lens_impl
from server.completion import completion_impl
from server.diagnostics import to_lsp_impl
from server.executions import log_line_impl
from server.hover import hover_impl
from server.navigation import definition_impl, references_impl, target_at
from server.positions import Locator
from server.settings import ServerSettings, parse_settings
from server.symbols import document_symbols_impl

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def write_project(root: Path, files: dict[str, str]) -> Path:
    (root / ".spectral").mkdir(parents=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def analyze(root: Path) -> ProjectModel:
    return Analyzer().analyze(root)


INLINE = """import { configPage, configVar, flow, integration } from "@prismatic-io/spectral";

export default integration({
  name: "Inline ✨ Sync",
  description: "Everything in one file",
  flows: [
    flow({
      name: "First Flow",
      stableKey: "first-flow",
      onExecution: async (context) => ({ data: context.configVars["Région ✨"] }),
    }),
  ],
  configPages: {
    Main: configPage({
      elements: {
        "Région ✨": configVar({ stableKey: "region", dataType: "string", defaultValue: "eu" }),
      },
    }),
  },
});
"""


@pytest.fixture
def inline(tmp_path: Path) -> tuple[ProjectModel, Path]:
    root = write_project(tmp_path / "inline", {"src/index.ts": INLINE})
    return analyze(root), root / "src" / "index.ts"


def point_of(path: Path, needle: str, offset: int = 0) -> tuple[int, int]:
    for number, line in enumerate(path.read_text().splitlines()):
        if needle in line:
            return number, line.index(needle) + offset
    raise AssertionError(needle)


# -- settings ------------------------------------------------------------------------------------------------------


def test_settings_merge_over_the_initialization_options() -> None:
    base = parse_settings({"debug": True, "severityOverrides": {"CNI701": "warning"}})
    merged = parse_settings({"severityOverrides": {"CNI702": "off"}, "prismaticUrl": None}, base)
    assert merged.debug is True
    assert merged.severity_overrides == {"CNI702": "off"}
    assert merged.severity_for("CNI702", Severity.ERROR) is None
    assert merged.severity_for("CNI701", Severity.ERROR) == Severity.ERROR


def test_invalid_settings_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match=r"severityOverrides\.CNI1: Input should be 'error', 'warning'"):
        parse_settings({"severityOverrides": {"CNI1": "loud"}})
    with pytest.raises(ValueError, match="must be an object, found list"):
        parse_settings([1, 2])
    assert parse_settings(None) == ServerSettings()
    # VS Code sends every key; empty strings are "unset" and keep the initialization options' values.
    base = parse_settings({"cnikitPath": "/opt/bin/cnikit", "prismaticUrl": "https://a.example"})
    merged = parse_settings({"cnikitPath": "", "prismaticUrl": "", "debug": False}, base)
    assert (merged.cnikit_path, merged.prismatic_url) == ("/opt/bin/cnikit", "https://a.example")


# -- positions -----------------------------------------------------------------------------------------------------


def test_locator_converts_characters_to_utf16(tmp_path: Path) -> None:
    path = tmp_path / "a.ts"
    path.write_text('const 😀 = configVars["X"];\n')
    locator = Locator()
    # Span columns count characters: the emoji is one character but two UTF-16 units.
    span = Span(file=path, line=0, col=23, end_line=0, end_col=24)
    assert locator.range(span) == types.Range(types.Position(0, 24), types.Position(0, 25))
    assert locator.point(path, types.Position(0, 24)) == (0, 23)


# -- diagnostics ---------------------------------------------------------------------------------------------------


def diagnostic(path: Path, code: str = "CNI701", fix: Fix | None = None) -> Diagnostic:
    return Diagnostic(
        code=code,
        severity=Severity.ERROR,
        span=Span(file=path, line=0, col=6, end_line=0, end_col=9),
        message="No config variable is named",
        fix=fix,
    )


def test_to_lsp_applies_severity_overrides(tmp_path: Path) -> None:
    path = tmp_path / "a.ts"
    path.write_text("const abc = 1;\n")
    settings = parse_settings({"severityOverrides": {"CNI701": "hint", "CNI702": "off"}})
    shown = to_lsp_impl([diagnostic(path), diagnostic(path, "CNI702")], Locator(), settings)
    assert [(d.code, d.severity) for d in shown] == [("CNI701", types.DiagnosticSeverity.Hint)]
    assert shown[0].range == types.Range(types.Position(0, 6), types.Position(0, 9))


def test_code_actions_only_for_fixes_touching_the_range(tmp_path: Path) -> None:
    path = tmp_path / "a.ts"
    path.write_text("const abc = 1;\n")
    fix = Fix(title='Change to "xyz"', edits=[TextEdit(span=diagnostic(path).span, new_text="xyz")])
    fixable, plain = diagnostic(path, fix=fix), diagnostic(path, "CNI702")
    inside = types.Range(types.Position(0, 7), types.Position(0, 7))
    (action,) = code_actions_impl([fixable, plain], inside, Locator(), ServerSettings())
    assert action.title == 'Change to "xyz"' and action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None and action.edit.changes is not None
    assert action.edit.changes[path.as_uri()][0].new_text == "xyz"
    elsewhere = types.Range(types.Position(0, 12), types.Position(0, 13))
    assert code_actions_impl([fixable], elsewhere, Locator(), ServerSettings()) == []
    off = parse_settings({"severityOverrides": {"CNI701": "off"}})
    assert code_actions_impl([fixable], inside, Locator(), off) == []  # hidden diagnostics offer no fix


# -- language features ---------------------------------------------------------------------------------------------


def test_completion_contexts(inline: tuple[ProjectModel, Path]) -> None:
    model, _ = inline
    cursor = types.Position(3, 30)
    index = completion_impl(model, '  const x = context.configVars["Ré', cursor)
    assert index is not None and [item.label for item in index.items] == ["Région ✨"]
    edit = index.items[0].text_edit
    assert isinstance(edit, types.TextEdit) and edit.range.start.character == cursor.character - 2
    member = completion_impl(model, "  const x = configVars?.R", cursor)
    assert member is not None
    edit = member.items[0].text_edit
    assert isinstance(edit, types.TextEdit) and edit.new_text == '?.["Région ✨"]'
    flows = completion_impl(model, "  await context.invokeFlow('", cursor)
    assert flows is not None and [item.label for item in flows.items] == ["First Flow"]
    property_form = completion_impl(model, '  schedule: { configVar: "', cursor)
    assert property_form is not None and len(property_form.items) == 1
    assert completion_impl(model, "  const x = configVars", cursor) is None
    assert completion_impl(model, '  const x = "', cursor) is None


SCHEDULES = """import { flow, integration } from "@prismatic-io/spectral";
import { hourly } from "./elsewhere";

const run = async () => ({ data: null });
export default integration({
  name: "Schedules",
  flows: [
    flow({ name: "Hourly", stableKey: "hourly", schedule: { value: "0 * * * *" }, onExecution: run }),
    flow({ name: "Unset", stableKey: "unset", schedule: undefined, onExecution: run }),
    flow({ name: "Webhook", stableKey: "webhook", onExecution: run }),
    flow({ name: "Imported", stableKey: "imported", schedule: hourly, onExecution: run }),
  ],
});
"""


def test_scheduled_flows_as_spectral_decides(tmp_path: Path) -> None:
    """`schedule: undefined` is no schedule (spectral checks for an object); one the analyser cannot see counts."""
    from server.project_commands import list_flows_impl

    root = write_project(tmp_path / "schedules", {"src/index.ts": SCHEDULES})
    model = analyze(root)
    flows = {flow["name"]: flow["hasSchedule"] for flow in list_flows_impl(model)}
    assert flows == {"Hourly": True, "Unset": False, "Webhook": False, "Imported": True}
    index = root / "src" / "index.ts"
    for name, scheduled in flows.items():
        hover = hover_impl(model, index, point_of(index, f'"{name}"', 1))
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert ("scheduled" in hover.contents.value) is scheduled, name


def test_hover_definition_and_references_inline(inline: tuple[ProjectModel, Path]) -> None:
    model, index = inline
    ref = point_of(index, 'configVars["Région', len('configVars["') + 1)
    target = target_at(model, index, ref)
    assert target is not None and (target.kind, target.name) == ("configVar", "Région ✨")
    hover = hover_impl(model, index, ref, lambda root, name: '"fr"')
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert 'Default: `"eu"`' in hover.contents.value
    assert 'Local instance value: `"fr"`' in hover.contents.value
    locator = Locator()
    (definition,) = definition_impl(model, index, ref, locator) or []
    assert definition.range.start.line == point_of(index, '"Région ✨": configVar')[0]
    definition_point = point_of(index, '"Région ✨": configVar', 1)
    refs = references_impl(model, index, definition_point, locator, include_declaration=False)
    assert refs is not None and [loc.range.start.line for loc in refs] == [ref[0]]
    assert target_at(model, index, (0, 0)) is None
    assert hover_impl(model, index, (0, 0)) is None


def test_symbols_nest_inline_flows_and_pages_under_the_integration(inline: tuple[ProjectModel, Path]) -> None:
    model, index = inline
    (root,) = document_symbols_impl(model, index, Locator())
    assert (root.name, root.kind) == ("Inline ✨ Sync", types.SymbolKind.Module)
    children = root.children or []
    assert [(c.name, c.kind) for c in children] == [
        ("First Flow", types.SymbolKind.Function),
        ("Main", types.SymbolKind.Namespace),
    ]
    assert [v.name for v in children[1].children or []] == ["Région ✨"]
    for child in children:  # children lie within their parent, selections within their range
        assert within(child.range, root.range)
        assert within(child.selection_range, child.range)


def within(inner: types.Range, outer: types.Range) -> bool:
    start = (outer.start.line, outer.start.character) <= (inner.start.line, inner.start.character)
    return start and (inner.end.line, inner.end.character) <= (outer.end.line, outer.end.character)


def test_code_lenses_count_executions(inline: tuple[ProjectModel, Path]) -> None:
    model, index = inline
    lenses = code_lens_impl(model, index, Locator(), lambda root, flow: 3 if flow == "first-flow" else 0)
    titles = [lens.command.title for lens in lenses if lens.command]
    assert titles == ["▶ Run locally", "▶ Test in Prismatic", "+ Payload", "Executions (3)"]

    def broken(root: Path, flow: str) -> int:
        raise RuntimeError("store is locked")

    titles = [lens.command.title for lens in code_lens_impl(model, index, Locator(), broken) if lens.command]
    assert titles[-1] == "Executions (0)"  # a broken store does not hide the lenses


def test_log_lines() -> None:
    assert log_line_impl("2026-11-29T10:04:05.123Z", "warn", "onExecution", "hi") == "10:04:05 [WARN] [onExecution] hi"
    assert log_line_impl("2026-11-29T10:04:05Z", "info", None, "start") == "10:04:05 [INFO] start"


def test_execution_updates_after_shutdown_are_dropped_quietly(tmp_path: Path) -> None:
    """A run still logging while the server exits: its updates go nowhere, and say nothing (no traceback per line)."""
    from emulator.executor import ExecutionUpdate, LogLine
    from server.executions import EXECUTION_LOG, LocalRuns

    sent: list[tuple[str, dict[str, Any]]] = []

    class Client:  # the one method of the language server the forwarder calls
        def notify(self, method: str, params: dict[str, Any]) -> None:
            sent.append((method, params))

    root = write_project(tmp_path / "p", {})
    update = ExecutionUpdate("log", "e1", "Flow", log=LogLine("2026-11-29T10:04:05Z", "info", None, "still going"))
    loop = asyncio.new_event_loop()

    async def make_forwarder() -> Callable[[ExecutionUpdate], None]:
        return LocalRuns(cast("CnikitLanguageServer", Client())).forwarder(root)

    forward = loop.run_until_complete(make_forwarder())
    forward(update)
    loop.run_until_complete(asyncio.sleep(0))  # the notification is sent from the loop
    assert [method for method, _ in sent] == [EXECUTION_LOG]
    loop.close()
    forward(update)  # must not raise: the executor would log it as a failing listener
    assert len(sent) == 1


# -- project state ------------------------------------------------------------------------------------------------


def test_an_analyser_crash_keeps_the_previous_results(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from server.projects import Projects

    root = write_project(tmp_path / "p", {"src/index.ts": INLINE})
    good = analyze(root)
    found = diagnostic(root / "src" / "index.ts")
    calls: list[int] = []

    def analyze_function(project: Path, overlays: object) -> tuple[ProjectModel, list[Diagnostic]]:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("the analyser broke")
        return good, [found]

    projects = Projects(analyze_function)
    state = projects.add(root)
    assert projects.analyze(state, {}) == {found.span.file: [found]}
    assert projects.analyze(state, {}) == {found.span.file: [found]}  # the crash changed nothing
    assert state.model is good
    assert "analysis of" in caplog.text and "the analyser broke" in caplog.text


def test_projects_resolve_and_owner(tmp_path: Path) -> None:
    from server.projects import CommandError, Projects

    outer = write_project(tmp_path / "mono", {"src/index.ts": INLINE})
    inner = write_project(outer / "packages" / "inner", {"src/index.ts": INLINE})
    projects = Projects()
    assert sorted(state.root for state in projects.discover([tmp_path])) == sorted([outer, inner])
    owner = projects.owner(inner / "src" / "index.ts")
    assert owner is not None and owner.root == inner  # the innermost project owns the file
    assert projects.resolve(None).root == projects.active
    with pytest.raises(CommandError, match="is not a CNI project"):
        projects.resolve(str(tmp_path))
    assert projects.owner(tmp_path / "elsewhere.ts") is None


def test_an_edit_reparses_only_the_edited_buffer() -> None:
    from server.projects import AnalyzeAndCheck, Projects

    root = FIXTURES / "lsp-navigation"
    analyze_and_check = AnalyzeAndCheck()
    projects = Projects(analyze_and_check)
    state = projects.add(root)
    projects.analyze(state, {})
    parsed = analyze_and_check.analyzer.parse_count
    assert parsed == 3  # index.ts, flows.ts, configPages.ts
    flows = root / "src" / "flows.ts"
    edited = flows.read_text().replace('"Batch Size"]', '"Batch Sise"]')
    found = projects.analyze(state, {flows: edited})
    assert analyze_and_check.analyzer.parse_count == parsed + 1  # only the edited buffer
    assert [d.code for d in found[flows]] == ["CNI701"]
    projects.analyze(state, {flows: edited})
    assert analyze_and_check.analyzer.parse_count == parsed + 1  # nothing changed: nothing parsed
