"""Static evaluation of TypeScript expressions into `JsValue`s, across files.

The resolver follows identifiers to their top-level declarations, imports to the files they name (relative
imports only: packages are not read), and evaluates literals, spreads, string constants, plain template literals
and the calls of spectral's helpers. Whatever it cannot know becomes `JsUnknown` (or an incomplete object/array):
it never guesses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tree_sitter import Node

from cnikit.analysis.construct import construct
from cnikit.analysis.module import Declaration, ModuleInfo, pattern_names, string_value, unescape
from cnikit.analysis.parser import ParsedFile
from cnikit.model import (
    JsArray,
    JsBoolean,
    JsCall,
    JsEnv,
    JsFunction,
    JsMember,
    JsNull,
    JsNumber,
    JsObject,
    JsProperty,
    JsString,
    JsUndefined,
    JsUnknown,
    JsValue,
    Span,
)

SPECTRAL = "@prismatic-io/spectral"

# spectral's identity helpers: `helper(x)` returns x (typing only), so their argument is what the platform sees.
IDENTITY_HELPERS = frozenset(
    {
        "integration",
        "flow",
        "configPage",
        "configVar",
        "connectionConfigVar",
        "dataSourceConfigVar",
        "componentManifest",
        "componentManifests",
        "batchFlowTrigger",
    }
)
# spectral's lookup of a registry key by manifest key and visibility, in generated manifest wrappers.
FIND_COMPONENT_KEY = "findUserDefinedComponentKey"
# Helpers that build a value from their argument.
BUILDING_HELPERS = frozenset({"customerActivatedConnection", "organizationActivatedConnection"})

# Wrappers around `(x) => x`: the value passes through unchanged.
_TRANSPARENT = ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression")
# Calls of the project's own functions are expanded this deep at most (recursion, pathological nesting).
_MAX_EXPANSION_DEPTH = 16
# Expressions are evaluated this many levels deep at most: evaluation recurses per level, and Python's stack is
# finite (each level costs up to ~5 frames of the default 1,000). Real integrations stay far below.
MAX_VALUE_DEPTH = 100


def is_spectral(source: str | None) -> bool:
    """True when a module specifier names spectral or one of its subpaths."""
    return source is not None and (source == SPECTRAL or source.startswith(SPECTRAL + "/"))


def is_helper_call(value: JsValue | None, *names: str) -> bool:
    """True when `value` is a call of one of spectral's helpers `names`."""
    return isinstance(value, JsCall) and value.callee in names and is_spectral(value.source)


class Sources(Protocol):
    """What the resolver needs from the analyser: parsed files, their content hashes, import resolution."""

    def module(self, path: Path) -> tuple[ParsedFile, ModuleInfo] | None:
        """The parsed file and its symbols, or None when it does not exist or was skipped."""
        ...

    def digest(self, path: Path) -> bytes | None:
        """The content hash of the file as read in this analysis (None when missing)."""
        ...

    def resolve(self, importer: Path, specifier: str) -> Path | None:
        """The file a relative `specifier` imported from `importer` names, or None."""
        ...


@dataclass
class CachedValue:
    """A declaration's value, and the content hashes of every file its evaluation read."""

    value: JsValue
    deps: dict[Path, bytes | None]


# --- where a name comes from -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Decl:
    path: Path
    decl: Declaration


@dataclass(frozen=True)
class _Expr:
    path: Path
    node: Node


@dataclass(frozen=True)
class _Package:
    source: str
    imported: str  # "default", "*" or a name
    local: str


@dataclass(frozen=True)
class _Namespace:
    path: Path


@dataclass(frozen=True)
class _Unresolved:
    reason: str


_Origin = _Decl | _Expr | _Package | _Namespace | _Unresolved


def _unknown(reason: str, span: Span | None = None) -> JsUnknown:
    return construct(JsUnknown, span=span, reason=reason)


