"""Cloud executions: the imported integration's test-instance executions from Prismatic, through the platform client,
seen through `emulator.sources.ExecutionSource` (as `emulator.views` views, `source="cloud"`, no `seq`).

The platform is asked asynchronously (`refresh` for the list, `prefetch` for one execution's logs and step outputs);
the synchronous `ExecutionSource` methods answer from what was fetched, so the screens stay responsive while the
network works.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.sources import ExecutionQuery, SourceInfo, StepOutput
from emulator.views import ExecutionDetail, ExecutionView, LogLine, StepDetail, StepView, duration_ms, jsonable

if TYPE_CHECKING:
    from cnikit.platform.client import PrismaticClient
    from cnikit.platform.models import Execution

LIMIT_PER_FLOW = 20  # per flow, like the official extension's execution results view (the last 24 hours)


def cloud_status(execution: Execution) -> str:
    """`running`, `failed` or `succeeded`, as the table shows them."""
    if execution.running:
        return "running"
    return "failed" if execution.failed else "succeeded"


def cloud_steps(execution: Execution) -> list[StepView]:
    """A cloud execution's steps as views."""
    views = []
    for step in execution.steps:
        started, ended = _aware(step.startedAt), _aware(step.endedAt)
        views.append(
            StepView(
                name=step.label,
                status="failed" if step.hasError else ("succeeded" if ended else "running"),
                started_at=started,
                ended_at=ended,
                duration_ms=duration_ms(started, ended),
            )
        )
    return views


def cloud_view(execution: Execution, flow_name: str) -> ExecutionView:
    """A cloud execution as a view (`source="cloud"`, no `seq`, no stable key)."""
    started = _aware(execution.startedAt) or datetime.now(UTC)
    ended = _aware(execution.endedAt)
    return ExecutionView(
        source="cloud",
        id=execution.id,
        flow=flow_name,
        invoke_type=execution.invokeType or "",
        status=cloud_status(execution),
        started_at=started,
        ended_at=ended,
        duration_ms=duration_ms(started, ended),
        error=execution.error,
        steps=cloud_steps(execution),
    )


class CloudSource:
    """Executions of the integration's test instance on the Prismatic stack the project is configured for."""

    def __init__(self, root: Path, client_factory: Any, integration_id: str) -> None:
        self.root = root
        self.client_factory = client_factory  # () -> PrismaticClient (an async context manager)
        self.integration_id = integration_id
        self.flows: dict[str, str] = {}  # flow id -> name
        self.rows: list[ExecutionView] = []
        self.executions: dict[str, tuple[str, Execution]] = {}  # id -> (flow id, execution)
        self.log_rows: dict[str, list[LogLine]] = {}
        self.outputs: dict[tuple[str, str], StepOutput] = {}
        self._version = 0
        self.error: str | None = None

    async def refresh(self) -> None:
        """Fetch the newest executions of every flow of the integration."""
        from cnikit.platform.errors import PlatformError

        try:
            async with self.client_factory() as client:
                await self._refresh(client)
            self.error = None
        except PlatformError as error:
            self.error = str(error)
        self._version += 1

    async def _refresh(self, client: PrismaticClient) -> None:
        integration = await client.integration(self.integration_id)
        self.flows = {flow.id: flow.name for flow in integration.flows}
        executions: dict[str, tuple[str, Execution]] = {}
        for flow in integration.flows:
            for execution in await client.executions(flow.id, limit=LIMIT_PER_FLOW):
                executions[execution.id] = (flow.id, execution)
        self.executions = executions
        rows = [self._row(flow_id, execution) for flow_id, execution in executions.values()]
        self.rows = sorted(rows, key=lambda row: row.started_at, reverse=True)

    def _row(self, flow_id: str, execution: Execution) -> ExecutionView:
        return cloud_view(execution, self.flows.get(flow_id, flow_id))

    async def prefetch(self, execution_id: str) -> None:
        """Fetch one execution's logs and step outputs."""
        from cnikit.platform.errors import PlatformError

        found = self.executions.get(execution_id)
        if found is None:
            return
        _, execution = found
        async with self.client_factory() as client:
            try:
                page = await client.logs(execution_id, started_at=execution.startedAt)
                self.log_rows[execution_id] = [
                    LogLine(
                        seq=index,
                        timestamp=_time(line.timestamp),
                        severity=line.severity.lower(),
                        message=line.message,
                        step=line.stepName,
                    )
                    for index, line in enumerate(page.lines)
                ]
            except PlatformError as error:
                self.log_rows[execution_id] = [
                    LogLine(
                        seq=0,
                        timestamp=datetime.now(UTC),
                        severity="error",
                        message=f"Could not read the logs: {error}",
                    )
                ]
            for step in execution.steps:
                try:
                    output = await client.step_output(step, execution_id)
                    self.outputs[(execution_id, step.label)] = StepOutput(output.data, note=output.message or "")
                except PlatformError as error:
                    self.outputs[(execution_id, step.label)] = StepOutput(None, found=False, note=str(error))
        self._version += 1

    # -- ExecutionSource ---------------------------------------------------------------------------------------------
    def info(self) -> SourceInfo:
        """Label, abilities, flow names."""
        label = f"cloud: integration {self.integration_id}"
        if self.error:
            label += f" — {self.error}"
        return SourceInfo(label, can_replay=False, can_run=False, remote=True, flows=sorted(set(self.flows.values())))

    def _matching(self, query: ExecutionQuery) -> list[ExecutionView]:
        return [
            row
            for row in self.rows
            if (query.flow is None or row.flow == query.flow) and (query.status is None or row.status == query.status)
        ]

    def count(self, query: ExecutionQuery) -> int:
        """How many fetched executions match."""
        return len(self._matching(query))

    def page(self, query: ExecutionQuery, offset: int, limit: int) -> list[ExecutionView]:
        """Matching fetched executions, newest first."""
        return self._matching(query)[offset : offset + limit]

    def get(self, execution_id: str) -> ExecutionView | None:
        """One fetched execution."""
        found = self.executions.get(execution_id)
        return self._row(*found) if found else None

    def steps(self, execution_id: str) -> list[StepView]:
        """Its steps."""
        found = self.executions.get(execution_id)
        return cloud_steps(found[1]) if found else []

    def detail(self, execution_id: str) -> ExecutionDetail | None:
        """One fetched execution with the logs and outputs fetched so far (`prefetch`)."""
        row = self.get(execution_id)
        if row is None:
            return None
        steps = [
            StepDetail(**step.model_dump(), output=jsonable(self.step_output(execution_id, step.name).value))
            for step in row.steps
        ]
        fields = row.model_dump(exclude={"steps"})
        return ExecutionDetail(**fields, steps=steps, logs=self.logs(execution_id))

    def logs(self, execution_id: str, after: int = -1) -> list[LogLine]:
        """Fetched log lines after `after`."""
        return [row for row in self.log_rows.get(execution_id, []) if row.seq > after]

    def step_output(self, execution_id: str, step: str) -> StepOutput:
        """A fetched step output."""
        return self.outputs.get((execution_id, step), StepOutput(None, found=False, note="Fetching the output…"))

    def replay(self, execution_id: str) -> str:
        """Cloud replays are not offered here."""
        raise RuntimeError("Replaying cloud executions is not available from the TUI; use the Prismatic app.")

    def version(self) -> int:
        """Changes after every fetch."""
        return self._version


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
