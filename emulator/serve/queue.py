"""Flow concurrency, deduplication and automatic retries (spec/runtime.md §4.10, §10), on the emulator's clock.

Each flow has a lane. By default executions run concurrently; `queueConfig` makes the lane FIFO (`usesFifoQueue`
or `type: "sequential"`: one at a time, in arrival order) or throttled (`concurrencyLimit` at a time). A
`dedupeIdField` drops a request whose id was seen on that flow in the last 10 minutes. `singletonExecutions`
skips a scheduled tick while the previous execution of the flow is still going.

`retryConfig` re-runs a failed asynchronous execution with the same request after `delayMinutes` (doubled each
attempt with `usesExponentialBackoff`, never more than 24 h), up to `maxAttempts` times; on a FIFO lane the retry
blocks the queue. A newer request with the same `uniqueRequestIdField` value cancels the pending retries of older
ones. Retry delays are clock events, so `cnikit clock advance` brings them on.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from cnikit.definition.models import BuiltFlow
from emulator.executor import ExecutionOutcome, ExecutionUpdate, TriggerRequest, execution_global_id
from emulator.serve.clock import Clock, Timer
from emulator.serve.endpoints import as_text, field_path, lookup, payload_view

DEDUPE_WINDOW = timedelta(minutes=10)
MAX_RETRY_DELAY = timedelta(hours=24)
MAX_RETRY_ATTEMPTS = 10
MAX_REMEMBERED_JOBS = 20_000

JobState = Literal["queued", "running", "retry-pending", "done", "skipped", "cancelled"]
RunJob = Callable[["Job"], ExecutionOutcome]


@dataclass
class Job:
    """One execution to run (or queued, or waiting for a retry)."""

    flow: BuiltFlow
    request: TriggerRequest
    invoke_type: str
    id: str = field(default_factory=execution_global_id)
    attempt: int = 0  # 0 for the original, n for the n-th retry
    retry_of: str | None = None  # the original execution's id
    state: JobState = "queued"
    future: Future[ExecutionOutcome] = field(default_factory=Future)  # done when no retry is pending any more
    ran: threading.Event = field(
        default_factory=threading.Event
    )  # set when this execution (not its retries) has finished
    unique_id: str | None = None
    retry_timer: Timer | None = None
    on_update: Callable[[ExecutionUpdate], None] | None = None  # live updates of this execution (not its retries)
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """For the admin API."""
        return {
            "executionId": self.id,
            "flow": self.flow.name,
            "state": self.state,
            "attempt": self.attempt,
            "retryOf": self.retry_of,
            "retryAt": self.retry_timer.when.isoformat()
            if self.retry_timer and self.state == "retry-pending"
            else None,
        }


@dataclass
class _Lane:
    limit: int | None  # None: unlimited
    running: int = 0
    waiting: deque[Job] = field(default_factory=deque)
    seen: dict[str, datetime] = field(default_factory=dict)  # dedupe id → when


def lane_limit(flow: BuiltFlow) -> int | None:
    """How many executions of `flow` may run at once (None: no limit)."""
    config = flow.queue_config or {}
    kind = config.get("type")
    if kind == "sequential":
        return 1
    if kind == "throttled" or config.get("concurrencyLimit"):
        return int(config.get("concurrencyLimit") or 1)
    if config.get("usesFifoQueue"):
        return 1
    return None


def dedupe_path(flow: BuiltFlow) -> str | None:
    """Where the flow's dedupe id is in the trigger payload (`body.data.id`), or None."""
    raw = (flow.queue_config or {}).get("dedupeIdField")
    return field_path(raw, "onTrigger.results.") if raw else None


def retry_delay(config: dict[str, Any], attempt: int) -> timedelta:
    """The wait before retry number `attempt` (1-based): minutes, doubled per attempt with backoff, ≤ 24 h."""
    minutes = float(config.get("delayMinutes") or 0)
    if config.get("usesExponentialBackoff"):
        minutes *= 2 ** (attempt - 1)
    return min(timedelta(minutes=minutes), MAX_RETRY_DELAY)


