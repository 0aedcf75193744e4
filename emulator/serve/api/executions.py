"""Resolvers of executions, their step results and logs, and `testIntegrationFlow`: thin over the store.

Execution ids are the store's own (`base64("InstanceExecutionResult:<uuid>")`, as the platform's); step results
and logs get opaque ids and cursors (`emulator.serve.api.ids`). `after` is honoured everywhere, so a client that
passes the last cursor it saw never sees a log line or a step twice. A step result's `resultsUrl` is an expiring
link to msgpack `{data, contentType}`, as the platform stores it (JSON data as a JSON string, as prism parses it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ariadne import MutationType, ObjectType, QueryType

from emulator.serve.api.ids import cursor, global_id, parse_cursor, start_after
from emulator.serve.api.integrations import find_flow
from emulator.serve.api.state import ApiState, api, payload_error
from emulator.store import ExecutionRecord, StepRecord, StoreError, pack
from emulator.views import iso, jsonable, parse_time

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

LOG_PAGE = 100  # log lines per page, as the platform's `first: 100`
EXECUTION_PAGE = 20

query = QueryType()
mutation = MutationType()
execution_type = ObjectType("ExecutionResult")


def execution_node(record: ExecutionRecord) -> dict[str, Any]:
    """An `ExecutionResult`."""
    result_type = {"running": None, "succeeded": "SUCCESS", "failed": "ERROR"}[record.status]
    return {
        "id": record.id,
        "invokeType": record.invoke_type,
        "startedAt": record.started_at,
        "endedAt": record.ended_at,
        "resultType": result_type,
        "error": record.error,
        "requestPayloadUrl": None,
        "responsePayloadUrl": None,
    }


def _within(moment: str | None, low: str | None = None, high: str | None = None) -> bool:
    """Is the timestamp `moment` within [low, high] (either bound optional)? One not set yet is within."""
    when = parse_time(moment)
    first, last = parse_time(low), parse_time(high)
    return when is None or ((first is None or when >= first) and (last is None or when <= last))


def _record(state: ApiState, execution_id: str | None) -> ExecutionRecord | None:
    try:
        return state.runtime.executor.store.get_execution(execution_id or "")
    except StoreError:
        return None


@query.field("executionResult")
def resolve_execution(_obj: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    record = _record(api(info), id)
    return None if record is None else execution_node(record)


@query.field("executionResults")
def resolve_executions(
    _obj: Any,
    info: GraphQLResolveInfo,
    after: str | None = None,
    first: int | None = None,
    flowConfig_Flow: str | None = None,
    startedAt_Gte: str | None = None,
    startedAt_Lte: str | None = None,
    orderBy: dict[str, str] | None = None,
    **_: Any,
) -> dict[str, Any]:
    state = api(info)
    flow_name = None
    if flowConfig_Flow:
        flow = find_flow(state, flowConfig_Flow)
        if flow is None:
            raise ValueError(f"no flow with id {flowConfig_Flow} on this server")
        flow_name = flow.name
    offset = start_after(after, "ExecutionResult")
    limit = max(1, min(first or EXECUTION_PAGE, 100))
    store = state.runtime.executor.store
    records = [
        r
        for r in store.list_executions(flow=flow_name, limit=limit + 1, offset=offset)
        if _within(r.started_at, startedAt_Gte, startedAt_Lte)
    ]
    page = records[:limit]
    if orderBy and orderBy.get("direction") == "ASC":
        page.reverse()
    end = offset + len(page) - 1
    return {
        "nodes": [execution_node(r) for r in page],
        "pageInfo": {
            "hasNextPage": len(records) > limit,
            "endCursor": cursor("ExecutionResult", end) if page else None,
        },
    }


def _step_node(state: ApiState, step: StepRecord) -> dict[str, Any]:
    url = state.links.url("result", f"{step.execution_id}\n{step.name}")
    return {
        "id": global_id("InstanceStepResult", f"{step.execution_id}:{step.name}"),
        "stepName": step.name,
        "displayStepName": step.name,
        "startedAt": step.started_at,
        "endedAt": step.ended_at,
        "hasError": step.error is not None,
        "resultsUrl": url,
        "resultsMetadataUrl": url,
    }


def step_connection(
    state: ApiState,
    steps: list[StepRecord],
    *,
    after: str | None = None,
    first: int | None = None,
    last: int | None = None,
    order_by: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A `StepResultConnection`; `totalCount` counts every step (prism's `--cni-auto-end` waits for 2)."""
    field = "ended_at" if (order_by or {}).get("field") == "ENDED_AT" else "started_at"
    ordered = sorted(steps, key=lambda s: (getattr(s, field) or "", s.position))
    if (order_by or {}).get("direction") == "DESC":
        ordered.reverse()
    seen = parse_cursor(after, "InstanceStepResult")
    if seen is not None:
        positions = [s.position for s in ordered]
        ordered = ordered[positions.index(seen) + 1 :] if seen in positions else []
    page = ordered[:first] if first is not None else ordered
    page = page[-last:] if last else page
    edges = [{"node": _step_node(state, s), "cursor": cursor("InstanceStepResult", s.position)} for s in page]
    return {
        "nodes": [e["node"] for e in edges],
        "edges": edges,
        "totalCount": len(steps),
        "pageInfo": {"hasNextPage": len(page) < len(ordered), "endCursor": edges[-1]["cursor"] if edges else None},
    }


