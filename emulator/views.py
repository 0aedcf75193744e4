"""The one JSON view of an execution, its steps and log lines, and of a flow — for every face.

Contract: `cnikit executions show --json` / `run --json`, the admin API of `cnikit serve` (`/__cnikit/executions…`,
`/__cnikit/flows`), the language server's `cnikit/*` protocol and the TUI all show an execution as an
`ExecutionView` (in lists and notifications) or an `ExecutionDetail` (one execution, with its request, result,
response, step outputs and logs), and a flow as a `FlowView`. They are pydantic models with snake_case attributes
(for Python) and camelCase JSON keys (`view.to_json()`); `version` is `VIEW_VERSION`, raised on any incompatible
change, and every change to these shapes is written down in docs/CHANGELOG.md.

Values that are not JSON (step outputs hold `bytes`, dates) become JSON in one place, `jsonable`: bytes are tagged
base64 (`{"$cnikit$": "bytes", "base64": …}`, the worker protocol's own tag), never Python's `"b'…'"`.

    view = execution_view(store, store.get_execution("12"))          # a summary
    detail = execution_detail(store, store.get_execution("12"))      # everything about it
    print(json.dumps(detail.to_json()))
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from pydantic.alias_generators import to_camel

from cnikit.credentials import mask_request
from emulator.outcome import caller_answer

if TYPE_CHECKING:
    from cnikit.definition.models import BuiltFlow
    from emulator.store import ExecutionRecord, LogRecord, StepRecord, Store

VIEW_VERSION = 1  # raise on an incompatible change of any view below (and say so in docs/CHANGELOG.md)

Source = Literal["local", "cloud"]
Status = Literal["running", "succeeded", "failed"]


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of a stored value (step output, result, response): bytes as tagged base64, dates ISO."""
    from emulator.runner import encode

    return encode(value)


def parse_time(text: str | datetime | None) -> datetime | None:
    """An ISO 8601 timestamp (`…Z`, as the store writes them) as an aware datetime; None stays None."""
    if text is None or text == "":
        return None
    moment = text if isinstance(text, datetime) else datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    """A datetime as the platform writes it: UTC, milliseconds, `Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration_ms(started: datetime | None, ended: datetime | None) -> float | None:
    """Milliseconds from `started` to `ended` (None while either is unknown)."""
    if started is None or ended is None:
        return None
    return round((ended - started).total_seconds() * 1000, 3)


class View(BaseModel):
    """Base of the views: camelCase JSON keys, snake_case attributes, frozen."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def to_json(self) -> dict[str, Any]:
        """The JSON document (camelCase keys, ISO timestamps)."""
        return self.model_dump(mode="json", by_alias=True)


class LogLine(View):
    """One log line of an execution; `seq` orders an execution's lines (ask for those after it)."""

    seq: int
    timestamp: datetime
    severity: str
    step: str | None = None
    message: str

    @field_serializer("timestamp")
    def _iso(self, moment: datetime) -> str | None:
        return iso(moment)


class StepView(View):
    """One step (`onTrigger`, `onExecution`) of an execution."""

    name: str
    status: Status
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: float | None = None
    error: str | None = None

    @field_serializer("started_at", "ended_at")
    def _iso(self, moment: datetime | None) -> str | None:
        return iso(moment)


class StepDetail(StepView):
    """A step with its output (JSON-ready, see `jsonable`)."""

    output: Any = None


class ExecutionView(View):
    """An execution as listed and as notified: who ran what, how it went, how it relates to other executions."""

    version: int = VIEW_VERSION
    source: Source = "local"
    seq: int | None = None  # the short number of a local execution (per store); None for cloud executions
    id: str
    flow: str  # the flow's name
    flow_key: str | None = None  # the flow's stable key
    invoke_type: str
    status: str  # running | succeeded | failed
    status_detail: str | None = None  # e.g. polled_no_changes: the polling trigger found nothing new
    started_at: datetime
    ended_at: datetime | None = None
    duration_ms: float | None = None
    error: str | None = None
    error_step: str | None = None
    replay_of: str | None = None
    retry_of: str | None = None
    invoked_by: str | None = None
    invoked: list[str] = Field(default_factory=list)
    http_mode: str | None = None  # live | record | replay (local executions)
    steps: list[StepView] = Field(default_factory=list)

    @field_serializer("started_at", "ended_at")
    def _iso(self, moment: datetime | None) -> str | None:
        return iso(moment)


class ExecutionDetail(ExecutionView):
    """One execution with everything recorded about it: request, result, response, step outputs, logs."""

    steps: list[StepDetail] = Field(default_factory=list)  # type: ignore[assignment]
    request: dict[str, Any] | None = None
    result: Any = None
    response: Any = None  # the HTTP response the trigger gave its caller
    logs: list[LogLine] = Field(default_factory=list)


