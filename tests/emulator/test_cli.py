"""The command line: `cnikit run`, `executions`, `replay`, `payload new`, `state`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest
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


def test_run_reports_the_trigger_response_whatever_follows_it(project: Project) -> None:
    root = project("emu-custom-trigger")

    run = ("run", root, "--flow", "challenge-echo", "--payload", "-", "--json")
    code, out = cli(*run, stdin='{"event": "explode"}')
    assert code == 1
    assert json.loads(out)["response"] == {"statusCode": 202, "contentType": "text/plain", "body": "challenge:"}

    code, out = cli(*run, stdin='{"challenge": "refused"}')
    assert code == 1
    refused = {"statusCode": 400, "contentType": "application/json", "body": {"error": "challenge refused"}}
    assert json.loads(out)["response"] == refused


def test_run_refuses_json_node_would_not_parse(project: Project) -> None:
    root = project("emu-custom-trigger")

    code, out = cli("run", root, "--flow", "challenge-echo", "--payload", "-", stdin='{"challenge": NaN}')

    assert code == 2
    assert "Received malformed JSON payload." in out


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


def _stored(root: Path, *flows: tuple[str, str]) -> None:
    """Record one finished execution per (stable key, name), without running anything."""
    with Store.open(root) as store:
        for index, (key, name) in enumerate(flows):
            store.begin_execution(NewExecution(f"exec-{index}", "i", key, name, "WEBHOOK", {}))
            store.finish_execution(f"exec-{index}", status="succeeded")


def test_a_state_export_to_a_folder_or_a_missing_folder_is_one_clear_line_and_writes_nothing(
    project: Project, tmp_path: Path
) -> None:
    root = project("emu-state")
    folder = tmp_path / "exports"
    folder.mkdir()

    code, out = cli("state", "export", folder, root)
    assert code == 2, out
    assert out.strip() == f"error: {folder} is a folder; give a file name, e.g. {folder / 'state.json'}"
    assert not (tmp_path / "exports.tmp").exists()

    missing = tmp_path / "nonexistent" / "x.json"
    code, out = cli("state", "export", missing, root)
    assert code == 2, out
    assert out.strip() == f"error: cannot write {missing}: no such folder {missing.parent}"


def test_a_step_output_to_a_missing_folder_is_one_clear_line(project: Project, tmp_path: Path) -> None:
    root = project("emu-no-trigger")
    assert cli("run", root, "--flow", "Echo")[0] == 0
    missing = tmp_path / "nonexistent" / "x.msgpack"

    code, out = cli("executions", "show", "1", root, "--step", "onExecution", "--output", missing)

    assert code == 2, out
    assert out.strip() == f"error: cannot write {missing}: no such folder {missing.parent}"


def test_an_unknown_step_lists_the_steps_the_execution_has(project: Project) -> None:
    root = project("emu-custom-trigger")
    cli("run", root, "--flow", "Challenge Echo", "--payload", "-", stdin='{"challenge": "a", "event": "one"}')

    code, out = cli("executions", "show", "1", root, "--step", "nope")

    assert code == 2
    assert "has no step 'nope'; its steps: onTrigger, onExecution" in out


def test_run_without_node_modules_says_to_install_the_dependencies(project: Project) -> None:
    root = project("emu-no-trigger")
    (root / "node_modules").unlink()  # a fresh clone: never built, never installed
    shutil.rmtree(root / ".spectral/local/build")

    code, out = cli("run", root, "--flow", "Echo")

    assert code == 2
    assert f"dependencies are not installed: run 'npm install' in {root}" in out
    assert "vendor-entry.js" not in out


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--timeout", "0", "--timeout must be at least 1 second, found 0"),
        ("--timeout", "-5", "--timeout must be at least 1 second, found -5"),
        ("--max-memory", "0", "--max-memory must be at least 64 MB, found 0"),
    ],
)
def test_run_refuses_limits_nothing_can_run_under(project: Project, option: str, value: str, expected: str) -> None:
    root = project("emu-no-trigger")

    code, out = cli("run", root, "--flow", "Echo", option, value)

    assert code == 2
    assert f"error: {expected}" in out
    with Store.open(root) as store:
        assert store.count_executions() == 0


def test_replay_refuses_a_zero_timeout(project: Project) -> None:
    code, out = cli("replay", "1", project("emu-no-trigger"), "--timeout", "0")

    assert code == 2 and "--timeout must be at least 1 second, found 0" in out


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_executions_list_refuses_a_limit_below_one(project: Project, limit: str) -> None:
    root = project("emu-no-trigger")
    _stored(root, ("echo", "Echo"))

    code, out = cli("executions", "list", root, "--limit", limit)

    assert code == 2 and f"--limit must be at least 1, found {limit}" in out


def test_executions_list_says_why_it_shows_nothing(project: Project) -> None:
    root = project("emu-no-trigger")
    assert cli("executions", "list", root)[1].startswith("no executions yet")
    _stored(root, ("echo", "Echo"), ("sync-todos", "Sync Todos"))

    code, out = cli("executions", "list", root, "--flow", "nope")
    assert code == 0
    assert (
        out.strip()
        == "no executions of a flow 'nope'; the flows with executions: 'Echo' (echo), 'Sync Todos' (sync-todos)"
    )

    code, out = cli("executions", "list", root, "--flow", "echo", "--status", "failed")
    assert code == 0
    assert out.strip() == "--flow echo --status failed matched no executions; 2 executions in all"

    code, out = cli("executions", "list", root, "--offset", "5")
    assert out.strip() == "no executions after skipping 5 (--offset); 2 executions in all"


def test_run_takes_an_inline_body_and_prints_the_execution_view(project: Project) -> None:
    root = project("emu-no-trigger")

    code, out = cli("run", root, "--flow", "Echo", "--payload", '{"id": 1}', "--json")

    assert code == 0, out
    view = json.loads(out)
    assert (view["version"], view["seq"], view["flow"], view["flowKey"]) == (1, 1, "Echo", "echo")
    assert view["result"]["data"]["received"] == {"id": 1}
