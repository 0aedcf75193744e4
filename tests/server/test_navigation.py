"""Language features end to end: completion, hover, definition, references, symbols, code lenses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types

from tests.server.conftest import Session, close, copy_fixture, launch, uri


def position_in(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of the first `needle` in `text`, plus `offset` characters."""
    for number, line in enumerate(text.splitlines()):
        column = line.find(needle)
        if column >= 0:
            return types.Position(line=number, character=column + offset)
    raise AssertionError(f"{needle!r} not found")


def text_at(path: Path, range_: types.Range) -> str:
    line = path.read_text().splitlines()[range_.start.line]
    return line[range_.start.character : range_.end.character]


def doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri(path))


# One server for the whole module: these tests only read, and each one closes the buffers it opens.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def navigation(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Session, Path]]:
    folder = tmp_path_factory.mktemp("navigation")
    root = copy_fixture("lsp-navigation", folder)
    session = await launch([root], config_file=folder / "config.yml")
    yield session, root
    await close(session)


async def complete(session: Session, path: Path, text: str, needle: str) -> types.CompletionList:
    """Open `path` with `text` and complete right after `needle`."""
    session.open(path, text)
    try:
        result = await session.client.text_document_completion_async(
            types.CompletionParams(text_document=doc(path), position=position_in(text, needle, len(needle)))
        )
    finally:
        session.close(path)
    assert isinstance(result, types.CompletionList)
    return result


async def test_completion_of_config_variables_in_an_index_access(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    flows = root / "src" / "flows.ts"
    text = flows.read_text().replace('context.configVars["Api Base Url"];', 'context.configVars["Ap')
    result = await complete(session, flows, text, 'configVars["Ap')
    assert sorted(item.label for item in result.items) == ["Api Base Url", "Batch Size"]
    item = next(item for item in result.items if item.label == "Api Base Url")
    assert item.detail == "string · page “Settings”"
    assert item.documentation == "Where the shop's API lives"
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == "Api Base Url"
    assert item.text_edit.range.end.character - item.text_edit.range.start.character == len("Ap")


async def test_completion_after_a_dot_switches_to_the_index_form(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    flows = root / "src" / "flows.ts"
    text = flows.read_text().replace('const size = configVars["Batch Size"];', "const size = configVars.Ba")
    result = await complete(session, flows, text, "configVars.Ba")
    item = next(item for item in result.items if item.label == "Batch Size")
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == '["Batch Size"]'  # `configVars.Batch Size` would not be JavaScript
    assert item.text_edit.range.end.character - item.text_edit.range.start.character == len(".Ba")


async def test_completion_of_flow_names_in_invoke_flow(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    flows = root / "src" / "flows.ts"
    text = flows.read_text().replace('context.invokeFlow("Notify Team", { base, size });', 'context.invokeFlow("')
    result = await complete(session, flows, text, 'invokeFlow("')
    assert sorted(item.label for item in result.items) == ["Notify Team", "Sync Orders"]
    assert {item.detail for item in result.items} == {"flow · notify-team", "flow · sync-orders"}


async def test_no_completion_outside_config_vars_and_invoke_flow(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    flows = root / "src" / "flows.ts"
    text = flows.read_text()
    session.open(flows, text)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(flows), position=position_in(text, "return { data", 6))
    )
    session.close(flows)
    assert result is None


async def test_hover_on_a_config_variable_reference(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    flows = root / "src" / "flows.ts"
    text = flows.read_text()
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(flows), position=position_in(text, '"Api Base Url"', 3))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    value = hover.contents.value
    assert value.startswith("**Api Base Url** — config variable")
    assert "type `string`" in value
    assert "page “Settings” (page 1)" in value
    assert 'Default: `"https://shop.example.com"`' in value
    assert "Where the shop's API lives" in value
    assert "Local instance value: not set" in value
    assert hover.range is not None and "Api Base Url" in text_at(flows, hover.range)


async def test_hover_on_an_invoked_flow(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    flows = root / "src" / "flows.ts"
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(flows), position=position_in(flows.read_text(), '"Notify Team", {', 2))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("**Notify Team** — flow")
    assert "stable key `notify-team`" in hover.contents.value


async def test_definition_of_a_config_variable_and_of_a_flow(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    flows = root / "src" / "flows.ts"
    text = flows.read_text()
    found = await session.client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(flows), position=position_in(text, '"Batch Size"', 1))
    )
    assert isinstance(found, list) and len(found) == 1
    pages = root / "src" / "configPages.ts"
    assert found[0].uri == uri(pages)
    assert text_at(pages, found[0].range) == '"Batch Size"'

    found = await session.client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(flows), position=position_in(text, '"Notify Team", {', 1))
    )
    assert isinstance(found, list) and len(found) == 1
    assert found[0].uri == uri(flows)
    assert found[0].range.start.line == position_in(text, 'name: "Notify Team"').line


