"""Where executions live, seen the same way by every face: `ExecutionSource`, its local implementation over the
emulator's store (`LocalSource`), and `ExecutionFeed`, a cursor over a store that yields what changed.

Contract:

* `ExecutionSource` answers in views (`emulator.views`): pages of `ExecutionView`, one `ExecutionDetail`, steps,
  `LogLine`s after a sequence number, a step's decoded output. `LocalSource` reads the project's store;
  `emulator.cloud_source.CloudSource` the Prismatic cloud (fetched with `refresh`/`prefetch`, answered from memory).
  Every method is synchronous and fast for local data; callers use threads for cloud fetches.
* `ExecutionFeed(store).poll()` returns, oldest first, the executions started, stepped or ended and the log lines
  written since the previous poll — by this process or any other (a `cnikit run` in a terminal, `cnikit serve`).
  Executions that started before the feed was made are not reported until they change.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from emulator.views import ExecutionDetail, ExecutionView, LogLine, StepView, log_line, parse_time, step_view

if TYPE_CHECKING:
    from emulator.executor import LogLine as WorkerLogLine
    from emulator.store import Status, Store, StoreEvent

STATUSES = ("running", "succeeded", "failed")


@dataclass(frozen=True)
class ExecutionQuery:
    """A filter of the execution list; None means any."""

    flow: str | None = None
    status: str | None = None


@dataclass
class StepOutput:
    """A step's decoded result: `value` is JSON-like, with `bytes` left as they are (shown as type and size)."""

    value: Any
    found: bool = True
    note: str = ""


@dataclass
class SourceInfo:
    """What a face says about a source."""

    label: str
    can_replay: bool = True
    can_run: bool = True
    remote: bool = False  # fetched with `refresh`/`prefetch` (cloud), not read on demand
    flows: list[str] = field(default_factory=list)


class ExecutionSource(Protocol):
    """What the faces need from a place executions live."""

    def info(self) -> SourceInfo:
        """The source's label, abilities and flow names."""
        ...

    def count(self, query: ExecutionQuery) -> int:
        """How many executions match."""
        ...

    def page(self, query: ExecutionQuery, offset: int, limit: int) -> list[ExecutionView]:
        """Matching executions, newest first, from `offset`."""
        ...

    def get(self, execution_id: str) -> ExecutionView | None:
        """One execution, or None when it does not exist."""
        ...

    def detail(self, execution_id: str) -> ExecutionDetail | None:
        """One execution with its outputs and logs (what is known of them), or None when it does not exist."""
        ...

    def steps(self, execution_id: str) -> list[StepView]:
        """The steps of an execution in the order they ran."""
        ...

    def logs(self, execution_id: str, after: int = -1) -> list[LogLine]:
        """Log lines of an execution with `seq > after`, oldest first."""
        ...

    def step_output(self, execution_id: str, step: str) -> StepOutput:
        """The decoded result of one step."""
        ...

    def replay(self, execution_id: str) -> str:
        """Run the execution again with its original request; returns the new execution's id."""
        ...

    def version(self) -> int:
        """A number that changes whenever executions, steps or logs were recorded (cheap: polled)."""
        ...

    async def refresh(self) -> None:
        """Fetch the list again when it lives far away (cloud); nothing to do for local data."""
        ...

    async def prefetch(self, execution_id: str) -> None:
        """Fetch one execution's logs and outputs when they live far away; nothing to do for local data."""
        ...


# -- the feed ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    """One thing that changed: an execution (new, stepped or ended) or a new log line of one."""

    kind: Literal["execution", "log"]
    execution_id: str
    execution: ExecutionView | None = None
    log: LogLine | None = None


FEED_WINDOW = 20  # how many of the newest executions a poll looks at


class ExecutionFeed:
    """A cursor over a store: `poll()` returns what changed since the previous poll (thread-safe)."""

    def __init__(self, store: Store, *, since: str | None = None) -> None:
        """`since` (ISO 8601 UTC, default now): executions started before it count as already reported."""
        from emulator.store import now_iso

        self.store = store
        self._since = since or now_iso()
        self._lock = threading.Lock()
        # execution id → (status, ended_at, steps, last log id) as last reported
        self._seen: dict[str, tuple[str, str | None, int, int]] | None = None

    def _baseline(self) -> dict[str, tuple[str, str | None, int, int]]:
        store = self.store
        store.changed()
        return {
            record.id: (record.status, record.ended_at, len(store.steps(record.id)), _last_log_id(store, record.id))
            for record in store.list_executions(limit=50)
            if record.started_at < self._since  # ISO 8601 UTC strings of one format compare in order
        }

    def poll(self, *, force: bool = False) -> list[FeedItem]:
        """What changed since the previous poll: per execution its new log lines, then the execution when its
        status, end or steps changed. Cheap when nothing was committed (unless `force`: this process wrote)."""
        with self._lock:
            if self._seen is None:
                self._seen = self._baseline()
                force = True
            store = self.store
            if not store.changed() and not force:
                return []
            items: list[FeedItem] = []
            for record in reversed(store.list_executions(limit=FEED_WINDOW)):
                previous = self._seen.get(record.id)
                last_log = previous[3] if previous else 0
                for line in store.logs(record.id, after_id=last_log):
                    items.append(FeedItem("log", record.id, log=log_line(line)))
                    last_log = line.id
                steps = store.steps(record.id)
                now = (record.status, record.ended_at, len(steps), last_log)
                if previous is None or previous[:3] != now[:3]:
                    from emulator.views import execution_view

                    items.append(FeedItem("execution", record.id, execution=execution_view(store, record, steps)))
                self._seen[record.id] = now
            return items

    def mark(self, view: ExecutionView) -> None:
        """An execution the caller reported itself (its own runs): not reported again unless it changes."""
        with self._lock:
            if self._seen is None:
                self._seen = self._baseline()
            last_log = _last_log_id(self.store, view.id)
            ended = view.ended_at and self.store.get_execution(view.id).ended_at
            self._seen[view.id] = (view.status, ended or None, len(view.steps), last_log)


