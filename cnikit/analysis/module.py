"""What one file declares, imports and exports at its top level: the symbol table the resolver walks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Language, Node, Query, QueryCursor

from cnikit.analysis.parser import ParsedFile

# Methods that change an array or object in place: a binding they are called on is not a constant.
_MUTATING_METHODS = {"push", "unshift", "splice", "pop", "shift", "sort", "reverse", "fill", "copyWithin"}


@dataclass(frozen=True)
class ImportBinding:
    """`import { imported as local } from "source"`; imported is "default" or "*" for those forms."""

    source: str
    imported: str
    node: Node  # the module specifier string node, for notes


@dataclass(frozen=True)
class Declaration:
    """A top-level binding: `const x = value`, `function x() {}`; `value` is None when uninitialised."""

    name: str
    node: Node  # the declaring node (declarator, function, class, enum)
    value: Node | None
    kind: str  # const, let, var, function, class, enum
    # For destructuring (`const { a: { b } } = value`): the property path from `value` down to this name.
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class ExportBinding:
    """An exported name: a local binding, or a re-export `export { imported as name } from "source"`."""

    local: str | None = None
    source: str | None = None
    imported: str | None = None  # "*" for `export * as name from`
    node: Node | None = None  # for `export default <expression>`: the expression


@dataclass
class ModuleInfo:
    """Top-level symbols of one file."""

    decls: dict[str, Declaration] = field(default_factory=dict)
    imports: dict[str, ImportBinding] = field(default_factory=dict)
    exports: dict[str, ExportBinding] = field(default_factory=dict)
    star_exports: list[tuple[str, Node]] = field(default_factory=list)
    relative_specifiers: list[Node] = field(default_factory=list)  # string nodes of relative imports/re-exports
    mutated: set[str] = field(default_factory=set)  # bindings reassigned or mutated somewhere in the file


def string_value(parsed: ParsedFile, node: Node) -> str | None:
    """The value of a string literal (escapes in simple form) or of a template literal without substitutions."""
    if node.type not in ("string", "template_string"):
        return None
    parts: list[str] = []
    for child in node.named_children:
        if child.type == "string_fragment":
            parts.append(parsed.text(child))
        elif child.type == "escape_sequence":
            parts.append(unescape(parsed.text(child)))
        else:
            return None  # a template substitution
    return "".join(parts)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def unescape(escape: str) -> str:
    """The character(s) a JavaScript escape sequence (`\\n`, `\\u00e9`, `\\u{1F600}`, `\\x41` …) stands for."""
    body = escape[1:]
    if body[:1] == "u":
        hexdigits = body[2:-1] if body[1:2] == "{" else body[1:]
        try:
            return chr(int(hexdigits, 16))
        except ValueError:
            return escape
    if body[:1] == "x":
        try:
            return chr(int(body[1:], 16))
        except ValueError:
            return escape
    if body in ("\n", "\r\n"):
        return ""  # line continuation
    return _ESCAPES.get(body, body)


def _source_of(parsed: ParsedFile, node: Node) -> tuple[str, Node] | None:
    source = node.child_by_field_name("source")
    if source is None:
        return None
    value = string_value(parsed, source)
    return (value, source) if value is not None else None


def build_module(parsed: ParsedFile) -> ModuleInfo:
    """Collect the top-level declarations, imports and exports of `parsed`."""
    info = ModuleInfo()
    for statement in parsed.root.named_children:
        kind = statement.type
        if kind == "import_statement":
            _collect_import(parsed, statement, info)
        elif kind == "export_statement":
            _collect_export(parsed, statement, info)
        else:
            _collect_declaration(parsed, statement, info, exported=False)
    _collect_mutations(parsed, info)
    return info


def _is_relative(source: str) -> bool:
    return source.startswith(("./", "../", "/")) or source in (".", "..")


def _collect_import(parsed: ParsedFile, statement: Node, info: ModuleInfo) -> None:
    found = _source_of(parsed, statement)
    if found is None:
        return
    source, source_node = found
    if _is_relative(source):
        info.relative_specifiers.append(source_node)
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    if clause is None:
        return
    for child in clause.named_children:
        if child.type == "identifier":
            info.imports[parsed.text(child)] = ImportBinding(source, "default", source_node)
        elif child.type == "namespace_import":
            name = next((c for c in child.named_children if c.type == "identifier"), None)
            if name is not None:
                info.imports[parsed.text(name)] = ImportBinding(source, "*", source_node)
        elif child.type == "named_imports":
            for imported, local in _specifiers(parsed, child, "import_specifier"):
                info.imports[local] = ImportBinding(source, imported, source_node)


def _specifiers(parsed: ParsedFile, clause: Node, kind: str) -> Iterator[tuple[str, str]]:
    """`(name, alias)` for each `name as alias` (alias = name when none) of an import or export clause."""
    for spec in clause.named_children:
        name_node = spec.child_by_field_name("name") if spec.type == kind else None
        if name_node is None:
            continue
        name = _name_text(parsed, name_node)
        alias_node = spec.child_by_field_name("alias")
        yield name, _name_text(parsed, alias_node) if alias_node is not None else name


def _name_text(parsed: ParsedFile, node: Node) -> str:
    """An identifier, or a string used as a module export name (`export { x as "y" }`)."""
    value = string_value(parsed, node)
    return value if value is not None else parsed.text(node)


def _collect_export(parsed: ParsedFile, statement: Node, info: ModuleInfo) -> None:
    found = _source_of(parsed, statement)
    declaration = statement.child_by_field_name("declaration")
    value = statement.child_by_field_name("value")
    if declaration is not None:
        for name in _collect_declaration(parsed, declaration, info, exported=True):
            info.exports[name] = ExportBinding(local=name)
        if any(c.type == "default" for c in statement.children):
            # `export default function name() {}` / `export default class X {}`
            names = _declared_names(parsed, declaration)
            if names:
                info.exports["default"] = ExportBinding(local=names[0])
            else:
                info.exports["default"] = ExportBinding(node=declaration)
        return
    if value is not None:
        info.exports["default"] = ExportBinding(node=value)
        return
    if found is not None and _is_relative(found[0]):
        info.relative_specifiers.append(found[1])
    clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
    if clause is None:
        namespace = next((c for c in statement.named_children if c.type == "namespace_export"), None)
        if found is None:
            return
        if namespace is not None:
            name_node = namespace.named_children[0] if namespace.named_children else None
            if name_node is not None:
                info.exports[_name_text(parsed, name_node)] = ExportBinding(source=found[0], imported="*")
        else:
            info.star_exports.append(found)
        return
    for name, exported in _specifiers(parsed, clause, "export_specifier"):
        if found is not None:
            info.exports[exported] = ExportBinding(source=found[0], imported=name)
        else:
            info.exports[exported] = ExportBinding(local=name)


def _declared_names(parsed: ParsedFile, node: Node) -> list[str]:
    name = node.child_by_field_name("name")
    return [parsed.text(name)] if name is not None else []


def _collect_declaration(parsed: ParsedFile, node: Node, info: ModuleInfo, *, exported: bool) -> list[str]:
    """Record the bindings `node` declares; return their names."""
    kind = node.type
    names: list[str] = []
    if kind in ("lexical_declaration", "variable_declaration"):
        keyword = node.children[0].type if node.children else "const"  # const, let or var
        for declarator in node.named_children:
            if declarator.type != "variable_declarator":
                continue
            target = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if target is None:
                continue
            for name, path in pattern_names(parsed, target, ()):
                info.decls[name] = Declaration(name, declarator, value, keyword, path)
                names.append(name)
    elif kind in ("function_declaration", "generator_function_declaration"):
        names = _declared_names(parsed, node)
        for name in names:
            info.decls[name] = Declaration(name, node, node, "function")
    elif kind in ("class_declaration", "abstract_class_declaration"):
        names = _declared_names(parsed, node)
        for name in names:
            info.decls[name] = Declaration(name, node, None, "class")
    elif kind == "enum_declaration":
        names = _declared_names(parsed, node)
        for name in names:
            info.decls[name] = Declaration(name, node, node, "enum")
    return names


def pattern_names(parsed: ParsedFile, pattern: Node, path: tuple[str | int, ...]) -> list[tuple[str, tuple]]:
    """Names bound by a binding pattern (`x`, `{ a, b: [c] }` …), each with its property path."""
    kind = pattern.type
    if kind == "identifier":
        return [(parsed.text(pattern), path)]
    found: list[tuple[str, tuple]] = []
    if kind == "object_pattern":
        for child in pattern.named_children:
            if child.type == "shorthand_property_identifier_pattern":
                name = parsed.text(child)
                found.append((name, (*path, name)))
            elif child.type == "pair_pattern":
                key = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                if key is None or value is None:
                    continue
                key_text = string_value(parsed, key) if key.type == "string" else parsed.text(key)
                if key.type == "computed_property_name" or key_text is None:
                    found.extend((n, (*path, None)) for n, _ in pattern_names(parsed, value, ()))
                else:
                    found.extend(pattern_names(parsed, value, (*path, key_text)))
            elif child.type == "object_assignment_pattern":
                left = child.child_by_field_name("left")
                if left is not None:
                    # `{ a = default }`: the value depends on whether `a` is present: unknowable in general.
                    found.extend((n, (*path, None)) for n, _ in pattern_names(parsed, left, ()))
            elif child.type == "rest_pattern":
                found.extend((n, (*path, None)) for n, _ in pattern_names(parsed, child.named_children[0], ()))
    elif kind == "array_pattern":
        for index, child in enumerate(pattern.named_children):
            if child.type in ("assignment_pattern", "rest_pattern"):
                inner = child.named_children[0] if child.named_children else None
                if inner is not None:
                    found.extend((n, (*path, None)) for n, _ in pattern_names(parsed, inner, ()))
            else:
                found.extend(pattern_names(parsed, child, (*path, index)))
    return found


def _root_identifier(node: Node) -> Node | None:
    while node.type in ("member_expression", "subscript_expression", "parenthesized_expression", "non_null_expression"):
        inner = node.child_by_field_name("object") or (node.named_children[0] if node.named_children else None)
        if inner is None:
            return None
        node = inner
    return node if node.type == "identifier" else None


def _collect_mutations(parsed: ParsedFile, info: ModuleInfo) -> None:
    """Names whose value may change after declaration: then they are not constants."""
    watched = {name for name, decl in info.decls.items() if decl.kind != "function"}
    if not watched:
        return
    for target in QueryCursor(_mutations_query(parsed.path.suffix == ".tsx")).captures(parsed.root).get("target", []):
        root = _root_identifier(target)
        if root is not None:
            name = parsed.text(root)
            if name in watched:
                info.mutated.add(name)


_MUTATIONS = f"""
(assignment_expression left: (_) @target)
(augmented_assignment_expression left: (_) @target)
(update_expression argument: (_) @target)
(call_expression
  function: (member_expression object: (_) @target property: (property_identifier) @method
                               (#any-of? @method {" ".join(f'"{m}"' for m in sorted(_MUTATING_METHODS))})))
(call_expression
  function: (member_expression object: (identifier) @object (#eq? @object "Object")
                               property: (property_identifier) @method
                               (#any-of? @method "assign" "defineProperty" "defineProperties"))
  arguments: (arguments . (_) @target))
"""


@cache
def _mutations_query(tsx: bool) -> Query:
    import tree_sitter_typescript

    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Query(Language(grammar), _MUTATIONS)
