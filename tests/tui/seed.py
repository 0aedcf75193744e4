"""Deterministic executions in a real emulator store, for the TUI's tests, snapshots and benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from emulator.store import NewExecution, StepRecord, Store

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
FLOWS = (("receive-event", "Receive Event", "WEBHOOK"), ("nightly-sync", "Nightly Sync", "SCHEDULED"))


def iso(moment: datetime) -> str:
    """The store's timestamp format."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_execution(
    store: Store,
    number: int,
    *,
    started: datetime,
    flow: tuple[str, str, str] = FLOWS[0],
    status: str = "succeeded",
    output: object = None,
    logs: int = 2,
    replay_of: str | None = None,
    parent_id: str | None = None,
    retry_of: str | None = None,
) -> str:
    """Write one finished (or running) execution with both steps and a few logs; returns its id."""
    key, name, invoke = flow
    execution_id = f"exec-{number:06d}"
    store.begin_execution(
        NewExecution(
            id=execution_id,
            instance_id="local",
            flow_key=key,
            flow_name=name,
            invoke_type=invoke,
            request={"headers": {}, "body": ""},
            started_at=iso(started),
            replay_of=replay_of,
            parent_id=parent_id,
            retry_of=retry_of,
        )
    )
    if status == "running":
        return execution_id
    trigger_end = started + timedelta(milliseconds=40)
    ended = started + timedelta(milliseconds=40 + 75 * (1 + number % 7))
    failed = status == "failed"
    log_lines: list[tuple[str, str, str | None, str]] = [
        (iso(started + timedelta(milliseconds=5 * i)), "info" if i % 3 else "debug", "onExecution", f"line {i}")
        for i in range(logs)
    ]
    if failed:
        log_lines.append((iso(ended), "error", "onExecution", "upstream answered 503"))
    store.finish_execution(
        execution_id,
        status="failed" if failed else "succeeded",
        error="Error: upstream answered 503 Service Unavailable" if failed else None,
        result=output,
        steps=[
            StepRecord(execution_id, 0, "onTrigger", iso(started), iso(trigger_end), None, {"payload": {"n": number}}),
            StepRecord(
                execution_id,
                1,
                "onExecution",
                iso(trigger_end),
                iso(ended),
                "upstream answered 503" if failed else None,
                output if output is not None else {"data": {"synced": number, "items": ["a", "b"]}},
            ),
        ],
        logs=log_lines,
        ended_at=iso(ended),
    )
    return execution_id


def seed(root: Path, count: int, *, now: datetime = NOW) -> list[str]:
    """`count` executions, one every 37 s going back from `now`, alternating flows; every 5th failed."""
    ids = []
    with Store.open(root) as store:
        for number in range(1, count + 1):
            started = now - timedelta(seconds=37 * (count - number + 1))
            flow = FLOWS[number % 2]
            status = "failed" if number % 5 == 0 else "succeeded"
            ids.append(record_execution(store, number, started=started, flow=flow, status=status))
    return ids