def _last_log_id(store: Store, execution_id: str) -> int:
    logs = store.logs(execution_id)
    return logs[-1].id if logs else 0


# -- local executions ----------------------------------------------------------------------------------------------


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
        self._feed: ExecutionFeed | None = None
        self._version = 0
        self._lock = threading.Lock()
        self._live: dict[str, list[LogLine]] = {}  # log lines of executions running in this process
        self.error: str | None = None

    @property
    def db_path(self) -> Path:
        """Where the store lives."""
        from emulator.store import DB_NAME

        return self.root / ".spectral" / "local" / DB_NAME

    @property
    def store(self) -> Store | None:
        """The store, once its file exists (None, with `error` saying why, when the file is not a usable store)."""
        if self._store is None and self.db_path.exists() and self.error is None:
            from emulator.store import Store

            try:
                self.attach(Store(self.db_path))
            except sqlite3.DatabaseError as error:
                self.error = (
                    f"{self.db_path} is not a readable emulator store ({error}); move it away and run a flow to "
                    "start a new one"
                )
                return None
        return self._store

    def attach(self, store: Store) -> None:
        """Use a store this process already has open (the executor's), so its events arrive at once."""
        self._store = store
        self._feed = ExecutionFeed(store)
        store.subscribe(self._on_event)
        self._bump()

    def live_log(self, execution_id: str, line: WorkerLogLine) -> None:
        """A log line of an execution running in this process, at once (the store gets it in a batch soon after)."""
        with self._lock:
            rows = self._live.setdefault(execution_id, [])
            moment = parse_time(line.timestamp) or datetime.now(UTC)
            rows.append(
                LogLine(seq=len(rows), timestamp=moment, severity=line.severity, step=line.step, message=line.message)
            )
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
            self._feed = None

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

    def page(self, query: ExecutionQuery, offset: int, limit: int) -> list[ExecutionView]:
        """Matching executions, newest first."""
        from emulator.views import execution_view

        store = self.store
        if store is None:
            return []
        records = store.list_executions(
            flow=query.flow, status=cast("Status | None", query.status), limit=limit, offset=offset
        )
        return [execution_view(store, record) for record in records]

    def get(self, execution_id: str) -> ExecutionView | None:
        """One execution."""
        from emulator.store import StoreError
        from emulator.views import execution_view

        store = self.store
        if store is None:
            return None
        try:
            return execution_view(store, store.get_execution(execution_id))
        except StoreError:
            return None

    def detail(self, execution_id: str) -> ExecutionDetail | None:
        """One execution with its outputs and logs."""
        from emulator.store import StoreError
        from emulator.views import execution_detail

        store = self.store
        if store is None:
            return None
        try:
            return execution_detail(store, store.get_execution(execution_id))
        except StoreError:
            return None

    def steps(self, execution_id: str) -> list[StepView]:
        """Steps in order."""
        store = self.store
        if store is None:
            return []
        return [step_view(step) for step in store.steps(execution_id)]

    def logs(self, execution_id: str, after: int = -1) -> list[LogLine]:
        """Log lines after `after`."""
        with self._lock:
            live = list(self._live.get(execution_id, []))
        if live:
            return [row for row in live if row.seq > after]
        store = self.store
        if store is None:
            return []
        return [log_line(line) for line in store.logs(execution_id, after_id=max(after, 0))]

    def step_output(self, execution_id: str, step: str) -> StepOutput:
        """A step's decoded result; a failed step shows its error."""
        store = self.store
        if store is None:
            return StepOutput(None, found=False)
        for record in store.steps(execution_id):
            if record.name == step:
                note = f"Step failed: {record.error}" if record.error else ""
                return StepOutput(record.result, found=True, note=note)
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
        """Changes when this process recorded something, or the feed saw another process commit to the store."""
        store = self.store
        if store is None or self._feed is None:
            return -1
        if self._feed.poll():
            self._bump()
        return self._version
