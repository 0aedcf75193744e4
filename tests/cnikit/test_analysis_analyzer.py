"""The Analyzer: per-file caching by content, editor overlays, skipped files, a missing entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cnikit.analysis import Analyzer, check_project
from cnikit.analysis.checks import run_checks

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def scaffold(tmp_path: Path) -> Path:
    """A private copy of the scaffold fixture (tests change its files)."""
    root = tmp_path / "scaffold"
    shutil.copytree(FIXTURES / "analysis-scaffold", root)
    return root.resolve()


def test_reanalysing_after_one_file_changes_reparses_only_that_file(scaffold: Path) -> None:
    analyzer = Analyzer()
    first = analyzer.analyze(scaffold)
    assert analyzer.parse_count == 4  # index, flows, configPages, componentRegistry

    again = analyzer.analyze(scaffold)
    assert analyzer.parse_count == 4  # nothing changed: nothing re-parsed
    assert again.integration == first.integration

    flows = scaffold / "src" / "flows.ts"
    flows.write_text(flows.read_text().replace('"Nightly Sync"', '"Nightly Run"'), encoding="utf-8")
    changed = analyzer.analyze(scaffold)
    assert analyzer.parse_count == 5
    assert changed.integration is not None
    assert [f.name for f in changed.integration.flows] == ["List Items", "Nightly Run"]


def test_overlays_replace_file_contents_without_touching_disk(scaffold: Path) -> None:
    analyzer = Analyzer()
    flows = scaffold / "src" / "flows.ts"
    on_disk = flows.read_text()
    edited = on_disk.replace('context.configVars["Acme Base URL"]', 'context.configVars["Acme Base"]')

    model = analyzer.analyze(scaffold, overlays={flows: edited})
    assert [ref.name for ref in model.config_var_refs] == ["Acme Base"]
    assert flows.read_text() == on_disk

    # Closing the buffer (no overlay) goes back to the file on disk.
    model = analyzer.analyze(scaffold)
    assert [ref.name for ref in model.config_var_refs] == ["Acme Base URL"]


def test_an_overlay_may_be_a_new_unsaved_file(scaffold: Path) -> None:
    index = scaffold / "src" / "index.ts"
    extra = scaffold / "src" / "extraFlows.ts"
    overlays = {
        extra: 'import { flow } from "@prismatic-io/spectral";\n'
        'export const extra = flow({ name: "Extra", stableKey: "extra", onExecution: async () => ({ data: 1 }) });\n',
        index: index.read_text()
        .replace('import flows from "./flows";', 'import base from "./flows";\nimport { extra } from "./extraFlows";')
        .replace("  flows,\n", "  flows: [...base, extra],\n"),
    }
    model = Analyzer().analyze(scaffold, overlays=overlays)
    assert model.integration is not None
    assert [f.name for f in model.integration.flows] == ["List Items", "Nightly Sync", "Extra"]
    assert extra in model.files


def test_huge_and_binary_files_are_skipped_with_a_note(scaffold: Path) -> None:
    src = scaffold / "src"
    (src / "generated.ts").write_text("export const x = 1;\n" + "// padding\n" * 100_000, encoding="utf-8")
    (src / "blob.ts").write_bytes(b"export const y = 2;\0\0\0binary")

    model = Analyzer().analyze(scaffold)
    skipped = {note.span.file.name: note.message for note in model.notes if note.kind == "skipped"}
    assert set(skipped) == {"generated.ts", "blob.ts"}
    assert "larger than 1 MB" in skipped["generated.ts"]
    assert "NUL bytes" in skipped["blob.ts"]
    assert model.integration is not None and len(model.integration.flows) == 2  # the rest is analysed

    diagnostics = check_project(scaffold, select=["CNI005"])
    assert sorted((d.code, d.span.file.name, d.severity.value) for d in diagnostics) == [
        ("CNI005", "blob.ts", "warning"),
        ("CNI005", "generated.ts", "warning"),
    ]


def test_a_skipped_file_that_is_imported_leaves_its_values_unknown(scaffold: Path) -> None:
    flows = scaffold / "src" / "flows.ts"
    flows.write_bytes(flows.read_bytes() + b"\0")
    model = Analyzer().analyze(scaffold)
    assert model.integration is not None
    assert model.integration.flows == [] and not model.integration.flows_complete


def test_missing_entry_gives_a_clear_error_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "no-entry"
    shutil.copytree(FIXTURES / "analysis-no-entry", root)
    diagnostics = check_project(root)
    (diagnostic,) = diagnostics
    assert diagnostic.code == "CNI002"
    assert diagnostic.severity == "error"
    assert diagnostic.span.file == (root / "src" / "index.ts").resolve()
    assert "No src/index.ts" in diagnostic.message and "export default integration" in diagnostic.message


def test_syntax_error_diagnostic_and_other_files_still_checked() -> None:
    diagnostics = check_project(FIXTURES / "analysis-syntax-error")
    by_code = {d.code: d for d in diagnostics}
    syntax = by_code["CNI001"]
    assert syntax.span.file.name == "flows.ts"
    assert (syntax.span.line + 1, syntax.span.col + 1) == (9, 16)
    # The reference to an unknown config variable, in the same broken file, is still reported.
    assert by_code["CNI701"].message.startswith('No config variable is named "Missing Var"')


def test_values_that_depend_on_a_changed_file_are_recomputed_across_files(tmp_path: Path) -> None:
    root = tmp_path / "constants"
    shutil.copytree(FIXTURES / "analysis-constants", root)
    analyzer = Analyzer()
    model = analyzer.analyze(root)
    assert model.integration is not None and model.integration.flows[0].name == "acme Export"

    constants = root / "src" / "constants.ts"
    constants.write_text(constants.read_text().replace('PREFIX = "acme"', 'PREFIX = "zenith"'))
    model = analyzer.analyze(root)
    assert model.integration is not None
    # Both the flow (declared in index.ts, named from constants.ts) and the page title follow the change.
    assert model.integration.flows[0].name == "zenith Export"
    assert [page.title for page in model.integration.config_pages] == ["zenith Settings"]
    assert model.integration.name == "zenith Constants"


def test_a_new_file_that_changes_where_an_import_resolves_is_picked_up(tmp_path: Path) -> None:
    root = tmp_path / "reexports"
    shutil.copytree(FIXTURES / "analysis-reexports", root)
    analyzer = Analyzer()
    model = analyzer.analyze(root)
    assert model.integration is not None and len(model.integration.flows) == 3

    # `./flows` meant flows/index.ts; a new flows.ts now takes precedence, as in TypeScript.
    (root / "src" / "flows.ts").write_text(
        'import { flow } from "@prismatic-io/spectral";\n'
        'export const allFlows = [flow({ name: "Solo", stableKey: "solo", onExecution: async () => ({ data: 0 }) })];\n'
    )
    model = analyzer.analyze(root)
    assert model.integration is not None
    assert [f.name for f in model.integration.flows] == ["Solo"]


def test_a_file_left_open_at_the_end_points_at_where_the_open_code_starts(scaffold: Path) -> None:
    pages = scaffold / "src" / "configPages.ts"
    text = pages.read_text()
    cut = text[: text.index("  Options: configPage(")]  # the configPages object is never closed
    model = Analyzer().analyze(scaffold, overlays={pages: cut})
    (note,) = [n for n in model.notes if n.kind == "syntax-error"]
    assert note.span.file == pages
    assert (note.span.line, note.span.col) == (2, 0)  # `export const configPages = {`
    assert "`export` is not closed before the end of the file" in note.message
    # The flows in the other files are still there.
    assert model.integration is not None and [f.name for f in model.integration.flows] == ["List Items", "Nightly Sync"]


def test_deleted_files_leave_the_model(scaffold: Path) -> None:
    analyzer = Analyzer()
    extra = scaffold / "src" / "helpers.ts"
    extra.write_text('export const greeting = "hi";\n')
    assert extra in analyzer.analyze(scaffold).files
    extra.unlink()
    model = analyzer.analyze(scaffold)
    assert extra not in model.files


def test_an_unreadable_file_is_reported_not_ignored(scaffold: Path) -> None:
    loop = scaffold / "src" / "loop.ts"
    loop.symlink_to(loop)  # reading it fails with "too many levels of symbolic links", even as root
    model = Analyzer().analyze(scaffold)
    (note,) = [n for n in model.notes if n.kind == "skipped"]
    assert note.span.file == loop
    assert "cannot be read" in note.message
    assert model.integration is not None and len(model.integration.flows) == 2


def test_unsaved_payload_buffers_reach_the_checks(scaffold: Path) -> None:
    payload = scaffold / ".spectral" / "flows" / "list-items" / "payloads" / "sample.json"
    payload.parent.mkdir(parents=True)
    payload.write_text('{"data": {"id": 1}, "contentType": "application/json"}\n')
    analyzer = Analyzer()
    assert "CNI801" not in {d.code for d in run_checks(analyzer.analyze(scaffold))}

    model = analyzer.analyze(scaffold, overlays={payload: '{"data": '})  # being typed, not saved
    assert model.overlays == {payload.resolve(): '{"data": '}
    (bad_json,) = [d for d in run_checks(model) if d.code == "CNI801"]
    assert bad_json.span.file == payload.resolve()


def test_a_value_nested_5000_levels_deep_is_cut_off_with_a_note_and_the_rest_is_checked(scaffold: Path) -> None:
    flows = scaffold / "src" / "flows.ts"
    deep = "{a: " * 5000 + '"x"' + "}" * 5000
    source = flows.read_text().replace('description: "List the items",', f"description: {deep},")
    # A problem in the other flow, to show that flow is still checked.
    flows.write_text(source.replace('"0 2 * * *"', '"every night"'))

    diagnostics = check_project(scaffold)

    assert not any("internal error" in d.message for d in diagnostics)
    (cut_off,) = [d for d in diagnostics if d.code == "CNI004"]
    line = next(
        n for n, text in enumerate(flows.read_text().splitlines(), 1) if text.lstrip().startswith("description")
    )
    assert cut_off.span.file == flows and cut_off.span.line + 1 == line
    assert f"nested more than 100 levels at src/flows.ts:{line}:{cut_off.span.col + 1}; not followed" in cut_off.message
    assert any(d.code == "CNI219" and 'Flow "Nightly Sync"' in d.message for d in diagnostics)


def test_the_cut_off_is_reported_again_when_the_analysis_reuses_its_cache(scaffold: Path) -> None:
    flows = scaffold / "src" / "flows.ts"
    flows.write_text(flows.read_text().replace('"List the items"', "[" * 5000 + "1" + "]" * 5000))
    analyzer = Analyzer()
    for _ in range(2):
        model = analyzer.analyze(scaffold)
        assert [note.message.split(" at ")[0] for note in model.notes] == [
            "Integration not resolved: a value is nested more than 100 levels"
        ]
        assert model.integration is not None
        assert [flow.name for flow in model.integration.flows] == ["List Items", "Nightly Sync"]
