"""Document symbols: the integration with its flows, config pages with their variables — those written in this file.

A symbol nests under another when its source lies inside it (flows written inline in `integration({...})`
nest under the integration; flows imported from `flows.ts` appear at the top of that file's outline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from cnikit.model import ConfigVar, ProjectModel, Span
from server.navigation import model_at
from server.positions import Locator

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer


@dataclass
class _Node:
    name: str
    kind: types.SymbolKind
    span: Span
    selection: Span
    detail: str | None = None
    children: list[_Node] = field(default_factory=list)

    def encloses(self, other: _Node) -> bool:
        return (self.span.line, self.span.col) <= (other.span.line, other.span.col) and (
            other.span.end_line,
            other.span.end_col,
        ) <= (self.span.end_line, self.span.end_col)


def _cover(a: Span, b: Span | None) -> Span:
    """The smallest span covering both (b ignored when in another file)."""
    if b is None or b.file != a.file:
        return a
    start = min((a.line, a.col), (b.line, b.col))
    end = max((a.end_line, a.end_col), (b.end_line, b.end_col))
    return Span(file=a.file, line=start[0], col=start[1], end_line=end[0], end_col=end[1])


def _config_var_node(var: ConfigVar, path: Path) -> _Node | None:
    anchor = var.name_span if var.name_span and var.name_span.file == path else None
    body = var.span if var.span and var.span.file == path else None
    if anchor is None and body is None:
        return None
    span = _cover(body, anchor) if body else anchor
    assert span is not None
    kind = types.SymbolKind.Interface if var.is_connection else types.SymbolKind.Variable
    return _Node(var.name, kind, span, anchor or span, detail=var.data_type)


def document_symbols_impl(model: ProjectModel, path: Path, locator: Locator) -> list[types.DocumentSymbol]:
    """The outline of one file of the project."""
    integration = model.integration
    if integration is None:
        return []
    nodes: list[_Node] = []
    if integration.span and integration.span.file == path:
        name_span = integration.obj.key_span("name")
        selection = name_span if name_span and name_span.file == path else integration.span
        nodes.append(
            _Node(
                integration.name or "integration", types.SymbolKind.Module, integration.span, selection, "integration"
            )
        )
    for flow in integration.flows:
        if flow.span and flow.span.file == path:
            selection = flow.name_span if flow.name_span and flow.name_span.file == path else flow.span
            nodes.append(_Node(flow.name or "flow", types.SymbolKind.Function, flow.span, selection, flow.stable_key))
    pages = [*integration.config_pages, *integration.user_level_config_pages]
    for page in pages:
        anchor = page.title_span if page.title_span and page.title_span.file == path else None
        body = page.span if page.span and page.span.file == path else None
        if anchor or body:
            span = _cover(body, anchor) if body else anchor
            assert span is not None
            detail = "user-level config page" if page.user_level else "config page"
            nodes.append(_Node(page.title, types.SymbolKind.Namespace, span, anchor or span, detail))
    for var in integration.all_config_vars():
        node = _config_var_node(var, path)
        if node is not None:
            nodes.append(node)
    return [_to_symbol(node, locator) for node in _nest(nodes)]


def _nest(nodes: list[_Node]) -> list[_Node]:
    """Put each node under the smallest node enclosing it; return the roots in source order."""
    ordered = sorted(nodes, key=lambda n: ((n.span.line, n.span.col), (-n.span.end_line, -n.span.end_col)))
    roots: list[_Node] = []
    stack: list[_Node] = []
    for node in ordered:
        while stack and not stack[-1].encloses(node):
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _to_symbol(node: _Node, locator: Locator) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=node.name,
        kind=node.kind,
        range=locator.range(node.span),
        selection_range=locator.range(node.selection),
        detail=node.detail,
        children=[_to_symbol(child, locator) for child in node.children],
    )


def register(ls: CnikitLanguageServer) -> None:
    """The document symbol handler."""

    @ls.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: CnikitLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | None:
        found = model_at(ls, params.text_document.uri)
        if found is None:
            return None
        model, path = found
        return document_symbols_impl(model, path, ls.locator())