class ScheduleView(View):
    """When a scheduled flow runs, as a running `cnikit serve` computes it."""

    cron: str
    time_zone: str = "UTC"
    source: str | None = None  # where the schedule comes from (the flow, a config variable)
    next: str | None = None  # the next tick, ISO 8601


class FlowView(View):
    """A flow of the integration, as `/__cnikit/flows` and the language server's `listFlows` list it.

    The static fields come from the source (the language server, without building) or the built definition; the
    endpoint fields (`url` … `schedule`) are filled by a running `cnikit serve` and None elsewhere.
    """

    version: int = VIEW_VERSION
    name: str
    stable_key: str | None = None
    synchronous: bool = False
    has_schedule: bool = False
    payloads: list[str] = Field(default_factory=list)  # payload files (absolute paths)
    trigger: str | None = None  # wrapper | webhook | schedule | component (the built definition's trigger kind)
    url: str | None = None
    security: str | None = None
    api_keys: list[str] | None = None
    queue: dict[str, Any] | None = None
    retry: dict[str, Any] | None = None
    schedule: ScheduleView | None = None


# -- from the store ------------------------------------------------------------------------------------------------


def step_view(step: StepRecord, *, detail: bool = False) -> StepView:
    """A stored step as a view (with its output when `detail`)."""
    started, ended = parse_time(step.started_at), parse_time(step.ended_at)
    fields: dict[str, Any] = {
        "name": step.name,
        "status": "failed" if step.error else "succeeded",
        "started_at": started,
        "ended_at": ended,
        "duration_ms": duration_ms(started, ended),
        "error": step.error,
    }
    return StepDetail(**fields, output=jsonable(step.result)) if detail else StepView(**fields)


def log_line(record: LogRecord) -> LogLine:
    """A stored log line as a view."""
    moment = parse_time(record.timestamp) or datetime.now(UTC)
    return LogLine(seq=record.id, timestamp=moment, severity=record.severity, step=record.step, message=record.message)


def _execution_fields(store: Store, record: ExecutionRecord, steps: list[StepRecord]) -> dict[str, Any]:
    started, ended = parse_time(record.started_at), parse_time(record.ended_at)
    failed = next((step.name for step in steps if step.error), None)
    return {
        "seq": record.seq,
        "id": record.id,
        "flow": record.flow_name,
        "flow_key": record.flow_key,
        "invoke_type": record.invoke_type,
        "status": record.status,
        "status_detail": record.status_detail,
        "started_at": started,
        "ended_at": ended,
        "duration_ms": duration_ms(started, ended),
        "error": record.error,
        "error_step": failed if record.status == "failed" else None,
        "replay_of": record.replay_of,
        "retry_of": record.retry_of,
        "invoked_by": record.parent_id,
        "invoked": [child.id for child in store.invoked_by(record.id)],
        "http_mode": record.http_mode,
    }


def execution_view(store: Store, record: ExecutionRecord, steps: list[StepRecord] | None = None) -> ExecutionView:
    """A stored execution as listed (steps without outputs, no logs)."""
    steps = store.steps(record.id) if steps is None else steps
    return ExecutionView(**_execution_fields(store, record, steps), steps=[step_view(step) for step in steps])


def execution_detail(store: Store, record: ExecutionRecord, *, response: Any = None) -> ExecutionDetail:
    """A stored execution with everything recorded about it. `response` overrides the stored trigger response (a
    synchronous run knows the response its caller got; the store keeps the trigger's)."""
    steps = store.steps(record.id)
    trigger_error = next((step.error for step in steps if step.name == "onTrigger" and step.error), None)
    return ExecutionDetail(
        **_execution_fields(store, record, steps),
        steps=[step_view(step, detail=True) for step in steps],  # type: ignore[misc]
        # The store keeps the request's values (exact replay); no face ever shows its credential headers.
        request=mask_request(record.request),
        result=jsonable(record.result),
        response=jsonable(caller_answer(record.id, record.response, trigger_error) if response is None else response),
        logs=[log_line(line) for line in store.logs(record.id)],
    )


def flow_view(flow: BuiltFlow, payloads: list[str] | None = None, **served: Any) -> FlowView:
    """A built flow as a view; `served` fills the endpoint fields (url, security, api_keys, schedule …)."""
    return FlowView(
        name=flow.name,
        stable_key=flow.stable_key,
        synchronous=bool(flow.is_synchronous),
        has_schedule=flow.schedule is not None or flow.trigger_kind == "schedule",
        payloads=payloads or [],
        trigger=flow.trigger_kind,
        queue=flow.queue_config,
        retry=flow.retry_config,
        **served,
    )
