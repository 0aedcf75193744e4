"""One execution, four faces, one document: `cnikit executions show --json`, the admin API of `cnikit serve`, the
language server's `cnikit.server.getExecution` and the TUI's source all answer with `emulator.views`."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from cnikit.cli import app
from emulator.serve import Server
from emulator.session import Session
from emulator.sources import ExecutionQuery, LocalSource
from tests.server.conftest import StartSession
from tests.server.test_run_commands import plain


async def test_the_four_faces_show_one_execution_the_same(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    with Session(root) as session:
        ran = session.run("Greet", "ada")  # a payload by name: .spectral/flows/greet/payloads/ada.json
    execution_id = ran.execution_id

    shown = CliRunner().invoke(app, ["executions", "show", execution_id, str(root), "--json"])
    assert shown.exit_code == 0, shown.output
    listed = CliRunner().invoke(app, ["executions", "list", str(root), "--json"])
    cli, cli_list = json.loads(shown.output), json.loads(listed.output)

    server = Server(root, port=0)
    url = server.start()
    try:
        admin = httpx.get(f"{url}/__cnikit/executions/{execution_id}").json()
        admin_list = httpx.get(f"{url}/__cnikit/executions").json()["executions"]
    finally:
        server.stop()

    lsp = await start_session([root])
    ref = {"project": str(root), "executionId": execution_id}
    language_server = plain(await lsp.command("cnikit.server.getExecution", ref))
    language_server_list = plain(await lsp.command("cnikit.server.listExecutions", {"project": str(root)}))

    source = LocalSource(root)
    try:
        detail = source.detail(execution_id)
        assert detail is not None
        tui, tui_list = detail.to_json(), [view.to_json() for view in source.page(ExecutionQuery(), 0, 50)]
    finally:
        source.close()

    assert cli == admin == language_server == tui
    assert cli_list == admin_list == language_server_list == tui_list
    assert cli["version"] == 1 and cli["seq"] == 1 and cli["id"] == execution_id
    assert (cli["flow"], cli["flowKey"], cli["status"], cli["source"]) == ("Greet", "greet", "succeeded", "local")
    assert cli["steps"][-1]["output"] == {"data": {"greeting": "Hello, Ada"}}
    assert "Hello, Ada" in [line["message"] for line in cli["logs"]]
    assert cli_list[0] == {
        key: value for key, value in cli.items() if key not in ("request", "result", "response", "logs")
    } | {"steps": [{k: v for k, v in step.items() if k != "output"} for step in cli["steps"]]}
