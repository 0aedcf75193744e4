"""Language features end to end: completion, hover, definition, references, symbols, code lenses."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.server.conftest import Session, StartSession, uri


def position_of(path: Path, needle: str, offset: int = 0) -> types.Position:
    """The position of the first `needle` in the file, plus `offset` characters."""
    for number, line in enumerate(path.read_text().splitlines()):
        column = line.find(needle)
        if column >= 0:
            return types.Position(line=number, character=column + offset)
    raise AssertionError(f"{needle!r} not in {path}")


async def start(start_session: StartSession, workspace) -> tuple[Session, Path]:
    root = workspace("lsp-navigation")
    session = await start_session([root])
    return session, root


async def test_completion_offers_config_variables_inside_index_access(start_session, workspace) -> None:
    session, root = await start(start_session, workspace)
    flows = root / "src" / "flows.ts"
    text = flows.read_text().replace(
        'const base = context.configVars["Api Base Url"];', 'const base = context.configVars["Ap'
    )
    session.open(flows, text)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(flows)),
            position=position_of_text(text, 'configVars["Ap', len('configVars["Ap')),
        )
    )
    assert isinstance(result, types.CompletionList)
    labels = sorted(item.label for item in result.items)
    assert labels == ["Api Base Url", "Batch Size"]
    item = next(item for item in result.items if item.label == "Api Base Url")
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == "Api Base Url"
    assert item.text_edit.range.end.character - item.text_edit.range.start.character == 2  # replaces "Ap"


def position_of_text(text: str, needle: str, offset: int = 0) -> types.Position:
    for number, line in enumerate(text.splitlines()):
        column = line.find(needle)
        if column >= 0:
            return types.Position(line=number, character=column + offset)
    raise AssertionError(needle)
