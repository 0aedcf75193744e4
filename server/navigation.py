"""Go to definition and find references for config variables and flows.

A config variable is defined by its key on a config page (or in `scopedConfigVars`) and referenced as
`configVars["X"]`, `configVars.X`, `{ configVar: "X" }` …; a flow is defined by its `name` and referenced by
`invokeFlow("X")`. `target_at` finds which of them sits under the cursor; hover uses it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lsprotocol import types

from cnikit.analysis.checks.flows import has_schedule
from cnikit.model import ConfigVar, Flow, ProjectModel, Span
from server.positions import Locator, contains, path_of

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer


@dataclass(frozen=True)
class Target:
    """A config variable or a flow, by name; `span` is what the cursor is on."""

    kind: Literal["configVar", "flow"]
    name: str
    span: Span


def target_at(model: ProjectModel, path: Path, point: tuple[int, int]) -> Target | None:
    """The config variable or flow under `point` (line, character) of `path`: a reference or a definition."""
    for ref in model.config_var_refs:
        if contains(ref.span, path, point):
            return Target("configVar", ref.name, ref.span)
    for invocation in model.flow_invocations:
        if contains(invocation.span, path, point):
            return Target("flow", invocation.name, invocation.span)
    integration = model.integration
    if integration is None:
        return None
    for var in integration.all_config_vars():
        if var.name_span and contains(var.name_span, path, point):
            return Target("configVar", var.name, var.name_span)
    for flow in integration.flows:
        if flow.name is not None and flow.name_span and contains(flow.name_span, path, point):
            return Target("flow", flow.name, flow.name_span)
    return None


def config_var_named(model: ProjectModel, name: str) -> ConfigVar | None:
    """The config variable with this key, if the analyser found one."""
    integration = model.integration
    if integration is None:
        return None
    return next((var for var in integration.all_config_vars() if var.name == name), None)


def flow_named(model: ProjectModel, name: str) -> Flow | None:
    """The flow with this name, if the analyser found one."""
    return model.integration.flow_named(name) if model.integration else None


def is_scheduled(flow: Flow) -> bool:
    """Whether the flow has a schedule, as spectral decides (an object); a `schedule` the analyser cannot resolve
    counts, one known to be `undefined` or a string does not."""
    return "schedule" in flow.obj.props and has_schedule(flow) is not False


def declaration_span(model: ProjectModel, target: Target) -> Span | None:
    """Where the target is defined: the config variable's key, the flow's name."""
    if target.kind == "configVar":
        var = config_var_named(model, target.name)
        return var.name_span if var else None
    flow = flow_named(model, target.name)
    return (flow.name_span or flow.span) if flow else None


def reference_spans(model: ProjectModel, target: Target) -> list[Span]:
    """Every use of the target in code."""
    if target.kind == "configVar":
        return [ref.span for ref in model.config_var_refs if ref.name == target.name]
    return [invocation.span for invocation in model.flow_invocations if invocation.name == target.name]


def definition_impl(
    model: ProjectModel, path: Path, point: tuple[int, int], locator: Locator
) -> list[types.Location] | None:
    """The definition of the config variable or flow under the cursor."""
    target = target_at(model, path, point)
    span = declaration_span(model, target) if target else None
    return [locator.location(span)] if span else None


def references_impl(
    model: ProjectModel, path: Path, point: tuple[int, int], locator: Locator, *, include_declaration: bool
) -> list[types.Location] | None:
    """Every reference to the config variable or flow under the cursor (and its definition when asked)."""
    target = target_at(model, path, point)
    if target is None:
        return None
    spans = reference_spans(model, target)
    declaration = declaration_span(model, target)
    if include_declaration and declaration is not None:
        spans = [declaration, *spans]
    return [locator.location(span) for span in spans]


def model_at(ls: CnikitLanguageServer, uri: str, *, tolerant: bool = False) -> tuple[ProjectModel, Path] | None:
    """The analysed model of the project owning `uri`, and the file's path (None outside any project).

    `tolerant`: when the current code hides the integration (half-typed), answer from the last model that had it.
    """
    path = path_of(uri)
    state = ls.projects.owner(path) if path is not None else None
    if state is None or path is None:
        return None
    if state.model is None or (state.pending is not None and not state.pending.done()):
        # Answer from the buffer as it is now, not from before the last keystrokes.
        from server.diagnostics import analyze_now

        analyze_now(ls, state)
    model = state.model
    if tolerant and (model is None or model.integration is None):
        model = state.good_model
    return (model, path) if model is not None else None


def register(ls: CnikitLanguageServer) -> None:
    """Definition and references handlers."""

    @ls.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: CnikitLanguageServer, params: types.DefinitionParams) -> list[types.Location] | None:
        found = model_at(ls, params.text_document.uri)
        if found is None:
            return None
        model, path = found
        locator = ls.locator()
        return definition_impl(model, path, locator.point(path, params.position), locator)

    @ls.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: CnikitLanguageServer, params: types.ReferenceParams) -> list[types.Location] | None:
        found = model_at(ls, params.text_document.uri)
        if found is None:
            return None
        model, path = found
        locator = ls.locator()
        point = locator.point(path, params.position)
        return references_impl(model, path, point, locator, include_declaration=params.context.include_declaration)
