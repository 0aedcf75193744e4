"""Testing a flow in the cloud: pre-flight, run, and follow the execution until it ends.

Pre-flight refuses when the test instance is not FULLY_CONFIGURED (as the extension) and names the config wizard
URL. Following polls with prism's adaptive cadence (1 s for the first 30 s, 5 s until 60 s, 30 s until 5 min, then
60 s), streaming new log lines and each finished step's output, and stops once the execution has ended (a last pass
picks up what arrived with the end) or after `timeout` seconds (prism's default 1200 s).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnikit.payloads import Payload
from cnikit.platform.errors import NeedsConfiguration, PlatformError, StepOutputError
from cnikit.platform.models import Execution, Flow, Integration, LogLine, StepOutput, StepResult
from cnikit.platform.outputs import PLACEHOLDER

if TYPE_CHECKING:
    from cnikit.platform.client import PrismaticClient

FOLLOW_TIMEOUT_S = 1200.0


def poll_interval(elapsed: float) -> float:
    """Seconds to wait before the next poll, `elapsed` seconds after the test started (prism's cadence)."""
    if elapsed < 30:
        return 1.0
    if elapsed < 60:
        return 5.0
    if elapsed < 300:
        return 30.0
    return 60.0


@dataclass
class LogEvent:
    """A new log line of the followed execution."""

    line: LogLine


@dataclass
class StepEvent:
    """A step of the followed execution finished; `output` is its decoded result (or `error` why not)."""

    step: StepResult
    output: StepOutput | None
    error: str | None = None


@dataclass
class Finished:
    """The execution ended (or following timed out: `timed_out`)."""

    execution: Execution | None
    timed_out: bool = False


FollowEvent = LogEvent | StepEvent | Finished


def read_integration_id(project: Path) -> str | None:
    """`integrationId` from `<project>/.spectral/prism.json`, when present."""
    import json

    try:
        data = json.loads((project / ".spectral" / "prism.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("integrationId") if isinstance(data, dict) else None
    return str(value) if value else None


async def prepare(client: PrismaticClient, integration_id: str, flow_ref: str | None) -> tuple[Integration, Flow]:
    """The integration and the flow to test; refuses (with the wizard URL) when the instance is not configured."""
    integration = await client.integration(integration_id)
    if not integration.flows:
        raise PlatformError("No flows available for this integration.")
    if flow_ref is None:
        if len(integration.flows) > 1:
            names = ", ".join(f.stableKey or f.name for f in integration.flows)
            raise PlatformError(f"This integration has several flows; choose one with --flow: {names}")
        flow = integration.flows[0]
    else:
        found = integration.find_flow(flow_ref)
        if found is None:
            names = ", ".join(f.stableKey or f.name for f in integration.flows)
            raise PlatformError(f"No flow {flow_ref!r} in this integration; its flows are: {names}")
        flow = found
    if integration.config_state != "FULLY_CONFIGURED":
        if not integration.system_instance_id:
            raise PlatformError(
                "No system instance was found for the given integration. Please re-import or contact support."
            )
        raise NeedsConfiguration(
            integration.config_state or "UNKNOWN", client.config_wizard_url(integration.system_instance_id)
        )
    return integration, flow


async def follow_execution(
    client: PrismaticClient,
    flow_id: str,
    execution_id: str,
    *,
    timeout: float = FOLLOW_TIMEOUT_S,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[FollowEvent]:
    """Yield `LogEvent`s and `StepEvent`s as they appear, then one `Finished`."""
    start = clock()
    cursor: str | None = None
    shown_steps: set[str] = set()
    execution: Execution | None = None
    while True:
        executions = await client.executions(flow_id)
        execution = next((e for e in executions if e.id == execution_id), execution)
        if execution is not None:
            page = await client.logs(execution_id, after=cursor, started_at=execution.startedAt)
            cursor = page.cursor
            for line in page.lines:
                yield LogEvent(line)
            for step in execution.steps:
                if step.endedAt is None or step.id in shown_steps:
                    continue
                try:
                    output = await client.step_output(step, execution_id)
                except StepOutputError as exc:
                    shown_steps.add(step.id)
                    yield StepEvent(step, None, str(exc))
                    continue
                if output.data == PLACEHOLDER and execution.running:
                    continue  # not uploaded yet: try again at the next poll
                shown_steps.add(step.id)
                yield StepEvent(step, output)
            if not execution.running:
                yield Finished(execution)
                return
        elapsed = clock() - start
        if elapsed >= timeout:
            yield Finished(execution, timed_out=True)
            return
        await sleep(min(poll_interval(elapsed), max(timeout - elapsed, 0.0)))


async def run_test(
    client: PrismaticClient,
    integration_id: str,
    flow_ref: str | None,
    payload: Payload | None,
    *,
    sync: bool = False,
    debug: bool = False,
) -> tuple[Flow, str]:
    """Pre-flight and start a test; return the flow and the execution id."""
    _, flow = await prepare(client, integration_id, flow_ref)
    execution_id = await client.test_flow(flow.id, payload, sync=sync, debug=debug)
    return flow, execution_id
