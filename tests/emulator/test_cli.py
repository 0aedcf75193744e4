"""The command line: `cnikit run`, `executions`, `replay`, `payload new`, `state`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import msgpack
from typer.testing import CliRunner

from cnikit.cli import app
from emulator.store import NewExecution, Store

Project = Callable[[str], Path]
runner = CliRunner()


def cli(*args: str | Path, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], input=stdin)
    return result.exit_code, result.output


def test_run_streams_logs_then_outputs_and_exits_zero(project: Project) -> None:
    root = project("emu-no-trigger")

    code, out = cli("run", root, "--flow", "Echo", "--payload", "hello")

    assert code == 0, out
    assert "INFO   [onExecution] run 1" in out
    assert out.index("run 1") < out.index("── onExecution") < out.index("✔ Echo succeeded")
    assert '"hello": "world"' in out
    assert "state written: instanceState" in out


def test_run_json_and_raw_body_from_stdin(project: Project) -> None:
    root = project("emu-custom-trigger")

    code, out = cli("run", root, "--flow", "challenge-echo", "--payload", "-", "--json", stdin='{"challenge": "z"}')

    assert code == 0, out
    outcome = json.loads(out)
    assert outcome["status"] == "succeeded"
    assert outcome["response"] == {"statusCode": 202, "contentType": "text/plain", "body": "challenge:z"}
    assert [step["name"] for step in outcome["steps"]] == ["onTrigger", "onExecution"]


def test_a_failing_flow_exits_one_and_says_where(project: Project) -> None:
    root = project("emu-state")

    code, out = cli("run", root, "--flow", "Count", "--payload", "-", stdin='{"fail": true}')

    assert code == 1
    assert "✘ Count failed in onExecution: failing after mutating state on purpose" in out
    assert "at onExecution (" in out and "/src/index.ts:18:" in out  # source-mapped to the TypeScript
    assert "vendor.js" not in out
    assert "state unchanged" in out


def test_a_malformed_payload_file_is_a_clear_error_and_writes_nothing(project: Project) -> None:
    root = project("emu-no-trigger")
    bad = root / ".spectral/flows/echo/payloads/broken.json"
    bad.write_text('{\n  "headers": {},\n  "data": {"a": 1,}\n}\n')

    code, out = cli("run", root, "--flow", "Echo", "--payload", "broken")

    assert code == 2
    assert f"{bad}:3:" in out and "invalid JSON" in out
    assert "nothing was run or recorded" in out
    with Store.open(root) as store:
        assert store.count_executions() == 0
        assert store.list_state() == []


def test_malformed_json_body_is_refused_like_the_platform(project: Project) -> None:
    root = project("emu-no-trigger")

    code, out = cli("run", root, "--flow", "Echo", "--payload", "-", stdin="{bad-data")

    assert code == 2
    assert "Received malformed JSON payload." in out


def test_an_unknown_flow_lists_the_flows_there_are(project: Project) -> None:
    code, out = cli("run", project("emu-state"), "--flow", "Nope")

    assert code == 2
    assert "No flow 'Nope'" in out and "'Count' (count)" in out and "'Peek' (peek)" in out


def test_executions_list_show_and_replay(project: Project) -> None:
    root = project("emu-custom-trigger")
    cli("run", root, "--flow", "Challenge Echo", "--payload", "-", stdin='{"challenge": "a", "event": "one"}')
    cli("run", root, "--flow", "Challenge Echo", "--payload", "-", stdin='{"challenge": "b", "event": "two"}')

    code, out = cli("executions", "list", root, "--json")
    listed = json.loads(out)
    assert code == 0 and [e["seq"] for e in listed] == [2, 1]

    code, out = cli("executions", "show", "1", root)
    assert code == 0 and "trigger received one" in out and '"handled": "ONE"' in out

    code, out = cli("replay", "1", root, "--json")
    replayed = json.loads(out)
    assert code == 0 and replayed["replayOf"] == listed[1]["id"]
    assert replayed["result"] == {"data": {"handled": "ONE", "stepId": "string", "executionId": True}}

    code, out = cli("executions", "show", "2", root, "--step", "onExecution", "--json")
    assert code == 0 and json.loads(out) == {"data": {"handled": "TWO", "stepId": "string", "executionId": True}}
    code, out = cli("executions", "show", "2", root, "--step", "onExecution", "--output", root / "step.msgpack")
    assert code == 0 and msgpack.unpackb((root / "step.msgpack").read_bytes())["data"]["handled"] == "TWO"
    code, out = cli("executions", "show", "2", root, "--step", "nope")
    assert code == 2 and "has no step 'nope'" in out

    code, out = cli("executions", "show", "nope", root)
    assert code == 2 and "no execution 'nope'" in out


def test_payload_new_writes_the_official_default(project: Project) -> None:
    root = project("emu-state")

    code, out = cli("payload", "new", "Count", "first-try", root)

    assert code == 0, out
    created = root / ".spectral/flows/count/payloads/first-try.json"
    assert json.loads(created.read_text()) == {
        "headers": {"prismatic-debug": "false"},
        "data": {},
        "contentType": "application/json",
    }
    code, out = cli("payload", "new", "Count", "first-try", root)
    assert code == 2 and "already exists" in out
    code, out = cli("payload", "new", "Count", "bad name", root)
    assert code == 2 and "letters, numbers, hyphens, and underscores" in out


def test_state_show_set_clear_export_import(project: Project, tmp_path: Path) -> None:
    root = project("emu-state")
    cli("run", root, "--flow", "Count")

    code, out = cli("state", "set", "cross-flow", "note", '"hi"', root)
    assert code == 0, out
    code, out = cli("state", "show", root, "--json")
    shown = {entry["level"]: entry["value"] for entry in json.loads(out)}
    assert shown["crossFlowState"] == {"instanceRuns": 1, "touched": True, "note": "hi"}

    snapshot = tmp_path / "snapshot.json"
    assert cli("state", "export", snapshot, root)[0] == 0
    assert cli("state", "clear", root)[1].strip() == "removed 3 state levels"
    assert cli("run", root, "--flow", "Count", "--json")[0] == 0  # counts from 1 again
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"version": 1, "levels": [{"level": "nope", "scope": "x", "value": {}}]}))

    code, out = cli("state", "import", broken, root)
    assert code == 2 and "levels[0]: level must be one of" in out and "nothing was changed" in out
    code, out = cli("state", "import", snapshot, root)
    assert code == 0 and "imported 3 state levels" in out
    code, out = cli("run", root, "--flow", "Count", "--json")
    assert json.loads(out)["result"]["data"] == {"flowRuns": 2, "instanceRuns": 2, "integrationRuns": 2}


def test_an_xml_payload_file_arrives_as_text_with_its_content_type(project: Project) -> None:
    root = project("emu-no-trigger")
    payload = root / ".spectral/flows/echo/payloads/order.json"
    payload.write_text(json.dumps({"headers": {}, "data": "<order id='7'/>", "contentType": "application/xml"}))

    code, out = cli("run", root, "--flow", "Echo", "--payload", "order", "--json")

    assert code == 0, out
    received = json.loads(out)["result"]["data"]
    assert received["received"] == "<order id='7'/>"
    assert received["contentType"] == "application/xml"


def test_executions_show_says_who_invoked_it_and_what_it_retries(project: Project) -> None:
    root = project("emu-no-trigger")
    with Store.open(root) as store:
        for new in (
            NewExecution("exec-parent", "i", "echo", "Echo", "WEBHOOK", {}),
            NewExecution("exec-first", "i", "echo", "Echo", "CROSS_FLOW", {}, parent_id="exec-parent"),
            NewExecution(
                "exec-retry", "i", "echo", "Echo", "CROSS_FLOW", {}, parent_id="exec-parent", retry_of="exec-first"
            ),
        ):
            store.begin_execution(new)
            store.finish_execution(new.id, status="succeeded")

    code, out = cli("executions", "show", "exec-retry", root)
    assert code == 0, out
    assert "invoked by exec-parent" in out and "retry of exec-first" in out
    code, out = cli("executions", "show", "exec-retry", root, "--json")
    shown = json.loads(out)
    assert (shown["invokedBy"], shown["retryOf"]) == ("exec-parent", "exec-first")
    code, out = cli("executions", "show", "exec-parent", root)
    assert code == 0 and "invoked by" not in out and "retry of" not in out
