"""The local Prismatic runtime of one project: what `cnikit serve` runs behind its HTTP server.

It owns the executor (warm workers, store), the clock, the dispatcher (queues, dedupe, retries) and the
schedules, and answers "this request arrived at this URL" the way the platform does (`invoke`). Everything
time-based is a clock event; everything that runs is a dispatcher job. Events (`subscribe`) tell the
language server, the TUI and tests what happened: `reload`, `tick`, `lifecycle`, `capture`, `log`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cnikit.definition.models import BuiltDefinition, BuiltFlow
from emulator import nodejson
from emulator.executor import ExecutionOutcome, Executor, TriggerRequest
from emulator.instance import LocalInstance, instance_path
from emulator.serve.clock import Clock
from emulator.serve.endpoints import Endpoint, endpoints
from emulator.serve.queue import Dispatcher, Job
from emulator.serve.schedule import Schedule, ScheduleError, flow_schedule
from emulator.store import StoreError

EVENT_HISTORY = 500
SYNC_TIMEOUT = 30.0  # seconds: the platform's webhook (and synchronous cross-flow) limit


@dataclass
class RuntimeEvent:
    """Something the runtime did, for subscribers and `GET /__cnikit/events`."""

    seq: int
    kind: str  # reload | tick | lifecycle | capture | log
    at: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {"seq": self.seq, "kind": self.kind, "at": self.at, **self.data}


def invoker(request: TriggerRequest, invoke_type: str) -> str | None:
    """The execution that invoked a cross-flow call (`context.invokeFlow` sends its id as `prismatic-executionid`)."""
    if invoke_type != "CROSS_FLOW":
        return None
    return request.header("prismatic-executionid") or None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Runtime:
    """One project served: call `start()` once the executor is prepared, `close()` at the end."""

    def __init__(self, executor: Executor, clock: Clock | None = None, *, threads: int = 16) -> None:
        self.executor = executor
        self.root: Path = executor.root
        self.clock = clock or Clock()
        self.dispatcher = Dispatcher(self._run_job, self.clock, threads=threads, log=self.log)
        self.capture = False
        self.deployed = True  # `cnikit instance remove` takes the instance down until the next deploy
        self.sync_timeout = SYNC_TIMEOUT  # a synchronous caller waits this long (the execution goes on after)
        self.rate_limit: int | None = None  # requests/second per endpoint before 429 (the platform: 50); None: off
        self._subscribers: list[Callable[[RuntimeEvent], None]] = []
        self._events: deque[RuntimeEvent] = deque(maxlen=EVENT_HISTORY)
        self._seq = itertools.count(1)
        self._events_cond = threading.Condition()
        self._schedules: dict[str, Schedule] = {}
        self._instance_stamp: tuple[int, int] | None = None
        self.schedule_errors: list[str] = []
        self.clock.add_source(self._due_ticks)
        executor.store.subscribe(lambda _event: self._wake())
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    # --- the project as it is now -----------------------------------------------------------------------

    @property
    def definition(self) -> BuiltDefinition:
        """The integration as currently loaded."""
        assert self.executor.definition is not None, "prepare the executor first"
        return self.executor.definition

    @property
    def instance(self) -> LocalInstance:
        """The local instance as currently loaded."""
        assert self.executor.instance is not None, "prepare the executor first"
        return self.executor.instance

    def endpoints(self) -> list[Endpoint]:
        """Every URL the server answers on for this project."""
        return endpoints(self.definition, self.instance)

    def start(self) -> None:
        """Load the schedules and, unless the clock is frozen, follow real time (fire due events every second)."""
        self.refresh_schedules()
        if not self.clock.frozen and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick_loop, name="cnikit-clock", daemon=True)
            self._ticker.start()

    def _tick_loop(self) -> None:
        while not self._stop.wait(1.0):
            self.clock.fire_due()

    def refresh_schedules(self) -> None:
        """Read the flows' schedules again (after a build or a config change); errors go to `schedule_errors`."""
        _instance, values = self.executor.configuration()
        self._instance_stamp = self._stamp()
        schedules: dict[str, Schedule] = {}
        errors: list[str] = []
        for flow in self.definition.flows:
            try:
                schedule = flow_schedule(flow, values)
            except ScheduleError as error:
                errors.append(str(error))
                continue
            if schedule is not None:
                schedules[flow.name] = schedule
        self._schedules, self.schedule_errors = schedules, errors
        for message in errors:
            self.log(message, severity="error")

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = instance_path(self.root).stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_ino

    def schedules(self) -> list[Schedule]:
        """The schedules that fire."""
        return list(self._schedules.values())

    def _due_ticks(self, after: datetime, until: datetime) -> list[tuple[datetime, Callable[[datetime], None]]]:
        due: list[tuple[datetime, Callable[[datetime], None]]] = []
        if self._stamp() != self._instance_stamp:  # instance.json edited (the wizard, by hand): new schedule values
            self.refresh_schedules()
        if not self.deployed:
            return due  # a removed instance does not run on its schedules
        for schedule in self._schedules.values():
            for tick in schedule.ticks(after, until):
                due.append((tick, self._ticker_for(schedule.flow)))
        return due

    def _ticker_for(self, flow: BuiltFlow) -> Callable[[datetime], None]:
        def fire(when: datetime) -> None:
            self.fire_tick(flow, when)

        return fire

    def fire_tick(self, flow: BuiltFlow, when: datetime) -> Job:
        """Run a scheduled (or polling) flow for the tick at `when`; singleton flows skip it while still running."""
        request = TriggerRequest(headers={"x-cnikit-scheduled-for": _iso(when)}, method="POST")
        singleton = bool((flow.queue_config or {}).get("singletonExecutions"))
        job = self.dispatcher.submit(Job(flow, request, "SCHEDULED"), singleton=singleton)
        self.emit("tick", flow=flow.name, scheduledFor=_iso(when), executionId=job.id, state=job.state)
        return job

    # --- running ----------------------------------------------------------------------------------------

    def _run_job(self, job: Job) -> ExecutionOutcome:
        try:
            outcome = self.executor.run(
                job.flow.name,
                job.request,
                invoke_type=job.invoke_type,  # type: ignore[arg-type]
                sync=False,
                execution_id=job.id,
                on_update=job.on_update,
                parent_id=invoker(job.request, job.invoke_type),
                retry_of=job.retry_of,
            )
        except Exception as error:  # it could not start (e.g. a mock file that is not JSON): say so, loudly
            self.log(f"execution {job.id} of flow '{job.flow.name}' could not start: {error}", severity="error")
            raise
        if job.retry_of:
            self.log(f"execution {job.id} is retry {job.attempt} of {job.retry_of}", execution=job.id)
        return outcome

    def run_sync(
        self, flow: BuiltFlow, request: TriggerRequest, invoke_type: str, execution_id: str
    ) -> ExecutionOutcome:
        """Run one execution now and wait for it (synchronous webhooks; preprocess flows)."""
        return self.executor.run(
            flow.name,
            request,
            invoke_type=invoke_type,  # type: ignore[arg-type]
            sync=True,
            execution_id=execution_id,
            parent_id=invoker(request, invoke_type),
        )

    def wait(self, execution_id: str, timeout: float) -> bool:
        """Wait until the execution (or its job) is finished; True when it is."""
        job = self.dispatcher.job(execution_id)
        if job is not None and job.state in ("queued", "running"):
            return job.ran.wait(timeout)
        deadline = time.monotonic() + timeout
        with self._events_cond:
            while True:
                try:
                    if self.executor.store.get_execution(execution_id).status != "running":
                        return True
                except StoreError:
                    pass  # not started yet
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._events_cond.wait(min(remaining, 0.05))

    def capture_request(self, flow: BuiltFlow, request: TriggerRequest) -> Path | None:
        """Save `request` as a payload file of `flow` (`--capture`); logs where, or why it could not."""
        from emulator.serve.capture import CaptureSkipped, capture_request

        try:
            path = capture_request(self.root, flow, request)
        except (CaptureSkipped, ValueError, OSError) as skipped:
            self.log(f"not captured for flow '{flow.name}': {skipped}", severity="warn")
            return None
        self.emit("capture", flow=flow.name, path=str(path.relative_to(self.root)))
        return path

    def _wake(self) -> None:
        with self._events_cond:
            self._events_cond.notify_all()

    # --- events -----------------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[RuntimeEvent], None]) -> Callable[[], None]:
        """Receive every event (on the thread that caused it); returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def emit(self, kind: str, **data: Any) -> RuntimeEvent:
        """Publish an event."""
        event = RuntimeEvent(next(self._seq), kind, _iso(datetime.now(UTC)), data)
        with self._events_cond:
            self._events.append(event)
            self._events_cond.notify_all()
        for callback in list(self._subscribers):
            callback(event)
        return event

    def events(self, after: int = 0, *, timeout: float = 0.0) -> list[RuntimeEvent]:
        """Events newer than `after`, waiting up to `timeout` seconds for one (long poll)."""
        deadline = time.monotonic() + timeout
        with self._events_cond:
            while True:
                found = [event for event in self._events if event.seq > after]
                remaining = deadline - time.monotonic()
                if found or remaining <= 0:
                    return found
                self._events_cond.wait(remaining)

    def log(self, message: str, *, severity: str = "info", **data: Any) -> None:
        """A server log line: printed by `cnikit serve`, and an event."""
        self.emit("log", severity=severity, message=message, **data)

    def close(self) -> None:
        """Stop the clock, let running executions finish, stop the workers."""
        self._stop.set()
        self.dispatcher.close()
        self.executor.close()


def json_body(value: Any) -> bytes:
    """A response body for a value: bytes and strings as they are, anything else as Node's `JSON.stringify` writes
    it (a Buffer inside it as `{"type": "Buffer", "data": [...]}`, a date as ISO)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return nodejson.utf8(value)
    return nodejson.stringify(value)
