"""Webhook endpoints over HTTP: the ASGI side of `/trigger/<token>[/<path fragment>]` (spec/runtime.md §2).

POST, PUT, PATCH, DELETE and GET run the flow (OPTIONS and HEAD are answered without running it). The path after
the token is `pathFragment`, the query string `queryParameters`; bodies up to 6 MB (bigger ones get 413, as the
platform's gateway refuses them). Asynchronous calls answer at once with `{"executionId": …}` (or, for a flow with
its own trigger, the trigger's HTTP response); synchronous calls wait and answer with the flow's result; a thrown
error gives `400 {"error": …}`; a result over 5 MB, or the `prismatic-prefer-redirect-sync-response` header, gives
a 303 to the result's local URL; after 30 s a synchronous caller gets 504 while the execution goes on.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from cnikit.definition.models import BuiltFlow
from emulator.executor import (
    ExecutionOutcome,
    ExecutionUpdate,
    ExecutorError,
    TriggerRequest,
    execution_global_id,
    parse_body,
)
from emulator.instance import InstanceError
from emulator.serve.endpoints import Endpoint, RoutingError, check_api_key, payload_view, route
from emulator.serve.queue import Job
from emulator.serve.runtime import Runtime, json_body

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # the platform refuses larger webhook payloads
MAX_INLINE_RESULT = 5 * 1024 * 1024  # larger synchronous results are redirected to (S3, here:) a result URL
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
PREFLIGHT_HEADERS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
    "access-control-allow-headers": "*",
}
EXECUTION_HEADER = "prismatic-executionid"


def error(status: int, message: str, execution_id: str | None = None) -> Response:
    """`{"error": message}` with the status, as the platform answers errors."""
    headers = {EXECUTION_HEADER: execution_id} if execution_id else None
    return Response(json.dumps({"error": message}), status, headers, media_type="application/json")


def invoke_type(request: TriggerRequest) -> str:
    """`CROSS_FLOW` for `context.invokeFlow` calls (their `prismatic-invoke-type` header), else `WEBHOOK`."""
    return "CROSS_FLOW" if (request.header("prismatic-invoke-type") or "").lower() == "cross flow" else "WEBHOOK"


def wants_sync(request: TriggerRequest, flow: BuiltFlow) -> bool:
    """The `prismatic-synchronous` header when it says true/false, else the flow's `isSynchronous`."""
    header = (request.header("prismatic-synchronous") or "").lower()
    if header in ("true", "false"):
        return header == "true"
    return flow.is_synchronous


def trigger_answer(response: Any, execution_id: str) -> Response:
    """An asynchronous call's answer: the trigger's HTTP response if it gave one, else `{"executionId": …}`."""
    headers = {EXECUTION_HEADER: execution_id}
    if not isinstance(response, dict):
        return Response(json.dumps({"executionId": execution_id}), 200, headers, media_type="application/json")
    headers = {**{str(k): str(v) for k, v in (response.get("headers") or {}).items()}, **headers}
    body = response.get("body")
    content = json_body({"executionId": execution_id} if body is None else body)
    status = int(response.get("statusCode") or 200)
    return Response(content, status if 200 <= status <= 599 else 200, headers, media_type=response.get("contentType"))


def render(outcome: ExecutionOutcome, *, redirect: bool, base_url: str) -> Response:
    """The HTTP response for a finished execution (sync result, trigger response or `{"executionId"}`)."""
    answer = outcome.http_response()
    status = int(answer.get("statusCode") or 200)
    content_type = str(answer.get("contentType") or "application/json")
    headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
    headers[EXECUTION_HEADER] = outcome.execution_id
    body = b"" if answer.get("body") is None and status in (204, 304) else json_body(answer.get("body"))
    has_status = outcome.sync and isinstance(outcome.result, dict) and "statusCode" in outcome.result
    if outcome.sync and outcome.succeeded and not has_status and (redirect or len(body) > MAX_INLINE_RESULT):
        headers["location"] = f"{base_url}/__cnikit/results/{outcome.execution_id}"
        return Response(b"", 303, headers)
    if 100 <= status < 200 or status > 599:
        status = 200  # not an answer HTTP can carry: say so rather than fail
    return Response(body, status, headers, media_type=content_type)


async def read_body(request: Request, limit: int = MAX_REQUEST_BYTES) -> bytes | None:
    """The body, or None when it is over `limit` (6 MB: a webhook's) — the rest is not read into memory."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def trigger_request(request: Request, body: bytes, fragment: str) -> TriggerRequest:
    """The request as the executor stores and replays it."""
    return TriggerRequest(
        headers={k: v for k, v in request.headers.items()},
        body=body,
        method=request.method,
        query=dict(request.query_params),
        path_fragment=fragment,
    )


class RateLimit:
    """The platform's per-endpoint throughput limit: more than `per_second` requests in one second get 429."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._seen: dict[str, deque[float]] = {}

    def allow(self, token: str) -> bool:
        """Count one request to `token`; False when it is over the limit (it is not counted then)."""
        now = time.monotonic()
        window = self._seen.setdefault(token, deque())
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.per_second:
            return False
        window.append(now)
        return True


