"""Project commands end to end: projects, the active integration, flows, payload files, terminal UI commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.server.conftest import StartSession
from tests.server.test_run_commands import plain


async def test_select_integration_makes_a_project_active(start_session: StartSession, workspace) -> None:
    first = workspace("lsp-diagnostics")
    second = workspace("lsp-navigation")
    session = await start_session([first, second])
    projects = plain(await session.command("cnikit.server.listProjects"))
    assert {p["name"]: p["active"] for p in projects} == {"Contact Import": True, "Order Sync": False}
    assert all(p["integrationId"] is None for p in projects)

    chosen = plain(await session.command("cnikit.server.selectIntegration", {"project": str(second)}))
    assert chosen == {"project": str(second), "name": "Order Sync"}
    status = await session.notification("cnikit/status", lambda p: plain(p)["activeProject"] == str(second))
    assert plain(status)["activeIntegration"] == "Order Sync"
    projects = plain(await session.command("cnikit.server.listProjects"))
    assert {p["name"]: p["active"] for p in projects} == {"Contact Import": False, "Order Sync": True}
    # Commands without a project now act on the selected one.
    flows = plain(await session.command("cnikit.server.listFlows"))
    assert [flow["name"] for flow in flows] == ["Sync Orders", "Notify Team"]

    with pytest.raises(JsonRpcException, match="is not a CNI project"):
        await session.command("cnikit.server.selectIntegration", {"project": str(first.parent)})


async def test_list_flows_with_their_payload_files(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-navigation")
    session = await start_session([root])
    flows = plain(await session.command("cnikit.server.listFlows", {"project": str(root)}))
    payload = root / ".spectral" / "flows" / "sync-orders" / "payloads" / "sample.json"
    served = {
        "trigger": None,
        "url": None,
        "security": None,
        "apiKeys": None,
        "queue": None,
        "retry": None,
        "schedule": None,
    }  # filled by a running `cnikit serve` only
    assert flows == [
        {"version": 1, "name": "Sync Orders", "stableKey": "sync-orders", "synchronous": False, "hasSchedule": False,
         "payloads": [str(payload)], **served},
        {"version": 1, "name": "Notify Team", "stableKey": "notify-team", "synchronous": False, "hasSchedule": False,
         "payloads": [], **served},
    ]  # fmt: skip


async def test_create_flow_payload(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-navigation")
    session = await start_session([root])
    folder = root / ".spectral" / "flows" / "notify-team" / "payloads"

    first = plain(await session.command("cnikit.server.createFlowPayload", {"stableKey": "notify-team"}))
    assert first == {"path": str(folder / "payload.json")}
    assert json.loads(Path(first["path"]).read_text()) == {
        "headers": {"prismatic-debug": "false"},
        "data": {},
        "contentType": "application/json",
    }
    second = plain(await session.command("cnikit.server.createFlowPayload", {"stableKey": "notify-team"}))
    assert second == {"path": str(folder / "payload-2.json")}
    named = plain(
        await session.command("cnikit.server.createFlowPayload", {"stableKey": "notify-team", "name": "big-order"})
    )
    assert named == {"path": str(folder / "big-order.json")}

    Path(named["path"]).write_text('{"data": {"kept": true}}')
    with pytest.raises(JsonRpcException, match=r'Payload file "big-order\.json" already exists'):
        await session.command("cnikit.server.createFlowPayload", {"stableKey": "notify-team", "name": "big-order"})
    assert json.loads(Path(named["path"]).read_text()) == {"data": {"kept": True}}  # nothing lost
    with pytest.raises(JsonRpcException, match="letters, numbers, hyphens, and underscores"):
        await session.command("cnikit.server.createFlowPayload", {"stableKey": "notify-team", "name": "my order"})
    with pytest.raises(JsonRpcException, match='No flow has the stable key "nope"'):
        await session.command("cnikit.server.createFlowPayload", {"stableKey": "nope"})
    assert sorted(path.name for path in folder.iterdir()) == ["big-order.json", "payload-2.json", "payload.json"]


async def test_terminal_ui_commands(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-navigation")
    session = await start_session([root], init_options={"cnikitPath": "/opt/cnikit/bin/cnikit"})
    wizard = plain(await session.command("cnikit.server.configWizard"))
    assert wizard == {"command": ["/opt/cnikit/bin/cnikit", "tui", "--screen", "wizard", str(root)]}
    results = plain(await session.command("cnikit.server.executionResults", {"project": str(root)}))
    assert results == {"command": ["/opt/cnikit/bin/cnikit", "tui", "--screen", "results", str(root)]}


async def test_commands_without_a_project_say_so(start_session: StartSession, tmp_path) -> None:
    empty = tmp_path / "not-a-project"
    empty.mkdir()
    session = await start_session([empty])
    assert plain(await session.command("cnikit.server.listProjects")) == []
    with pytest.raises(JsonRpcException, match="No CNI project in this workspace"):
        await session.command("cnikit.server.listFlows")


async def test_workspace_folders_added_and_removed(start_session: StartSession, workspace) -> None:
    first = workspace("lsp-diagnostics")
    second = workspace("lsp-navigation")
    session = await start_session([second])
    assert [p["name"] for p in plain(await session.command("cnikit.server.listProjects"))] == ["Order Sync"]

    session.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=first.as_uri(), name=first.name)], removed=[]
            )
        )
    )
    index = first / "src" / "index.ts"
    await session.diagnostics(index, lambda ds: len(ds) == 2)  # the new folder's project is analysed
    names = sorted(p["name"] for p in plain(await session.command("cnikit.server.listProjects")))
    assert names == ["Contact Import", "Order Sync"]

    session.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[], removed=[types.WorkspaceFolder(uri=first.as_uri(), name=first.name)]
            )
        )
    )
    assert list(await session.diagnostics(index, lambda ds: not ds)) == []  # what it showed is cleared
    assert [p["name"] for p in plain(await session.command("cnikit.server.listProjects"))] == ["Order Sync"]
