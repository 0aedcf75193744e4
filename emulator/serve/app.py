"""`cnikit serve`: the local Prismatic runtime of one project, over HTTP on 127.0.0.1.

    server = Server(project_root, port=0)        # port 0: any free port
    base_url = server.start()                    # build, warm workers, listen; returns e.g. http://127.0.0.1:40123
    ...                                          # POST {base_url}/trigger/<token>, GET {base_url}/__cnikit/flows
    server.stop()

Webhooks are answered by `emulator.serve.webhook`; schedules, retries and queues run on the runtime
(`emulator.serve.runtime`); hot reload is `emulator.serve.watch`. `/__cnikit/…` is a small JSON admin API, behind
`emulator.serve.guard` (loopback `Host`, this server's `Origin`, the project's local token on every POST):

    GET  /__cnikit/health                 status, project, integration, last reload
    GET  /__cnikit/flows                  flows with their URLs, keys, schedules, queues; the endpoint URLs
    GET  /__cnikit/executions             ?flow=&status=&limit=  newest first, plus queued/retrying jobs
    GET  /__cnikit/executions/{id}        ?wait=SECONDS  one execution: logs, steps, lineage, retries
    GET  /__cnikit/results/{id}           a synchronous result (the target of the 303 redirect)
    GET  /__cnikit/state                  every persisted state level
    GET  /__cnikit/clock                  now, frozen?, pending retries, next ticks
    POST /__cnikit/clock                  {"advance": "90m"} or {"set": "2027-01-15T15:00:00Z"}: fire what is due
    POST /__cnikit/instance/{deploy|remove}
    GET  /__cnikit/events                 ?after=SEQ&timeout=SECONDS  reloads, ticks, lifecycle, captures, logs
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator.build import BuildMode
from emulator.executor import ExecutionUpdate, Executor
from emulator.serve.clock import Clock, parse_duration, parse_time
from emulator.serve.long_poll import wait_until
from emulator.serve.query import BadQuery, integer, number
from emulator.serve.runtime import Runtime, RuntimeEvent, json_body
from emulator.serve.schedule import Schedule
from emulator.serve.webhook import WebhookHandler
from emulator.store import StoreError
from emulator.views import execution_detail, execution_view

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
ADMIN = "/__cnikit"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


class Admin:
    """The `/__cnikit/…` JSON API over a runtime."""

    def __init__(self, runtime: Runtime, server: Server) -> None:
        self.runtime = runtime
        self.server = server

    def routes(self) -> list[Route]:
        """The Starlette routes."""
        return [
            Route(f"{ADMIN}/health", self.health),
            Route(f"{ADMIN}/flows", self.flows),
            Route(f"{ADMIN}/executions", self.executions),
            Route(f"{ADMIN}/executions/{{id}}", self.execution),
            Route(f"{ADMIN}/results/{{id}}", self.result),
            Route(f"{ADMIN}/state", self.state),
            Route(f"{ADMIN}/clock", self.clock, methods=["GET", "POST"]),
            Route(f"{ADMIN}/instance/{{action}}", self.instance, methods=["POST"]),
            Route(f"{ADMIN}/events", self.events),
        ]

    async def health(self, _request: Request) -> Response:
        """Is it up, what does it serve."""
        return JSONResponse(
            {
                "status": "ok",
                "project": str(self.runtime.root),
                "integration": self.runtime.definition.name,
                "url": self.server.url,
                "deployed": self.runtime.deployed,
                "lastReload": self.server.last_reload,
                "scheduleErrors": self.runtime.schedule_errors,
            }
        )

    async def flows(self, _request: Request) -> Response:
        """Flows, their URLs and how they are triggered."""
        from cnikit.payloads import list_payloads
        from emulator.instance import flow_api_keys
        from emulator.views import ScheduleView, flow_view

        runtime = self.runtime
        payload_files = list_payloads(runtime.root)
        schedules = {s.flow.name: s for s in runtime.schedules()}
        now = runtime.clock.now()
        flows = []
        for endpoint in runtime.endpoints():
            if endpoint.flow is None:
                continue
            flow = endpoint.flow
            schedule = schedules.get(flow.name)
            view = flow_view(
                flow,
                [str(path) for path in payload_files.get(flow.stable_key or flow.key, [])],
                url=endpoint.url,
                security=flow.endpoint_security_type or "customer_optional",
                api_keys=flow_api_keys(runtime.instance, flow),
                schedule=None
                if schedule is None
                else ScheduleView(
                    cron=schedule.cron,
                    time_zone=schedule.time_zone or "UTC",
                    source=schedule.source,
                    next=_next_tick(schedule, now),
                ),
            )
            flows.append(view.to_json())
        others = [{"kind": e.kind, "url": e.url} for e in runtime.endpoints() if e.flow is None]
        return JSONResponse(
            {
                "integration": runtime.definition.name,
                "endpointType": runtime.definition.endpoint_type or "flow_specific",
                "flows": flows,
                "endpoints": others,
            }
        )

    async def executions(self, request: Request) -> Response:
        """Executions newest first, and the jobs not finished yet."""
        params = request.query_params
        try:
            limit = integer(params, "limit", default=50, low=1, high=1000)
        except BadQuery as bad:
            return _error(400, str(bad))
        status = params.get("status")
        if status not in (None, "running", "succeeded", "failed"):
            return _error(400, f"status must be running, succeeded or failed, found {status!r}")
        store = self.runtime.executor.store
        records = store.list_executions(
            flow=params.get("flow"),
            status=status,  # type: ignore[arg-type]
            limit=limit,
        )
        return JSONResponse(
            {
                "executions": [execution_view(store, r).to_json() for r in records],
                "pending": [job.summary() for job in self.runtime.dispatcher.jobs() if job.state != "running"],
            }
        )

    async def execution(self, request: Request) -> Response:
        """One execution with its logs, steps and lineage; `?wait=S` waits (up to S seconds) for it to finish."""
        ref = request.path_params["id"]
        try:
            seconds = number(request.query_params, "wait", default=0, high=120, unit="seconds")
        except BadQuery as bad:
            return _error(400, str(bad))
        if seconds:
            runtime = self.runtime
            wake_on = [runtime.subscribe, runtime.executor.store.subscribe]
            await wait_until(lambda: runtime.wait(ref, 0), seconds, wake_on=wake_on)
        store = self.runtime.executor.store
        try:
            record = store.get_execution(ref)
        except StoreError as missing:
            job = self.runtime.dispatcher.job(ref)
            if job is not None:
                return JSONResponse({"id": ref, "status": job.state, **job.summary()})
            return _error(404, str(missing))
        job = self.runtime.dispatcher.job(record.id)
        body = execution_detail(store, record).to_json()
        if job is not None:  # the dispatcher's view of it: attempts and retries (not part of the execution view)
            body["job"] = {
                "attempt": job.attempt,
                "retryOf": job.retry_of,
                "retriedAs": job.extra.get("retriedAs"),
                "retryPending": job.state == "retry-pending",
            }
        return JSONResponse(body)

    async def result(self, request: Request) -> Response:
        """A synchronous execution's result, as its caller would have received it inline."""
        try:
            record = self.runtime.executor.store.get_execution(request.path_params["id"])
        except StoreError as missing:
            return _error(404, str(missing))
        result = record.result if isinstance(record.result, dict) else {"data": record.result}
        return Response(
            json_body(result.get("data")), 200, media_type=str(result.get("contentType") or "application/json")
        )

    async def state(self, _request: Request) -> Response:
        """Every persisted state level."""
        entries = self.runtime.executor.store.list_state()
        return JSONResponse(
            {"state": [{"level": k.level, "scope": k.scope, "flow": k.flow, "value": v} for k, v in entries]}
        )

    async def clock(self, request: Request) -> Response:
        """Read the clock, or move it: `{"advance": "90m"}` / `{"set": ISO}`; answers with the ticks fired."""
        runtime = self.runtime
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                return _error(400, 'expected a JSON body like {"advance": "90m"} or {"set": "2027-01-15T15:00:00Z"}')
            seen = runtime.events()[-1].seq if runtime.events() else 0
            try:
                if isinstance(body, dict) and "advance" in body:
                    delta = parse_duration(str(body["advance"]))
                    await asyncio.to_thread(runtime.clock.advance, delta)
                elif isinstance(body, dict) and "set" in body:
                    when = parse_time(str(body["set"]))
                    await asyncio.to_thread(runtime.clock.set, when)
                else:
                    return _error(400, 'expected {"advance": "90m"} or {"set": "2027-01-15T15:00:00Z"}')
            except ValueError as bad:
                return _error(400, str(bad))
            fired = [e.to_json() for e in runtime.events(seen) if e.kind == "tick"]
            return JSONResponse({**self._clock_json(), "fired": fired})
        return JSONResponse(self._clock_json())

    def _clock_json(self) -> dict[str, Any]:
        runtime = self.runtime
        now = runtime.clock.now()
        return {
            "now": now.isoformat().replace("+00:00", "Z"),
            "frozen": runtime.clock.frozen,
            "pending": [
                {"at": w.isoformat().replace("+00:00", "Z"), "what": label} for w, label in runtime.clock.pending()
            ],
            "next": {s.flow.name: _next_tick(s, now) for s in runtime.schedules()},
        }

    async def instance(self, request: Request) -> Response:
        """Deploy or remove the local instance."""
        from emulator.serve.lifecycle import run_lifecycle

        action = request.path_params["action"]
        if action not in ("deploy", "remove"):
            return _error(404, f"expected /instance/deploy or /instance/remove, found /instance/{action}")
        report = await asyncio.to_thread(run_lifecycle, self.runtime, action)
        return JSONResponse(report.to_json())

    async def events(self, request: Request) -> Response:
        """Events after `?after=SEQ`, waiting up to `?timeout=S` for one."""
        try:
            after = integer(request.query_params, "after", default=0, high=2**63 - 1)
            timeout = number(request.query_params, "timeout", default=0, high=60, unit="seconds")
        except BadQuery as bad:
            return _error(400, str(bad))
        found = await wait_until(lambda: self.runtime.events(after), timeout, wake_on=[self.runtime.subscribe])
        return JSONResponse({"events": [e.to_json() for e in found]})


