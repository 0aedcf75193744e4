"""FIFO and throttled queues, dedupe, and flow retries on the virtual clock (spec/runtime.md §4.10, §10, E12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import pairwise

from emulator.store import Store

from .conftest import Served


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_fifo_runs_one_at_a_time_in_arrival_order(serve: Callable[..., Served]) -> None:
    served = serve("serve-queue")
    ids = [
        served.client.post(served.flows["Fifo"], json={"id": f"e{n}", "n": n}).json()["executionId"] for n in range(5)
    ]
    records = [served.wait(i) for i in ids]
    assert [r["result"]["data"]["n"] for r in records] == [0, 1, 2, 3, 4]
    for earlier, later in pairwise(records):
        assert _time(earlier["endedAt"]) <= _time(later["startedAt"])


def test_fifo_drops_duplicates_within_ten_minutes(serve: Callable[..., Served]) -> None:
    served = serve("serve-queue")
    first = served.client.post(served.flows["Fifo"], json={"id": "same"}).json()
    duplicate = served.client.post(served.flows["Fifo"], json={"id": "same"}).json()
    assert duplicate["executionId"] is None and duplicate["duplicate"]
    served.wait(first["executionId"])
    served.advance("11m")
    again = served.client.post(served.flows["Fifo"], json={"id": "same"}).json()
    assert served.wait(again["executionId"])["status"] == "succeeded"


def test_throttled_runs_at_most_the_limit_at_once(serve: Callable[..., Served]) -> None:
    served = serve("serve-queue", workers=4)
    ids = [served.client.post(served.flows["Throttled"], json={"n": n}).json()["executionId"] for n in range(6)]
    records = [served.wait(i) for i in ids]
    spans = [(_time(r["startedAt"]), _time(r["endedAt"])) for r in records]
    for start, _end in spans:
        running = sum(1 for s, e in spans if s <= start < e)
        assert running <= 2
    assert max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans) == 2  # it did run two at once


def test_failed_executions_retry_with_backoff_on_the_clock(serve: Callable[..., Served]) -> None:
    served = serve("serve-queue")
    original = served.client.post(served.flows["Flaky"], json={"fail": True, "orderId": "o-1"}).json()["executionId"]
    chain = [served.wait(original)]
    delays = []
    for _ in range(3):
        record = served.admin("GET", f"executions/{chain[-1]['id']}")
        assert record["job"]["retryPending"]
        pending = served.admin("GET", "clock")["pending"]
        due = _time(pending[0]["at"]) - _time(served.admin("GET", "clock")["now"])
        delays.append(round(due.total_seconds() / 60))
        served.advance(f"{delays[-1] - 1}m")  # a minute early: nothing yet
        assert served.admin("GET", f"executions/{chain[-1]['id']}")["job"]["retryPending"]
        served.advance("1m")
        retried_as = served.admin("GET", f"executions/{chain[-1]['id']}")["job"]["retriedAs"]
        chain.append(served.wait(retried_as))
    assert delays == [2, 4, 8]
    assert all(r["status"] == "failed" for r in chain)
    last = served.admin("GET", f"executions/{chain[-1]['id']}")
    assert last["job"]["attempt"] == 3 and last["retryOf"] == original and not last["job"]["retryPending"]
    with Store.open(served.root) as store:  # recorded, not only known to the running server
        assert [store.get_execution(r["id"]).retry_of for r in chain] == [None, original, original, original]
        assert [r.id for r in store.retries_of(original)] == [r["id"] for r in chain[1:]]
    assert served.admin("GET", "clock")["pending"] == []


def test_a_newer_request_cancels_pending_retries_of_the_same_id(serve: Callable[..., Served]) -> None:
    served = serve("serve-queue")
    old = served.client.post(served.flows["Flaky"], json={"fail": True, "orderId": "o-2"}).json()["executionId"]
    served.wait(old)
    assert served.admin("GET", f"executions/{old}")["job"]["retryPending"]
    newer = served.client.post(served.flows["Flaky"], json={"orderId": "o-2"}).json()["executionId"]
    assert served.wait(newer)["status"] == "succeeded"
    assert not served.admin("GET", f"executions/{old}")["job"]["retryPending"]
    assert served.admin("GET", "clock")["pending"] == []
