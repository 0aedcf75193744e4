"""Webhooks the way the platform answers them (spec/runtime.md §2, worked examples E1–E4, E8)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from cnikit.payloads import load_payload
from emulator.executor import Executor, TriggerRequest

from .conftest import Gate, Served

EXECUTION_HEADER = "prismatic-executionid"


@pytest.fixture
def hooks(serve: Callable[..., Served]) -> Served:
    return serve("serve-webhooks")


def test_async_call_answers_at_once_with_the_execution_id(hooks: Served) -> None:
    # E1
    response = hooks.client.post(hooks.flows["Echo"], json={"renderId": 51266, "status": "complete"})
    assert response.status_code == 200
    execution_id = response.json()["executionId"]
    assert response.headers[EXECUTION_HEADER] == execution_id
    record = hooks.wait(execution_id)
    assert record["status"] == "succeeded" and record["invokeType"] == "WEBHOOK"
    assert record["result"]["data"]["body"] == {"renderId": 51266, "status": "complete"}


def test_path_fragment_query_headers_and_body_reach_the_flow(hooks: Served) -> None:
    # E2
    response = hooks.client.post(
        hooks.flows["Echo"] + "/my/custom/path?param-one=ParamValueOne&param-two=ParamValueTwo",
        headers={"header-one": "First header value"},
        json={"Payload Key 1": "Payload Value 1", "Do Thing?": True, "quantity": 123},
    )
    data = hooks.wait(response.json()["executionId"])["result"]["data"]
    assert data["pathFragment"] == "my/custom/path"
    assert data["query"] == {"param-one": "ParamValueOne", "param-two": "ParamValueTwo"}
    assert data["headerOne"] == "First header value"
    assert data["body"]["quantity"] == 123


def test_multipart_parts_are_keyed_by_field_name(hooks: Served) -> None:
    # E3
    person = json.dumps({"firstname": "Taylor", "lastname": "Swift"})
    png = b"\x89PNG\r\n\x1a\n\x00\x01binary"
    response = hooks.client.post(
        hooks.flows["Echo"],
        files={"person": (None, person, "application/json"), "photo": ("taylor.png", png, "image/png")},
    )
    body = hooks.wait(response.json()["executionId"])["result"]["data"]["body"]
    assert body["person"] == {"data": {"firstname": "Taylor", "lastname": "Swift"}, "contentType": "application/json"}
    assert body["photo"]["contentType"] == "image/png"
    # A Buffer in the flow; the admin API (like every JSON view) carries bytes as tagged base64.
    assert body["photo"]["data"] == {"$cnikit$": "bytes", "base64": base64.b64encode(png).decode()}


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_every_method_invokes_the_flow(hooks: Served, method: str) -> None:
    response = hooks.client.request(method, hooks.flows["Echo"] + "?verify=1")
    assert response.status_code == 200
    record = hooks.wait(response.json()["executionId"])
    assert record["status"] == "succeeded"
    assert record["result"]["data"]["query"] == {"verify": "1"}


def test_preflight_and_head_requests_run_nothing(hooks: Served) -> None:
    preflight = hooks.client.options(hooks.flows["Echo"])
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert hooks.client.head(hooks.flows["Echo"]).status_code == 204
    assert hooks.admin("GET", "executions")["executions"] == []


def test_xml_stays_text_and_binary_stays_bytes(hooks: Served) -> None:
    xml = hooks.client.post(hooks.flows["Echo"], content=b"<a>1</a>", headers={"content-type": "application/xml"})
    assert hooks.wait(xml.json()["executionId"])["result"]["data"]["body"] == "<a>1</a>"
    raw = bytes(range(256))
    binary = hooks.client.post(hooks.flows["Echo"], content=raw, headers={"content-type": "image/png"})
    assert hooks.wait(binary.json()["executionId"])["result"]["data"]["rawLength"] == 256


def test_sync_call_answers_with_the_result_status_headers_and_content_type(hooks: Served) -> None:
    # E4
    plain = hooks.client.post(hooks.flows["Answer"], json={"reply": "<ok/>", "contentType": "application/xml"})
    assert plain.status_code == 200 and plain.text == "<ok/>"
    assert plain.headers["content-type"].startswith("application/xml")
    assert EXECUTION_HEADER in plain.headers
    custom = hooks.client.post(
        hooks.flows["Answer"],
        json={"reply": {"customError": "nope"}, "status": 415, "headers": {"X-Custom-Header": "foo"}},
    )
    assert custom.status_code == 415 and custom.headers["x-custom-header"] == "foo"
    assert custom.json() == {"customError": "nope"}
    moved = hooks.client.post(
        hooks.flows["Answer"],
        json={"reply": "Redirecting you...", "status": 303, "headers": {"Location": "https://example.com"}},
    )
    assert moved.status_code == 303 and moved.headers["location"] == "https://example.com"


def test_a_thrown_error_gives_400_with_the_message(hooks: Served) -> None:
    response = hooks.client.post(hooks.flows["Answer"], json={"fail": "The widget requested is not in the database"})
    assert response.status_code == 400
    assert response.json() == {"error": "The widget requested is not in the database"}
    record = hooks.wait(response.headers[EXECUTION_HEADER])
    assert record["status"] == "failed"


def test_malformed_json_gives_400_and_runs_nothing(hooks: Served) -> None:
    response = hooks.client.post(
        hooks.flows["Echo"], content=b"{bad-data", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Received malformed JSON payload."}
    assert hooks.admin("GET", "executions")["executions"] == []


def test_json_is_read_as_node_reads_it(hooks: Served) -> None:
    for literal in (b'{"n": NaN}', b"[Infinity]", b"-Infinity"):
        refused = hooks.client.post(hooks.flows["Echo"], content=literal, headers={"content-type": "application/json"})
        assert (refused.status_code, refused.json()) == (400, {"error": "Received malformed JSON payload."})
    shown = hooks.client.post(
        hooks.flows["Answer"], content=b'{"show": 1e999}', headers={"content-type": "application/json"}
    )
    assert shown.text == "number Infinity"
    nested = b"[" * 5000 + b"]" * 5000
    deep = hooks.client.post(
        hooks.flows["Answer"], content=b'{"reply": ' + nested + b"}", headers={"content-type": "application/json"}
    )
    assert deep.status_code == 200 and deep.text == "[" * 5000 + "]" * 5000
    assert hooks.admin("GET", "executions")["executions"][0]["status"] == "succeeded"


def test_binary_in_a_sync_response_is_what_node_serializes(hooks: Served) -> None:
    top = hooks.client.post(hooks.flows["Answer"], json={"binary": "top"})
    assert top.content == b"\xdc\x00\xff" and top.headers["content-type"] == "application/octet-stream"
    nested = hooks.client.post(hooks.flows["Answer"], json={"binary": "nested"})
    assert nested.json() == {"file": {"type": "Buffer", "data": [220, 0, 255]}, "at": "2026-01-02T00:00:00.000Z"}


def test_large_or_redirect_preferring_sync_results_are_a_303_to_the_result(hooks: Served) -> None:
    preferred = hooks.client.post(
        hooks.flows["Answer"], json={"reply": "hi"}, headers={"prismatic-prefer-redirect-sync-response": "true"}
    )
    assert preferred.status_code == 303
    assert hooks.client.get(preferred.headers["location"]).text == "hi"
    big = hooks.client.post(hooks.flows["Answer"], json={"bigMb": 6})
    assert big.status_code == 303
    fetched = hooks.client.get(big.headers["location"])
    assert len(fetched.content) == 6 * 1024 * 1024 and fetched.headers["content-type"].startswith("text/plain")


def test_the_synchronous_header_overrides_the_flow(hooks: Served) -> None:
    sync_echo = hooks.client.post(hooks.flows["Echo"], json={"a": 1}, headers={"prismatic-synchronous": "true"})
    assert sync_echo.status_code == 200 and sync_echo.json()["body"] == {"a": 1}
    async_answer = hooks.client.post(
        hooks.flows["Answer"], json={"reply": 1}, headers={"prismatic-synchronous": "false"}
    )
    assert set(async_answer.json()) == {"executionId"}


def test_bodies_over_6_mb_are_refused(hooks: Served) -> None:
    response = hooks.client.post(hooks.flows["Echo"], content=b"x" * (6 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "maximum allowed size" in response.json()["error"]
    assert hooks.admin("GET", "executions")["executions"] == []


def test_a_custom_trigger_answers_the_caller_itself(hooks: Served) -> None:
    # E8
    response = hooks.client.post(
        hooks.flows["Confirm"],
        content=b"id,name\n1,widget\n",
        headers={"content-type": "text/csv", "x-confirmation-code": "XYZ-123"},
    )
    assert response.status_code == 200 and response.text == "XYZ-123"
    assert response.headers["content-type"].startswith("text/plain")
    record = hooks.wait(response.headers[EXECUTION_HEADER])
    assert record["result"]["data"]["rows"] == [["id", "name"], ["1", "widget"]]


def test_the_trigger_answers_even_when_the_flow_then_fails_and_a_throwing_trigger_is_400(hooks: Served) -> None:
    csv = {"content-type": "text/csv", "x-confirmation-code": "kept"}
    failed = hooks.client.post(hooks.flows["Confirm"], content=b"a\n", headers={**csv, "x-fail-execution": "late"})
    assert failed.status_code == 200 and failed.text == "kept"
    record = hooks.wait(failed.headers[EXECUTION_HEADER])
    assert record["status"] == "failed"
    assert record["response"] == {"statusCode": 200, "contentType": "text/plain; charset=utf-8", "body": "kept"}
    thrown = hooks.client.post(hooks.flows["Confirm"], content=b"a\n", headers={**csv, "x-fail-trigger": "early"})
    assert thrown.status_code == 400 and thrown.json() == {"error": "early"}
    assert hooks.wait(thrown.headers[EXECUTION_HEADER])["response"]["body"] == {"error": "early"}


def test_throttling_refuses_requests_over_the_limit_per_endpoint(serve: Callable[..., Served]) -> None:
    # E4: the platform allows 50 requests/second per endpoint (`cnikit serve --throttle`); 3 here, for speed.
    served = serve("serve-webhooks", rate_limit=3)
    url = served.flows["Answer"]
    responses = [served.client.post(url, json={"reply": n}) for n in range(8)]
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    refused = [r for r in responses if r.status_code == 429]
    assert refused, "eight requests in a row never went over 3 per second"
    token = url.rsplit("/", 1)[1]
    expected = f"Endpoint with id: {token} has exceeded maximum allowed throughput of 3 requests/second."
    assert refused[0].json()["error"] == expected + " Please throttle your requests."
    assert served.client.post(served.flows["Echo"], json={}).status_code == 200  # another endpoint, its own budget


def test_a_broken_instance_json_is_reported_and_the_server_stays_up(hooks: Served) -> None:
    path = hooks.root / ".spectral" / "local" / "instance.json"
    good = path.read_text()
    path.write_text("{not json")
    broken = hooks.client.post(hooks.flows["Answer"], json={"reply": 1})
    assert broken.status_code == 500
    assert "instance.json: not valid JSON" in broken.json()["error"]
    path.write_text(good)
    assert hooks.client.post(hooks.flows["Answer"], json={"reply": 1}).json() == 1


def test_the_trigger_answers_before_the_rest_of_the_flow_runs(hooks: Served) -> None:
    gate = Gate()
    try:
        response = hooks.client.post(
            hooks.flows["Confirm"],
            content=b"a,b\n",
            headers={"content-type": "text/csv", "x-confirmation-code": "early", "x-release": gate.url},
        )
        assert response.status_code == 200 and response.text == "early"  # onExecution is still held at the gate
        execution = hooks.admin("GET", f"executions/{response.headers[EXECUTION_HEADER]}")
        assert execution["status"] == "running"
        gate.go.set()
        assert hooks.wait(execution["id"])["result"]["data"]["rows"] == [["a", "b"]]
    finally:
        gate.close()


def test_an_unknown_endpoint_is_404_naming_the_real_ones(hooks: Served) -> None:
    response = hooks.client.post(f"{hooks.url}/trigger/bm9wZQ==", json={})
    assert response.status_code == 404
    assert hooks.flows["Echo"] in response.json()["error"]


def test_capture_saves_requests_as_payload_files_that_replay(serve: Callable[..., Served]) -> None:
    captured = serve("serve-webhooks", capture=True)
    response = captured.client.post(captured.flows["Echo"], json={"order": 7}, headers={"x-shop": "acme"})
    captured.wait(response.json()["executionId"])
    files = sorted((captured.root / ".spectral" / "flows" / "echo" / "payloads").glob("captured-*.json"))
    assert len(files) == 1
    payload = load_payload(files[0])
    assert payload.data == {"order": 7} and payload.headers["x-shop"] == "acme"
    assert any(e.kind == "capture" for e in captured.events)
    with Executor(captured.root) as executor:
        outcome = executor.run("Echo", TriggerRequest.from_payload(payload))
    assert outcome.result["data"]["body"] == {"order": 7}


def test_a_synchronous_call_gives_up_after_the_timeout_and_the_execution_goes_on(
    serve: Callable[..., Served],
) -> None:
    served = serve("serve-reload")
    served.server.runtime.sync_timeout = 0.5  # the platform's 30 s, shortened for the test
    gate = Gate()
    try:
        response = served.client.post(served.flows["Hold"], json={"release": gate.url})
        assert response.status_code == 504
        assert "did not finish within 0.5 seconds" in response.json()["error"]
        execution_id = response.headers[EXECUTION_HEADER]
        gate.go.set()
        record = served.wait(execution_id)
    finally:
        gate.close()
    assert record["status"] == "succeeded" and record["result"]["data"]["greeting"] == "hello, version 1"


def test_capture_skips_bodies_the_payload_format_cannot_hold(serve: Callable[..., Served]) -> None:
    captured = serve("serve-webhooks", capture=True)
    response = captured.client.post(
        captured.flows["Echo"], content=bytes(range(10)), headers={"content-type": "image/png"}
    )
    captured.wait(response.json()["executionId"])  # the execution still runs (and keeps the exact request)
    assert not (captured.root / ".spectral" / "flows" / "echo" / "payloads").exists()
    warnings = [e.data["message"] for e in captured.events if e.kind == "log" and e.data.get("severity") == "warn"]
    assert any("not captured for flow 'Echo': image/png bodies cannot be saved" in w for w in warnings)