async def test_references_of_a_config_variable(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    pages = root / "src" / "configPages.ts"
    flows = root / "src" / "flows.ts"
    found = await session.client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(pages),
            position=position_in(pages.read_text(), '"Api Base Url"', 2),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert found is not None
    places = sorted((Path(loc.uri.removeprefix("file://")).name, loc.range.start.line) for loc in found)
    text = flows.read_text()
    assert places == sorted(
        [
            ("configPages.ts", position_in(pages.read_text(), '"Api Base Url"').line),
            ("flows.ts", position_in(text, 'configVars["Api Base Url"];').line),
            ("flows.ts", position_in(text, 'notify ${context.configVars["Api Base Url"]}').line),
        ]
    )
    without = await session.client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(pages),
            position=position_in(pages.read_text(), '"Api Base Url"', 2),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert without is not None and len(without) == 2


async def test_document_symbols(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    pages = root / "src" / "configPages.ts"
    symbols = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(pages))
    )
    assert symbols is not None
    (page,) = symbols
    assert isinstance(page, types.DocumentSymbol)
    assert page.name == "Settings" and page.kind == types.SymbolKind.Namespace
    assert [child.name for child in page.children or []] == ["Api Base Url", "Batch Size"]

    flows = root / "src" / "flows.ts"
    symbols = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(flows))
    )
    assert symbols is not None
    assert [(s.name, s.kind, s.detail) for s in symbols if isinstance(s, types.DocumentSymbol)] == [
        ("Sync Orders", types.SymbolKind.Function, "sync-orders"),
        ("Notify Team", types.SymbolKind.Function, "notify-team"),
    ]

    index = root / "src" / "index.ts"
    symbols = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(index))
    )
    assert symbols is not None
    assert [s.name for s in symbols if isinstance(s, types.DocumentSymbol)] == ["Order Sync"]


async def test_code_lenses_above_each_flow(navigation: tuple[Session, Path]) -> None:
    session, root = navigation
    flows = root / "src" / "flows.ts"
    lenses = await session.client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(flows)))
    assert lenses is not None
    text = flows.read_text()
    first_line = position_in(text, "export const syncOrders = flow({").line
    above_first = [lens for lens in lenses if lens.range.start.line == first_line]
    assert [lens.command.title for lens in above_first if lens.command] == [
        "▶ Run locally",
        "▶ Test in Prismatic",
        "+ Payload",
        "Executions (0)",
    ]
    run = above_first[0].command
    assert run is not None and run.command == "cnikit.server.runLocally"
    assert list(run.arguments or []) == [{"project": str(root), "flow": "Sync Orders"}]
    payload = above_first[2].command
    assert payload is not None and payload.command == "cnikit.server.createFlowPayload"
    assert payload.arguments is not None and payload.arguments[0]["stableKey"] == "sync-orders"
    assert len(lenses) == 8  # two flows, four lenses each
