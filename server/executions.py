"""The link between the language server and the emulator: per project, one store, one warm executor and maybe a
local server; execution summaries and log lines in the protocol's shape; and a watcher that reports executions other
processes record (a `cnikit run` in a terminal, `cnikit serve`).

Notifications (docs/lsp-protocol.md): `cnikit/executionUpdated` `{project, execution: ExecutionSummary}` when an
execution starts, finishes a step or ends; `cnikit/executionLog` `{project, executionId, timestamp, severity, step,
message}` for each log line as it is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.projects import CommandError

if TYPE_CHECKING:
    from emulator.executor import ExecutionUpdate, Executor
    from emulator.serve import Server as LocalServer
    from emulator.store import ExecutionRecord, StepRecord, Store
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)

EXECUTION_UPDATED = "cnikit/executionUpdated"
EXECUTION_LOG = "cnikit/executionLog"


# -- pure conversions ----------------------------------------------------------------------------------------------


def _rounded(milliseconds: float | None) -> float | None:
    return round(milliseconds, 3) if milliseconds is not None else None


def _duration_ms(started: str | None, ended: str | None) -> float | None:
    # A step's wall time (StepRecord has no `duration_ms` of its own, unlike ExecutionRecord).
    if not started or not ended:
        return None
    start = datetime.fromisoformat(started.replace("Z", "+00:00"))
    end = datetime.fromisoformat(ended.replace("Z", "+00:00"))
    return _rounded((end - start).total_seconds() * 1000)


def step_summary_impl(step: StepRecord) -> dict[str, Any]:
    """One step of an ExecutionSummary."""
    return {
        "name": step.name,
        "status": "failed" if step.error else "succeeded",
        "durationMs": _duration_ms(step.started_at, step.ended_at),
    }


def summary_impl(record: ExecutionRecord, steps: list[StepRecord]) -> dict[str, Any]:
    """The protocol's ExecutionSummary of a local execution."""
    return {
        "id": record.id,
        "flow": record.flow_name,
        "status": record.status,
        "invokeType": record.invoke_type,
        "startedAt": record.started_at,
        "endedAt": record.ended_at,
        "durationMs": _rounded(record.duration_ms),
        "error": record.error,
        "source": "local",
        "steps": [step_summary_impl(step) for step in steps],
    }


def log_params_impl(
    root: Path, execution_id: str, timestamp: str, severity: str, step: str | None, message: str
) -> dict[str, Any]:
    """The params of a `cnikit/executionLog` notification (local and cloud executions alike)."""
    return {
        "project": str(root),
        "executionId": execution_id,
        "timestamp": timestamp,
        "severity": severity,
        "step": step,
        "message": message,
    }


def log_line_impl(timestamp: str, severity: str, step: str | None, message: str) -> str:
    """`HH:MM:SS [SEVERITY] [step] message` (the step part only when the line belongs to a step)."""
    try:
        clock = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).strftime("%H:%M:%S")
    except ValueError:
        clock = timestamp[:8]
    where = f" [{step}]" if step else ""
    return f"{clock} [{severity.upper()}]{where} {message}"


# -- the emulator of each project ----------------------------------------------------------------------------------


WATCH_INTERVAL_S = 1.0  # how often the stores are asked whether another process wrote an execution


