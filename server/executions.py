"""The link between the language server and the emulator: per project one `emulator.session.Session` (its store
and warm executor), an execution feed, its execution sources (local, cloud) and maybe a local server.

Notifications (docs/lsp-protocol.md): `cnikit/executionUpdated` `{project, execution: ExecutionView}`
(`emulator.views`) when an execution starts, finishes a step or ends — this server's own runs as they happen, other
processes' (a `cnikit run` in a terminal, `cnikit serve`) through the feed; `cnikit/executionLog` `{project,
executionId, timestamp, severity, step, message}` for each log line as it is written.
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
    from emulator.session import Session
    from emulator.sources import ExecutionFeed, ExecutionSource
    from emulator.store import Store
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)

EXECUTION_UPDATED = "cnikit/executionUpdated"
EXECUTION_LOG = "cnikit/executionLog"


# -- pure conversions ----------------------------------------------------------------------------------------------


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
    """One session and one execution feed per project, created on first use and closed at shutdown.

    Executions other processes record (a `cnikit run` in a terminal, `cnikit serve`) come out of the feed in `watch`
    and are reported with the same notifications, so the client's trees stay current without asking.
    """

    def __init__(self, ls: CnikitLanguageServer) -> None:
        self._ls = ls
        self._lock = threading.Lock()
        self._sessions: dict[Path, Session] = {}
        self._feeds: dict[Path, ExecutionFeed] = {}
        self._cloud: dict[Path, ExecutionSource] = {}
        self._unusable: set[Path] = set()  # projects whose store was found unusable (and said so)
        self.servers: dict[Path, LocalServer] = {}
        self._loop: asyncio.AbstractEventLoop | None = None  # the server's, for sessions made on a watch thread
        self._started_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def session(self, root: Path) -> Session:
        """The project's session; every update of its executions is forwarded to the client."""
        from emulator.session import Session

        with self._lock:
            if root not in self._sessions:
                session = Session(root)
                session.subscribe(self.forwarder(root))
                self._sessions[root] = session
            return self._sessions[root]

    def store(self, root: Path) -> Store:
        """The project's emulator store (created on first use)."""
        return self.session(root).store

    def executor(self, root: Path) -> Executor:
        """The project's warm executor."""
        return self.session(root).executor

    def feed(self, root: Path) -> ExecutionFeed:
        """The project's execution feed: executions recorded since the server started, by any process."""
        session = self.session(root)
        with self._lock:
            if root not in self._feeds:
                self._feeds[root] = session.feed(since=self._started_at)
            return self._feeds[root]

    def source(self, root: Path, kind: str) -> ExecutionSource:
        """The project's local executions, or (`kind="cloud"`) the imported integration's on Prismatic."""
        if kind != "cloud":
            return self.session(root).local_source()
        from cnikit.platform.cloudtest import read_integration_id
        from emulator.cloud_source import CloudSource
        from server.platform_commands import platform_client

        integration_id = read_integration_id(root)
        if integration_id is None:
            raise CommandError(f"{root.name} has not been imported yet (no .spectral/prism.json); run Import first")
        with self._lock:
            cached = self._cloud.get(root)
            if not isinstance(cached, CloudSource) or cached.integration_id != integration_id:
                cached = CloudSource(root, lambda: platform_client(self._ls, root), integration_id)
                self._cloud[root] = cached
            return cached

    def forwarder(self, root: Path) -> Callable[[ExecutionUpdate], None]:
        """A listener (called on execution threads) that sends each update to the client from the event loop.

        The executor isolates its listeners (one that raises is logged and the execution goes on), so this one
        only has to mind a server that is shutting down.
        """
        from emulator.views import execution_view

        loop = self._loop or asyncio.get_running_loop()
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
            store = self.session(root).store
            view = execution_view(store, store.get_execution(update.execution_id))
            self.feed(root).mark(view)
            post(ls.notify, EXECUTION_UPDATED, {"project": str(root), "execution": view.to_json()})
            if update.kind == "finished":
                post(refresh_code_lenses, ls)

        return forward

    def count(self, root: Path, flow: str) -> int:
        """How many local executions a flow (stable key or name) has; 0 without creating a store."""
        session = self.session(root)
        if not session.has_store():
            return 0
        if not self.usable(root):
            return 0
        return session.store.count_executions(flow=flow)

    def usable(self, root: Path) -> bool:
        """Whether the project's store opens (see `store_problem`)."""
        return self.store_problem(root) is None

    def store_problem(self, root: Path) -> str | None:
        """Why the project's store cannot be used (corrupt, a folder …), else None. Said once in the log, as a
        warning; an unusable store is left out of the watch and the code lens counts."""
        from emulator.store import StoreError

        if not self.session(root).has_store():
            return None
        try:
            self.session(root).store  # noqa: B018 - opening is the check
        except StoreError as error:
            if root not in self._unusable:
                self._unusable.add(root)
                log.warning("%s", error)
            return str(error)
        return None

    def collect_external(self) -> list[tuple[str, dict[str, Any]]]:
        """What the feeds report since the last look: notifications for new or changed executions and new log lines
        (in that order per execution). Runs in a thread; the caller sends them from the event loop."""
        messages: list[tuple[str, dict[str, Any]]] = []
        for root in list(self._ls.projects.states):
            if not self.session(root).has_store() or not self.usable(root):
                continue
            for item in self.feed(root).poll():
                if item.log is not None:
                    line = item.log.to_json()
                    params = log_params_impl(
                        root, item.execution_id, line["timestamp"], line["severity"], line["step"], line["message"]
                    )
                    messages.append((EXECUTION_LOG, params))
                elif item.execution is not None:
                    messages.append((EXECUTION_UPDATED, {"project": str(root), "execution": item.execution.to_json()}))
        return messages

    async def watch(self) -> None:
        """Report executions recorded by other processes, for as long as the server runs."""
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                messages = await asyncio.to_thread(self.collect_external)
            except Exception:  # a locked or damaged store: try again at the next tick
                log.exception("watching the emulator stores failed")
                messages = []
            for method, params in messages:
                self._ls.notify(method, params)
            if any(method == EXECUTION_UPDATED and params["execution"]["endedAt"] for method, params in messages):
                refresh_code_lenses(self._ls)
            await asyncio.sleep(WATCH_INTERVAL_S)

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
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()
            self._feeds.clear()


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
