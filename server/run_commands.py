"""Local run commands (the emulator): run a flow, replay an execution, list executions, read logs and step outputs.

Runs happen in a worker thread through `emulator.executor.Executor` (one warm executor per project). The command
returns as soon as the execution has started; what happens next reaches the client as notifications —
`cnikit/executionUpdated` (start, each step, end) and `cnikit/executionLog` (each log line as it is written) —
so the client renders trees without polling. Build and run report `$/progress`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.executions import LocalRuns, log_line_impl, summary_impl
from server.projects import CommandError

if TYPE_CHECKING:
    from emulator.executor import ExecutionUpdate, Executor, TriggerRequest
    from emulator.store import ExecutionRecord, Store
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)


class _Args(BaseModel):
    model_config = ConfigDict(extra="ignore")

    project: str | None = None


class RunArgs(_Args):
    """`cnikit.server.runLocally`."""

    flow: str
    payload: str | None = None  # a payload file (official format)


class ExecutionArgs(_Args):
    """Commands about one execution."""

    executionId: str
    source: Literal["local", "cloud"] = "local"


class StepArgs(ExecutionArgs):
    """`cnikit.server.getStepOutput`."""

    step: str


class ServerArgs(_Args):
    """`cnikit.server.startServer`: the port (default 8787, any free port when that one is taken)."""

    port: int | None = Field(None, ge=0, le=65535)


class ListArgs(_Args):
    """`cnikit.server.listExecutions`."""

    flow: str | None = None
    source: Literal["local", "cloud"] = "local"
    limit: int = Field(50, ge=1, le=500)


def _failure(error: Exception) -> CommandError:
    """A one-line reason for an emulator failure (the full text goes to the log)."""
    text = str(error).strip() or type(error).__name__
    lines = text.splitlines()
    if len(lines) > 1:
        log.error("%s", text)
        return CommandError(f"{lines[0]} (+{len(lines) - 1} more, see the cnikit output)")
    return CommandError(text)


async def start_execution(
    ls: CnikitLanguageServer,
    runs: LocalRuns,
    root: Path,
    title: str,
    start: Callable[[Executor, Callable[[ExecutionUpdate], None]], Any],
) -> dict[str, Any]:
    """Build, then run `start(executor, on_update)` in a thread; return once the execution has started.

    Progress (build, run) lasts until the execution ends; a failure before the start is the command's error.
    """
    from emulator.build import BuildFailed
    from emulator.executor import ExecutorError
    from emulator.instance import InstanceError
    from emulator.runner import RunnerError, WorkerFault
    from emulator.store import StoreError
    from server.diagnostics import check_build

    executor = runs.executor(root)
    loop = asyncio.get_running_loop()
    started: asyncio.Future[str] = loop.create_future()

    def mark_started(execution_id: str) -> None:
        if not started.done():
            started.set_result(execution_id)

    def on_update(update: ExecutionUpdate) -> None:
        if update.kind == "started":
            loop.call_soon_threadsafe(mark_started, update.execution_id)

    async def execute() -> None:
        async with ls.work_progress(title) as report:
            report("building")
            try:
                await asyncio.to_thread(executor.prepare)
            except (RunnerError, WorkerFault):
                await check_build(ls, root)  # a load error: spectral's message, placed on the source
                raise
            ls.spawn(check_build(ls, root))  # alongside the run: what the build says about the definition
            report("running")
            await asyncio.to_thread(start, executor, on_update)

    task = ls.spawn_raw(execute())
    await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
    if started.done():
        return {"executionId": started.result(), "status": "running"}
    error = task.exception()
    if isinstance(error, BuildFailed | ExecutorError | InstanceError | StoreError | RunnerError | WorkerFault):
        raise _failure(error)
    if error is not None:
        raise error
    raise CommandError("the execution ended before it started")  # pragma: no cover - executor always notifies


def _request(payload: str | None, root: Path) -> TriggerRequest | None:
    from emulator.executor import TriggerRequest
    from server.project_commands import load_payload_ref

    return TriggerRequest.from_payload(load_payload_ref(root, payload)) if payload is not None else None


def register(ls: CnikitLanguageServer) -> None:
    """Register the local run commands."""
    runs = ls.runs
    ls.on_initialized.append(lambda: ls.spawn(runs.watch()))
    ls.on_shutdown.append(lambda: asyncio.to_thread(runs.close))

    async def run_locally(ls: CnikitLanguageServer, args: RunArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        request = _request(args.payload, root)
        return await start_execution(
            ls,
            runs,
            root,
            f"cnikit: run {args.flow}",
            lambda executor, on_update: executor.run(args.flow, request, on_update=on_update),
        )

    async def replay_execution(ls: CnikitLanguageServer, args: ExecutionArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        return await start_execution(
            ls,
            runs,
            root,
            "cnikit: replay",
            lambda executor, on_update: executor.replay(args.executionId, on_update=on_update),
        )

    async def list_executions(ls: CnikitLanguageServer, args: ListArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        if args.source == "cloud":
            from server.platform_commands import cloud_executions

            return await cloud_executions(ls, root, args.flow, args.limit)
        store = runs.store(root)
        return [
            summary_impl(record, store.steps(record.id))
            for record in store.list_executions(flow=args.flow, limit=args.limit)
        ]

    async def get_execution_logs(ls: CnikitLanguageServer, args: ExecutionArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        if args.source == "cloud":
            from server.platform_commands import cloud_logs

            return await cloud_logs(ls, root, args.executionId)
        store = runs.store(root)
        record = _record(store, args.executionId)
        lines = [log_line_impl(r.timestamp, r.severity, r.step, r.message) for r in store.logs(record.id)]
        return {"text": "\n".join(lines)}

    async def get_step_output(ls: CnikitLanguageServer, args: StepArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        if args.source == "cloud":
            from server.platform_commands import cloud_step_output

            return await cloud_step_output(ls, root, args.executionId, args.step)
        from emulator.store import StoreError

        store = runs.store(root)
        record = _record(store, args.executionId)
        try:
            output = store.step_output(record.id, args.step)
        except StoreError as error:  # no such step: the store's message lists the steps there are
            raise CommandError(str(error)) from None
        return {"json": json.dumps(output, indent=2, default=str, ensure_ascii=False)}

    async def start_server(ls: CnikitLanguageServer, args: ServerArgs) -> Any:
        from emulator.build import BuildFailed
        from emulator.runner import RunnerError, WorkerFault

        root = ls.projects.resolve(args.project).root
        async with ls.work_progress(f"cnikit: starting the local server for {root.name}"):
            try:
                forward = runs.forwarder(root, runs.store(root))
                url = await asyncio.to_thread(runs.start_server, root, args.port, forward)
            except (BuildFailed, RunnerError, WorkerFault) as error:
                raise _failure(error) from None
        return {"url": url}

    async def stop_server(ls: CnikitLanguageServer, args: _Args) -> Any:
        root = ls.projects.resolve(args.project).root
        return {"stopped": await asyncio.to_thread(runs.stop_server, root)}

    ls.register_command("cnikit.server.startServer", ServerArgs, start_server)
    ls.register_command("cnikit.server.stopServer", _Args, stop_server)
    ls.register_command("cnikit.server.runLocally", RunArgs, run_locally)
    ls.register_command("cnikit.server.replayExecution", ExecutionArgs, replay_execution)
    ls.register_command("cnikit.server.listExecutions", ListArgs, list_executions)
    ls.register_command("cnikit.server.getExecutionLogs", ExecutionArgs, get_execution_logs)
    ls.register_command("cnikit.server.getStepOutput", StepArgs, get_step_output)


def _record(store: Store, execution_id: str) -> ExecutionRecord:
    from emulator.store import StoreError

    try:
        return store.get_execution(execution_id)
    except StoreError as error:
        raise CommandError(str(error)) from None
