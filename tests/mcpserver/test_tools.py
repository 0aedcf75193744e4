"""Every tool of `cnikit mcp` and every error path, through the Python SDK's client on a real built project (real
Node worker, real SQLite store)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcp.client import Client

from mcpserver.server import MAX_VALUE_CHARS
from tests.mcpserver.conftest import served

READ_ONLY = {"check", "list_flows", "list_payloads", "list_executions", "get_execution", "get_state", "explain_check"}


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """The tool's JSON answer (fails the test on a tool error)."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    return json.loads(text)


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    """The one-line message of the tool error `tool` answers with."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error, text
    assert "\n" not in text and "Traceback" not in text, text
    return text


async def test_the_tools_and_their_side_effects_are_declared(project: Path) -> None:
    async with served(project) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == READ_ONLY | {"create_payload", "run_flow", "replay_execution", "set_state"}
        for name, tool in tools.items():
            assert tool.description and tool.input_schema["type"] == "object", name
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint is (name in READ_ONLY), name
        assert tools["set_state"].annotations.destructive_hint is True  # type: ignore[union-attr]
        for runs in ("run_flow", "replay_execution"):  # they record executions and may reach live services
            assert tools[runs].annotations.open_world_hint is True  # type: ignore[union-attr]
        assert tools["run_flow"].input_schema["properties"]["http"]["enum"] == ["live", "record", "replay"]


async def test_check_reports_a_broken_reference_with_its_fix_then_nothing(project: Path) -> None:
    async with served(project) as client:
        source = project / "src" / "index.ts"
        good = source.read_text()
        source.write_text(good.replace('configVars["Greeting"]', 'configVars["Greting"]'))
        broken = await call(client, "check")
        [diagnostic] = broken["diagnostics"]
        assert diagnostic["code"] == "CNI701" and diagnostic["file"] == "src/index.ts"
        assert diagnostic["range"]["start"]["line"] == 15
        assert diagnostic["fix"]["edits"][0]["newText"] == "Greeting"
        assert broken["summary"] == "1 error(s), 0 other finding(s)"
        assert (await call(client, "check", file="src/index.ts"))["diagnostics"] == [diagnostic]
        source.write_text(good)
        assert (await call(client, "check"))["diagnostics"] == []


async def test_check_refuses_files_outside_the_project_or_missing(project: Path) -> None:
    async with served(project) as client:
        assert "outside the project folder" in await refused(client, "check", file="../../../etc/passwd")
        assert "outside the project folder" in await refused(client, "check", file="/etc/passwd")
        assert "no file 'src/nope.ts'" in await refused(client, "check", file="src/nope.ts")


async def test_flows_and_payloads(project: Path) -> None:
    async with served(project) as client:
        [flow] = (await call(client, "list_flows"))["flows"]
        assert (flow["name"], flow["stableKey"], flow["trigger"]) == ("Greet", "greet", "webhook")
        assert await call(client, "list_payloads") == {"greet": ["ada"]}
        assert await call(client, "list_payloads", flow="Greet") == {"greet": ["ada"]}
        assert "No flow 'Nope'" in await refused(client, "list_payloads", flow="Nope")


async def test_create_payload_then_run_it_by_name(project: Path) -> None:
    async with served(project) as client:
        created = await call(client, "create_payload", flow="greet", name="grace", body='{"name": "Grace"}')
        assert created == {"created": ".spectral/flows/greet/payloads/grace.json", "flow": "Greet", "payload": "grace"}
        written = json.loads((project / created["created"]).read_text())
        assert written == {"headers": {}, "data": {"name": "Grace"}, "contentType": "application/json"}
        run = await call(client, "run_flow", flow="Greet", payload="grace")
        assert run["result"]["data"]["message"] == "Hello, Grace!"
        assert "already exists" in await refused(client, "create_payload", flow="greet", name="grace", body="{}")
        again = await call(client, "create_payload", flow="greet", name="grace", body="{}", overwrite=True)
        assert again["payload"] == "grace"
        text = await call(client, "create_payload", flow="greet", name="note", body="hi", content_type="text/plain")
        assert json.loads((project / text["created"]).read_text())["data"] == "hi"


async def test_create_payload_refuses_bad_names_and_bad_json(project: Path) -> None:
    async with served(project) as client:
        assert "letters, numbers" in await refused(client, "create_payload", flow="greet", name="a b", body="{}")
        assert "not valid JSON" in await refused(client, "create_payload", flow="greet", name="x", body="{oops")
        assert "NaN is not a JSON value" in await refused(client, "create_payload", flow="greet", name="x", body="NaN")
        assert "No flow 'Nope'" in await refused(client, "create_payload", flow="Nope", name="x", body="{}")


async def test_run_flow_returns_outcome_result_logs_and_number(project: Path) -> None:
    async with served(project) as client:
        run = await call(client, "run_flow", flow="Greet", payload="ada")
        assert (run["execution"], run["status"], run["error"], run["httpMode"]) == (1, "succeeded", None, "live")
        assert run["result"] == {"data": {"message": "Hello, Ada!", "runs": 1}}
        assert run["request"]["body"] == '{"name": "Ada"}'  # readable text, not base64
        assert "info: greeting Ada (run 1)" in run["logs"]
        assert [step["name"] for step in run["steps"]] == ["onTrigger", "onExecution"]
        inline = await call(client, "run_flow", flow="greet", body='{"name": "Lin"}')
        assert (inline["execution"], inline["result"]["data"]["message"]) == (2, "Hello, Lin!")
        text = await call(client, "run_flow", flow="greet", body="plain words", content_type="text/plain")
        assert text["request"]["body"] == "plain words" and text["status"] == "succeeded"


async def test_run_flow_errors_are_one_line(project: Path) -> None:
    async with served(project) as client:
        assert "either payload" in await refused(client, "run_flow", flow="Greet", payload="ada", body="{}")
        assert "no payload 'bob'" in await refused(client, "run_flow", flow="Greet", payload="bob")
        assert "outside the project folder" in await refused(client, "run_flow", flow="Greet", payload="../../x.json")
        assert "No flow 'Nope'" in await refused(client, "run_flow", flow="Nope", payload="ada")
        assert "nothing was run or recorded" in await refused(client, "run_flow", flow="Greet", payload="bob")
        assert (await call(client, "list_executions"))["executions"] == []


async def test_a_failing_build_is_a_one_line_tool_error(project: Path) -> None:
    async with served(project) as client:
        (project / "src" / "index.ts").write_text("export default {{{")
        assert "the project does not build" in await refused(client, "run_flow", flow="Greet", payload="ada")


async def test_large_values_are_cut_with_a_note_and_read_whole_on_request(project: Path) -> None:
    async with served(project) as client:
        name = "x" * (MAX_VALUE_CHARS + 100)
        run = await call(client, "run_flow", flow="Greet", body=json.dumps({"name": name}))
        assert run["result"]["truncated"] is True and len(run["result"]["preview"]) == MAX_VALUE_CHARS
        assert "get_execution with full=true" in run["result"]["note"]
        whole = await call(client, "get_execution", execution=str(run["execution"]), full=True)
        assert whole["result"]["data"]["message"] == f"Hello, {name}!"


async def test_list_and_get_executions(project: Path) -> None:
    async with served(project) as client:
        first = await call(client, "run_flow", flow="Greet", payload="ada")
        await call(client, "run_flow", flow="Greet", body='{"name": "Bo"}')
        listed = (await call(client, "list_executions"))["executions"]
        assert [(e["seq"], e["status"]) for e in listed] == [(2, "succeeded"), (1, "succeeded")]
        assert len((await call(client, "list_executions", limit=1))["executions"]) == 1
        assert (await call(client, "list_executions", status="failed"))["executions"] == []
        assert "between 1 and 200" in await refused(client, "list_executions", limit=0)
        shown = await call(client, "get_execution", execution="1")
        assert shown["id"] == first["id"] and shown["logs"] == first["logs"]
        assert "99" in await refused(client, "get_execution", execution="99")


async def test_replay_execution_runs_it_again_linked_to_the_original(project: Path) -> None:
    async with served(project) as client:
        first = await call(client, "run_flow", flow="Greet", payload="ada")
        again = await call(client, "replay_execution", execution="1")
        assert (again["execution"], again["replayOf"]) == (2, first["id"])
        assert again["result"]["data"] == {"message": "Hello, Ada!", "runs": 2}
        assert "99" in await refused(client, "replay_execution", execution="99")


async def test_state_is_read_set_and_strict(project: Path) -> None:
    async with served(project) as client:
        assert (await call(client, "get_state"))["levels"] == []
        await call(client, "run_flow", flow="Greet", payload="ada")
        [level] = (await call(client, "get_state", level="flow"))["levels"]
        assert (level["level"], level["value"]) == ("instanceState", {"runs": 1})
        stored = await call(client, "set_state", level="flow", flow="Greet", key="runs", value="41")
        assert stored == {"level": "flow", "flow": "Greet", "value": {"runs": 41}}
        run = await call(client, "run_flow", flow="Greet", payload="ada")
        assert run["result"]["data"]["runs"] == 42
        integration = await call(client, "set_state", level="integration", key="mode", value='{"dry": true}')
        assert integration["value"] == {"mode": {"dry": True}}
        assert (await call(client, "set_state", level="integration", key="mode", value="null"))["value"] == {}
        assert (await call(client, "get_state", level="cross-flow"))["levels"] == []


async def test_set_state_refusals(project: Path) -> None:
    async with served(project) as client:
        nan = await refused(client, "set_state", level="flow", flow="Greet", key="runs", value="NaN")
        assert "NaN is not a JSON value" in nan
        assert "Infinity" in await refused(client, "set_state", level="flow", flow="Greet", key="r", value="Infinity")
        assert "not valid JSON" in await refused(client, "set_state", level="flow", flow="Greet", key="r", value="{x")
        assert "pass flow" in await refused(client, "set_state", level="flow", key="runs", value="1")
        assert "key must not be empty" in await refused(client, "set_state", level="integration", key="", value="1")
        assert "No flow 'Nope'" in await refused(client, "set_state", level="flow", flow="Nope", key="r", value="1")
        assert (await call(client, "get_state"))["levels"] == []


async def test_explain_check(project: Path) -> None:
    async with served(project) as client:
        entry = await call(client, "explain_check", code="cni701")
        assert entry["code"] == "CNI701" and entry["severity"] == "error" and entry["fix"] is True
        assert "undefined" in entry["why"]
        assert "no check 'CNI7999'" in await refused(client, "explain_check", code="CNI7999")


async def test_credential_headers_are_masked(project: Path) -> None:
    async with served(project) as client:
        payload = {"headers": {"Authorization": "Bearer s3cret-token"}, "data": {"name": "Ada"}}
        (project / ".spectral/flows/greet/payloads/signed.json").write_text(json.dumps(payload))
        run = await call(client, "run_flow", flow="Greet", payload="signed")
        shown = await call(client, "get_execution", execution=str(run["execution"]), full=True)
        for answer in (run, shown):
            assert "s3cret-token" not in json.dumps(answer)
        assert shown["request"]["headers"]["Authorization"] != payload["headers"]["Authorization"]


async def test_resources(project: Path) -> None:
    async with served(project) as client:
        uris = {str(resource.uri) for resource in (await client.list_resources()).resources}
        assert uris == {"cnikit://definition", "cnikit://checks"}
        summary = json.loads((await client.read_resource("cnikit://definition")).contents[0].text)  # type: ignore[union-attr]
        assert summary["flows"] == [{"name": "Greet", "stableKey": "greet", "trigger": "webhook", "synchronous": False}]
        assert summary["configPages"] == [{"name": "Settings", "elements": ["Greeting"]}]
        assert summary["configVars"] == [{"key": "Greeting", "dataType": "string", "connection": False}]
        catalogue = (await client.read_resource("cnikit://checks")).contents[0].text  # type: ignore[union-attr]
        assert "| CNI701 | error |" in catalogue


async def test_arguments_outside_the_schema_are_one_line_errors(project: Path) -> None:
    async with served(project) as client:
        wrong = await refused(client, "list_executions", limit="many")
        assert wrong.startswith("invalid arguments for list_executions: limit: ")
        assert "run_flow: flow: Field required" in await refused(client, "run_flow")
        assert "http: Input should be 'live', 'record' or 'replay'" in await refused(
            client, "run_flow", flow="Greet", http="sometimes"
        )
        assert "Unknown tool" in await refused(client, "deploy")


async def test_run_flow_takes_a_json_body_as_an_object(project: Path) -> None:
    async with served(project) as client:
        run = await call(client, "run_flow", flow="Greet", body={"name": "Obj"})
        assert run["result"]["data"]["message"] == "Hello, Obj!"
