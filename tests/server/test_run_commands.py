"""Running flows locally from the editor: notifications, progress, logs, step outputs, replay, failures."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.server.conftest import Session, StartSession, uri


def plain(value: Any) -> Any:
    """JSON-like data from what pygls hands over for custom messages (named tuples for objects)."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def field(params: Any, name: str) -> Any:
    """A field of a notification's params or a command's result."""
    return plain(params)[name]


def execution(params: Any) -> dict[str, Any]:
    return field(params, "execution")


async def finished(session: Session, execution_id: str) -> dict[str, Any]:
    """The executionUpdated notification that ends `execution_id`."""
    params = await session.notification(
        "cnikit/executionUpdated",
        lambda p: execution(p)["id"] == execution_id and execution(p)["status"] != "running",
    )
    return execution(params)


async def test_run_locally_streams_updates_and_logs(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    session = await start_session([root])
    payload = root / ".spectral" / "flows" / "greet" / "payloads" / "ada.json"
    started = await session.command(
        "cnikit.server.runLocally", {"project": str(root), "flow": "Greet", "payload": str(payload)}
    )
    execution_id = field(started, "executionId")
    assert field(started, "status") == "running"

    summary = await finished(session, execution_id)
    assert summary["status"] == "succeeded"
    assert summary["flow"] == "Greet"
    assert summary["source"] == "local"
    assert summary["error"] is None
    assert [step["name"] for step in summary["steps"]] == ["onTrigger", "onExecution"]
    assert summary["durationMs"] >= 0
    assert all(step["durationMs"] >= 0 for step in summary["steps"])

    greeting = await session.notification("cnikit/executionLog", lambda p: field(p, "message") == "Hello, Ada")
    assert field(greeting, "executionId") == execution_id
    assert field(greeting, "severity") == "info"
    assert field(greeting, "project") == str(root)
    # The run reported progress (build, then run) and ended it.
    titles = [
        report.title
        for reports in session.client.progress_reports.values()
        for report in reports
        if isinstance(report, types.WorkDoneProgressBegin)
    ]
    assert "cnikit: run Greet" in titles

    listed = await session.command("cnikit.server.listExecutions", {"project": str(root)})
    assert [field(item, "id") for item in listed] == [execution_id]

    logs = await session.command("cnikit.server.getExecutionLogs", {"project": str(root), "executionId": execution_id})
    lines = field(logs, "text").splitlines()
    assert any(line.endswith("[INFO] [onExecution] Hello, Ada") or line.endswith("[INFO] Hello, Ada") for line in lines)
    assert all(line[2] == ":" and line[5] == ":" for line in lines)  # HH:MM:SS first

    output = await session.command(
        "cnikit.server.getStepOutput", {"project": str(root), "executionId": execution_id, "step": "onExecution"}
    )
    assert json.loads(field(output, "json")) == {"data": {"greeting": "Hello, Ada"}}
    with pytest.raises(JsonRpcException, match=r"has no step 'onExecutoin'; its steps: onTrigger, onExecution"):
        await session.command(
            "cnikit.server.getStepOutput", {"project": str(root), "executionId": execution_id, "step": "onExecutoin"}
        )


async def test_replay_and_execution_count_in_code_lenses(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    session = await start_session([root])
    first = await session.command("cnikit.server.runLocally", {"flow": "greet"})  # by stable key, active project
    original = field(first, "executionId")
    assert (await finished(session, original))["status"] == "succeeded"

    replayed = await session.command("cnikit.server.replayExecution", {"executionId": original})
    replay_id = field(replayed, "executionId")
    assert replay_id != original
    assert (await finished(session, replay_id))["status"] == "succeeded"

    index = root / "src" / "index.ts"
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(index)))
    )
    assert lenses is not None
    titles = [lens.command.title for lens in lenses if lens.command]
    assert titles.count("Executions (2)") == 1  # Greet ran twice
    assert titles.count("Executions (0)") == 1  # Explode never ran


