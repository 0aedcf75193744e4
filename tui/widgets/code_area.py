"""A `TextArea` that highlights JSON, XML and HTML safely.

Textual's built-in JSON highlight query uses the `#set!` directive; compiling it repeatedly with py-tree-sitter
0.26 corrupts memory and crashes the process (a segfault after the second or third document). This widget registers
the same query without the `conceal` directives, which only hide quotes and which we do not want anyway.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from textual.widgets import TextArea

LANGUAGES = ("json", "xml", "html")


@cache
def _safe_query(language: str) -> str | None:
    import textual

    path = Path(textual.__file__).parent / "tree-sitter" / "highlights" / f"{language}.scm"
    try:
        query = path.read_text()
    except OSError:
        return None
    return "\n".join(pattern for pattern in _patterns(query) if "#set!" not in pattern)


def _patterns(query: str) -> list[str]:
    """Split a highlight query into its top-level patterns (with their captures), minding strings and comments."""
    patterns: list[str] = []
    depth, start, index, in_string = 0, 0, 0, False
    while index < len(query):
        char = query[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == ";":
            index = query.find("\n", index)
            if index < 0:
                break
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "\n" and depth == 0:
            chunk = query[start:index].strip()
            if chunk:
                patterns.append(chunk)
            start = index + 1
        index += 1
    tail = query[start:].strip()
    if tail:
        patterns.append(tail)
    return patterns


class CodeArea(TextArea):
    """A text area for code in one of `LANGUAGES` (anything else is plain text)."""

    def __init__(
        self,
        text: str = "",
        *,
        language: str | None = None,
        read_only: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            text, read_only=read_only, show_line_numbers=False, tab_behavior="indent", id=id, classes=classes
        )
        self.set_code_language(language)

    def set_code_language(self, language: str | None) -> None:
        """Highlight as `language` when it is one we can highlight safely; plain text otherwise."""
        if language not in LANGUAGES:
            self.language = None
            return
        from textual._tree_sitter import get_language

        grammar = get_language(language)
        query = _safe_query(language)
        if grammar is None or query is None:
            self.language = None
            return
        self.register_language(language, grammar, query)
        self.language = language
