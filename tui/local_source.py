"""Local executions: the emulator's SQLite store seen through `ExecutionSource`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from emulator.store import ExecutionRecord, Status, Store, StoreError, StoreEvent
from tui.sources import ExecutionQuery, ExecutionRow, LogRow, SourceInfo, StepOutput, StepRow


def parse_time(text: str | None) -> datetime | None:
    """The store's ISO 8601 timestamps (`…Z`) as aware datetimes."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def execution_row(record: ExecutionRecord) -> ExecutionRow:
    """A store record as a table row."""
    started = parse_time(record.started_at)
    assert started is not None  # the store always records a start
    return ExecutionRow(
        id=record.id,
        flow=record.flow_name,
        status=record.status,
        started_at=started,
        ended_at=parse_time(record.ended_at),
        invoke_type=record.invoke_type,
        replay_of=record.replay_of,
        invoked_by=record.parent_id,
        retry_of=record.retry_of,
        error=record.error,
    )


class LocalSource:
    """Executions of the project's emulator store. The store file is opened lazily: until anything ran there is
    nothing to show, and merely looking must not create files in the project."""

    def __init__(
        self,
        root: Path,
        replayer: Callable[[str], str] | None = None,
        label: str = "local emulator",
    ) -> None:
        self.root = root
        self.replayer = replayer
        self.label = label
        self.flows: list[str] = []
        self._store: Store | None = None
        self._version = 0
        self._lock = threading.Lock()
        self._live: dict[str, list[LogRow]] = {}
        self.error: str | None = None  # log lines of executions running in this process

    @property
    def db_path(self) -> Path:
        """Where the store lives."""
        from emulator.store import DB_NAME

        return self.root / ".spectral" / "local" / DB_NAME

    @property
    def store(self) -> Store | None:
        """The store, once its file exists (None, with `error` saying why, when the file is not a usable store)."""
        if self._store is None and self.db_path.exists() and self.error is None:
            try:
                self._store = Store(self.db_path)
            except StoreError as error:  # not a usable store: the store's one line says what to do
                self.error = str(error)
                return None
            except sqlite3.DatabaseError as error:
                self.error = (
                    f"{self.db_path} is not a readable emulator store ({error}); move it away and run a flow to "
                    "start a new one"
                )
                return None
            self._store.subscribe(self._on_event)
        return self._store

    def attach(self, store: Store) -> None:
        """Use a store this process already has open (the executor's), so its events arrive at once."""
        self._store = store
        store.subscribe(self._on_event)
        self._bump()

    def live_log(self, execution_id: str, line: Any) -> None:
        """A log line of an execution running in this process, at once (the store gets it in a batch soon after)."""
        with self._lock:
            rows = self._live.setdefault(execution_id, [])
            moment = parse_time(line.timestamp) or datetime.now(UTC)
            rows.append(LogRow(len(rows), moment, line.severity, line.message, line.step))
            self._version += 1

    def forget_live(self, execution_id: str) -> None:
        """The execution ended: its lines are in the store now."""
        with self._lock:
            self._live.pop(execution_id, None)

    def _on_event(self, event: StoreEvent) -> None:
        self._bump()

    def _bump(self) -> None:
        with self._lock:
            self._version += 1

    def close(self) -> None:
        """Close the store."""
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- ExecutionSource ---------------------------------------------------------------------------------------------
    def info(self) -> SourceInfo:
        """Label, abilities, known flow names."""
        label = f"{self.label} — {self.error}" if self.error else self.label
        return SourceInfo(label, can_replay=self.replayer is not None, can_run=True, flows=self.flows)

    def count(self, query: ExecutionQuery) -> int:
        """How many executions match."""
        store = self.store
        if store is None:
            return 0
        return store.count_executions(flow=query.flow, status=cast("Status | None", query.status))

    def page(self, query: ExecutionQuery, offset: int, limit: int) -> list[ExecutionRow]:
        """Matching executions, newest first."""
        store = self.store
        if store is None:
            return []
        records = store.list_executions(
            flow=query.flow, status=cast("Status | None", query.status), limit=limit, offset=offset
        )
        return [execution_row(record) for record in records]

    def get(self, execution_id: str) -> ExecutionRow | None:
        """One execution."""
        store = self.store
        if store is None:
            return None
        try:
            return execution_row(store.get_execution(execution_id))
        except StoreError:
            return None

    def steps(self, execution_id: str) -> list[StepRow]:
        """Steps in order."""
        store = self.store
        if store is None:
            return []
        return [
            StepRow(step.name, parse_time(step.started_at), parse_time(step.ended_at), has_error=bool(step.error))
            for step in store.steps(execution_id)
        ]

    def logs(self, execution_id: str, after: int = -1) -> list[LogRow]:
        """Log lines after `after`."""
        with self._lock:
            live = list(self._live.get(execution_id, []))
        if live:
            return [row for row in live if row.seq > after]
        store = self.store
        if store is None:
            return []
        rows = []
        for log in store.logs(execution_id, after_id=max(after, 0)):
            moment = parse_time(log.timestamp) or datetime.now(UTC)
            rows.append(LogRow(log.id, moment, log.severity, log.message, log.step))
        return rows

    def step_output(self, execution_id: str, step: str) -> StepOutput:
        """A step's decoded result; a failed step shows its error."""
        store = self.store
        if store is None:
            return StepOutput(None, found=False)
        for record in store.steps(execution_id):
            if record.name == step:
                note = f"Step failed: {record.error}" if record.error else ""
                value: Any = record.result
                return StepOutput(value, found=True, note=note)
        return StepOutput(None, found=False, note=f"Execution {execution_id} has no step {step!r}.")

    def replay(self, execution_id: str) -> str:
        """Replay through the emulator."""
        if self.replayer is None:
            raise RuntimeError("Replaying needs the emulator's executor, which is not available here.")
        return self.replayer(execution_id)

    async def refresh(self) -> None:
        """Local data is read on demand: nothing to fetch."""

    async def prefetch(self, execution_id: str) -> None:
        """Local data is read on demand: nothing to fetch."""

    def version(self) -> int:
        """Changes when this process recorded something, or another process committed to the store."""
        store = self.store
        if store is not None and store.changed():
            self._bump()
        if store is None:
            return -1
        return self._version
