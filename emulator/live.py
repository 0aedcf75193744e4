"""One execution while it runs: worker events become log lines and step records, every face hears about them
(`ExecutionUpdate`s to listeners), and the log lines reach the store in small batches.

Listeners run on the thread running the execution; one that raises is logged and never fails the execution.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from cnikit.credentials import mask_request, mask_secrets
from emulator.outcome import ExecutionOutcome, ExecutionUpdate, Listener, LogLine, UpdateKind
from emulator.runner import decode
from emulator.store import StepRecord, Store, now_iso, truncate_log

_log = logging.getLogger(__name__)

LOG_FLUSH_SECONDS = 0.05  # log lines reach the store within this long …
LOG_FLUSH_LINES = 100  # … or as soon as this many are waiting


class LogWriter:
    """Writes an execution's log lines to the store while it runs, in small batches, so that another process (a
    TUI next to `cnikit serve`, a language server) can follow them. A short execution writes none early: its lines
    go with `finish_execution`, in the same transaction, which keeps warm executions fast."""

    def __init__(self, store: Store, execution_id: str, lines: list[LogLine]) -> None:
        self.store = store
        self.execution_id = execution_id
        self.lines = lines
        self.flushed = 0
        self.last = time.monotonic()
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.closed = False

    def added(self) -> None:
        """A line was appended to `lines`: write the batch now, or make sure it is written soon."""
        with self.lock:
            if self.closed:
                return
            waited = time.monotonic() - self.last
            if len(self.lines) - self.flushed >= LOG_FLUSH_LINES or waited >= LOG_FLUSH_SECONDS:
                self._flush()
            elif self.timer is None:
                self.timer = threading.Timer(LOG_FLUSH_SECONDS - waited, self._on_timer)
                self.timer.daemon = True
                self.timer.start()

    def _on_timer(self) -> None:
        with self.lock:
            self.timer = None
            if not self.closed:
                self._flush()

    def _flush(self) -> None:
        batch = self.lines[self.flushed :]
        if batch:
            try:
                self.store.append_logs(self.execution_id, [_log_row(line) for line in batch])
            except Exception:  # a busy store only delays the lines: they go with the end of the execution
                _log.exception("Could not write the log lines of execution %s yet", self.execution_id)
                return
            self.flushed += len(batch)
        self.last = time.monotonic()

    def close(self) -> list[tuple[str, str, str | None, str]]:
        """Stop writing early; the lines not written yet, for `finish_execution`."""
        with self.lock:
            self.closed = True
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            rest = [_log_row(line) for line in self.lines[self.flushed :]]
            self.flushed = len(self.lines)
            return rest


def _log_row(line: LogLine) -> tuple[str, str, str | None, str]:
    return (line.timestamp, line.severity, line.step, line.message)


class LiveExecution:
    """The outcome of one execution as it fills in, its listeners, its log writer and its recorded HTTP exchanges."""

    def __init__(
        self, store: Store, outcome: ExecutionOutcome, listeners: list[Listener], secrets: Iterable[str] = ()
    ) -> None:
        self.outcome = outcome
        self.secrets = list(secrets)  # masked in every log line (a mock's debug line shows its inputs)
        self.listeners = listeners
        self.log_writer = LogWriter(store, outcome.execution_id, outcome.logs)
        self.exchanges: list[dict[str, Any]] = []  # outbound HTTP, for `--http record`

    def notify(self, update: ExecutionUpdate) -> None:
        """Send `update` to every listener."""
        for listener in self.listeners:
            try:
                listener(update)
            except Exception:  # a failing listener (a face's UI) must never fail the execution
                _log.exception(
                    "A listener of execution %s failed on its %r update", self.outcome.execution_id, update.kind
                )

    def update(self, kind: UpdateKind, **fields: Any) -> ExecutionUpdate:
        """An update of this execution (`started`, `log`, `step`, `finished`), sent to every listener."""
        update = ExecutionUpdate(kind, self.outcome.execution_id, self.outcome.flow.name, **fields)
        self.notify(update)
        return update

    def log(self, severity: str, step: str | None, text: str, timestamp: str | None = None) -> None:
        """Add a log line (truncated like the platform's): kept, written soon, sent to listeners."""
        line = LogLine(timestamp or now_iso(), severity, step, truncate_log(mask_secrets(text, self.secrets)))
        self.outcome.logs.append(line)
        self.log_writer.added()
        self.update("log", log=line)

    def on_event(self, event: dict[str, Any]) -> None:
        """A worker event of this execution: a log line, a finished step, or an outbound HTTP exchange."""
        kind = event.get("type")
        if kind == "log":
            self.log(event["severity"], event.get("step"), str(event.get("message", "")), event.get("timestamp"))
        elif kind == "step":
            result = decode(event.get("result"))
            step = StepRecord(
                self.outcome.execution_id,
                len(self.outcome.steps) + 1,
                event["name"],
                event["startedAt"],
                event["endedAt"],
                event.get("error"),
                # The trigger's result is the payload: every face shows it, so its credential headers are
                # masked here, once (the stored request keeps them for exact replay).
                mask_request(result) if event["name"] == "onTrigger" else result,
            )
            self.outcome.steps.append(step)
            response = decode(event.get("response"))
            if event["name"] == "onTrigger" and response is not None:
                # The caller's answer comes from the trigger, whatever the rest of the flow does.
                self.outcome.response = response
            self.update("step", step=step, response=response)
        elif kind == "http":
            self.exchanges.append(event["exchange"])