class WebhookHandler:
    """Answers `/trigger/...` for a `Runtime`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._table: tuple[int, int, dict[str, Endpoint]] | None = None
        self._limits: RateLimit | None = None

    def routes(self) -> list[Route]:
        """The Starlette routes."""
        return [
            Route("/trigger/{token}", self.handle, methods=METHODS),
            Route("/trigger/{token}/{fragment:path}", self.handle, methods=METHODS),
        ]

    def _endpoint(self, token: str) -> Endpoint | None:
        definition, instance = self.runtime.definition, self.runtime.instance
        table = self._table
        if table is None or table[0] != id(definition) or table[1] != id(instance):
            table = (id(definition), id(instance), {e.token: e for e in self.runtime.endpoints()})
            self._table = table
        return table[2].get(token)

    async def handle(self, request: Request) -> Response:
        """One webhook call."""
        token = request.path_params["token"]
        endpoint = self._endpoint(token)
        if endpoint is None:
            urls = ", ".join(e.url for e in self.runtime.endpoints())
            return error(404, f"No endpoint with id: {token}. This server's endpoints: {urls}")
        if not self.runtime.deployed:
            return error(404, "The local instance is removed: run `cnikit instance deploy` to deploy it again.")
        limit = self.runtime.rate_limit
        if limit:
            if self._limits is None or self._limits.per_second != limit:
                self._limits = RateLimit(limit)
            if not self._limits.allow(token):
                return error(
                    429,
                    f"Endpoint with id: {token} has exceeded maximum allowed throughput of {limit} "
                    "requests/second. Please throttle your requests.",
                )
        if request.method in ("OPTIONS", "HEAD"):  # a CORS preflight or a probe: answered, nothing runs
            return Response(b"", 204, PREFLIGHT_HEADERS)
        try:
            body = await read_body(request)
        except ClientDisconnect:
            return Response(b"", 400)
        if body is None:
            return error(413, f"Request payload is larger than the maximum allowed size of {MAX_REQUEST_BYTES} bytes.")
        trigger = trigger_request(request, body, request.path_params.get("fragment", ""))
        try:
            parse_body(trigger)
        except ExecutorError as malformed:  # not JSON, or nested past what cnikit can follow
            return error(400, str(malformed))
        try:
            flow = await self._flow(endpoint, trigger)
            check_api_key(flow, self.runtime.instance, trigger)
        except RoutingError as routing:
            return error(routing.status, routing.message)
        if self.runtime.capture:
            self.runtime.capture_request(flow, trigger)
        base_url = str(request.base_url).rstrip("/")
        kind = invoke_type(trigger)
        redirect = (trigger.header("prismatic-prefer-redirect-sync-response") or "").lower() == "true"
        try:
            if wants_sync(trigger, flow):
                execution_id = execution_global_id()
                running = asyncio.ensure_future(
                    asyncio.to_thread(self.runtime.run_sync, flow, trigger, kind, execution_id)
                )
                try:
                    outcome = await asyncio.wait_for(asyncio.shield(running), self.runtime.sync_timeout)
                except TimeoutError:
                    # The platform's gateway gives up on a synchronous call after 30 s; the execution goes on.
                    running.add_done_callback(lambda done: done.cancelled() or done.exception())
                    seconds = f"{self.runtime.sync_timeout:g}"
                    message = f"The synchronous execution did not finish within {seconds} seconds; it goes on."
                    return error(504, message, execution_id)
                return render(outcome, redirect=redirect, base_url=base_url)
            job = Job(flow, trigger, kind)
            triggered = self._watch_trigger(job) if flow.trigger_kind in ("wrapper", "component") else None
            job = self.runtime.dispatcher.submit(job)
        except ExecutorError as failure:
            return error(400, str(failure))
        except InstanceError as broken:  # instance.json was edited into something unusable: say where
            return error(500, f"The local instance cannot be used: {broken}")
        if job.state == "skipped":
            body_json = {"executionId": None, "duplicate": True, "message": "Duplicate request ignored (dedupe id)."}
            return Response(json.dumps(body_json), 200, media_type="application/json")
        if triggered is not None and job.state == "running":
            # A flow with its own trigger answers the caller itself, as soon as the trigger has run.
            update = await triggered
            if update is not None and update.kind == "step" and update.step is not None:
                if update.step.error is not None:
                    return error(400, update.step.error, job.id)
                return trigger_answer(update.response, job.id)
        return trigger_answer(None, job.id)

    def _watch_trigger(self, job: Job) -> asyncio.Future[ExecutionUpdate | None]:
        """A future settled by the job's onTrigger step (or its end, or its failure to start)."""
        loop = asyncio.get_running_loop()
        settled: asyncio.Future[ExecutionUpdate | None] = loop.create_future()

        def settle(update: ExecutionUpdate | None) -> None:
            if not settled.done():
                settled.set_result(update)

        def on_update(update: ExecutionUpdate) -> None:
            if update.kind == "finished" or (update.kind == "step" and update.step and update.step.name == "onTrigger"):
                loop.call_soon_threadsafe(settle, update)

        job.on_update = on_update
        job.future.add_done_callback(lambda _future: loop.call_soon_threadsafe(settle, None))
        return settled

    async def _flow(self, endpoint: Endpoint, trigger: TriggerRequest) -> BuiltFlow:
        if endpoint.flow is not None:
            return endpoint.flow
        definition = self.runtime.definition
        preprocess = definition.flow_named(definition.preprocess_flow_name or "")
        if preprocess is None:
            return route(definition, self.runtime.instance, endpoint, payload_view(trigger), prefix="payload.results.")
        outcome = await asyncio.to_thread(self.runtime.run_sync, preprocess, trigger, "WEBHOOK", execution_global_id())
        if not outcome.succeeded:
            raise RoutingError(400, f"The preprocess flow '{preprocess.name}' failed: {outcome.error}")
        result = outcome.result.get("data") if isinstance(outcome.result, dict) else outcome.result
        source = result if isinstance(result, dict) else {}
        return route(definition, self.runtime.instance, endpoint, source, prefix="onExecution.results.")
