"""Code lenses above each `flow({...})`: ▶ Run locally, ▶ Test in Prismatic, + Payload, Executions (n).

Their arguments are filled in here, so the client only forwards them to `workspace/executeCommand`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from cnikit.model import ProjectModel
from server.navigation import model_at
from server.positions import Locator

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)

RUN_LOCALLY = "cnikit.server.runLocally"
TEST_IN_PRISMATIC = "cnikit.server.testIntegration"
CREATE_PAYLOAD = "cnikit.server.createFlowPayload"
EXECUTION_RESULTS = "cnikit.server.executionResults"

# (project root, flow stable key or name) → how many local executions the flow has.
CountExecutions = Callable[[Path, str], int]


def code_lens_impl(
    model: ProjectModel, path: Path, locator: Locator, count_executions: CountExecutions | None = None
) -> list[types.CodeLens]:
    """The lenses of the flows written in `path`."""
    integration = model.integration
    if integration is None:
        return []
    project = str(model.root)
    lenses: list[types.CodeLens] = []
    for flow in integration.flows:
        if flow.span is None or flow.span.file != path or flow.name is None:
            continue
        start = locator.range(flow.span).start
        where = types.Range(start=start, end=start)

        def lens(title: str, command: str, args: dict[str, object], where: types.Range = where) -> types.CodeLens:
            return types.CodeLens(range=where, command=types.Command(title=title, command=command, arguments=[args]))

        lenses.append(lens("▶ Run locally", RUN_LOCALLY, {"project": project, "flow": flow.name}))
        lenses.append(lens("▶ Test in Prismatic", TEST_IN_PRISMATIC, {"project": project, "flow": flow.name}))
        if flow.stable_key:
            lenses.append(
                lens("+ Payload", CREATE_PAYLOAD, {"project": project, "stableKey": flow.stable_key, "flow": flow.name})
            )
        count = 0
        if count_executions is not None:
            try:
                count = count_executions(model.root, flow.stable_key or flow.name)
            except Exception:  # a broken store must not hide the other lenses
                log.exception("counting the executions of %s failed", flow.name)
        lenses.append(lens(f"Executions ({count})", EXECUTION_RESULTS, {"project": project, "flow": flow.name}))
    return lenses


def register(ls: CnikitLanguageServer) -> None:
    """The code lens handler (the client is asked to refresh them when an execution ends)."""

    @ls.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def code_lens(ls: CnikitLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        found = model_at(ls, params.text_document.uri)
        if found is None:
            return None
        model, path = found
        return code_lens_impl(model, path, ls.locator(), ls.runs.count)
