"""The store on its own: state levels written whole and only on success, executions paged newest first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from emulator.store import NewExecution, StateKey, StepRecord, Store, StoreError, StoreEvent


def _begin(store: Store, n: int, flow: str = "flow-a") -> str:
    execution_id = f"exec-{n:03d}"
    store.begin_execution(NewExecution(execution_id, "inst", flow, flow.title(), "INTEGRATION_FLOW_TEST", {"n": n}))
    return execution_id


def test_state_written_only_when_the_execution_succeeds(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    key = StateKey("crossFlowState", "inst")
    ok = _begin(store, 1)
    store.finish_execution(ok, status="succeeded", state={key: '{"a":1}'})
    failed = _begin(store, 2)
    store.finish_execution(failed, status="failed", error="boom", state={key: '{"a":2}'})
    assert store.get_state(key) == {"a": 1}
    assert store.get_execution(failed).error == "boom"


def test_executions_newest_first_paged_and_filtered(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    for n in range(5):
        execution_id = _begin(store, n, "flow-a" if n % 2 == 0 else "flow-b")
        store.finish_execution(execution_id, status="succeeded" if n != 4 else "failed", result={"n": n})
    assert [r.request["n"] for r in store.list_executions(limit=2)] == [4, 3]
    assert [r.request["n"] for r in store.list_executions(limit=2, offset=2)] == [2, 1]
    assert [r.request["n"] for r in store.list_executions(flow="flow-a")] == [4, 2, 0]
    assert [r.request["n"] for r in store.list_executions(status="failed")] == [4]
    assert store.count_executions(flow="flow-b") == 2
    assert store.get_execution("2").result == {"n": 1}  # by sequence number


def test_steps_are_msgpack_and_logs_truncated(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    execution_id = _begin(store, 1)
    step = StepRecord(execution_id, 1, "onExecution", "t0", "t1", None, {"data": b"\x00\x01", "n": 1})
    store.finish_execution(
        execution_id, status="succeeded", steps=[step], logs=[("t0", "info", "onExecution", "x" * 5000)]
    )
    assert store.step_output(execution_id, "onExecution") == {"data": b"\x00\x01", "n": 1}
    import msgpack

    assert msgpack.unpackb(store.step_blob(execution_id, "onExecution")) == {"data": b"\x00\x01", "n": 1}
    (log,) = store.logs(execution_id)
    assert len(log.message) == 4096


def test_subscribers_see_start_and_finish_and_unknown_ids_fail_clearly(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    events: list[StoreEvent] = []
    unsubscribe = store.subscribe(events.append)
    execution_id = _begin(store, 1)
    store.finish_execution(execution_id, status="succeeded")
    unsubscribe()
    _begin(store, 2)
    assert [(e.kind, e.status) for e in events] == [("started", "running"), ("finished", "succeeded")]
    with pytest.raises(StoreError, match="no execution"):
        store.get_execution("nope")


def test_another_process_sees_changes(tmp_path: Path) -> None:
    reader = Store(tmp_path / "db.sqlite")
    writer = Store(tmp_path / "db.sqlite")
    assert not reader.changed()
    _begin(writer, 1)
    assert reader.changed()
    assert not reader.changed()


def test_a_store_from_before_lineage_gains_its_columns_in_place(tmp_path: Path) -> None:
    path = tmp_path / "emulator.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE executions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, instance_id TEXT NOT NULL,
            flow_key TEXT NOT NULL, flow_name TEXT NOT NULL, invoke_type TEXT NOT NULL, status TEXT NOT NULL,
            started_at TEXT NOT NULL, ended_at TEXT, error TEXT, request TEXT NOT NULL, result BLOB, response BLOB,
            execution_state TEXT, replay_of TEXT, http_mode TEXT NOT NULL DEFAULT 'live', cassette TEXT
        );
        INSERT INTO executions (id, instance_id, flow_key, flow_name, invoke_type, status, started_at, request)
        VALUES ('old-1', 'i', 'echo', 'Echo', 'WEBHOOK', 'succeeded', '2026-01-01T00:00:00.000Z', '{}');
        """
    )
    old.commit()
    old.close()

    with Store(path) as store:
        kept = store.get_execution("old-1")
        assert (kept.flow_name, kept.parent_id, kept.retry_of, kept.status_detail) == ("Echo", None, None, None)
        store.begin_execution(
            NewExecution("new-1", "i", "echo", "Echo", "CROSS_FLOW", {}, parent_id="old-1", retry_of="old-0")
        )
        store.finish_execution("new-1", status="succeeded", status_detail="polled_no_changes")
        new = store.get_execution("new-1")
        assert (new.parent_id, new.retry_of, new.status_detail) == ("old-1", "old-0", "polled_no_changes")
        assert [r.id for r in store.invoked_by("old-1")] == ["new-1"]
    with Store(path) as again:  # opening a migrated store changes nothing
        assert again.get_execution("new-1").parent_id == "old-1"


def test_an_execution_is_found_by_number_id_or_a_prefix_after_the_constant_part(tmp_path: Path) -> None:
    from emulator.executor import execution_global_id
    from emulator.store import ID_PREFIX

    store = Store(tmp_path / "db.sqlite")
    ids = [execution_global_id() for _ in range(2)]
    for n, execution_id in enumerate(ids):
        store.begin_execution(NewExecution(execution_id, "inst", "f", "F", "INTEGRATION_FLOW_TEST", {"n": n}))
    first = store.get_execution(ids[0])
    assert first.id.startswith(ID_PREFIX) and first.short_id == ids[0][len(ID_PREFIX) :]
    assert store.get_execution("#1").id == store.get_execution("1").id == ids[0]
    assert store.get_execution(first.short_id[:10]).id == ids[0]  # what `executions list` shows
    assert store.get_execution(ids[1][:40]).id == ids[1]  # a prefix of the whole id still works
    with pytest.raises(StoreError, match="ambiguous"):
        store.get_execution(ID_PREFIX[:20])
    with pytest.raises(StoreError, match="no execution"):
        store.get_execution(first.short_id[:10].swapcase())  # base64 is case-sensitive


def test_prune_keeps_the_newest_and_the_running_and_never_state(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    key = StateKey("crossFlowState", "inst")
    for n in range(5):
        execution_id = _begin(store, n)
        store.finish_execution(
            execution_id, status="succeeded", state={key: '{"a":1}'}, logs=[("t", "info", None, "x")]
        )
    running = _begin(store, 5)
    assert store.prune(keep=2) == 4  # exec-000 … exec-003 (the running one is among the newest two anyway)
    assert [r.id for r in store.list_executions()] == [running, "exec-004"]
    assert store.logs("exec-000") == [] and store.get_state(key) == {"a": 1}
    assert store.prune(keep=0) == 1  # only the finished one: a running execution is never deleted
    assert store.prune(older_than="0000") == 0
