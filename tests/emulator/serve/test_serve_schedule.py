"""Schedules and polling on the virtual clock (spec/runtime.md §4.4, §4.5, E10)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from emulator.store import Store

from .conftest import Served


def fired(answer: dict, flow: str) -> list[dict]:
    return [tick for tick in answer["fired"] if tick["flow"] == flow]


def test_cron_ticks_fire_in_their_time_zone(serve: Callable[..., Served]) -> None:
    served = serve("serve-schedule")
    clock = served.admin("GET", "clock")
    assert clock["now"] == "2026-01-15T12:00:00Z" and clock["frozen"]
    assert clock["next"]["Chicago Morning"] == "2026-01-15T15:30:00Z"  # 09:30 CST
    answer = served.advance("4h")
    chicago = fired(answer, "Chicago Morning")
    assert [t["scheduledFor"] for t in chicago] == ["2026-01-15T15:30:00Z"]
    record = served.wait(chicago[0]["executionId"])
    assert record["status"] == "succeeded" and record["invokeType"] == "SCHEDULED"


def test_a_schedule_config_variable_drives_its_flow(serve: Callable[..., Served]) -> None:
    served = serve("serve-schedule")
    answer = served.advance("1h")
    ticks = [t["scheduledFor"] for t in fired(answer, "Configured")]
    assert ticks == ["2026-01-15T12:15:00Z", "2026-01-15T12:30:00Z", "2026-01-15T12:45:00Z", "2026-01-15T13:00:00Z"]
    for tick in fired(answer, "Configured"):
        assert served.wait(tick["executionId"])["status"] == "succeeded"
    flows = {f["name"]: f for f in served.admin("GET", "flows")["flows"]}
    assert flows["Configured"]["schedule"]["source"] == "Sync Schedule"


def test_every_due_tick_fires_once_in_order(serve: Callable[..., Served]) -> None:
    served = serve("serve-schedule")
    first = served.advance("30m")
    second = served.advance("30m")
    times = [t["scheduledFor"] for t in fired(first, "Configured") + fired(second, "Configured")]
    assert times == sorted(set(times)) and len(times) == 4


def test_singleton_flows_skip_ticks_while_running(serve: Callable[..., Served]) -> None:
    served = serve("serve-schedule")
    answer = served.advance("3m")
    slow = fired(answer, "Slow Singleton")
    assert [t["state"] for t in slow] == ["running", "skipped", "skipped"]
    assert served.wait(slow[0]["executionId"])["status"] == "succeeded"
    later = fired(served.advance("1m"), "Slow Singleton")
    assert [t["state"] for t in later] == ["running"]  # the previous run is over: this tick runs


def test_polling_keeps_its_cursor_and_records_no_changes(serve: Callable[..., Served]) -> None:
    # E10
    served = serve("serve-polling")
    records = []
    for _ in range(3):
        (tick,) = fired(served.advance("5m"), "Poll Records")
        records.append(served.wait(tick["executionId"]))
    first, second, third = records
    assert first["statusDetail"] == "polled_no_changes" and [s["name"] for s in first["steps"]] == ["onTrigger"]
    assert second["statusDetail"] is None and second["result"]["data"] == [{"record": 1}]
    assert third["result"]["data"] == [{"record": 2}]
    with Store.open(served.root) as store:
        details = [store.get_execution(r["id"]).status_detail for r in records]
    assert details == ["polled_no_changes", None, None]
    state = served.admin("GET", "state")["state"]
    flow_state = next(s for s in state if s["level"] == "instanceState" and s["flow"] == "poll-records")
    assert flow_state["value"]["__prismaticInternal"]["polling"] == {"cursor": 2}


def test_editing_the_schedule_in_instance_json_takes_effect(serve: Callable[..., Served]) -> None:
    served = serve("serve-schedule")
    path = served.root / ".spectral" / "local" / "instance.json"
    instance = json.loads(path.read_text())
    assert instance["configVars"]["Sync Schedule"]["value"] == "*/15 * * * *"
    instance["configVars"]["Sync Schedule"]["value"] = "0 * * * *"
    path.write_text(json.dumps(instance))  # as the config wizard does
    ticks = [t["scheduledFor"] for t in fired(served.advance("2h"), "Configured")]
    assert ticks == ["2026-01-15T13:00:00Z", "2026-01-15T14:00:00Z"]
    flows = {f["name"]: f for f in served.admin("GET", "flows")["flows"]}
    assert flows["Configured"]["schedule"]["cron"] == "0 * * * *"


def test_setting_the_clock_back_or_to_a_non_time_is_refused_and_leaves_it_where_it_was(
    serve: Callable[..., Served],
) -> None:
    served = serve("serve-schedule")
    url = f"{served.url}/__cnikit/clock"

    back = served.client.post(url, json={"set": "2026-01-15T11:00:00Z"}, headers=served.auth)
    assert back.status_code == 400
    assert back.json()["error"] == (
        "the clock only moves forward; it is at 2026-01-15T12:00:00Z, asked for 2026-01-15T11:00:00Z"
    )
    for bad in ("notadate", "2027-01-15T15:00:00"):  # no zone: ambiguous
        answer = served.client.post(url, json={"set": bad}, headers=served.auth)
        assert answer.status_code == 400
        assert answer.json()["error"] == (
            f"expected an ISO 8601 time with a zone, like 2027-01-15T15:00:00Z, found {bad!r}"
        )
    assert served.admin("GET", "clock")["now"] == "2026-01-15T12:00:00Z"


def test_setting_the_clock_jumps_without_firing_the_ticks_in_between(serve: Callable[..., Served]) -> None:
    served = serve("serve-schedule")
    jumped = served.admin("POST", "clock", json={"set": "2026-01-16T16:00:00Z"})
    assert jumped["now"] == "2026-01-16T16:00:00Z" and jumped["fired"] == []
    assert served.admin("GET", "executions")["executions"] == []
    after = fired(served.advance("15m"), "Configured")  # ticks resume from the new time
    assert [t["scheduledFor"] for t in after] == ["2026-01-16T16:15:00Z"]


@pytest.mark.parametrize(
    ("move", "error"),
    [
        ({"set": "9999-12-31T23:59:59Z"}, "the clock stays before 9000-01-01T00:00:00Z, asked for 9999-12-31T23:59"),
        ({"set": "8999-12-31T23:59:59-12:00"}, "the clock stays before 9000-01-01T00:00:00Z, asked for 9000-01-01"),
        ({"advance": "99999999999d"}, "'99999999999d' is too long a duration: the clock stays before 9000-01-01"),
        ({"advance": "10000000000m"}, "the clock stays before 9000-01-01T00:00:00Z; advancing"),
        ({"advance": "9" * 400 + "s"}, "is too long a duration"),
    ],
)
def test_out_of_range_clock_moves_are_refused_and_change_nothing(
    serve: Callable[..., Served], move: dict[str, str], error: str
) -> None:
    served = serve("serve-schedule")
    answer = served.client.post(f"{served.url}/__cnikit/clock", json=move, headers=served.auth)
    assert answer.status_code == 400 and error in answer.json()["error"]
    clock = served.client.get(f"{served.url}/__cnikit/clock")
    assert clock.status_code == 200 and clock.json()["now"] == "2026-01-15T12:00:00Z"
    assert served.admin("GET", "executions")["executions"] == []


def test_an_advance_that_would_fire_more_than_a_thousand_ticks_is_refused_before_anything_fires(
    serve: Callable[..., Served],
) -> None:
    served = serve("serve-schedule")
    answer = served.client.post(f"{served.url}/__cnikit/clock", json={"advance": "17h"}, headers=served.auth)
    assert answer.status_code == 400
    message = answer.json()["error"]  # Slow Singleton ticks every minute: 17 hours are 1,020 ticks
    assert "would fire 1,020 ticks of flow 'Slow Singleton'" in message and "at most 1,000 fire per flow" in message
    assert served.admin("GET", "clock")["now"] == "2026-01-15T12:00:00Z"
    assert served.admin("GET", "executions")["executions"] == []
    assert [event for event in served.events if event.kind == "tick"] == []
