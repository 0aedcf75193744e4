"""Spans count characters (code points), whatever the bytes: checked on arbitrary Unicode with hypothesis."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cnikit.analysis.parser import parse
from cnikit.analysis.references import scan

# Names and prefixes without quotes, backslashes, line breaks or `*/` (which would end the comment early).
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\"'`\\*/\u2028\u2029"),
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(prefix=_text, name=_text.filter(lambda s: s != ""), lines_before=st.integers(min_value=0, max_value=3))
def test_reference_span_slices_the_name_out_of_its_line(prefix: str, name: str, lines_before: int) -> None:
    source = "\n" * lines_before + f'/* {prefix} */ const v = context.configVars["{name}"];\n'
    parsed = parse(Path("/virtual/index.ts"), source.encode("utf-8"))
    (ref,) = scan(parsed).config_vars
    assert ref.name == name
    line = source.split("\n")[ref.span.line]
    assert ref.span.line == ref.span.end_line == lines_before
    assert line[ref.span.col : ref.span.end_col] == name
