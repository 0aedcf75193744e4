"""Completion of config variable names (`configVars["…"]`, `configVars.…`, `configVar: "…"`) and of flow names
(`invokeFlow("…")`).

The context is read from the text of the line before the cursor, so it works while the code does not parse.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from lsprotocol import types

from cnikit.model import ProjectModel
from server.navigation import model_at

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer

TRIGGER_CHARACTERS = ['"', "'", "`", ".", "["]
IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")
QUOTED_CONFIG_VAR = re.compile(r"""(?:configVars\s*(?:\?\.)?\[|\bconfigVar\s*:)\s*(["'`])([^"'`\\]*)$""")
MEMBER_CONFIG_VAR = re.compile(r"""configVars\s*(\?\.|\.)\s*([A-Za-z_$][\w$]*)?$""")
QUOTED_FLOW = re.compile(r"""\binvokeFlow\s*\(\s*(["'`])([^"'`\\]*)$""")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def completion_impl(model: ProjectModel, before: str, position: types.Position) -> types.CompletionList | None:
    """Completion items for the text `before` the cursor on its line; `position` is the cursor (UTF-16)."""
    integration = model.integration
    if integration is None:
        return None

    def replace(start_offset: int, new_text: str) -> types.TextEdit:
        start = types.Position(line=position.line, character=position.character - _utf16_len(before[start_offset:]))
        return types.TextEdit(range=types.Range(start=start, end=position), new_text=new_text)

    if match := QUOTED_CONFIG_VAR.search(before):
        start = match.start(2)
        items = [
            types.CompletionItem(
                label=var.name,
                kind=types.CompletionItemKind.Variable,
                detail=_config_var_detail(var.data_type, var.page),
                documentation=var.obj.str_value("description") if var.obj else None,
                text_edit=replace(start, var.name),
            )
            for var in integration.all_config_vars()
        ]
        return types.CompletionList(is_incomplete=not integration.config_vars_complete, items=items)

    if match := MEMBER_CONFIG_VAR.search(before):
        dot_start = match.start(1)
        items = []
        for var in integration.all_config_vars():
            if IDENTIFIER.match(var.name):
                edit = replace(match.start(2) if match.group(2) else match.end(1), var.name)
            else:  # `configVars.My Var` is not JavaScript: switch to the index form
                accessor = "?.[" if match.group(1) == "?." else "["
                edit = replace(dot_start, f"{accessor}{json.dumps(var.name, ensure_ascii=False)}]")
            items.append(
                types.CompletionItem(
                    label=var.name,
                    kind=types.CompletionItemKind.Variable,
                    detail=_config_var_detail(var.data_type, var.page),
                    filter_text=var.name,
                    text_edit=edit,
                )
            )
        return types.CompletionList(is_incomplete=not integration.config_vars_complete, items=items)

    if match := QUOTED_FLOW.search(before):
        start = match.start(2)
        items = [
            types.CompletionItem(
                label=flow.name,
                kind=types.CompletionItemKind.Function,
                detail=f"flow · {flow.stable_key}" if flow.stable_key else "flow",
                documentation=flow.obj.str_value("description"),
                text_edit=replace(start, flow.name),
            )
            for flow in integration.flows
            if flow.name is not None
        ]
        return types.CompletionList(is_incomplete=not integration.flows_complete, items=items)
    return None


def _config_var_detail(data_type: str | None, page: str | None) -> str:
    parts = [data_type or "config variable"]
    if page:
        parts.append(f"page “{page}”")
    return " · ".join(parts)


def register(ls: CnikitLanguageServer) -> None:
    """The completion handler."""

    @ls.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS))
    def completion(ls: CnikitLanguageServer, params: types.CompletionParams) -> types.CompletionList | None:
        found = model_at(ls, params.text_document.uri, tolerant=True)
        if found is None:
            return None
        model, path = found
        lines = ls.lines_of(path)
        if params.position.line >= len(lines):
            return None
        line = lines[params.position.line]
        # The cursor is in client units (UTF-16); slice the line in characters.
        character = ls.locator().point(path, params.position)[1]
        return completion_impl(model, line[:character], params.position)
