"""Hover on a config variable (type, page, default, description, the local instance's value) or a flow."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from cnikit.analysis.checks.flows import js_number
from cnikit.model import (
    ConfigVar,
    Flow,
    JsArray,
    JsBoolean,
    JsNull,
    JsNumber,
    JsObject,
    JsString,
    JsValue,
    ProjectModel,
)
from server.navigation import config_var_named, flow_named, is_scheduled, model_at, target_at

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)

# (project root, config variable name) → the local instance's value as display text, None when unset.
LocalValue = Callable[[Path, str], str | None]


def js_text(value: JsValue | None) -> str | None:
    """A short display of a statically known value; None when it is not known."""
    if isinstance(value, JsString):
        return json.dumps(value.value)
    if isinstance(value, JsNumber):
        return js_number(value.value)
    if isinstance(value, JsBoolean):
        return "true" if value.value else "false"
    if isinstance(value, JsNull):
        return "null"
    if isinstance(value, JsArray):
        return f"[{len(value.items)} items]" if value.complete else "[…]"
    if isinstance(value, JsObject):
        return "{…}"
    return None


def config_var_markdown(var: ConfigVar, local_value: str | None) -> str:
    """The hover text of a config variable."""
    lines = [f"**{var.name}** — config variable"]
    facts: list[str] = []
    if var.data_type:
        facts.append(f"type `{var.data_type}`")
    if var.page is not None:
        position = f" (page {var.page_index + 1})" if var.page_index is not None else ""
        facts.append(f"page “{var.page}”{position}" + (", user level" if var.user_level else ""))
    elif var.scoped:
        facts.append("scoped config variable")
    if var.stable_key:
        facts.append(f"stable key `{var.stable_key}`")
    if facts:
        lines.append(" · ".join(facts))
    obj = var.obj
    if obj is not None:
        default = js_text(obj.get("defaultValue")) if "defaultValue" in obj.props else None
        if default is not None:
            lines.append(f"Default: `{default}`")
        description = obj.str_value("description")
        if description:
            lines.append(description)
    if local_value is not None:
        lines.append(f"Local instance value: `{local_value}`")
    else:
        lines.append("Local instance value: not set")
    return "\n\n".join(lines)


def flow_markdown(flow: Flow) -> str:
    """The hover text of a flow."""
    lines = [f"**{flow.name}** — flow"]
    facts: list[str] = []
    if flow.stable_key:
        facts.append(f"stable key `{flow.stable_key}`")
    synchronous = flow.obj.get("isSynchronous")
    if isinstance(synchronous, JsBoolean) and synchronous.value:
        facts.append("synchronous")
    if is_scheduled(flow):
        facts.append("scheduled")
    if facts:
        lines.append(" · ".join(facts))
    description = flow.obj.str_value("description")
    if description:
        lines.append(description)
    return "\n\n".join(lines)


def hover_impl(
    model: ProjectModel, path: Path, point: tuple[int, int], local_value: LocalValue | None = None
) -> types.Hover | None:
    """The hover for the config variable or flow under the cursor; None elsewhere or when it is unknown."""
    target = target_at(model, path, point)
    if target is None:
        return None
    if target.kind == "configVar":
        var = config_var_named(model, target.name)
        if var is None:
            return None
        value = None
        if local_value is not None:
            try:
                value = local_value(model.root, var.name)
            except Exception:  # the local instance is a nicety here; a broken one must not break hover
                log.exception("reading the local instance of %s failed", model.root)
        text = config_var_markdown(var, value)
    else:
        flow = flow_named(model, target.name)
        if flow is None:
            return None
        text = flow_markdown(flow)
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def local_instance_value(root: Path, name: str) -> str | None:
    """The value the local emulator instance holds for a config variable; secret connection fields are masked."""
    from cnikit.project import local_dir
    from emulator.instance import INSTANCE_FILE, load_instance

    if not (local_dir(root) / INSTANCE_FILE).exists():
        return None  # never ran locally: nothing to show, and nothing to create
    instance = load_instance(root)
    connection = instance.connections.get(name)
    if connection is not None:
        shown = {key: value for key, value in connection.fields.items() if key not in connection.secretFields}
        shown.update({key: "••••" for key in connection.secretFields})
        return json.dumps(shown, ensure_ascii=False)
    if name in instance.configVars:
        return json.dumps(instance.configVars[name], ensure_ascii=False)
    return None


def register(ls: CnikitLanguageServer) -> None:
    """The hover handler."""

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: CnikitLanguageServer, params: types.HoverParams) -> types.Hover | None:
        found = model_at(ls, params.text_document.uri)
        if found is None:
            return None
        model, path = found
        point = ls.locator().point(path, params.position)
        result = hover_impl(model, path, point, local_instance_value)
        if result is not None:
            # The range of the word hovered, so the client highlights the name.
            target = target_at(model, path, point)
            if target is not None:
                result.range = ls.locator().range(target.span)
        return result