@execution_type.field("stepResults")
def resolve_step_results(
    obj: dict[str, Any],
    info: GraphQLResolveInfo,
    after: str | None = None,
    first: int | None = None,
    last: int | None = None,
    orderBy: dict[str, str] | None = None,
    displayStepName: str | None = None,
) -> dict[str, Any]:
    state = api(info)
    steps = state.runtime.executor.store.steps(obj["id"])
    if displayStepName is not None:
        steps = [s for s in steps if s.name == displayStepName]
    return step_connection(state, steps, after=after, first=first, last=last, order_by=orderBy)


@query.field("stepResults")
def resolve_steps(
    _obj: Any,
    info: GraphQLResolveInfo,
    executionResult: str,
    startedAt_Gte: str | None = None,
    endedAt_Gte: str | None = None,
) -> dict[str, Any]:
    state = api(info)
    steps = [
        s
        for s in state.runtime.executor.store.steps(executionResult)
        if _within(s.started_at, startedAt_Gte) and _within(s.ended_at, endedAt_Gte)
    ]
    return step_connection(state, steps)


def result_blob(record: StepRecord) -> bytes:
    """A step's result as the platform's `resultsUrl` serves it: msgpack `{data, contentType}`."""
    value = record.result
    if isinstance(value, dict) and "data" in value:
        data, content_type = value["data"], str(value.get("contentType") or "application/json")
    else:
        data, content_type = value, "application/json"
    if "json" in content_type and not isinstance(data, str | bytes):
        data = json.dumps(jsonable(data))  # prism JSON.parse()s JSON data; bytes go as tagged base64
    return pack({"data": data, "contentType": content_type})


@query.field("logs")
def resolve_logs(
    _obj: Any,
    info: GraphQLResolveInfo,
    executionResult: str | None = None,
    after: str | None = None,
    first: int | None = None,
    orderBy: dict[str, str] | None = None,
    timestamp_Gte: str | None = None,
) -> dict[str, Any]:
    store = api(info).runtime.executor.store
    if not executionResult:
        raise ValueError("logs needs executionResult: the emulator lists the logs of one execution")
    seen = parse_cursor(after, "Log") or 0
    descending = (orderBy or {}).get("direction") == "DESC"
    lines = store.logs(executionResult)
    lines = [line for line in lines if _within(line.timestamp, timestamp_Gte)]
    if descending:
        lines = [line for line in reversed(lines) if not seen or line.id < seen]
    else:
        lines = [line for line in lines if line.id > seen]
    limit = max(1, min(first or LOG_PAGE, 1000))
    page = lines[:limit]
    edges = [
        {
            "node": {
                "id": global_id("Log", line.id),
                "timestamp": iso(parse_time(line.timestamp)),
                "severity": _severity(line.severity),
                "message": line.message,
                "stepName": line.step,
                "sectionId": None,
            },
            "cursor": cursor("Log", line.id),
        }
        for line in page
    ]
    return {
        "nodes": [e["node"] for e in edges],
        "edges": edges,
        "pageInfo": {"hasNextPage": len(lines) > limit, "endCursor": edges[-1]["cursor"] if edges else None},
    }


def _severity(level: str) -> str:
    upper = level.upper()
    return {"WARNING": "WARN", "LOG": "INFO"}.get(upper, upper if upper in _SEVERITIES else "INFO")


_SEVERITIES = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "METRIC"}


@query.field("executionSections")
def resolve_sections(_obj: Any, _info: GraphQLResolveInfo, **_: Any) -> dict[str, Any]:
    return {"nodes": []}  # the emulator runs no sections (loops of low-code steps): every log line has none


@query.field("logSeverityLevels")
def resolve_severity_levels(_obj: Any, _info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return [{"id": n, "name": name} for n, name in enumerate(sorted(_SEVERITIES))]


@mutation.field("testIntegrationFlow")
def resolve_test_flow(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    from emulator.request import MalformedPayload, TriggerRequest, parse_body
    from emulator.serve.queue import Job

    state = api(info)
    flow = find_flow(state, str(input["id"]))
    if flow is None:
        return payload_error("id", f"no flow with id {input['id']} on this server")
    try:
        headers = json.loads(input.get("headers") or "{}")
    except ValueError:
        return payload_error("headers", "headers must be a JSON object of strings")
    if not isinstance(headers, dict):
        return payload_error("headers", "headers must be a JSON object of strings")
    headers = {str(k): str(v) for k, v in headers.items()}
    headers.setdefault("content-type", input.get("contentType") or "application/json")
    request = TriggerRequest(headers=headers, body=str(input.get("payload") or "").encode())
    try:
        parse_body(request)
    except MalformedPayload as malformed:
        return payload_error("payload", str(malformed))
    job = state.runtime.dispatcher.submit(Job(flow, request, "WEBHOOK"))
    return {"testIntegrationFlowResult": {"execution": {"id": job.id}}, "errors": []}
