"""Testing a flow in the cloud: payload files of each content type, pre-flight, following, step outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cnikit.payloads import load_payload
from cnikit.platform.client import PrismaticClient
from cnikit.platform.cloudtest import Finished, FollowEvent, LogEvent, StepEvent, poll_interval, run_test
from cnikit.platform.errors import NeedsConfiguration, StepOutputError
from cnikit.settings import load_settings
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic


@pytest.fixture
def logged_in(fake: FakePrismatic, env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> FakePrismatic:
    monkeypatch.setenv("PRISM_REFRESH_TOKEN", fake.issue_refresh_token())
    return fake


def _payload_file(tmp_path: Path, name: str, content: dict[str, Any]) -> Path:
    path = tmp_path / ".spectral" / "flows" / "flow-1" / "payloads" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2))
    return path


class Clock:
    """A virtual clock: `sleep` records the delay and moves time forward instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def _follow(client: PrismaticClient, flow_id: str, execution_id: str, clock: Clock, **kw: Any) -> list[Any]:
    events: list[FollowEvent] = []
    async for event in client.follow(flow_id, execution_id, sleep=clock.sleep, clock=clock, **kw):
        events.append(event)
    return events


XML = '<?xml version="1.0"?>\n<order id="42"><item>Widget</item></order>'
CSV = "id,name\n1,Widget\n2,Gadget\n"


@pytest.mark.parametrize(
    ("content", "sent"),
    [
        (
            {"headers": {"x-source": "unit"}, "data": {"order": 42}, "contentType": "application/json"},
            json.dumps({"order": 42}, indent=2),
        ),
        ({"headers": [], "data": XML, "contentType": "application/xml"}, XML),
        ({"headers": {}, "data": CSV, "contentType": "application/csv"}, CSV),
    ],
    ids=["json", "xml", "csv"],
)
async def test_payload_files_are_sent_and_the_execution_followed_to_the_end(
    logged_in: FakePrismatic, tmp_path: Path, content: dict[str, Any], sent: str
) -> None:
    integration = logged_in.add_integration()
    payload = load_payload(_payload_file(tmp_path, "sample", content))
    clock = Clock()
    async with PrismaticClient(load_settings()) as client:
        flow, execution_id = await run_test(client, integration.id, "flow-1", payload, debug=True)
        events = await _follow(client, flow.id, execution_id, clock)

    request = logged_in.executions[execution_id].request
    assert request["payload"] == sent  # string bodies as they are, not JSON-quoted
    assert request["contentType"] == content["contentType"]
    headers = json.loads(request["headers"])
    assert headers["prismatic-debug"] == "true" and "prismatic-synchronous" not in headers
    if content["headers"]:
        assert headers["x-source"] == "unit"

    logs = [e.line.message for e in events if isinstance(e, LogEvent)]
    assert logs == ["Execution started", "Trigger received the payload", "Processing", "Almost done"]
    steps = [(e.step.label, e.output.data if e.output else None) for e in events if isinstance(e, StepEvent)]
    expected = json.loads(sent) if content["contentType"] == "application/json" else sent
    assert steps == [("onTrigger", expected), ("onExecution", {"processed": True, "received": expected})]
    assert isinstance(events[-1], Finished) and events[-1].execution is not None
    assert events[-1].execution.resultType == "COMPLETED" and not events[-1].timed_out
    assert clock.sleeps == [1.0, 1.0]  # three polls, one second apart at the start


async def test_sync_header_and_no_payload(logged_in: FakePrismatic) -> None:
    integration = logged_in.add_integration()
    async with PrismaticClient(load_settings()) as client:
        _, execution_id = await run_test(client, integration.id, "Flow 1", None, sync=True)
    request = logged_in.executions[execution_id].request
    assert "payload" not in request and json.loads(request["headers"]) == {"prismatic-synchronous": "true"}


async def test_an_unconfigured_instance_is_refused_with_the_wizard_url(logged_in: FakePrismatic) -> None:
    integration = logged_in.add_integration(config_state="NEEDS_INSTANCE_CONFIGURATION")
    async with PrismaticClient(load_settings()) as client:
        with pytest.raises(NeedsConfiguration) as err:
            await run_test(client, integration.id, "flow-1", None)
    assert (
        err.value.wizard_url == f"{logged_in.url}/configure-instance/{integration.system_instance_id}/?reconfigure=true"
    )
    assert "NEEDS_INSTANCE_CONFIGURATION" in str(err.value) and err.value.wizard_url in str(err.value)
    assert "TestIntegrationFlow" not in [name for name, _ in logged_in.operations]