class LocalRuns:
    """One store and one warm executor per project, created on first use and closed at shutdown.

    Executions other processes record (a `cnikit run` in a terminal, `cnikit serve`) are noticed by `watch` and
    reported with the same notifications, so the client's trees stay current without asking.
    """

    def __init__(self, ls: CnikitLanguageServer) -> None:
        self._ls = ls
        self._lock = threading.Lock()
        self._stores: dict[Path, Store] = {}
        self._executors: dict[Path, Executor] = {}
        # Per project: execution id → (status, ended_at, steps, last log id) as last reported.
        self._seen: dict[Path, dict[str, tuple[str, str | None, int, int]]] = {}
        self._seen_lock = threading.Lock()
        self._unusable: set[Path] = set()  # projects whose store was found unusable (and said so)
        self.servers: dict[Path, LocalServer] = {}
        self._started_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def store(self, root: Path) -> Store:
        """The project's emulator store (created on first use)."""
        from emulator.store import Store

        with self._lock:
            if root not in self._stores:
                self._stores[root] = Store.open(root)
            return self._stores[root]

    def executor(self, root: Path) -> Executor:
        """The project's executor; every update it sends is forwarded to the client."""
        from emulator.executor import Executor

        store = self.store(root)
        with self._lock:
            if root not in self._executors:
                executor = Executor(root, store=store)
                executor.subscribe(self.forwarder(root, store))
                self._executors[root] = executor
            return self._executors[root]

    def forwarder(self, root: Path, store: Store) -> Callable[[ExecutionUpdate], None]:
        """A listener (called on execution threads) that sends each update to the client from the event loop.

        The executor isolates its listeners (one that raises is logged and the execution goes on), so this one
        only has to mind a server that is shutting down.
        """
        loop = asyncio.get_running_loop()
        ls = self._ls

        def post(callback: Callable[..., None], *args: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the event loop closed: the server is exiting, nobody listens
                loop.call_soon_threadsafe(callback, *args)

        def forward(update: ExecutionUpdate) -> None:
            if update.kind == "log" and update.log is not None:
                line = update.log
                params = log_params_impl(
                    root, update.execution_id, line.timestamp, line.severity, line.step, line.message
                )
                post(ls.notify, EXECUTION_LOG, params)
                return
            record = store.get_execution(update.execution_id)
            steps = store.steps(record.id)
            self.mark_seen(root, record, len(steps))
            post(ls.notify, EXECUTION_UPDATED, {"project": str(root), "execution": summary_impl(record, steps)})
            if update.kind == "finished":
                post(refresh_code_lenses, ls)

        return forward

    def count(self, root: Path, flow: str) -> int:
        """How many local executions a flow (stable key or name) has; 0 without creating a store."""
        if not self._db_exists(root):
            return 0
        return self.store(root).count_executions(flow=flow)

    def _db_exists(self, root: Path) -> bool:
        from cnikit.project import local_dir
        from emulator.store import DB_NAME, StoreError

        if not (local_dir(root) / DB_NAME).exists():
            return False
        try:
            self.store(root)
        except StoreError as error:  # unusable (corrupt, a folder …): said once, left out of the watch and counts
            if root not in self._unusable:
                self._unusable.add(root)
                log.warning("%s", error)
            return False
        return True

    def baseline(self) -> None:
        """Remember the executions recorded before the server started, so only new ones are reported."""
        for root in list(self._ls.projects.states):
            if root not in self._seen and self._db_exists(root):
                store = self.store(root)
                store.changed()
                known: dict[str, tuple[str, str | None, int, int]] = {
                    record.id: (
                        record.status,
                        record.ended_at,
                        len(store.steps(record.id)),
                        _last_log_id(store, record.id),
                    )
                    for record in store.list_executions(limit=50)
                    if record.started_at < self._started_at  # ISO 8601 UTC strings of one format compare in order
                }
                with self._seen_lock:
                    self._seen[root] = known

    def collect_external(self) -> list[tuple[str, dict[str, Any]]]:
        """What other processes recorded since the last look: notifications for new or changed executions and new
        log lines (in that order per execution). Runs in a thread; the caller sends them from the event loop."""
        messages: list[tuple[str, dict[str, Any]]] = []
        for root in list(self._ls.projects.states):
            if not self._db_exists(root):
                continue
            store = self.store(root)
            with self._seen_lock:
                first_look = root not in self._seen
                seen = self._seen.setdefault(root, {})
            if not first_look and not store.changed():
                continue
            for record in reversed(store.list_executions(limit=20)):
                steps = store.steps(record.id)
                with self._seen_lock:
                    previous = seen.get(record.id)
                last_log = previous[3] if previous else 0
                for line in store.logs(record.id, after_id=last_log):
                    params = log_params_impl(root, record.id, line.timestamp, line.severity, line.step, line.message)
                    messages.append((EXECUTION_LOG, params))
                    last_log = line.id
                now = (record.status, record.ended_at, len(steps), last_log)
                if previous is None or previous[:3] != now[:3]:
                    messages.append(
                        (EXECUTION_UPDATED, {"project": str(root), "execution": summary_impl(record, steps)})
                    )
                with self._seen_lock:
                    seen[record.id] = now
        return messages

    def mark_seen(self, root: Path, record: ExecutionRecord, steps: int) -> None:
        """An execution this server reported itself (its own runs) is not reported again by `watch`."""
        last_log = _last_log_id(self.store(root), record.id)
        with self._seen_lock:
            self._seen.setdefault(root, {})[record.id] = (record.status, record.ended_at, steps, last_log)

    async def watch(self) -> None:
        """Report executions recorded by other processes, for as long as the server runs."""
        await asyncio.to_thread(self.baseline)
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            try:
                messages = await asyncio.to_thread(self.collect_external)
            except Exception:  # a locked or damaged store: try again at the next tick
                log.exception("watching the emulator stores failed")
                continue
            for method, params in messages:
                self._ls.notify(method, params)
            if any(method == EXECUTION_UPDATED and params["execution"]["endedAt"] for method, params in messages):
                refresh_code_lenses(self._ls)

    def start_server(self, root: Path, port: int | None, forward: Callable[[ExecutionUpdate], None]) -> str:
        """Start `cnikit serve` for the project in this process (a thread); returns its base URL.

        `forward` (from `forwarder`, made on the event loop) reports the executions its webhooks and schedules run.
        """
        from emulator.serve import DEFAULT_PORT, Server

        with self._lock:
            running = self.servers.get(root)
        if running is not None:
            return running.url
        candidates = [port] if port is not None else [DEFAULT_PORT, 0]
        for candidate in candidates:
            server = Server(root, port=candidate, watch=True, on_update=forward)
            try:
                url = server.start()
            except OSError as error:
                if candidate == candidates[-1]:
                    raise CommandError(f"Could not listen on 127.0.0.1:{candidate}: {error.strerror}") from None
                continue
            with self._lock:
                self.servers[root] = server
            return url
        raise CommandError("Could not start the local server")  # pragma: no cover - the loop returns or raises

    def stop_server(self, root: Path) -> bool:
        """Stop the project's local server; False when none was running."""
        with self._lock:
            server = self.servers.pop(root, None)
        if server is None:
            return False
        server.stop()
        return True

    def close(self) -> None:
        """Stop the local servers and workers, close the stores."""
        for root in list(self.servers):
            self.stop_server(root)
        with self._lock:
            for executor in self._executors.values():
                executor.close()
            for store in self._stores.values():
                store.close()
            self._executors.clear()
            self._stores.clear()


def _last_log_id(store: Store, execution_id: str) -> int:
    logs = store.logs(execution_id)
    return logs[-1].id if logs else 0


def refresh_code_lenses(ls: CnikitLanguageServer) -> None:
    """Ask the client to re-request code lenses (their execution counts changed), when it supports that."""
    workspace = ls.client_capabilities.workspace
    if workspace and workspace.code_lens and workspace.code_lens.refresh_support:

        async def refresh() -> None:
            try:
                await ls.workspace_code_lens_refresh_async(None)
            except Exception as error:  # lenses just stay as they were
                log.debug("workspace/codeLens/refresh failed: %s", error)

        ls.spawn(refresh())