class Resolver:
    """Evaluates expressions of one project for one analysis (declaration values are memoised per analysis, and
    reused across analyses through `cache` while the files they were computed from are unchanged)."""

    def __init__(self, sources: Sources, cache: dict[tuple[Path, str], CachedValue] | None = None) -> None:
        """`cache` persists declaration values across analyses; an entry is reused while none of the files its
        evaluation read has changed."""
        self.sources = sources
        self._cache = cache if cache is not None else {}
        self._values: dict[tuple[Path, str], tuple[JsValue, set[Path]]] = {}
        self._active: set[tuple[Path, str]] = set()
        self._reads: list[set[Path]] = []  # files read by each declaration being evaluated (innermost last)
        # Parameter bindings of the function bodies being expanded; None while evaluating at module level.
        self._env: list[dict[str, JsValue] | None] = []
        self._depth = 0  # expressions being evaluated, outermost first
        self.cut_offs: list[Span] = []
        """Where evaluation stopped at `MAX_VALUE_DEPTH` in this analysis (what lies deeper is `JsUnknown`)."""

    def _module(self, path: Path) -> tuple[ParsedFile, ModuleInfo] | None:
        if self._reads:
            self._reads[-1].add(path)
        return self.sources.module(path)

    def _record(self, deps: set[Path]) -> None:
        if self._reads:
            self._reads[-1].update(deps)

    # --- names and exports ---------------------------------------------------------------------------------

    def _origin_of_name(self, path: Path, name: str) -> _Origin:
        loaded = self._module(path)
        if loaded is None:
            return _Unresolved(f"{path.name} could not be read")
        _, info = loaded
        decl = info.decls.get(name)
        if decl is not None:
            return _Decl(path, decl)
        binding = info.imports.get(name)
        if binding is None:
            return _Unresolved(f"`{name}` is not defined at the top level of {path.name}")
        if not binding.source.startswith("."):
            return _Package(binding.source, binding.imported, name)
        target = self.sources.resolve(path, binding.source)
        if target is None:
            return _Unresolved(f'"{binding.source}" (imported by {path.name}) is not a TypeScript file of the project')
        if binding.imported == "*":
            return _Namespace(target)
        return self._origin_of_export(target, binding.imported, set())

    def _origin_of_export(self, path: Path, name: str, seen: set[tuple[Path, str]]) -> _Origin:
        if (path, name) in seen:
            return _Unresolved(f"circular re-export of `{name}` in {path.name}")
        seen.add((path, name))
        loaded = self._module(path)
        if loaded is None:
            return _Unresolved(f"{path.name} could not be read")
        _, info = loaded
        binding = info.exports.get(name)
        if binding is not None:
            if binding.node is not None:
                return _Expr(path, binding.node)
            if binding.local is not None:
                return self._origin_of_name(path, binding.local)
            if binding.source is not None and binding.imported is not None:
                if not binding.source.startswith("."):
                    return _Package(binding.source, binding.imported, name)
                target = self.sources.resolve(path, binding.source)
                if target is None:
                    return _Unresolved(
                        f'"{binding.source}" (re-exported by {path.name}) is not a TypeScript file of the project'
                    )
                if binding.imported == "*":
                    return _Namespace(target)
                return self._origin_of_export(target, binding.imported, seen)
        if name != "default":
            for source, _node in info.star_exports:
                if not source.startswith("."):
                    return _Unresolved(f'`{name}` may come from `export * from "{source}"` (a package)')
                target = self.sources.resolve(path, source)
                if target is None:
                    continue
                origin = self._origin_of_export(target, name, seen)
                if not isinstance(origin, _Unresolved):
                    return origin
        return _Unresolved(f"{path.name} has no export `{name}`")

    def export_names(self, path: Path, seen: set[Path] | None = None) -> list[str] | None:
        """Every name a file exports (through `export *` too); None when some come from a package."""
        seen = seen if seen is not None else set()
        if path in seen:
            return []
        seen.add(path)
        loaded = self._module(path)
        if loaded is None:
            return None
        _, info = loaded
        names = dict.fromkeys(info.exports)
        for source, _node in info.star_exports:
            target = self.sources.resolve(path, source) if source.startswith(".") else None
            if target is None:
                return None
            inner = self.export_names(target, seen)
            if inner is None:
                return None
            names.update(dict.fromkeys(name for name in inner if name != "default"))
        return list(names)

    def export_value(self, path: Path, name: str) -> JsValue:
        """The value of the export `name` of the file at `path`."""
        return self._origin_value(self._origin_of_export(path, name, set()), None)

    def _origin_value(self, origin: _Origin, span: Span | None) -> JsValue:
        if isinstance(origin, _Decl):
            return self._decl_value(origin.path, origin.decl)
        if isinstance(origin, _Expr):
            loaded = self._module(origin.path)
            if loaded is None:
                return _unknown(f"{origin.path.name} could not be read", span)
            self._env.append(None)
            try:
                return self.evaluate(loaded[0], loaded[1], origin.node)
            finally:
                self._env.pop()
        if isinstance(origin, _Package):
            path = origin.local if origin.imported in ("default", "*") else origin.imported
            return construct(JsMember, span=span, path=path, source=origin.source)
        if isinstance(origin, _Namespace):
            return self._namespace_value(origin.path, span)
        return _unknown(origin.reason, span)

    def _namespace_value(self, path: Path, span: Span | None) -> JsValue:
        names = self.export_names(path)
        if names is None:
            return construct(JsObject, span=span, props={}, complete=False)
        props: dict[str, JsProperty] = {}
        complete = True
        # A module namespace object lists its exports in sorted order.
        for name in sorted(names):
            value = self.export_value(path, name)
            if isinstance(value, JsUnknown):
                complete = False
            props[name] = construct(JsProperty, key=name, key_span=None, value=value)
        return construct(JsObject, span=span, props=props, complete=complete)

    def _decl_value(self, path: Path, decl: Declaration) -> JsValue:
        key = (path, decl.name)
        memo = self._values.get(key)
        if memo is not None:
            self._record(memo[1])
            return memo[0]
        if key in self._active:
            self._record({path})
            return _unknown(f"`{decl.name}` refers to itself")
        cached = self._cache.get(key)
        if cached is not None and all(self.sources.digest(dep) == digest for dep, digest in cached.deps.items()):
            self._values[key] = (cached.value, set(cached.deps))
            self._record(set(cached.deps))
            return cached.value
        self._reads.append({path})
        self._active.add(key)
        cut_offs = len(self.cut_offs)
        self._env.append(None)  # a declaration sees module scope only, never a caller's parameters
        try:
            loaded = self._module(path)
            value = (
                self._compute_decl(loaded[0], loaded[1], decl)
                if loaded is not None
                else _unknown(f"{path.name} could not be read")
            )
        finally:
            self._env.pop()
            self._active.discard(key)
            deps = self._reads.pop()
        self._values[key] = (value, deps)
        if len(self.cut_offs) == cut_offs:  # a cut-off value is recomputed next time, so its cut-off is reported again
            self._cache[key] = CachedValue(value, {dep: self.sources.digest(dep) for dep in deps})
        self._record(deps)
        return value

    def _compute_decl(self, parsed: ParsedFile, info: ModuleInfo, decl: Declaration) -> JsValue:
        span = parsed.span(decl.node)
        if decl.kind == "class":
            return _unknown(f"`{decl.name}` is a class", span)
        if decl.kind == "function" and decl.value is not None:
            return self._function(parsed, decl.value)
        if decl.kind == "enum" and decl.value is not None:
            return self._enum(parsed, info, decl.value)
        if decl.value is None:
            return _unknown(f"`{decl.name}` has no initial value", span)
        value = self.evaluate(parsed, info, decl.value)
        for step in decl.path:
            if step is None:
                return _unknown(f"`{decl.name}` comes from a default, rest or computed pattern", span)
            value = self._property(value, step, span)
        if decl.name in info.mutated:
            if isinstance(value, JsObject | JsArray):
                return value.model_copy(update={"complete": False})
            return _unknown(f"`{decl.name}` is reassigned or mutated", span)
        return value

    # --- expressions ---------------------------------------------------------------------------------------

    def evaluate(self, parsed: ParsedFile, info: ModuleInfo, node: Node) -> JsValue:
        """The static value of the expression `node` of `parsed` (unknown below `MAX_VALUE_DEPTH` levels)."""
        if self._depth >= MAX_VALUE_DEPTH:
            span = parsed.span(node)
            self.cut_offs.append(span)
            return _unknown(f"nested more than {MAX_VALUE_DEPTH} levels deep; not followed", span)
        self._depth += 1
        try:
            return self._evaluate(parsed, info, node)
        finally:
            self._depth -= 1

    def _evaluate(self, parsed: ParsedFile, info: ModuleInfo, node: Node) -> JsValue:
        kind = node.type
        while kind in _TRANSPARENT or kind == "type_assertion":
            inner = node.child_by_field_name("expression") if kind != "parenthesized_expression" else None
            if inner is None:
                named = [c for c in node.named_children if c.type not in ("type_arguments", "comment")]
                inner = named[0] if named else None
            if inner is None:
                break
            node = inner
            kind = node.type
        span = parsed.span(node)
        construct = _CONSTRUCTORS.get(kind)
        if construct is not None:
            return construct(self, parsed, info, node, span)
        return _unknown(f"`{_short(parsed.text(node))}` cannot be evaluated statically", span)

    def _string(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        value = string_value(parsed, node)
        if value is not None:
            return construct(JsString, span=span, value=value)
        return _unknown("string with an unknown escape", span)

    def _template(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        parts: list[str] = []
        for child in node.named_children:
            if child.type == "template_substitution":
                inner = child.named_children[0] if child.named_children else None
                value = self.evaluate(parsed, info, inner) if inner is not None else None
                text = _as_text(value)
                if text is None:
                    return _unknown("template literal with a substitution that is not a known constant", span)
                parts.append(text)
            elif child.type == "string_fragment":
                parts.append(parsed.text(child))
            elif child.type == "escape_sequence":
                parts.append(unescape(parsed.text(child)))
        return construct(JsString, span=span, value="".join(parts))

    def _number(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        number = _parse_number(parsed.text(node))
        if number is None:
            return _unknown(f"number `{parsed.text(node)}`", span)
        return construct(JsNumber, span=span, value=number)

    def _true(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        return construct(JsBoolean, span=span, value=True)

    def _false(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        return construct(JsBoolean, span=span, value=False)

    def _null(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        return construct(JsNull, span=span)

    def _undefined(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        return construct(JsUndefined, span=span)

    def _identifier(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        name = parsed.text(node)
        frame = self._env[-1] if self._env else None
        if frame is not None and name in frame:
            return frame[name]
        if name not in info.decls and name not in info.imports:
            if name == "undefined":
                return construct(JsUndefined, span=span)
            if name in ("NaN", "Infinity"):
                return construct(JsNumber, span=span, value=math.nan if name == "NaN" else math.inf)
        return self._origin_value(self._origin_of_name(parsed.path, name), span)

    def _function(self, parsed: ParsedFile, node: Node, span: Span | None = None) -> JsValue:
        name_node = node.child_by_field_name("name")
        params_node = node.child_by_field_name("parameters")
        params: list[str] = []
        if params_node is not None:
            for param in params_node.named_children:
                pattern = param.child_by_field_name("pattern") or param
                params.append(parsed.text(pattern))
        else:
            single = node.child_by_field_name("parameter")
            if single is not None:
                params.append(parsed.text(single))
        is_async = any(child.type == "async" for child in node.children)
        return construct(
            JsFunction,
            span=span or parsed.span(node),
            name=parsed.text(name_node) if name_node is not None else None,
            params=params,
            is_async=is_async,
        )

    def _function_value(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        return self._function(parsed, node, span)

    def _enum(self, parsed: ParsedFile, info: ModuleInfo, node: Node) -> JsValue:
        props: dict[str, JsProperty] = {}
        complete = True
        body = node.child_by_field_name("body")
        counter: float | None = 0.0
        for member in body.named_children if body is not None else []:
            if member.type == "enum_assignment":
                name_node = member.child_by_field_name("name")
                value_node = member.child_by_field_name("value")
                if name_node is None or value_node is None:
                    complete = False
                    continue
                value = self.evaluate(parsed, info, value_node)
                counter = value.value + 1 if isinstance(value, JsNumber) else None
            elif member.type in ("property_identifier", "string"):
                name_node = member
                if counter is None:
                    complete = False
                    continue
                value = construct(JsNumber, span=parsed.span(member), value=counter)
                counter += 1
            else:
                continue
            key = string_value(parsed, name_node) if name_node.type == "string" else parsed.text(name_node)
            if key is None or isinstance(value, JsUnknown):
                complete = False
                continue
            props[key] = construct(JsProperty, key=key, key_span=parsed.span(name_node), value=value)
        return construct(JsObject, span=parsed.span(node), props=props, complete=complete)

    def _object(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        props: dict[str, JsProperty] = {}
        complete = True
        for child in node.named_children:
            kind = child.type
            if kind == "pair":
                key_node = child.child_by_field_name("key")
                value_node = child.child_by_field_name("value")
                if key_node is None or value_node is None:
                    complete = False
                    continue
                key = self._key(parsed, info, key_node)
                if key is None:
                    complete = False
                    continue
                value = self.evaluate(parsed, info, value_node)
                # A later duplicate key wins but keeps the first one's position (dict assignment does the same).
                props[key] = construct(JsProperty, key=key, key_span=parsed.span(key_node), value=value)
            elif kind == "shorthand_property_identifier":
                key = parsed.text(child)
                value = self._identifier(parsed, info, child, parsed.span(child))
                props[key] = construct(JsProperty, key=key, key_span=parsed.span(child), value=value)
            elif kind == "spread_element":
                inner = child.named_children[0] if child.named_children else None
                spread = self._see_through(self.evaluate(parsed, info, inner)) if inner is not None else None
                if isinstance(spread, JsObject) and spread.complete:
                    props.update(spread.props)
                elif isinstance(spread, JsNull | JsUndefined):
                    pass
                else:
                    # Whatever the spread holds may overwrite the properties written before it.
                    reason = "may be overwritten by a spread that cannot be resolved statically"
                    for key, prop in props.items():
                        props[key] = construct(
                            JsProperty, key=key, key_span=prop.key_span, value=_unknown(reason, prop.value.span)
                        )
                    if isinstance(spread, JsObject):
                        props.update(spread.props)
                    complete = False
            elif kind == "method_definition":
                name_node = child.child_by_field_name("name")
                key = self._key(parsed, info, name_node) if name_node is not None else None
                if key is None or name_node is None:
                    complete = False
                    continue
                accessor = any(c.type in ("get", "set") for c in child.children)
                value = self._getter(parsed, info, child, key) if accessor else self._function(parsed, child)
                props[key] = construct(JsProperty, key=key, key_span=parsed.span(name_node), value=value)
            elif kind == "comment":
                continue
            else:
                complete = False
        return construct(JsObject, span=span, props=_js_key_order(props), complete=complete)

    def _getter(self, parsed: ParsedFile, info: ModuleInfo, node: Node, key: str) -> JsValue:
        """A getter is unknown, except the one spectral's generated manifest wrappers use for `component`:
        `get component() { …; return findUserDefinedComponentKey("acme", true, context.componentRegistry) }` is
        the registry key of the manifest with that key and visibility — kept as that call (literal arguments
        only) for the checks to look up in the registry."""
        span = parsed.span(node)
        body = node.child_by_field_name("body")
        statements = [c for c in body.named_children if c.type != "comment"] if body is not None else []
        last = statements[-1] if statements else None
        call = last.named_children[0] if last is not None and last.type == "return_statement" else None
        function = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
        args_node = call.child_by_field_name("arguments") if call is not None else None
        if function is not None and function.type == "identifier" and args_node is not None:
            origin = self._origin_of_name(parsed.path, parsed.text(function))
            args = [arg for arg in args_node.named_children if arg.type != "comment"][:2]
            if (
                isinstance(origin, _Package)
                and is_spectral(origin.source)
                and origin.imported == FIND_COMPONENT_KEY
                and [arg.type for arg in args] in (["string", "true"], ["string", "false"])
            ):
                values = [self.evaluate(parsed, info, arg) for arg in args]
                return construct(JsCall, span=span, callee=FIND_COMPONENT_KEY, source=origin.source, args=values)
        return _unknown(f"`{key}` is a getter", span)

    def _key(self, parsed: ParsedFile, info: ModuleInfo, node: Node) -> str | None:
        kind = node.type
        if kind in ("property_identifier", "private_property_identifier"):
            return parsed.text(node)
        if kind == "string":
            return string_value(parsed, node)
        if kind == "number":
            number = _parse_number(parsed.text(node))
            return _number_text(number) if number is not None else None
        if kind == "computed_property_name":
            inner = node.named_children[0] if node.named_children else None
            return _as_text(self.evaluate(parsed, info, inner)) if inner is not None else None
        return None

    def _array(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        items: list[JsValue] = []
        complete = True
        for child in node.named_children:
            if child.type == "comment":
                continue
            if child.type == "spread_element":
                inner = child.named_children[0] if child.named_children else None
                spread = self._see_through(self.evaluate(parsed, info, inner)) if inner is not None else None
                if isinstance(spread, JsArray):
                    items.extend(spread.items)
                    complete = complete and spread.complete
                elif isinstance(spread, JsString):
                    items.extend(construct(JsString, span=spread.span, value=c) for c in spread.value)
                else:
                    complete = False
                continue
            items.append(self.evaluate(parsed, info, child))
        return construct(JsArray, span=span, items=items, complete=complete)

    def _member(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        obj_node = node.child_by_field_name("object")
        if node.type == "subscript_expression":
            index_node = node.child_by_field_name("index")
            key: str | int | None = None
            if index_node is not None:
                index = self.evaluate(parsed, info, index_node)
                if isinstance(index, JsString):
                    key = index.value
                elif isinstance(index, JsNumber) and index.is_integer:
                    key = int(index.value)
        else:
            prop_node = node.child_by_field_name("property")
            key = parsed.text(prop_node) if prop_node is not None else None
        if obj_node is None or key is None:
            return _unknown(f"`{_short(parsed.text(node))}` cannot be evaluated statically", span)
        # `process.env.NAME`: known only when the bundle is built.
        if (
            obj_node.type == "member_expression"
            and parsed.text(obj_node) == "process.env"
            and isinstance(key, str)
            and "process" not in info.decls
            and "process" not in info.imports
        ):
            return construct(JsEnv, span=span, name=key)
        # A namespace import: look the export up directly, without evaluating the whole module.
        if obj_node.type == "identifier" and isinstance(key, str):
            origin = self._origin_of_name(parsed.path, parsed.text(obj_node))
            if isinstance(origin, _Namespace):
                return self._origin_value(self._origin_of_export(origin.path, key, set()), span)
        obj = self.evaluate(parsed, info, obj_node)
        return self._property(obj, key, span)

    def _property(self, obj: JsValue, key: str | int, span: Span | None) -> JsValue:
        obj = self._see_through(obj)
        if isinstance(obj, JsObject):
            prop = obj.props.get(str(key))
            if prop is not None:
                return prop.value
            if obj.complete:
                return construct(JsUndefined, span=span)
            return _unknown(f"`{key}` is not among the known properties", span)
        if isinstance(obj, JsArray):
            if isinstance(key, int):
                if obj.complete and 0 <= key < len(obj.items):
                    return obj.items[key]
                if obj.complete:
                    return construct(JsUndefined, span=span)
                # Items before the first unresolved spread keep their index; we do not track where that was.
                return _unknown(f"element {key} of an incompletely known array", span)
            if key == "length" and obj.complete:
                return construct(JsNumber, span=span, value=float(len(obj.items)))
            return _unknown(f"`{key}` of an array", span)
        if isinstance(obj, JsMember):
            return construct(JsMember, span=span, path=f"{obj.path}.{key}", source=obj.source)
        if isinstance(obj, JsString) and key == "length":
            return construct(JsNumber, span=span, value=float(len(obj.value)))
        if isinstance(obj, JsUnknown):
            return _unknown(obj.reason, span)
        return _unknown(f"`{key}` of a {obj.kind}", span)

    def _see_through(self, value: JsValue) -> JsValue:
        """The argument of an identity helper call (`flow({...})` is its object); what a call of one of the
        project's own single-expression functions returns."""
        if isinstance(value, JsCall) and not is_spectral(value.source):
            expanded = self.expand(value)
            if expanded is not None:
                value = expanded
        if isinstance(value, JsCall) and value.callee in IDENTITY_HELPERS and is_spectral(value.source) and value.args:
            return value.args[0]
        return value

    def _call(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        function = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        if function is None or args_node is None or args_node.type != "arguments":
            return _unknown(f"`{_short(parsed.text(node))}` cannot be evaluated statically", span)
        while function.type in _TRANSPARENT:
            inner = function.named_children[0] if function.named_children else None
            if inner is None:
                break
            function = inner
        callee: str | None = None
        source: str | None = None
        origin: _Origin | None = None
        if function.type == "identifier":
            name = parsed.text(function)
            origin = self._origin_of_name(parsed.path, name)
            if isinstance(origin, _Package):
                callee, source = (
                    (origin.local if origin.imported in ("default", "*") else origin.imported),
                    origin.source,
                )
            elif isinstance(origin, _Decl):
                # The name as imported (`import { slackOauth2 as oauth }` calls `slackOauth2`).
                binding = info.imports.get(name)
                imported = binding.imported if binding is not None else name
                callee = imported if imported not in ("default", "*") else name
                source = binding.source if binding is not None else None
            else:
                reason = origin.reason if isinstance(origin, _Unresolved) else f"call of `{name}`"
                return _unknown(reason, span)
        elif function.type == "member_expression":
            text = parsed.text(function)
            if text in ("Object.values", "Object.keys", "Object.entries", "Object.freeze"):
                return self._object_builtin(parsed, info, text, args_node, span)
            obj_node = function.child_by_field_name("object")
            prop_node = function.child_by_field_name("property")
            if obj_node is not None and prop_node is not None and obj_node.type == "identifier":
                owner = self._origin_of_name(parsed.path, parsed.text(obj_node))
                if isinstance(owner, _Package) and owner.imported == "*":
                    callee, source = parsed.text(prop_node), owner.source
                elif isinstance(owner, _Package):
                    callee, source = text, owner.source
                elif isinstance(owner, _Namespace):  # `factories.syncFlow(...)` with `import * as factories`
                    binding = info.imports.get(parsed.text(obj_node))
                    callee, source = parsed.text(prop_node), binding.source if binding is not None else None
            if callee is None:
                return _unknown(f"call of `{_short(text)}`", span)
        else:
            return _unknown(f"`{_short(parsed.text(node))}` cannot be evaluated statically", span)
        args = self._arguments(parsed, info, args_node)
        call = construct(JsCall, span=span, callee=callee, source=source, args=args)
        if is_spectral(source) and callee in BUILDING_HELPERS:
            # customerActivatedConnection({stableKey}) → {stableKey, dataType: "connection"}
            arg = args[0] if args else None
            if isinstance(arg, JsObject):
                props = dict(arg.props)
                props["dataType"] = construct(
                    JsProperty, key="dataType", key_span=None, value=construct(JsString, span=span, value="connection")
                )
                call.args = [construct(JsObject, span=arg.span, props=props, complete=arg.complete)]
        return call

    def _arguments(self, parsed: ParsedFile, info: ModuleInfo, args_node: Node) -> list[JsValue]:
        args: list[JsValue] = []
        for child in args_node.named_children:
            if child.type == "comment":
                continue
            if child.type == "spread_element":
                args.append(_unknown("spread argument", parsed.span(child)))
                continue
            args.append(self.evaluate(parsed, info, child))
        return args

    def _object_builtin(self, parsed: ParsedFile, info: ModuleInfo, name: str, args_node: Node, span: Span) -> JsValue:
        args = self._arguments(parsed, info, args_node)
        target = self._see_through(args[0]) if args else None
        if name == "Object.freeze":
            return target if target is not None else construct(JsUndefined, span=span)
        if not isinstance(target, JsObject):
            return _unknown(f"{name} of a value that is not a known object", span)
        items: list[JsValue]
        if name == "Object.values":
            items = [prop.value for prop in target.props.values()]
        elif name == "Object.keys":
            items = [construct(JsString, span=prop.key_span, value=key) for key, prop in target.props.items()]
        else:
            items = [
                construct(
                    JsArray,
                    span=prop.key_span,
                    items=[construct(JsString, span=prop.key_span, value=key), prop.value],
                    complete=True,
                )
                for key, prop in target.props.items()
            ]
        return construct(JsArray, span=span, items=items, complete=target.complete)

    def expand(self, call: JsCall) -> JsValue | None:
        """What a call of one of the project's own functions returns, when the function is one expression
        (`(name: string) => flow({ name, ... })`, or a body that is a single `return`): that expression evaluated
        with the call's arguments bound to the parameters. None when the callee is not such a function."""
        if call.span is None or len(self._env) >= _MAX_EXPANSION_DEPTH:
            return None
        origin = self._callee_of(call)
        if origin is None or origin.decl.value is None:
            return None
        loaded = self._module(origin.path)
        if loaded is None:
            return None
        parsed, info = loaded
        function = origin.decl.value
        body = _single_expression(function)
        if body is None:
            return None
        frame = self._bind(parsed, info, function, call.args)
        if frame is None:
            return None
        self._env.append(frame)
        try:
            return self.evaluate(parsed, info, body)
        finally:
            self._env.pop()

    def _callee_of(self, call: JsCall) -> _Decl | None:
        """The function declaration a call (found again from its span) calls, when it is one of the project's."""
        assert call.span is not None
        loaded = self._module(call.span.file)
        if loaded is None:
            return None
        parsed, _info = loaded
        start = parsed.point(call.span.line, call.span.col)
        end = parsed.point(call.span.end_line, call.span.end_col)
        node: Node | None = parsed.root.descendant_for_point_range(start, end)
        while node is not None and node.type != "call_expression" and node.start_point == start:
            node = node.parent
        if node is None or node.type != "call_expression" or node.end_point != end:
            return None
        function = node.child_by_field_name("function")
        while function is not None and function.type in _TRANSPARENT and function.named_children:
            function = function.named_children[0]
        origin: _Origin | None = None
        if function is not None and function.type == "identifier":
            origin = self._origin_of_name(parsed.path, parsed.text(function))
        elif function is not None and function.type == "member_expression":
            owner = function.child_by_field_name("object")
            prop = function.child_by_field_name("property")
            if owner is not None and prop is not None and owner.type == "identifier":
                namespace = self._origin_of_name(parsed.path, parsed.text(owner))
                if isinstance(namespace, _Namespace):
                    origin = self._origin_of_export(namespace.path, parsed.text(prop), set())
        if isinstance(origin, _Decl) and origin.decl.kind in ("const", "let", "var", "function"):
            return origin
        return None

    def _bind(
        self, parsed: ParsedFile, info: ModuleInfo, function: Node, args: list[JsValue]
    ) -> dict[str, JsValue] | None:
        """Parameter name → argument value (a missing one takes its default); None for unsupported forms."""
        frame: dict[str, JsValue] = {}
        single = function.child_by_field_name("parameter")
        if single is not None:
            frame[parsed.text(single)] = args[0] if args else construct(JsUndefined, span=None)
            return frame
        params = function.child_by_field_name("parameters")
        position = 0
        for param in params.named_children if params is not None else []:
            if param.type not in ("required_parameter", "optional_parameter"):
                continue  # comments
            pattern = param.child_by_field_name("pattern")
            if pattern is None or pattern.type == "this":
                continue
            index, position = position, position + 1
            if pattern.type == "rest_pattern":
                inner = pattern.named_children[0] if pattern.named_children else None
                if inner is None or inner.type != "identifier":
                    return None
                frame[parsed.text(inner)] = construct(JsArray, span=None, items=list(args[index:]), complete=True)
                continue
            value: JsValue = args[index] if index < len(args) else construct(JsUndefined, span=None)
            default = param.child_by_field_name("value")
            if isinstance(value, JsUndefined) and default is not None:
                self._env.append(dict(frame))  # a default sees the parameters before it
                try:
                    value = self.evaluate(parsed, info, default)
                finally:
                    self._env.pop()
            if pattern.type == "identifier":
                frame[parsed.text(pattern)] = value
                continue
            for name, path in pattern_names(parsed, pattern, ()):
                if None in path:
                    frame[name] = _unknown(f"`{name}` comes from a default, rest or computed pattern")
                    continue
                bound = value
                for step in path:
                    bound = self._property(bound, step, None)
                frame[name] = bound
        return frame

    def _binary(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        operator = node.child_by_field_name("operator")
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if operator is None or left is None or right is None:
            return _unknown(f"`{_short(parsed.text(node))}` cannot be evaluated statically", span)
        if operator.type in ("&&", "||", "??"):
            return self._logical(parsed, info, operator.type, left, right, node, span)
        if operator.type != "+":
            return _unknown(f"`{_short(parsed.text(node))}` cannot be evaluated statically", span)
        lhs = self.evaluate(parsed, info, left)
        rhs = self.evaluate(parsed, info, right)
        if isinstance(lhs, JsNumber) and isinstance(rhs, JsNumber):
            return construct(JsNumber, span=span, value=lhs.value + rhs.value)
        if isinstance(lhs, JsString) or isinstance(rhs, JsString):
            left_text, right_text = _as_text(lhs), _as_text(rhs)
            if left_text is not None and right_text is not None:
                return construct(JsString, span=span, value=left_text + right_text)
        return _unknown(f"`{_short(parsed.text(node))}` cannot be evaluated statically", span)

    def _logical(
        self, parsed: ParsedFile, info: ModuleInfo, op: str, left: Node, right: Node, node: Node, span: Span
    ) -> JsValue:
        """`a && b`, `a || b`, `a ?? b`: decided when the left side's truthiness (or nullishness) is known."""
        lhs = self.evaluate(parsed, info, left)
        decided: bool | None
        if op == "??":
            if isinstance(lhs, JsNull | JsUndefined):
                decided = True
            elif isinstance(lhs, JsString | JsNumber | JsBoolean | JsObject | JsArray | JsFunction):
                decided = False
            else:
                decided = None
        else:
            truth = _truthy(lhs)
            decided = None if truth is None else (truth if op == "&&" else not truth)
        if decided is None:
            return _unknown(f"`{_short(parsed.text(node))}` depends on a value known only at run time", span)
        return self.evaluate(parsed, info, right) if decided else lhs

    def _ternary(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        """`cond ? a : b`: decided when the condition's truthiness is known (a feature flag constant …)."""
        condition = node.child_by_field_name("condition")
        consequence = node.child_by_field_name("consequence")
        alternative = node.child_by_field_name("alternative")
        if condition is None or consequence is None or alternative is None:
            return _unknown("incomplete conditional expression", span)
        truth = _truthy(self.evaluate(parsed, info, condition))
        if truth is None:
            return _unknown(f"`{_short(parsed.text(node))}` depends on a value known only at run time", span)
        return self.evaluate(parsed, info, consequence if truth else alternative)

    def _unary(self, parsed: ParsedFile, info: ModuleInfo, node: Node, span: Span) -> JsValue:
        operator = node.child_by_field_name("operator")
        argument = node.child_by_field_name("argument")
        if operator is None or argument is None:
            return _unknown("unary expression", span)
        op = operator.type
        if op == "void":
            return construct(JsUndefined, span=span)
        value = self.evaluate(parsed, info, argument)
        if op == "-" and isinstance(value, JsNumber):
            return construct(JsNumber, span=span, value=-value.value)
        if op == "+" and isinstance(value, JsNumber):
            return value.model_copy(update={"span": span})
        if op == "!" and _truthy(value) is not None:
            return construct(JsBoolean, span=span, value=not _truthy(value))
        return _unknown(f"`{_short(parsed.text(node))}` cannot be evaluated statically", span)


_CONSTRUCTORS = {
    "string": Resolver._string,
    "template_string": Resolver._template,
    "number": Resolver._number,
    "true": Resolver._true,
    "false": Resolver._false,
    "null": Resolver._null,
    "undefined": Resolver._undefined,
    "identifier": Resolver._identifier,
    "object": Resolver._object,
    "array": Resolver._array,
    "member_expression": Resolver._member,
    "subscript_expression": Resolver._member,
    "call_expression": Resolver._call,
    "arrow_function": Resolver._function_value,
    "function_expression": Resolver._function_value,
    "function": Resolver._function_value,
    "generator_function": Resolver._function_value,
    "binary_expression": Resolver._binary,
    "ternary_expression": Resolver._ternary,
    "unary_expression": Resolver._unary,
}


def _truthy(value: JsValue) -> bool | None:
    """JavaScript truthiness, when the value makes it certain."""
    if isinstance(value, JsBoolean):
        return value.value
    if isinstance(value, JsString):
        return value.value != ""
    if isinstance(value, JsNumber):
        return not (value.value == 0 or math.isnan(value.value))
    if isinstance(value, JsNull | JsUndefined):
        return False
    if isinstance(value, JsObject | JsArray | JsFunction):
        return True  # objects are truthy whatever they hold
    return None


def _single_expression(function: Node) -> Node | None:
    """The expression a function consists of: an arrow's expression body, or a body that is one `return x`."""
    if function.type not in ("arrow_function", "function_expression", "function_declaration", "function"):
        return None
    body = function.child_by_field_name("body")
    if body is None:
        return None
    if body.type != "statement_block":
        return body
    statements = [child for child in body.named_children if child.type != "comment"]
    if len(statements) == 1 and statements[0].type == "return_statement" and statements[0].named_children:
        return statements[0].named_children[0]
    return None


def _js_key_order(props: dict[str, JsProperty]) -> dict[str, JsProperty]:
    """Properties in JavaScript's own order: integer-like keys first, ascending, then the rest as written."""
    indexes = [key for key in props if key.isdigit() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1]
    if not indexes:
        return props
    ordered = {key: props[key] for key in sorted(indexes, key=int)}
    ordered.update((key, prop) for key, prop in props.items() if key not in ordered)
    return ordered


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_number(text: str) -> float | None:
    text = text.replace("_", "").rstrip("n")
    try:
        lowered = text.lower()
        if lowered.startswith("0x"):
            return float(int(text[2:], 16))
        if lowered.startswith("0o"):
            return float(int(text[2:], 8))
        if lowered.startswith("0b"):
            return float(int(text[2:], 2))
        return float(text)
    except ValueError:
        return None


def _number_text(value: float) -> str:
    """A number as JavaScript prints it (for the common cases: integers, plain decimals)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    value = float(value)
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _as_text(value: JsValue | None) -> str | None:
    """The string JavaScript would produce for `${value}`, when it is certain."""
    if isinstance(value, JsString):
        return value.value
    if isinstance(value, JsNumber):
        return _number_text(value.value)
    if isinstance(value, JsBoolean):
        return "true" if value.value else "false"
    if isinstance(value, JsNull):
        return "null"
    if isinstance(value, JsUndefined):
        return "undefined"
    return None
