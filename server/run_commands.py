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

from emulator.session import SessionError
from emulator.sources import ExecutionQuery
from emulator.views import jsonable
from server.executions import LocalRuns, log_line_impl
from server.projects import CommandError

if TYPE_CHECKING:
    from emulator.executor import ExecutionUpdate
    from emulator.session import Session
    from emulator.sources import ExecutionSource
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


def _failure(error: BaseException) -> CommandError:
    """The command's one-line error for an engine fault (`emulator.session.session_error`); the details go to
    the log."""
    from emulator.session import session_error

    mapped = session_error(error)
    if mapped is None:
        raise error
    if mapped.details:
        log.error("%s", mapped.text)
        return CommandError(f"{mapped.message} (see the cnikit output)")
    return CommandError(mapped.message)


async def start_execution(
    ls: CnikitLanguageServer,
    runs: LocalRuns,
    root: Path,
    title: str,
    start: Callable[[Session, Callable[[ExecutionUpdate], None]], Any],
) -> dict[str, Any]:
    """Build, then run `start(session, on_update)` in a thread; return once the execution has started.

    Progress (build, run) lasts until the execution ends; a failure before the start is the command's error.
    """
    from emulator.session import SessionError
    from server.diagnostics import check_build

    session = runs.session(root)
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
                await asyncio.to_thread(session.prepare)
            except SessionError as error:
                if not error.message.startswith("the project does not build"):
                    await check_build(ls, root)  # a load error: spectral's message, placed on the source
                raise
            ls.spawn(check_build(ls, root))  # alongside the run: what the build says about the definition
            report("running")
            await asyncio.to_thread(start, session, on_update)

    task = ls.spawn_raw(execute())
    await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
    if started.done():
        return {"executionId": started.result(), "status": "running"}
    error = task.exception()
    if error is not None:
        raise _failure(error)
    raise CommandError("the execution ended before it started")  # pragma: no cover - executor always notifies


def register(ls: CnikitLanguageServer) -> None:
    """Register the local run commands."""
    runs = ls.runs
    ls.on_initialized.append(lambda: ls.spawn(runs.watch()))
    ls.on_shutdown.append(lambda: asyncio.to_thread(runs.close))

    async def run_locally(ls: CnikitLanguageServer, args: RunArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        return await start_execution(
            ls,
            runs,
            root,
            f"cnikit: run {args.flow}",
            lambda session, on_update: session.run(args.flow, args.payload, on_update=on_update),
        )

    async def replay_execution(ls: CnikitLanguageServer, args: ExecutionArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        return await start_execution(
            ls,
            runs,
            root,
            "cnikit: replay",
            lambda session, on_update: session.replay(args.executionId, on_update=on_update),
        )

    async def source(root: Path, args: ExecutionArgs | ListArgs, execution_id: str | None = None) -> ExecutionSource:
        """The execution source the arguments name, with what `execution_id` needs fetched (cloud)."""
        found = runs.source(root, args.source)
        if not found.info().remote and (problem := runs.store_problem(root)) is not None:
            raise CommandError(problem)  # an unusable store: its one line says what to do, as in the CLI
        if found.info().remote:
            if execution_id is None or found.get(execution_id) is None:
                await found.refresh()
            error = getattr(found, "error", None)
            if error:
                raise CommandError(error)
            if execution_id is not None:
                await found.prefetch(execution_id)
        if execution_id is not None and found.get(execution_id) is None:
            if found.info().remote:
                raise CommandError(f"No execution {execution_id} in the last 24 hours of the imported integration")
            try:
                runs.session(root).view(execution_id)  # says why: unknown, or an ambiguous id prefix
            except SessionError as error:
                raise CommandError(error.message) from None
        return found

    def resolved(found: ExecutionSource, ref: str) -> str:
        view = found.get(ref)
        assert view is not None  # `source` checked it
        return view.id

    async def list_executions(ls: CnikitLanguageServer, args: ListArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        found = await source(root, args)
        return [view.to_json() for view in found.page(ExecutionQuery(flow=args.flow), 0, args.limit)]

    async def get_execution(ls: CnikitLanguageServer, args: ExecutionArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        found = await source(root, args, args.executionId)
        detail = found.detail(resolved(found, args.executionId))
        assert detail is not None
        return detail.to_json()

    async def get_execution_logs(ls: CnikitLanguageServer, args: ExecutionArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        found = await source(root, args, args.executionId)
        lines = [
            log_line_impl(line["timestamp"], line["severity"], line["step"], line["message"])
            for line in (row.to_json() for row in found.logs(resolved(found, args.executionId)))
        ]
        return {"text": "\n".join(lines)}

    async def get_step_output(ls: CnikitLanguageServer, args: StepArgs) -> Any:
        root = ls.projects.resolve(args.project).root
        found = await source(root, args, args.executionId)
        execution_id = resolved(found, args.executionId)
        output = found.step_output(execution_id, args.step)
        if not output.found:
            names = ", ".join(step.name for step in found.steps(execution_id))
            raise CommandError(f"Execution {execution_id} has no step {args.step!r}; its steps: {names}")
        return {"json": json.dumps(jsonable(output.value), indent=2, ensure_ascii=False)}

    async def start_server(ls: CnikitLanguageServer, args: ServerArgs) -> Any:
        from emulator.build import BuildFailed
        from emulator.runner import RunnerError, WorkerFault

        root = ls.projects.resolve(args.project).root
        async with ls.work_progress(f"cnikit: starting the local server for {root.name}"):
            try:
                forward = runs.forwarder(root)
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
    ls.register_command("cnikit.server.getExecution", ExecutionArgs, get_execution)
    ls.register_command("cnikit.server.getExecutionLogs", ExecutionArgs, get_execution_logs)
    ls.register_command("cnikit.server.getStepOutput", StepArgs, get_step_output)
