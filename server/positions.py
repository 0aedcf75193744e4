"""Where things are: file paths ↔ URIs, model spans ↔ LSP ranges.

Spans count columns in characters (code points); LSP clients count in the negotiated encoding (UTF-16 for
VS Code). A `Locator` converts between the two using each file's current text: the open buffer when the
editor has one, the file on disk otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

from cnikit.model import Span

LinesOf = Callable[[Path], Sequence[str]]


def path_of(uri: str) -> Path | None:
    """The file-system path of a `file:` URI (None for other schemes)."""
    fs_path = to_fs_path(uri)
    return Path(fs_path) if fs_path else None


def uri_of(path: Path) -> str:
    """The `file:` URI of a path."""
    uri = from_fs_path(str(path))
    assert uri is not None, f"not a file-system path: {path}"
    return uri


def read_lines(path: Path) -> list[str]:
    """The lines of a file on disk, line endings kept; no lines when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    except OSError:
        return []


class Locator:
    """Converts spans to LSP ranges and LSP positions to (line, character) pairs, file by file."""

    def __init__(self, lines_of: LinesOf = read_lines, codec: PositionCodec | None = None) -> None:
        self._lines_of = lines_of
        self._codec = codec or PositionCodec()
        self._cache: dict[Path, Sequence[str]] = {}

    def lines(self, path: Path) -> Sequence[str]:
        """The lines of `path` (read once per Locator)."""
        if path not in self._cache:
            self._cache[path] = self._lines_of(path)
        return self._cache[path]

    def range(self, span: Span) -> types.Range:
        """The LSP range of `span`, in the client's position encoding."""
        lines = self.lines(span.file)
        start = ServerTextPosition(span.line, span.col)
        end = ServerTextPosition(span.end_line, span.end_col)
        return types.Range(start=self._position(lines, start), end=self._position(lines, end))

    def _position(self, lines: Sequence[str], position: ServerTextPosition) -> types.Position:
        if position.line < len(lines) and not lines[position.line].isascii():
            return self._codec.position_to_client_units(lines, position)
        return types.Position(line=position.line, character=position.character)

    def location(self, span: Span) -> types.Location:
        """The LSP location of `span`."""
        return types.Location(uri=uri_of(span.file), range=self.range(span))

    def point(self, path: Path, position: types.Position) -> tuple[int, int]:
        """An LSP position in `path` as (line, character) in code points, the way spans count."""
        lines = self.lines(path)
        if position.line < len(lines) and not lines[position.line].isascii():
            server = self._codec.position_from_client_units(lines, types.Position(position.line, position.character))
            return server.line, server.character
        return position.line, position.character


def contains(span: Span, path: Path, point: tuple[int, int]) -> bool:
    """Whether `point` (line, character in code points) lies within `span` of file `path`, ends included."""
    if span.file != path:
        return False
    return (span.line, span.col) <= point <= (span.end_line, span.end_col)
