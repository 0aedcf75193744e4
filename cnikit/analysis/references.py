"""Uses of config variables and `invokeFlow` in code, found syntactically in one file.

Recorded forms: `context.configVars["X"]`, `configVars.X` (any `….configVars` or a `configVars` binding, such as
`const { configVars } = context` or `({ configVars }) =>`), destructuring `const { X } = context.configVars` and
`({ configVars: { X } })`, `{ configVar: "X" }` objects (manifest inputs, flow schedules), and
`invokeFlow("X", …)`. Only literal names count: a computed name is unknown and recorded nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tree_sitter import Language, Node, Query, QueryCursor

from cnikit.analysis.construct import construct
from cnikit.analysis.module import string_value
from cnikit.analysis.parser import ParsedFile
from cnikit.model import ConfigVarRef, FlowInvocation, Span

_SOURCE = """[((identifier) @src (#eq? @src "configVars"))
              (member_expression property: (property_identifier) @src (#eq? @src "configVars"))]"""

_QUERY = f"""
(subscript_expression object: {_SOURCE} index: [(string) (template_string)] @index)
(member_expression object: {_SOURCE} property: (property_identifier) @member)
(variable_declarator name: (object_pattern) @pattern value: {_SOURCE})
(pair_pattern key: (property_identifier) @key (#eq? @key "configVars") value: (object_pattern) @pattern)
(pair key: [(property_identifier) (string)] @key (#match? @key "configVar")
      value: [(string) (template_string)] @property)
(call_expression
  function: [((identifier) @fn (#eq? @fn "invokeFlow"))
             (member_expression property: (property_identifier) @fn (#eq? @fn "invokeFlow"))]
  arguments: (arguments . [(string) (template_string)] @flow))
"""


@cache
def _query(tsx: bool) -> Query:
    import tree_sitter_typescript

    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Query(Language(grammar), _QUERY)


@dataclass(frozen=True)
class FileReferences:
    """What one file references."""

    config_vars: tuple[ConfigVarRef, ...]
    flows: tuple[FlowInvocation, ...]


_EMPTY = FileReferences((), ())


def scan(parsed: ParsedFile) -> FileReferences:
    """Find every config-variable reference and `invokeFlow` call in `parsed`."""
    source = parsed.source
    if b"configVar" not in source and b"invokeFlow" not in source:
        return _EMPTY
    refs: list[ConfigVarRef] = []
    flows: list[FlowInvocation] = []
    # TSX trees share the TypeScript grammar's node names but not its ids: one compiled query per grammar.
    matches = QueryCursor(_query(parsed.path.suffix == ".tsx")).matches(parsed.root)
    for index, captures in matches:
        if index == 0:
            node = captures["index"][0]
            name = string_value(parsed, node)
            if name is not None:
                refs.append(_ref(name, _inner_span(parsed, node), "index"))
        elif index == 1:
            node = captures["member"][0]
            refs.append(_ref(parsed.text(node), parsed.span(node), "member"))
        elif index in (2, 3):
            refs.extend(_pattern_refs(parsed, captures["pattern"][0]))
        elif index == 4:
            key = captures["key"][0]
            key_text = string_value(parsed, key) if key.type == "string" else parsed.text(key)
            if key_text != "configVar":
                continue
            node = captures["property"][0]
            name = string_value(parsed, node)
            if name is not None:
                form = "schedule" if _in_schedule(parsed, node) else "configVar-property"
                refs.append(_ref(name, _inner_span(parsed, node), form))
        elif index == 5:
            node = captures["flow"][0]
            name = string_value(parsed, node)
            if name is not None:
                flows.append(construct(FlowInvocation, name=name, span=_inner_span(parsed, node)))
    return FileReferences(tuple(refs), tuple(flows))


def _ref(name: str, span: Span, form: str) -> ConfigVarRef:
    return construct(ConfigVarRef, name=name, span=span, form=form)


def _inner_span(parsed: ParsedFile, node: Node) -> Span:
    """The span of a string's contents, without the quotes."""
    start_row, start_col = node.start_point
    end_row, end_col = node.end_point
    return parsed.span_of((start_row, start_col + 1), (end_row, max(end_col - 1, start_col + 1)))


def _pattern_refs(parsed: ParsedFile, pattern: Node) -> list[ConfigVarRef]:
    refs: list[ConfigVarRef] = []
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern":
            refs.append(_ref(parsed.text(child), parsed.span(child), "destructure"))
        elif child.type == "object_assignment_pattern":
            left = child.child_by_field_name("left")
            if left is not None and left.type == "shorthand_property_identifier_pattern":
                refs.append(_ref(parsed.text(left), parsed.span(left), "destructure"))
        elif child.type == "pair_pattern":
            key = child.child_by_field_name("key")
            if key is None:
                continue
            if key.type == "property_identifier":
                refs.append(_ref(parsed.text(key), parsed.span(key), "destructure"))
            elif key.type == "string":
                name = string_value(parsed, key)
                if name is not None:
                    refs.append(_ref(name, _inner_span(parsed, key), "destructure"))
    return refs


def _in_schedule(parsed: ParsedFile, node: Node) -> bool:
    """True for the `configVar` of `schedule: { configVar: "X" }`."""
    pair = node.parent
    obj = pair.parent if pair is not None else None
    outer = obj.parent if obj is not None else None
    if outer is None or outer.type != "pair":
        return False
    key = outer.child_by_field_name("key")
    return key is not None and parsed.text(key).strip("\"'") == "schedule"
