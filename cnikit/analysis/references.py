"""Uses of config variables and `invokeFlow` in code, found syntactically in one file.

Recorded forms: `context.configVars["X"]`, `configVars.X` (any `….configVars` or a `configVars` binding, such as
`const { configVars } = context` or `({ configVars }) =>`), destructuring `const { X } = context.configVars` and
`({ configVars: { X } })`, `{ configVar: "X" }` objects (manifest inputs, flow schedules), and
`invokeFlow("X", …)`.

A name written as an expression (`context.configVars[CONNECTION]`, `` invokeFlow(`${PREFIX} Sync`) ``) is kept
as *pending*: the analyser evaluates it with the resolver, which only knows module-level bindings — so it is kept
only when none of its identifiers is bound by an enclosing function, block or loop (a local could hide the
constant). Names that remain unknown are recorded nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tree_sitter import Language, Node, Query, QueryCursor

from cnikit.analysis.construct import construct
from cnikit.analysis.module import pattern_names, string_value
from cnikit.analysis.parser import ParsedFile
from cnikit.model import ConfigVarRef, FlowInvocation, Span

_SOURCE = """[((identifier) @src (#eq? @src "configVars"))
              (member_expression property: (property_identifier) @src (#eq? @src "configVars"))]"""

_QUERY = f"""
(subscript_expression object: {_SOURCE} index: (_) @index)
(member_expression object: {_SOURCE} property: (property_identifier) @member)
(variable_declarator name: (object_pattern) @pattern value: {_SOURCE})
(pair_pattern key: (property_identifier) @key (#eq? @key "configVars") value: (object_pattern) @pattern)
(pair key: [(property_identifier) (string)] @key (#match? @key "configVar")
      value: [(string) (template_string)] @property)
(call_expression
  function: [((identifier) @fn (#eq? @fn "invokeFlow"))
             (member_expression property: (property_identifier) @fn (#eq? @fn "invokeFlow"))]
  arguments: (arguments . (_) @flow))
"""


@cache
def _query(tsx: bool) -> Query:
    import tree_sitter_typescript

    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Query(Language(grammar), _QUERY)


@dataclass(frozen=True)
class PendingName:
    """A config variable or flow named by an expression the resolver may know (a module-level constant)."""

    kind: str  # "config-var" or "flow"
    node: Node  # the expression
    span: Span


@dataclass(frozen=True)
class FileReferences:
    """What one file references."""

    config_vars: tuple[ConfigVarRef, ...]
    flows: tuple[FlowInvocation, ...]
    pending: tuple[PendingName, ...] = ()


_EMPTY = FileReferences((), ())


def scan(parsed: ParsedFile) -> FileReferences:
    """Find every config-variable reference and `invokeFlow` call in `parsed`."""
    source = parsed.source
    if b"configVar" not in source and b"invokeFlow" not in source:
        return _EMPTY
    refs: list[ConfigVarRef] = []
    flows: list[FlowInvocation] = []
    pending: list[PendingName] = []
    # TSX trees share the TypeScript grammar's node names but not its ids: one compiled query per grammar.
    matches = QueryCursor(_query(parsed.path.suffix == ".tsx")).matches(parsed.root)
    for index, captures in matches:
        if index == 0:
            node = captures["index"][0]
            name = string_value(parsed, node)
            if name is not None:
                refs.append(_ref(name, _inner_span(parsed, node), "index"))
            elif _module_level_expression(parsed, node):
                pending.append(PendingName("config-var", node, parsed.span(node)))
        elif index == 1:
            node = captures["member"][0]
            if not _called(node.parent):  # `configVars.hasOwnProperty(…)` is a method, not a variable
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
            elif _module_level_expression(parsed, node):
                pending.append(PendingName("flow", node, parsed.span(node)))
    return FileReferences(tuple(refs), tuple(flows), tuple(pending))


def _called(node: Node | None) -> bool:
    """True when `node` is the function of a call expression."""
    parent = node.parent if node is not None else None
    if node is None or parent is None or parent.type != "call_expression":
        return False
    function = parent.child_by_field_name("function")
    return function is not None and function.id == node.id


# Expressions worth handing to the resolver: constants and what is built from them.
_CONSTANT_EXPRESSIONS = {
    "identifier",
    "member_expression",
    "subscript_expression",
    "template_string",
    "binary_expression",
    "parenthesized_expression",
    "as_expression",
    "satisfies_expression",
}
# Functions: their parameters and `var`s bind names for their whole body.
_FUNCTIONS = {
    "arrow_function",
    "function_expression",
    "function_declaration",
    "generator_function",
    "generator_function_declaration",
    "method_definition",
}
# Nodes that bind names for what they contain.
_SCOPES = {
    *_FUNCTIONS,
    "statement_block",
    "for_statement",
    "for_in_statement",
    "catch_clause",
    "class_body",
    "switch_body",
}


def _module_level_expression(parsed: ParsedFile, node: Node) -> bool:
    """True when `node` is a constant-like expression whose identifiers all refer to module-level bindings."""
    if node.type not in _CONSTANT_EXPRESSIONS:
        return False
    names = _free_names(parsed, node)
    if not names:
        return False
    scope = node.parent
    while scope is not None:
        if scope.type in _SCOPES and names & _bindings(parsed, scope):
            return False
        scope = scope.parent
    return True


def _free_names(parsed: ParsedFile, node: Node) -> set[str]:
    """The identifiers an expression reads (property names of member expressions excluded)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            names.add(parsed.text(current))
        elif current.type in ("arrow_function", "function_expression", "call_expression", "new_expression"):
            return set()  # not a constant
        else:
            stack.extend(current.named_children)
    return names


def _bindings(parsed: ParsedFile, scope: Node) -> set[str]:
    """The names `scope` binds for the code inside it (JavaScript's rules; `var` is function-wide)."""
    names: set[str] = set()
    kind = scope.type
    if kind in _FUNCTIONS:
        params = scope.child_by_field_name("parameters")
        for param in params.named_children if params is not None else []:
            _add_pattern(parsed, param.child_by_field_name("pattern") or param, names)
        _add_pattern(parsed, scope.child_by_field_name("parameter"), names)
        if kind in ("function_expression", "generator_function"):
            _add_pattern(parsed, scope.child_by_field_name("name"), names)
        body = scope.child_by_field_name("body")
        if body is not None:
            _add_vars(parsed, body, names)
    elif kind in ("statement_block", "switch_body", "class_body"):
        for child in scope.named_children:
            if child.type == "switch_case":
                for statement in child.named_children:
                    _add_declaration(parsed, statement, names)
            else:
                _add_declaration(parsed, child, names)
    elif kind == "for_statement":
        _add_declaration(parsed, scope.child_by_field_name("initializer"), names)
    elif kind == "for_in_statement":
        if any(child.type in ("const", "let", "var") for child in scope.children):
            _add_pattern(parsed, scope.child_by_field_name("left"), names)
    elif kind == "catch_clause":
        _add_pattern(parsed, scope.child_by_field_name("parameter"), names)
    return names


def _add_pattern(parsed: ParsedFile, pattern: Node | None, names: set[str]) -> None:
    if pattern is None:
        return
    if pattern.type in ("identifier", "type_identifier", "shorthand_property_identifier_pattern"):
        names.add(parsed.text(pattern))
    else:
        names.update(name for name, _ in pattern_names(parsed, pattern, ()))


def _add_declaration(parsed: ParsedFile, node: Node | None, names: set[str]) -> None:
    """Names a statement declares in its block."""
    if node is None:
        return
    if node.type in ("lexical_declaration", "variable_declaration"):
        for declarator in node.named_children:
            if declarator.type == "variable_declarator":
                _add_pattern(parsed, declarator.child_by_field_name("name"), names)
    elif node.type in ("function_declaration", "generator_function_declaration", "class_declaration"):
        _add_pattern(parsed, node.child_by_field_name("name"), names)


def _add_vars(parsed: ParsedFile, body: Node, names: set[str]) -> None:
    """`var` declarations anywhere in a function body (outside nested functions): they are function-wide."""
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "variable_declaration":
            _add_declaration(parsed, node, names)
        elif node.type in _FUNCTIONS:
            continue
        stack.extend(node.named_children)


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