class Dispatcher:
    """Runs jobs on threads with the flow's concurrency rules; `run_job` does one execution (the executor's run)."""

    def __init__(self, run_job: RunJob, clock: Clock, *, threads: int = 16, log: Callable[[str], None] | None = None):
        self._run_job = run_job
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cnikit-exec")
        self._lanes: dict[str, _Lane] = {}
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._log = log or (lambda _message: None)
        self._closed = False

    def _lane(self, flow: BuiltFlow) -> _Lane:
        key = flow.stable_key or flow.key
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(lane_limit(flow))
        else:
            lane.limit = lane_limit(flow)  # the flow may have changed with a reload
        return lane

    def job(self, execution_id: str) -> Job | None:
        """A job this dispatcher knows (queued, running, retrying or done)."""
        with self._lock:
            return self._jobs.get(execution_id)

    def jobs(self) -> list[Job]:
        """Every job not finished yet (queued, running, waiting for a retry)."""
        with self._lock:
            return [job for job in self._jobs.values() if job.state in ("queued", "running", "retry-pending")]

    def running(self, flow: BuiltFlow) -> int:
        """Executions of `flow` running now."""
        with self._lock:
            return self._lane(flow).running

    def submit(self, job: Job, *, singleton: bool = False) -> Job:
        """Queue or start `job`; returns it. A duplicate (dedupe id seen within 10 minutes) comes back `skipped`
        with `extra["duplicateOf"]`; a singleton tick while the flow runs comes back `skipped`."""
        view: dict[str, Any] | None = None
        dedupe = dedupe_path(job.flow)
        unique_field = (job.flow.retry_config or {}).get("uniqueRequestIdField")
        if dedupe or unique_field:
            view = payload_view(job.request)
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is stopping")
            lane = self._lane(job.flow)
            now = self._clock.now()
            if dedupe and view is not None and job.attempt == 0:
                dedupe_id = as_text(lookup(view, dedupe))
                if dedupe_id is not None:
                    lane.seen = {k: t for k, t in lane.seen.items() if now - t < DEDUPE_WINDOW}
                    if dedupe_id in lane.seen:
                        job.state = "skipped"
                        job.extra["duplicateOf"] = dedupe_id
                        job.future.set_result(None)  # type: ignore[arg-type]
                        self._log(f"Flow '{job.flow.name}': duplicate request (dedupe id {dedupe_id!r}) ignored")
                        return job
                    lane.seen[dedupe_id] = now
            if singleton and (lane.running or lane.waiting):
                job.state = "skipped"
                job.future.set_result(None)  # type: ignore[arg-type]
                self._log(f"Flow '{job.flow.name}': tick skipped, the previous execution is still running (singleton)")
                return job
            if unique_field and view is not None and job.attempt == 0:
                job.unique_id = as_text(lookup(view, unique_field))
                if job.unique_id is not None:
                    self._cancel_retries(job)
            self._jobs[job.id] = job
            if len(self._jobs) > MAX_REMEMBERED_JOBS:
                self._forget_finished()
            if lane.limit is not None and lane.running >= lane.limit:
                lane.waiting.append(job)
                self._log(f"Queuing Execution for flow '{job.flow.name}'. Total Queued Executions: {len(lane.waiting)}")
                return job
            lane.running += 1
            job.state = "running"
        self._start(job)
        return job

    def _forget_finished(self) -> None:
        # Finished jobs are in the store; keep the newest ones (their retry links) and let the rest go.
        finished = [i for i, job in self._jobs.items() if job.state in ("done", "skipped", "cancelled")]
        for execution_id in finished[: len(finished) - MAX_REMEMBERED_JOBS // 2]:
            del self._jobs[execution_id]

    def _cancel_retries(self, newer: Job) -> None:
        for job in self._jobs.values():
            if (
                job.state == "retry-pending"
                and job.flow.name == newer.flow.name
                and job.unique_id == newer.unique_id
                and job.retry_timer is not None
            ):
                job.retry_timer.cancel()
                job.state = "cancelled"
                job.future.set_result(job.extra["outcome"])
                self._release(job)
                self._log(f"Flow '{job.flow.name}': pending retry of {job.id} cancelled by a newer request")

    def _start(self, job: Job) -> None:
        try:
            self._pool.submit(self._execute, job)
        except RuntimeError:  # shutting down
            job.state = "cancelled"
            job.future.cancel()

    def _execute(self, job: Job) -> None:
        # `ran` is set only once the lane's bookkeeping is done, so a waiter sees the flow free (or the retry due).
        try:
            outcome = self._run_job(job)
        except BaseException as error:  # a job that could not start must not stall its lane
            with self._lock:
                job.state = "done"
                self._release(job)
            job.ran.set()
            job.future.set_exception(error)
            return
        job.extra["outcome"] = outcome
        config = job.flow.retry_config or {}
        attempts = min(int(config.get("maxAttempts") or 0), MAX_RETRY_ATTEMPTS)
        if not outcome.succeeded and not outcome.sync and job.attempt < attempts:
            delay = retry_delay(config, job.attempt + 1)
            with self._lock:
                job.state = "retry-pending"
                job.retry_timer = self._clock.call_at(
                    self._clock.now() + delay, lambda _when: self._retry(job), f"retry of {job.id}"
                )
            job.ran.set()
            self._log(
                f"Flow '{job.flow.name}': execution {job.id} failed; retry {job.attempt + 1} of {attempts} "
                f"in {delay.total_seconds() / 60:g} minutes"
            )
            return  # the lane stays taken: on a FIFO queue a retry blocks the ones behind it
        with self._lock:
            job.state = "done"
            self._release(job)
        job.ran.set()
        job.future.set_result(outcome)

    def _retry(self, failed: Job) -> None:
        with self._lock:
            if failed.state != "retry-pending":
                return
            failed.state = "done"
            retry = Job(
                failed.flow,
                failed.request,
                failed.invoke_type,
                attempt=failed.attempt + 1,
                retry_of=failed.retry_of or failed.id,
                state="running",
                unique_id=failed.unique_id,
            )
            failed.extra["retriedAs"] = retry.id
            self._jobs[retry.id] = retry
        failed.future.set_result(failed.extra["outcome"])
        self._start(retry)  # it inherits the failed job's place in the lane

    def _release(self, job: Job) -> None:
        """Free the job's place in its lane and start the next queued job (call with the lock held)."""
        lane = self._lane(job.flow)
        if lane.waiting:
            following = lane.waiting.popleft()
            following.state = "running"
            self._log(
                f"Resuming Queued Execution for flow '{following.flow.name}'. "
                f"Total Queued Executions: {len(lane.waiting)}"
            )
            self._start(following)
        else:
            lane.running = max(0, lane.running - 1)

    def close(self) -> None:
        """Stop taking jobs, drop queued ones, let running ones finish."""
        with self._lock:
            self._closed = True
            for lane in self._lanes.values():
                for job in lane.waiting:
                    job.state = "cancelled"
                    job.future.cancel()
                lane.waiting.clear()
            for job in self._jobs.values():
                if job.retry_timer is not None:
                    job.retry_timer.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
