"""What an invocation produced, as the faces receive it: `ExecutionOutcome` (with the HTTP response a webhook's
caller gets), the `ExecutionUpdate`s sent while it runs, `LogLine`s, and the outcomes of lifecycle functions and
data sources. Plain dataclasses: emulator/executor.py fills them, emulator/live.py streams them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from cnikit.definition.models import BuiltFlow
from emulator.store import StepRecord


@dataclass
class LogLine:
    """A log line as it arrives (also stored)."""

    timestamp: str
    severity: str
    step: str | None
    message: str


@dataclass
class ExecutionOutcome:
    """What happened: status, error, the flow's result, the trigger's HTTP response, steps and logs."""

    execution_id: str
    flow: BuiltFlow
    status: Literal["succeeded", "failed"]
    started_at: str
    ended_at: str
    error: str | None = None
    error_step: str | None = None
    result: Any = None
    response: Any = None
    steps: list[StepRecord] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    replay_of: str | None = None
    polled_no_changes: bool = False
    sync: bool = False
    state_changed: list[str] = field(default_factory=list)
    seq: int | None = None  # the execution's short number in the store (`#42`)

    @property
    def succeeded(self) -> bool:
        """True when the execution completed without error."""
        return self.status == "succeeded"

    def http_response(self) -> dict[str, Any]:
        """What the caller of the webhook would receive (spec/runtime.md §2.6–2.7)."""
        if self.sync:
            if not self.succeeded:
                return {"statusCode": 400, "contentType": "application/json", "body": {"error": self.error}}
            result = self.result if isinstance(self.result, dict) else {"data": self.result}
            return {
                "statusCode": result.get("statusCode", 200),
                "contentType": result.get("contentType", "application/json"),
                "headers": result.get("headers") or {},
                "body": result.get("data"),
            }
        trigger_error = self.error if self.error_step == "onTrigger" else None
        return caller_answer(self.execution_id, self.response, trigger_error)


def caller_answer(execution_id: str, response: Any, trigger_error: str | None = None) -> dict[str, Any]:
    """What the caller of an asynchronous call receives: the trigger's `response` when it gave one, whatever the
    rest of the flow did; `400 {"error": …}` when the trigger threw (the docs give no rule: ours, like a
    synchronous failure, README "Answers"); else `200 {"executionId": …}`."""
    if trigger_error is not None:
        return {"statusCode": 400, "contentType": "application/json", "body": {"error": trigger_error}}
    if isinstance(response, dict):
        return {"body": {"executionId": execution_id}, **response}
    return {"statusCode": 200, "contentType": "application/json", "body": {"executionId": execution_id}}


UpdateKind = Literal["started", "log", "step", "finished"]


@dataclass
class ExecutionUpdate:
    """Sent to listeners while an execution runs."""

    kind: UpdateKind
    execution_id: str
    flow: str
    log: LogLine | None = None
    step: StepRecord | None = None
    outcome: ExecutionOutcome | None = None
    response: Any = None  # on the onTrigger step: the HTTP response the trigger returned (None: the default)


Listener = Callable[[ExecutionUpdate], None]
LifecycleEvent = Literal["onInstanceDeploy", "onInstanceDelete", "webhookCreate", "webhookDelete"]


@dataclass
class LifecycleOutcome:
    """What one lifecycle function did: whether the flow has it, its error, its logs, the state levels it changed."""

    flow: BuiltFlow
    event: LifecycleEvent
    ran: bool = False
    error: str | None = None
    logs: list[LogLine] = field(default_factory=list)
    state_changed: list[str] = field(default_factory=list)


@dataclass
class DataSourceResult:
    """What a data source returned (`{result, supplementalData?}`) and what it logged."""

    result: Any
    supplemental_data: Any = None
    logs: list[LogLine] = field(default_factory=list)
