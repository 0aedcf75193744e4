"""Running flows the way the platform does: triggers, payload, context, registry mocks, config vars, logs."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest

from cnikit.payloads import load_payload
from emulator.executor import ExecutionUpdate, Executor, TriggerRequest
from emulator.instance import (
    instance_path,
    load_instance,
    save_instance,
    set_config_value,
    set_connection_secret,
)
from emulator.views import execution_detail
from tests.fakes.keyring import MemoryKeyring

ExecutorFor = Callable[..., Executor]


def test_flow_without_on_trigger_gets_the_request_through_the_default_webhook(
    executor_for: ExecutorFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBUG", "true")  # spectral would print its YAML; no child process may see it
    executor = executor_for("emu-no-trigger")
    payload = load_payload(executor.root / ".spectral/flows/echo/payloads/hello.json")
    updates: list[ExecutionUpdate] = []

    outcome = executor.run("Echo", TriggerRequest.from_payload(payload), on_update=updates.append)

    assert outcome.succeeded, outcome.error
    assert outcome.result == {
        "data": {"received": {"hello": "world"}, "contentType": "application/json", "runs": 1, "debugEnv": None}
    }
    trigger = outcome.steps[0]
    assert trigger.name == "onTrigger"
    assert trigger.result["rawBody"]["data"] == b'{"hello": "world"}'  # raw bytes, as the platform gives them
    assert trigger.result["headers"]["prismatic-debug"] == "false"
    assert trigger.result["flow"] == {"id": trigger.result["flow"]["id"], "name": "Echo", "stableId": "echo"}
    assert updates[0].kind == "started" and updates[-1].kind == "finished"
    assert any(u.kind == "log" and u.log and u.log.message == "run 1" for u in updates)
    record = executor.store.get_execution(outcome.execution_id)
    assert record.status == "succeeded" and record.invoke_type == "INTEGRATION_FLOW_TEST"
    blob = executor.store.step_blob(outcome.execution_id, "onExecution")
    assert blob is not None and msgpack.unpackb(blob)["data"]["runs"] == 1


def test_custom_on_trigger_answers_the_caller_and_reshapes_the_payload(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-custom-trigger")
    body = json.dumps({"challenge": "c-42", "event": "created"}).encode()

    outcome = executor.run("challenge-echo", TriggerRequest.from_body(body))

    assert outcome.succeeded, outcome.error
    assert outcome.http_response() == {
        "statusCode": 202,
        "contentType": "text/plain",
        "body": "challenge:c-42",
    }
    assert outcome.result == {"data": {"handled": "CREATED", "stepId": "string", "executionId": True}}
    state = executor.store.list_state()
    assert [(key.level, value) for key, value in state] == [("crossFlowState", {"lastChallenge": "c-42"})]


def test_the_caller_gets_the_trigger_response_even_when_the_flow_then_fails(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-custom-trigger")
    body = json.dumps({"challenge": "c-7", "event": "explode"}).encode()

    outcome = executor.run("challenge-echo", TriggerRequest.from_body(body))

    assert not outcome.succeeded and outcome.error_step == "onExecution"
    expected = {"statusCode": 202, "contentType": "text/plain", "body": "challenge:c-7"}
    assert outcome.http_response() == expected
    stored = execution_detail(executor.store, executor.store.get_execution(outcome.execution_id))
    assert stored.response == expected


def test_a_trigger_that_throws_answers_400_with_its_message(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-custom-trigger")

    outcome = executor.run("challenge-echo", TriggerRequest.from_body(b'{"challenge": "refused"}'))

    assert outcome.error_step == "onTrigger"
    expected = {"statusCode": 400, "contentType": "application/json", "body": {"error": "challenge refused"}}
    assert outcome.http_response() == expected
    assert execution_detail(executor.store, executor.store.get_execution(outcome.execution_id)).response == expected


def test_sync_invocation_returns_the_flow_result_as_the_response(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-custom-trigger")
    request = TriggerRequest.from_body(b'{"event": "x"}')
    request.headers["prismatic-synchronous"] = "true"

    outcome = executor.run("Challenge Echo", request)

    assert outcome.http_response()["statusCode"] == 200
    assert outcome.http_response()["body"] == {"handled": "X", "stepId": "string", "executionId": True}


def test_registry_component_trigger_and_actions_are_answered_by_local_mocks(
    executor_for: ExecutorFor, memory_keyring: MemoryKeyring
) -> None:
    executor = executor_for("emu-registry-component")
    mocks = executor.root / ".spectral/local/mocks/components/acme"

    no_trigger_mock = executor.run("Widget Events")
    assert not no_trigger_mock.succeeded
    assert 'trigger "widgetWebhook" of component "acme"' in (no_trigger_mock.error or "")
    assert ".spectral/local/mocks/components/acme/triggers/widgetWebhook.json" in (no_trigger_mock.error or "")

    (mocks / "triggers").mkdir(parents=True)
    (mocks / "triggers/widgetWebhook.json").write_text('{"payload": {"body": {"data": {"event": "widget.created"}}}}')
    no_action_mock = executor.run("Widget Events")
    assert not no_action_mock.succeeded and no_action_mock.error_step == "onExecution"
    assert 'action "getWidget" of component "acme"' in (no_action_mock.error or "")
    assert ".spectral/local/mocks/components/acme/actions/getWidget.json" in (no_action_mock.error or "")

    (mocks / "actions").mkdir()
    (mocks / "actions/getWidget.json").write_text('{"data": {"id": "7", "name": "mocked"}}')
    outcome = executor.run("Widget Events")
    assert outcome.succeeded, outcome.error
    assert outcome.result == {
        "data": {
            "trigger": {"event": "widget.created"},
            "list": {"data": [{"id": 1, "name": "example widget"}]},  # the manifest's examplePayload
            "one": {"data": {"id": "7", "name": "mocked"}},
        }
    }
    assert any('acme.getWidget answered by a local mock (inputs: {"id":"7"})' in line.message for line in outcome.logs)


def test_registry_connection_secrets_go_to_the_keyring_and_are_masked_in_logs(
    executor_for: ExecutorFor, memory_keyring: MemoryKeyring
) -> None:
    executor = executor_for("emu-registry-component")
    mocks = executor.root / ".spectral/local/mocks/components/acme"
    (mocks / "triggers").mkdir(parents=True)
    (mocks / "triggers/widgetWebhook.json").write_text('{"payload": {"body": {"data": {}}}}')
    (mocks / "actions").mkdir()
    (mocks / "actions/getWidget.json").write_text('{"data": {}}')

    outcome = executor.run("Widget Events")

    assert outcome.succeeded, outcome.error
    saved = instance_path(executor.root).read_text()
    assert "registry-client-secret" not in saved and "registry-signing-secret" not in saved
    connection = json.loads(saved)["connections"]["Acme Connection"]
    assert connection["fields"] == {"clientId": "client-1"}
    assert sorted(connection["secretFields"]) == ["clientSecret", "signingSecret"]
    line = next(line.message for line in outcome.logs if "acme.listWidgets answered" in line.message)
    assert '"clientId":"client-1"' in line and '"clientSecret":"••••"' in line and "registry-" not in line
    stored = [row.message for row in executor.store.logs(outcome.execution_id)]
    assert not any("registry-client-secret" in message or "registry-signing-secret" in message for message in stored)


def test_connection_fields_are_filled_in_as_the_platform_does(
    executor_for: ExecutorFor, memory_keyring: MemoryKeyring
) -> None:
    executor = executor_for("emu-oauth-template")

    outcome = executor.run("show-connection")

    assert outcome.succeeded, outcome.error
    assert outcome.result["data"]["fields"] == {
        "host": "acme.example.com",
        "authorizeUrl": "https://acme.example.com/oauth2/authorize",  # templates rendered from the host
        "tokenUrl": "https://acme.example.com/oauth2/token",
        "scopes": "read write",  # hidden inputs: their defaults
        "clientId": "acme-client-id",
        "clientSecret": "acme-client-secret",  # a hidden password input: from the keyring
    }
    saved = json.loads(instance_path(executor.root).read_text())["connections"]["Acme OAuth"]
    assert saved == {
        "fields": {"host": "acme.example.com"},
        "secretFields": ["clientSecret"],
        "token": None,
        "context": None,
    }
    instance = load_instance(executor.root)
    instance.connections["Acme OAuth"].fields["host"] = "tenant.example.org"
    save_instance(executor.root, instance)
    executor.instance = None

    moved = executor.run("show-connection")

    assert moved.result["data"]["fields"]["tokenUrl"] == "https://tenant.example.org/oauth2/token"


def test_config_values_of_each_type_with_a_connection_secret_from_the_keyring(
    executor_for: ExecutorFor, memory_keyring: MemoryKeyring
) -> None:
    executor = executor_for("emu-config-vars")
    set_connection_secret(executor.root, "Acme Connection", "password", "hunter2")
    executor.instance = None  # read the instance file again

    outcome = executor.run("Show Config")

    assert outcome.succeeded, outcome.error
    assert outcome.result["data"] == {
        "Acme Connection": {
            "key": "acmeConnection",
            "configVarKey": "Acme Connection",
            "fields": {"username": "robot", "password": "hunter2"},
        },
        "A String": "hello",
        "A Boolean": "true",
        "A Number": "42",
        "A Picklist": "blue",
        "A Code": '{"k": 1}',
        "A Date": "01/31/2025",
        "A Schedule": {"value": "*/5 * * * *", "schedule_type": "custom", "time_zone": "America/Chicago"},
        "A List": ["a", "b"],
        "A Map": [{"key": "x", "value": "1"}],
    }
    saved = instance_path(executor.root).read_text()
    assert "hunter2" not in saved
    assert json.loads(saved)["connections"]["Acme Connection"]["secretFields"] == ["password"]


def test_edited_instance_values_reach_the_flow(executor_for: ExecutorFor, memory_keyring: MemoryKeyring) -> None:
    executor = executor_for("emu-config-vars")
    path = instance_path(executor.root)
    raw = json.loads(path.read_text())
    raw["configVars"]["A Number"] = "7"
    path.write_text(json.dumps(raw))
    set_config_value(executor.root, "A String", "changed")

    outcome = executor.run("Show Config")

    assert outcome.result["data"]["A Number"] == "7"
    assert outcome.result["data"]["A String"] == "changed"
    assert any(
        "Secret connection fields with no value in the keyring run empty: Acme Connection.password" in line.message
        for line in outcome.logs
    )


def test_every_log_level_console_output_and_truncation(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-logging")
    live: list[str] = []

    def collect(update: ExecutionUpdate) -> None:
        if update.log is not None:
            live.append(update.log.message)

    outcome = executor.run("Chatty", on_update=collect)

    stored = executor.store.logs(outcome.execution_id)
    by_message = {line.message: line for line in stored}
    for severity, message in [
        ("trace", "a trace line"),
        ("debug", "a debug line"),
        ("info", "an info line { n: 1 }"),
        ("info", "a log line"),
        ("warn", "a warn line"),
        ("error", "an error line"),
        ("metric", '{"widgets":3}'),
        ("info", "from console.log"),
        ("error", "from console.error"),
    ]:
        assert by_message[message].severity == severity
        assert by_message[message].step == "onExecution"
    assert "L" * 4096 in by_message and all(len(message) <= 4096 for message in live)
    assert stored[0].message.startswith("Starting Instance 'Local Instance'")
    assert stored[-1].message == "Ending Instance 'Local Instance'"


def test_debug_mode_logs_each_step_like_the_platform(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-custom-trigger")

    outcome = executor.run("Challenge Echo", TriggerRequest.from_body(b"{}", debug=True))

    metrics = [json.loads(line.message) for line in outcome.logs if line.severity == "metric"]
    step_lines = [m for m in metrics if m.get("platform")]
    assert [m["stepName"] for m in step_lines] == ["onTrigger", "onExecution"]
    assert set(step_lines[0]["memoryUsage"]) == {"rss", "heapTotal", "heapUsed", "external", "arrayBuffers"}


def test_the_context_is_complete(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-context")

    outcome = executor.run("Inspect Context")

    assert outcome.succeeded, outcome.error
    data = outcome.result["data"]
    expected = {
        "logger", "configVars", "instanceState", "crossFlowState", "executionState", "integrationState", "stepId",
        "executionId", "webhookUrls", "webhookApiKeys", "invokeUrl", "customer", "instance", "user", "integration",
        "flow", "startedAt", "executionFrame", "globalDebug", "components", "invokeFlow", "debug",
    }  # fmt: skip
    assert expected <= set(data["keys"])
    assert data["loggerLevels"] == ["debug", "error", "info", "log", "metric", "trace", "warn"]
    assert data["executionId"] == outcome.execution_id
    assert data["flow"]["name"] == "Inspect Context" and data["flow"]["stableId"] == "inspect-context"
    assert set(data["webhookUrls"]) == {"Inspect Context", "Sibling"}
    assert data["invokeUrl"] == data["webhookUrls"]["Inspect Context"]
    assert data["invokeUrl"].startswith("http://127.0.0.1:")
    assert set(data["webhookApiKeys"]) == {"Inspect Context", "Sibling"}
    assert data["customer"] == {"id": "local-customer", "name": "Local Customer", "externalId": "local-customer"}
    assert data["integration"]["name"] == "Emulator Context"
    assert data["executionFrame"]["executionId"] == outcome.execution_id
    assert data["executionFrame"]["componentActionKey"] == "inspectContext_onExecution"
    assert data["startedAt"] == outcome.started_at
    assert isinstance(data["stepId"], str) and len(data["stepId"]) == 36  # a UUID per step
    assert data["debugEnabled"] is False and data["invokeFlow"] == "function"


def test_the_project_build_script_is_the_slow_path(project: Callable[[str], Path]) -> None:
    root = project("emu-no-trigger")
    executor = Executor(root, build_mode="project")
    try:
        result = executor.prepare()
        assert result.mode == "project" and result.bundle == root / "dist" / "index.js"
        outcome = executor.run("Echo", TriggerRequest.from_body(b'{"x": 1}'))
        assert outcome.succeeded, outcome.error
        assert outcome.result["data"]["received"] == {"x": 1}
    finally:
        executor.close()


def test_a_pool_of_two_workers_runs_executions_side_by_side(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-custom-trigger", workers=2)
    barrier = threading.Barrier(4)
    outcomes = []

    def run(n: int) -> None:
        barrier.wait()
        outcomes.append(executor.run("Challenge Echo", TriggerRequest.from_body(f'{{"event": "e{n}"}}'.encode())))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(o.result["data"]["handled"] for o in outcomes) == ["E0", "E1", "E2", "E3"]
    assert executor.pool is not None and 1 <= len(executor.pool.workers()) <= 2  # never more than its size
    assert executor.store.count_executions(status="succeeded") == 4


def test_binary_bodies_travel_as_bytes_both_ways(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-no-trigger")
    png = b"\x89PNG\r\n\x1a\n\x00\xff binary"

    outcome = executor.run("Echo", TriggerRequest.from_body(png, "image/png"))

    assert outcome.succeeded, outcome.error
    assert outcome.result["data"]["received"] == png  # a Buffer in the flow, bytes here
    stored = msgpack.unpackb(executor.store.step_blob(outcome.execution_id, "onExecution") or b"")
    assert stored["data"]["received"] == png  # msgpack bin, as the platform stores binary step results


def test_a_listener_that_raises_does_not_fail_the_execution(
    executor_for: ExecutorFor, caplog: pytest.LogCaptureFixture
) -> None:
    executor = executor_for("emu-no-trigger")
    seen: list[str] = []

    def broken(update: ExecutionUpdate) -> None:
        raise RuntimeError(f"listener broke on {update.kind}")

    executor.subscribe(broken)
    outcome = executor.run("Echo", on_update=lambda update: seen.append(update.kind))

    assert outcome.succeeded, outcome.error
    assert seen[0] == "started" and seen[-1] == "finished"  # the next listener still got every update
    assert executor.store.get_execution(outcome.execution_id).status == "succeeded"
    assert "listener broke on started" in caplog.text
