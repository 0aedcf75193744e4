"""Parsing one TypeScript file with tree-sitter: the tree, its text, spans in characters, syntax errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tree_sitter import Language, Node, Parser, Tree

from cnikit.analysis.construct import construct
from cnikit.model import Span

MAX_FILE_BYTES = 1_000_000


@cache
def _parser(tsx: bool) -> Parser:
    import tree_sitter_typescript

    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Parser(Language(grammar))


@dataclass(frozen=True)
class SyntaxProblem:
    """One ERROR or MISSING node: where it is and what it says."""

    span: Span
    message: str


@dataclass
class ParsedFile:
    """A parsed source file. Spans come out 0-based, in characters (tree-sitter counts bytes)."""

    path: Path
    source: bytes
    tree: Tree
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _ascii: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self._ascii = self.source.isascii()

    @property
    def root(self) -> Node:
        """The `program` node."""
        return self.tree.root_node

    def text(self, node: Node) -> str:
        """The source text of `node`."""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def _lines(self) -> list[int]:
        """Byte offsets of line starts (built on first use)."""
        if not self._line_starts:
            starts = [0]
            find = self.source.find
            pos = find(b"\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def _col(self, row: int, byte_col: int) -> int:
        if self._ascii:
            return byte_col  # one byte per character
        starts = self._lines()
        start = starts[row] if row < len(starts) else len(self.source)
        chunk = self.source[start : start + byte_col]
        return byte_col if chunk.isascii() else len(chunk.decode("utf-8", errors="replace"))

    def point(self, line: int, col: int) -> tuple[int, int]:
        """The tree-sitter point (row, byte column) of a 0-based line and character column."""
        if self._ascii:
            return line, col
        starts = self._lines()
        start = starts[line] if line < len(starts) else len(self.source)
        end = starts[line + 1] if line + 1 < len(starts) else len(self.source)
        text = self.source[start:end].decode("utf-8", errors="replace")
        return line, len(text[:col].encode("utf-8"))

    def span(self, node: Node) -> Span:
        """The span of `node`."""
        return self.span_of(node.start_point, node.end_point)

    def span_of(self, start: tuple[int, int], end: tuple[int, int]) -> Span:
        """A span between two tree-sitter points (row, byte column)."""
        return construct(
            Span,
            file=self.path,
            line=start[0],
            col=self._col(start[0], start[1]),
            end_line=end[0],
            end_col=self._col(end[0], end[1]),
        )

    def syntax_problems(self, limit: int = 20) -> list[SyntaxProblem]:
        """The outermost ERROR and MISSING nodes, in source order (at most `limit`)."""
        if not self.root.has_error:
            return []
        problems: list[SyntaxProblem] = []
        stack = [self.root]
        while stack and len(problems) < limit:
            node = stack.pop()
            if node.is_missing:
                problems.append(SyntaxProblem(self.span(node), f"Syntax error: missing `{node.type}`"))
            elif node.is_error:
                first = node
                while first.child_count:
                    first = first.children[0]
                token = self.text(first).splitlines()[0] if self.text(first) else ""
                if node.end_byte >= len(self.source.rstrip()) and node.start_byte < first.end_byte < node.end_byte:
                    # The parser ran to the end of the file without closing what starts here.
                    what = (
                        f"the code starting at `{token}` is not closed before the end of the file "
                        "(a bracket or quote left open?)"
                    )
                else:
                    what = f"unexpected `{token}`" if token else "unexpected input"
                problems.append(SyntaxProblem(self.span_of(node.start_point, first.end_point), f"Syntax error: {what}"))
            elif node.has_error:
                stack.extend(reversed(node.children))
        return problems


def parse(path: Path, source: bytes) -> ParsedFile:
    """Parse `source` as TypeScript (TSX for `.tsx` files)."""
    tree = _parser(path.suffix == ".tsx").parse(source)
    return ParsedFile(path=path, source=source, tree=tree)


def skip_reason(source: bytes) -> str | None:
    """Why a file is not parsed (too large, binary), or None when it is fine."""
    if len(source) > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES // 1_000_000} MB ({len(source):,} bytes); not analysed"
    if b"\0" in source:
        return "contains NUL bytes (binary?); not analysed"
    return None