async def test_unknown_flow_lists_the_flows(logged_in: FakePrismatic) -> None:
    integration = logged_in.add_integration(flows=2)
    async with PrismaticClient(load_settings()) as client:
        with pytest.raises(Exception, match="No flow 'nope' in this integration; its flows are: flow-1, flow-2"):
            await run_test(client, integration.id, "nope", None)


def test_adaptive_poll_cadence() -> None:
    assert [poll_interval(t) for t in (0, 29.9, 30, 59.9, 60, 299, 300, 5000)] == [1, 1, 5, 5, 30, 30, 60, 60]


async def test_a_long_execution_is_polled_with_the_adaptive_cadence_until_it_ends(logged_in: FakePrismatic) -> None:
    integration = logged_in.add_integration()
    logged_in.phases_for_next_test = [{} for _ in range(47)] + [{"end": "Boom: the flow threw"}]
    clock = Clock()
    async with PrismaticClient(load_settings()) as client:
        flow, execution_id = await run_test(client, integration.id, None, None)
        events = await _follow(client, flow.id, execution_id, clock)
    assert clock.sleeps == [1.0] * 30 + [5.0] * 6 + [30.0] * 8 + [60.0] * 3
    final = events[-1]
    assert isinstance(final, Finished) and final.execution is not None
    assert final.execution.failed and final.execution.error == "Boom: the flow threw"


async def test_following_stops_at_the_timeout(logged_in: FakePrismatic) -> None:
    integration = logged_in.add_integration()
    logged_in.phases_for_next_test = [{} for _ in range(100)]
    clock = Clock()
    async with PrismaticClient(load_settings()) as client:
        flow, execution_id = await run_test(client, integration.id, None, None)
        events = await _follow(client, flow.id, execution_id, clock, timeout=10)
    assert isinstance(events[-1], Finished) and events[-1].timed_out
    assert sum(clock.sleeps) == 10


async def test_expired_step_output_urls_say_so(logged_in: FakePrismatic) -> None:
    integration = logged_in.add_integration()
    logged_in.outputs_expired = True
    clock = Clock()
    async with PrismaticClient(load_settings()) as client:
        flow, execution_id = await run_test(client, integration.id, None, None)
        events = await _follow(client, flow.id, execution_id, clock)
        step = next(e.step for e in events if isinstance(e, StepEvent))
        with pytest.raises(StepOutputError, match=r"forbidden \(403\): the presigned link has expired"):
            await client.step_output(step)
    errors = [e.error for e in events if isinstance(e, StepEvent)]
    assert len(errors) == 2 and all(e and "Access to step outputs is forbidden (403)" in e for e in errors)
    assert isinstance(events[-1], Finished)  # following went on to the end


async def test_step_outputs_binary_dates_and_the_preview_cap(logged_in: FakePrismatic) -> None:
    import datetime as dt

    integration = logged_in.add_integration()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    logged_in.phases_for_next_test = [
        {"step": ("onTrigger", {"data": {"image": {"data": png, "contentType": "image/png"}, "blob": b"abc"}})},
        {"step": ("onExecution", {"data": {"at": when}})},
        {"step": ("huge", {"data": "x" * 1_100_000}), "end": None},
    ]
    clock = Clock()
    async with PrismaticClient(load_settings()) as client:
        flow, execution_id = await run_test(client, integration.id, None, None)
        events = await _follow(client, flow.id, execution_id, clock)
    outputs = {e.step.label: e.output for e in events if isinstance(e, StepEvent) and e.output}
    trigger = outputs["onTrigger"].data
    assert trigger["image"]["data"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert trigger["blob"] == "<data (3 bytes)>"
    assert outputs["onExecution"].data == {"at": "2026-01-02T03:04:05.000Z"}
    huge = outputs["huge"]
    assert huge.message and huge.message.startswith("Output exceeds 1048576 byte preview limit")
    assert huge.data.startswith("<data (")


async def test_a_step_output_not_uploaded_yet_is_fetched_at_a_later_poll(logged_in: FakePrismatic) -> None:
    integration = logged_in.add_integration()
    logged_in.phases_for_next_test = [
        {"step": ("onTrigger", {"data": {"n": 1}})},
        {},
        {"step": ("onExecution", {"data": {"n": 2}}), "end": None},
    ]
    logged_in.outputs_pending = True
    clock = Clock()

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds)
        logged_in.outputs_pending = len(clock.sleeps) < 2  # uploaded after the second poll

    async with PrismaticClient(load_settings()) as client:
        flow, execution_id = await run_test(client, integration.id, None, None)
        events = [e async for e in client.follow(flow.id, execution_id, sleep=sleep, clock=clock)]
    steps = [(e.step.label, e.output.data if e.output else None) for e in events if isinstance(e, StepEvent)]
    assert steps == [("onTrigger", {"n": 1}), ("onExecution", {"n": 2})]