async def test_a_failing_flow_reports_its_error(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    session = await start_session([root])
    started = await session.command("cnikit.server.runLocally", {"flow": "Explode"})
    summary = await finished(session, field(started, "executionId"))
    assert summary["status"] == "failed"
    assert "Kaboom: the flow failed on purpose" in summary["error"]
    assert [step["status"] for step in summary["steps"]] == ["succeeded", "failed"]


async def test_bad_requests_are_clear_errors(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    session = await start_session([root])
    with pytest.raises(JsonRpcException, match=r"No flow 'Nope'.*'Greet' \(greet\)"):
        await session.command("cnikit.server.runLocally", {"flow": "Nope"})
    broken = root / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(JsonRpcException, match=r"broken\.json:1:2: invalid JSON"):
        await session.command("cnikit.server.runLocally", {"flow": "Greet", "payload": str(broken)})
    with pytest.raises(JsonRpcException, match="flow: Field required"):
        await session.command("cnikit.server.runLocally", {})
    with pytest.raises(JsonRpcException, match="no execution 'missing'"):
        await session.command("cnikit.server.getExecutionLogs", {"executionId": "missing"})
    # Nothing was recorded by the refused runs.
    assert await session.command("cnikit.server.listExecutions", {}) == []


async def test_a_build_error_is_the_commands_error(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    index = root / "src" / "index.ts"
    index.write_text(index.read_text().replace('stableKey: "greet",', 'stableKey: "greet",,,,'))
    session = await start_session([root])
    with pytest.raises(JsonRpcException) as raised:
        await session.command("cnikit.server.runLocally", {"flow": "Greet"})
    assert "index.ts" in str(raised.value)
    assert Path(index).exists()


async def test_hover_shows_the_local_instance_value_after_a_run(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    session = await start_session([root])
    index = root / "src" / "index.ts"
    lines = index.read_text().splitlines()
    line = next(number for number, text in enumerate(lines) if 'configVars["Greeting"]' in text)
    position = types.Position(line=line, character=lines[line].index('"Greeting"') + 2)
    params = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(index)), position=position)

    before = await session.client.text_document_hover_async(params)
    assert before is not None and isinstance(before.contents, types.MarkupContent)
    assert "Local instance value: not set" in before.contents.value

    started = await session.command("cnikit.server.runLocally", {"flow": "Greet"})
    await finished(session, field(started, "executionId"))  # the run seeded the local instance
    after = await session.client.text_document_hover_async(params)
    assert after is not None and isinstance(after.contents, types.MarkupContent)
    assert 'Local instance value: `"Hello"`' in after.contents.value


async def test_runs_from_another_process_are_reported(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    session = await start_session([root])
    await session.analysed()
    cnikit = Path(sys.executable).parent / "cnikit"
    env = {key: value for key, value in os.environ.items() if key != "DEBUG"}
    process = await asyncio.create_subprocess_exec(
        str(cnikit), "run", str(root), "--flow", "Greet", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await asyncio.wait_for(process.wait(), 60) == 0
    update = await session.notification(
        "cnikit/executionUpdated", lambda p: execution(p)["flow"] == "Greet" and execution(p)["status"] != "running"
    )
    assert execution(update)["status"] == "succeeded"
    log = await session.notification("cnikit/executionLog", lambda p: field(p, "message") == "Hello, nobody")
    assert field(log, "executionId") == execution(update)["id"]


async def test_local_server_start_webhook_and_stop(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    session = await start_session([root])
    started = plain(await session.command("cnikit.server.startServer", {"port": 0}))
    url = started["url"]
    assert url.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(timeout=30) as http:
        health = (await http.get(f"{url}/__cnikit/health")).json()
        assert health["status"] == "ok" and health["integration"] == "Run Locally"
        flows = (await http.get(f"{url}/__cnikit/flows")).json()["flows"]
        greet = next(flow for flow in flows if flow["name"] == "Greet")
        answer = await http.post(greet["url"], json={"name": "Webhook"})
        assert answer.status_code == 200
    update = await session.notification(
        "cnikit/executionUpdated", lambda p: execution(p)["status"] == "succeeded" and execution(p)["flow"] == "Greet"
    )
    assert execution(update)["invokeType"] == "WEBHOOK"
    await session.notification("cnikit/executionLog", lambda p: field(p, "message") == "Hello, Webhook")
    # Starting again answers with the running server.
    assert plain(await session.command("cnikit.server.startServer", {}))["url"] == url

    assert plain(await session.command("cnikit.server.stopServer", {})) == {"stopped": True}
    async with httpx.AsyncClient(timeout=5) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{url}/__cnikit/health")
    assert plain(await session.command("cnikit.server.stopServer", {})) == {"stopped": False}


async def test_a_load_error_is_shown_on_the_source_until_the_next_edit(start_session: StartSession, workspace) -> None:
    root = workspace("lsp-run-locally")
    index = root / "src" / "index.ts"
    broken = index.read_text().replace(
        "export default integration({", 'throw new Error("Boom while loading");\nexport default integration({'
    )
    index.write_text(broken)  # valid TypeScript the analyser cannot see fail: only loading it does
    session = await start_session([root])
    await session.analysed()
    with pytest.raises(JsonRpcException, match="Boom while loading") as raised:
        await session.command("cnikit.server.runLocally", {"flow": "Greet"})
    assert "\n" not in str(raised.value)
    found = await session.diagnostics(index, lambda ds: any(d.code == "CNI901" for d in ds))
    (load_error,) = [d for d in found if d.code == "CNI901"]
    assert "Boom while loading" in load_error.message
    assert load_error.severity == types.DiagnosticSeverity.Error
    # Opening the file keeps it; editing the source retires it (it described the code as it was built).
    session.open(index)
    await session.client.text_document_code_action_async(  # answered after the re-analysis the open asked for
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(index)),
            range=load_error.range,
            context=types.CodeActionContext(diagnostics=[load_error]),
        )
    )
    assert any(d.code == "CNI901" for d in session.client.diagnostics[uri(index)])
    session.replace_all(index, broken.replace('throw new Error("Boom while loading");\n', ""))
    await session.diagnostics(index, lambda ds: not any(d.code == "CNI901" for d in ds))
