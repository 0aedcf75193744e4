"""Where the results screens get executions from: the local emulator store or the Prismatic cloud.

The screens only know `ExecutionSource`; `LocalSource` (emulator store, SQLite) and `CloudSource` (platform client)
adapt their backends to it, so local and cloud executions are browsed on the same screens. Every method is
synchronous and fast for local data; screens call them from workers when they may be slow (cloud).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

STATUSES = ("running", "succeeded", "failed")


@dataclass(frozen=True)
class ExecutionRow:
    """One execution as listed: enough to draw one row of the table."""

    id: str
    flow: str
    status: str  # one of STATUSES (anything else is shown as it is)
    started_at: datetime
    ended_at: datetime | None
    invoke_type: str
    replay_of: str | None = None
    invoked_by: str | None = None  # the execution that invoked this one (cross-flow)
    retry_of: str | None = None  # the execution this one retries
    error: str | None = None

    @property
    def duration_ms(self) -> float | None:
        """Wall time in milliseconds, or None while it runs."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() * 1000


@dataclass(frozen=True)
class StepRow:
    """One step of an execution (onTrigger, onExecution)."""

    name: str
    started_at: datetime | None
    ended_at: datetime | None
    has_error: bool = False

    @property
    def duration_ms(self) -> float | None:
        """Wall time in milliseconds, or None while it runs or when unknown."""
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() * 1000


@dataclass(frozen=True)
class LogRow:
    """One log line of an execution; `seq` orders lines and lets a follower ask for what came after."""

    seq: int
    timestamp: datetime
    severity: str
    message: str
    step: str | None = None


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
    """What the title bar says about a source."""

    label: str
    can_replay: bool = True
    can_run: bool = True
    remote: bool = False  # fetched with `refresh`/`prefetch` (cloud), not read on demand
    flows: list[str] = field(default_factory=list)


class ExecutionSource(Protocol):
    """What the results screens need from a place executions live."""

    def info(self) -> SourceInfo:
        """The source's label, abilities and flow names."""
        ...

    def count(self, query: ExecutionQuery) -> int:
        """How many executions match."""
        ...

    def page(self, query: ExecutionQuery, offset: int, limit: int) -> list[ExecutionRow]:
        """Matching executions, newest first, from `offset`."""
        ...

    def get(self, execution_id: str) -> ExecutionRow | None:
        """One execution, or None when it does not exist."""
        ...

    def steps(self, execution_id: str) -> list[StepRow]:
        """The steps of an execution in the order they ran."""
        ...

    def logs(self, execution_id: str, after: int = -1) -> list[LogRow]:
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