def _next_tick(schedule: Schedule, now: datetime) -> str:
    return schedule.next_tick(now).isoformat().replace("+00:00", "Z")


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    return sock


class Server:
    """The `cnikit serve` process's server, startable in a thread (tests, the language server) or in the foreground."""

    def __init__(
        self,
        root: Path,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        capture: bool = False,
        clock: Clock | None = None,
        workers: int = 4,
        build_mode: BuildMode = "fast",
        watch: bool = False,
        rate_limit: int | None = None,
        on_event: Callable[[RuntimeEvent], None] | None = None,
        on_update: Callable[[ExecutionUpdate], None] | None = None,
    ) -> None:
        self.root = root.resolve()
        self.host, self.port = host, port
        self.executor = Executor(self.root, build_mode=build_mode, workers=workers)
        self.runtime = Runtime(self.executor, clock)
        self.runtime.capture = capture
        self.runtime.rate_limit = rate_limit
        self.watch = watch
        self.last_reload: dict[str, Any] | None = None
        self._on_event = on_event
        self._on_update = on_update
        self._sock: socket.socket | None = None
        self._uvicorn: Any = None
        self._thread: threading.Thread | None = None
        self._watcher: Any = None

    @property
    def url(self) -> str:
        """The base URL (`http://127.0.0.1:<port>`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def app(self) -> Starlette:
        """The ASGI app: webhooks, the admin API behind `emulator.serve.guard`, and `/api`, the Prismatic API for prism
        (call once the port is known)."""
        from starlette.middleware import Middleware

        from cnikit.local_token import local_token
        from emulator.serve.api import PrismApi
        from emulator.serve.guard import AdminGuard

        token = local_token(self.root)
        self.prism_api = PrismApi(self.runtime, self.url, token)
        routes = [*WebhookHandler(self.runtime).routes(), *Admin(self.runtime, self).routes(), *self.prism_api.routes()]
        guard = Middleware(AdminGuard, token=token, port=self.port, bound_host=self.host)
        return Starlette(routes=routes, middleware=[guard])

    def start(self) -> str:
        """Listen, build and warm the workers, start the clock (and the watcher); returns the base URL.

        Raises `emulator.build.BuildFailed`, `RunnerError` or `OSError` (port taken) with nothing left running.
        """
        import uvicorn

        self._sock = listening_socket(self.host, self.port)
        self.port = self._sock.getsockname()[1]
        self.executor.webhook_base = self.url  # context.webhookUrls point here, so invokeFlow comes back to us
        try:
            self.executor.prepare()
        except BaseException:
            self._sock.close()
            self.executor.close()
            raise
        if self._on_event is not None:
            self.runtime.subscribe(self._on_event)
        if self._on_update is not None:
            self.executor.subscribe(self._on_update)
        self.runtime.subscribe(self._remember_reload)
        self.runtime.start()
        config = uvicorn.Config(
            self.app(), lifespan="off", log_level="warning", access_log=False, timeout_keep_alive=30
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [self._sock]}, name="cnikit-serve", daemon=True
        )
        self._thread.start()
        while not self._uvicorn.started and self._thread.is_alive():
            time.sleep(0.005)  # uvicorn has no start event; the socket already accepts (backlog) meanwhile
        if self.watch:
            from emulator.serve.watch import Watcher

            self._watcher = Watcher(self.runtime)
            self._watcher.start()
        return self.url

    def _remember_reload(self, event: RuntimeEvent) -> None:
        if event.kind == "reload":
            self.last_reload = event.to_json()

    def stop(self) -> None:
        """Stop watching and listening; running executions finish; workers stop."""
        if self._watcher is not None:
            self._watcher.stop()
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self.runtime.close()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def url_table(server: Server) -> str:
    """The table `cnikit serve` prints at start: every URL, with how each flow is triggered."""
    from emulator.instance import flow_api_keys

    runtime = server.runtime
    schedules = {s.flow.name: s for s in runtime.schedules()}
    rows: list[tuple[str, str, str]] = []
    for endpoint in runtime.endpoints():
        if endpoint.flow is None:
            rows.append((f"({endpoint.kind} endpoint)", "routed", endpoint.url))
            continue
        flow = endpoint.flow
        how = ["sync" if flow.is_synchronous else "async"]
        if flow.name in schedules:
            s = schedules[flow.name]
            how.append(f"cron '{s.cron}' {s.time_zone or 'UTC'}")
        security = flow.endpoint_security_type or "customer_optional"
        if security in ("organization", "customer_required"):
            how.append(
                f"Api-Key {flow_api_keys(runtime.instance, flow)[0] if flow_api_keys(runtime.instance, flow) else '?'}"
            )
        rows.append((flow.name, ", ".join(how), endpoint.url))
    width = max((len(r[0]) for r in rows), default=4)
    how_width = max((len(r[1]) for r in rows), default=4)
    lines = [f"{'FLOW':<{width}}  {'TRIGGER':<{how_width}}  URL"]
    lines += [f"{name:<{width}}  {how:<{how_width}}  {url}" for name, how, url in rows]
    lines.append(f"admin API: {server.url}{ADMIN}/health  (flows, executions, state, clock, events)")
    from cnikit.local_token import local_token

    lines.append("prism CLI (and cnikit test/results/me) against this server: paste")
    lines.append(f"  export PRISMATIC_URL={server.url}")
    lines.append(f"  export PRISM_ACCESS_TOKEN={local_token(server.root)}")
    lines.append(
        "  (after `prism integrations:import` it runs the imported dist/index.js until the next import or a restart)"
    )
    return "\n".join(lines)
