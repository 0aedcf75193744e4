"""Checks on references from code: `context.configVars["X"]` (and `{ configVar: "X" }`) and
`context.invokeFlow("X")` must name something that exists."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import known_config_vars, known_flows, rename_fix, suggest
from cnikit.diagnostics import Diagnostic, Severity

IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _listing(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names) or "none"


@check("CNI701", Severity.ERROR, "reference to an unknown config variable")
def unknown_config_var(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch code that reads a config variable the integration does not define: at run time it is undefined."""
    variables = known_config_vars(ctx.project)
    if variables is None:
        return
    names = sorted({var.name for var in variables})
    for ref in ctx.project.config_var_refs:
        if ref.name in names:
            continue
        close = suggest(ref.name, names)
        # `configVars.X` and `{ X }` can only take an identifier; a name with spaces needs another form.
        fixable = close is not None and (ref.form not in ("member", "destructure") or IDENTIFIER.match(close))
        yield ctx.report(
            ref.span,
            f'No config variable is named "{ref.name}"'
            + (f'; did you mean "{close}"?' if close else f"; defined: {_listing(names)}."),
            fix=rename_fix(ref.span, close) if fixable and close else None,
        )


@check("CNI702", Severity.ERROR, "invokeFlow of an unknown flow")
def unknown_flow(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch invokeFlow of a flow name this integration lacks: at run time there is no webhook URL to post to."""
    flows = known_flows(ctx.project)
    if flows is None or any(flow.name is None for flow in flows):
        return
    names = sorted(flow.name for flow in flows if flow.name is not None)
    for call in ctx.project.flow_invocations:
        if call.name in names:
            continue
        close = suggest(call.name, names)
        yield ctx.report(
            call.span,
            f'invokeFlow("{call.name}") names no flow of this integration'
            + (f'; did you mean "{close}"?' if close else f"; its flows are {_listing(names)}."),
            fix=rename_fix(call.span, close) if close else None,
        )
