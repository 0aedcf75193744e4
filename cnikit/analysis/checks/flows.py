"""Checks on `flow({...})`: identity, schedules, queues, batching, triggers, endpoint security, agent flows.

The messages of CNI203–CNI212 are spectral's own (src/serverTypes/convertIntegration.ts), so a developer who has
seen the error at import time recognises it here.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from functools import cache

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import (
    boolean,
    first_span,
    flow_span,
    found_flows,
    get,
    has,
    inner,
    key_span,
    known_config_vars,
    newer_spectral,
    not_one_of,
    number,
    obj_at,
    present,
    rename_fix,
    repeats,
    string,
    strings,
    suggest,
    value_span,
)
from cnikit.diagnostics import Diagnostic, Fix, Severity, TextEdit
from cnikit.model import (
    Flow,
    JsArray,
    JsBoolean,
    JsFunction,
    JsNull,
    JsNumber,
    JsObject,
    JsString,
    JsUndefined,
    Span,
)

CONCURRENCY_LIMIT_MIN = 2
CONCURRENCY_LIMIT_MAX = 15
LIFECYCLE_HOOKS = ("onInstanceDeploy", "onInstanceDelete", "webhookLifecycleHandlers")
ENDPOINT_SECURITY_TYPES = ("unsecured", "customer_optional", "customer_required", "organization")
QUEUE_TYPES = ("parallel", "throttled", "sequential")
FLOW_PROPERTIES = (
    "name",
    "stableKey",
    "description",
    "isSynchronous",
    "schedule",
    "onTrigger",
    "onExecution",
    "onInstanceDeploy",
    "onInstanceDelete",
    "preprocessFlowConfig",
    "queueConfig",
    "endpointSecurityType",
    "organizationApiKeys",
    "testApiKeys",
    "isAgentFlow",
    "schemas",
    "retryConfig",
    "errorConfig",
    "webhookLifecycleHandlers",
    "triggerType",
    "onDeployTrigger",
    "runInitialSyncOnDeploy",
    "batchConfig",
    "trigger",
    "triggerResolver",  # read by spectral even though the Flow type hides them
    "onDeployResolver",
)


def _label(flow: Flow) -> str:
    """The flow as spectral names it in its messages."""
    return flow.name if flow.name is not None else "This flow"


def _where(ctx: CheckContext, span: Span | None) -> str:
    """`src/flows.ts:3:9`, relative to the project root when possible."""
    if span is None:
        return "elsewhere"
    try:
        file = span.file.relative_to(ctx.root)
    except ValueError:
        file = span.file
    return f"{file.as_posix()}:{span.line + 1}:{span.col + 1}"


def js_number(value: float) -> str:
    """A number the way JavaScript's `String(n)` prints it (`3`, not `3.0`)."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def has_schedule(flow: Flow) -> bool | None:
    """spectral's `"schedule" in flow && typeof flow.schedule === "object"`; None when unknown."""
    value = get(flow.obj, "schedule")
    if value is None:
        return False if flow.obj.complete else None
    if isinstance(value, JsObject):
        return True
    if isinstance(value, JsUndefined | JsString | JsNumber | JsBoolean | JsFunction):
        return False
    return None  # null, calls, members, unknowns: leave them alone


def queue_flags(flow: Flow) -> tuple[bool | None, bool | None, JsObject | None]:
    """(uses FIFO, singleton executions, the queue config) after spectral's `convertQueueConfig`."""
    queue = obj_at(flow.obj, "queueConfig")
    if queue is None:
        return None, None, None
    if "type" in queue.props:
        kind = string(queue, "type")
        if kind in ("throttled", "sequential"):
            return True, False, queue
        if kind == "parallel":
            return False, False, queue
        return None, None, queue
    if not queue.complete:
        return None, None, queue
    fifo = boolean(queue, "usesFifoQueue") if "usesFifoQueue" in queue.props else False
    singleton = boolean(queue, "singletonExecutions") if "singletonExecutions" in queue.props else False
    return fifo, singleton, queue


@cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone name this machine knows (read once)."""
    return frozenset(zoneinfo.available_timezones())


@cache
def cron_problem(expression: str) -> str | None:
    """What is wrong with a 5-field cron expression, or None when croniter accepts it."""
    from croniter import croniter  # imported lazily: `cnikit check` must start fast

    fields = expression.split()
    if len(fields) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), found {len(fields)}"
    try:
        croniter(expression)
    except Exception:  # croniter raises several unrelated types for a bad expression
        return "a field is out of range or not a valid value"
    return None


@cache
def time_zone_problem(name: str) -> str | None:
    """None for a known IANA time zone, else a short explanation with a suggestion when one is close."""
    try:
        zoneinfo.ZoneInfo(name)  # loads one file; the full list is only read to suggest a name
        return None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    close = suggest(name, time_zones())
    return f'did you mean "{close}"?' if close else 'expected an IANA name such as "America/Chicago" or "UTC"'


# ---- identity ------------------------------------------------------------------------------------------------


@check("CNI201", Severity.ERROR, "duplicate flow name")
def duplicate_flow_name(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch two flows with one name: names key webhookUrls, invokeFlow and endpoint routing, so one flow shadows the
    other."""
    for flow, first in repeats(found_flows(ctx.project), lambda flow: flow.name):
        if span := first_span(flow.name_span, flow.span):
            yield ctx.report(
                span,
                f'Duplicate flow name "{flow.name}": the flow at {_where(ctx, first.name_span)} has the same name. '
                "Flow names must be unique: they key webhookUrls, invokeFlow and endpoint routing.",
            )


@check("CNI202", Severity.ERROR, "duplicate flow stable key")
def duplicate_flow_stable_key(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch two flows with one stableKey: the platform matches flows across versions by it, so deploys would mix them
    up."""
    for flow, first in repeats(found_flows(ctx.project), lambda flow: flow.stable_key):
        if span := first_span(flow.stable_key_span, flow_span(flow)):
            yield ctx.report(
                span,
                f'Duplicate flow stableKey "{flow.stable_key}": flow "{_label(first)}" at '
                f"{_where(ctx, first.stable_key_span)} already uses it. Each flow needs its own stable key.",
            )


@check("CNI213", Severity.ERROR, "two flow names give the same function key")
def flow_function_key_collision(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch distinct flow names that spectral reduces to one function key, where one flow's handlers replace the
    other's."""
    for flow, first in repeats(found_flows(ctx.project), lambda flow: flow.key or None):
        if first.name != flow.name and (span := flow_span(flow)):
            key = flow.key
            yield ctx.report(
                span,
                f'Flow names "{first.name}" and "{flow.name}" both become the function key "{key}" '
                f"(spectral keeps letters and digits only), so one flow's {key}_onExecution replaces the other's. "
                "Rename one of them.",
            )


@check("CNI214", Severity.ERROR, "flow without name, stableKey or onExecution")
def flow_missing_required(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a flow without name, stableKey or onExecution, which spectral's Flow type requires (official-tooling C.3,
    type-level rules)."""
    for flow in found_flows(ctx.project):
        missing = [key for key in ("name", "stableKey", "onExecution") if has(flow.obj, key) is False]
        span = first_span(flow.name_span, flow.obj.span, flow.span)
        if missing and span:
            yield ctx.report(
                span,
                f'Flow "{_label(flow)}" has no {", ".join(missing)}; every flow needs name, stableKey and onExecution.',
            )


@check("CNI215", Severity.ERROR, "unknown flow property")
def unknown_flow_property(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a misspelt or unknown flow property that spectral silently ignores, suggesting the closest known one."""
    if newer_spectral(ctx.root):
        return  # a newer spectral may have flow properties this list does not know yet
    for flow in found_flows(ctx.project):
        for key, prop in flow.obj.props.items():
            if key in FLOW_PROPERTIES or prop.key_span is None:
                continue
            close = "onInstanceDelete" if key == "onInstanceRemove" else suggest(key, FLOW_PROPERTIES)
            hint = f' Did you mean "{close}"?' if close else ""
            yield ctx.report(
                prop.key_span,
                f'Flow "{_label(flow)}" has an unknown property "{key}": spectral ignores it.{hint}',
                fix=rename_fix(prop.key_span, close) if close else None,
            )


# ---- spectral's load-time errors (official-tooling C.3 #7–#15, #18) ------------------------------------------


@check("CNI203", Severity.ERROR, "polling flow without schedule")
def polling_without_schedule(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a polling flow without a schedule object: spectral throws this at load time (official-tooling C.3 #7)."""
    for flow in found_flows(ctx.project):
        if string(flow.obj, "triggerType") == "polling" and has_schedule(flow) is False:
            span = value_span(flow.obj, "triggerType", flow_span(flow))
            if span:
                yield ctx.report(
                    span,
                    f"{_label(flow)} is marked as a polling trigger but has no schedule. "
                    "Polling triggers require a schedule.",
                )


@check("CNI204", Severity.ERROR, "FIFO queue on a scheduled flow")
def fifo_with_schedule(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a FIFO queue on a scheduled flow: spectral throws this at load time (official-tooling C.3 #8)."""
    for flow in found_flows(ctx.project):
        fifo, _, _ = queue_flags(flow)
        if fifo and has_schedule(flow) and (span := key_span(flow.obj, "queueConfig")):
            yield ctx.report(
                span,
                f"{_label(flow)} has a schedule & usesFifoQueue set to true. "
                "FIFO queues cannot be used with scheduled flows.",
            )


@check("CNI205", Severity.ERROR, "singleton executions without schedule")
def singleton_without_schedule(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch singletonExecutions on an unscheduled flow: spectral throws this at load time (official-tooling C.3 #9)."""
    for flow in found_flows(ctx.project):
        _, singleton, queue = queue_flags(flow)
        if singleton and has_schedule(flow) is False:
            span = key_span(queue, "singletonExecutions", key_span(flow.obj, "queueConfig"))
            if span:
                yield ctx.report(
                    span,
                    f"{_label(flow)} is configured for singletonExecutions but has no schedule. "
                    "Unscheduled flows cannot be configured for singleton executions.",
                )


@check("CNI206", Severity.ERROR, "FIFO queue and singleton executions together")
def fifo_and_singleton(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a FIFO queue combined with singleton executions: spectral throws this at load time (official-tooling C.3
    #10)."""
    for flow in found_flows(ctx.project):
        fifo, singleton, queue = queue_flags(flow)
        if fifo and singleton and (span := key_span(queue, "singletonExecutions")):
            yield ctx.report(
                span,
                f"{_label(flow)} is configured for both FIFO queues and singleton executions, but these options "
                "are mutually exclusive. Please choose one.",
            )


@check("CNI207", Severity.ERROR, "concurrencyLimit outside 2..15")
def concurrency_limit(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a concurrencyLimit outside 2..15 on a throttled queue: spectral throws this at load time (official-tooling
    C.3 #11)."""
    for flow in found_flows(ctx.project):
        queue = obj_at(flow.obj, "queueConfig")
        limit = number(queue, "concurrencyLimit")
        kind = get(queue, "type")
        if kind is not None and (not isinstance(kind, JsString) or kind.value in ("parallel", "sequential")):
            continue  # convertQueueConfig drops the limit for these (and an unknown type may be one of them)
        if limit is not None and not CONCURRENCY_LIMIT_MIN <= limit <= CONCURRENCY_LIMIT_MAX:
            span = value_span(queue, "concurrencyLimit")
            if span:
                yield ctx.report(
                    span,
                    f"{_label(flow)} has an invalid concurrencyLimit of {js_number(limit)}. concurrencyLimit must "
                    f"be between {CONCURRENCY_LIMIT_MIN} and {CONCURRENCY_LIMIT_MAX}.",
                )


def _resolver_key(flow: Flow) -> str | None:
    """The property that gives this flow a trigger resolver (`trigger` from batchFlowTrigger, or explicit)."""
    for key in ("trigger", "triggerResolver", "onDeployResolver"):
        if present(flow.obj, key):
            return key
    return None


@check("CNI208", Severity.ERROR, "trigger resolver without batchConfig")
def resolver_without_batch_config(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a trigger resolver without batchConfig: spectral throws this at load time (official-tooling C.3 #12)."""
    for flow in found_flows(ctx.project):
        key = _resolver_key(flow)
        if key and present(flow.obj, "batchConfig") is False and (span := key_span(flow.obj, key)):
            yield ctx.report(
                span,
                f"{_label(flow)} defines a triggerResolver/onDeployResolver but no batchConfig. "
                "Add `batchConfig: { batchSize }` to the flow.",
            )


@check("CNI209", Severity.ERROR, "onDeployResolver without onDeployTrigger")
def on_deploy_resolver_without_trigger(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch onDeployResolver without a function onDeployTrigger: spectral throws this at load time (official-tooling
    C.3 #13)."""
    for flow in found_flows(ctx.project):
        if not present(flow.obj, "onDeployResolver"):
            continue
        deploy = get(flow.obj, "onDeployTrigger")
        known_not_function = (deploy is None and flow.obj.complete) or isinstance(
            deploy, JsString | JsNumber | JsBoolean | JsObject | JsNull | JsUndefined
        )
        if known_not_function and (span := key_span(flow.obj, "onDeployResolver")):
            yield ctx.report(
                span,
                f"{_label(flow)} declares onDeployResolver without onDeployTrigger. Set onDeployTrigger to handle "
                "the initial-deploy fire that the resolver fans out.",
            )


def _batch_problem(flow: Flow, field: str, required: bool) -> tuple[str, Span] | None:
    """(JS `String(value)`, span) when batchConfig[field] is known to be invalid; spectral only checks resolvers."""
    if not _resolver_key(flow):
        return None
    batch = obj_at(flow.obj, "batchConfig")
    if batch is None:
        return None
    value = get(batch, field)
    span = value_span(batch, field, key_span(flow.obj, "batchConfig"))
    if span is None:
        return None
    if value is None or isinstance(value, JsUndefined):
        if required and batch.complete:
            return "undefined", span
        return None
    if isinstance(value, JsNumber):
        return None if value.is_integer and value.value >= 1 else (js_number(value.value), span)
    if isinstance(value, JsString):
        return value.value, span
    if isinstance(value, JsBoolean):
        return ("true" if value.value else "false"), span
    return ("null", span) if isinstance(value, JsNull) else None


@check("CNI210", Severity.ERROR, "batchConfig.batchSize is not an integer >= 1")
def batch_size(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a batchConfig.batchSize that is not an integer >= 1: spectral's validateBatchSize throws at load time
    (official-tooling C.3 #14)."""
    for flow in found_flows(ctx.project):
        if problem := _batch_problem(flow, "batchSize", required=True):
            shown, span = problem
            yield ctx.report(
                span,
                f"{_label(flow)} has an invalid batchConfig batchSize of {shown}. batchSize must be an integer >= 1.",
            )


@check("CNI211", Severity.ERROR, "batchConfig.concurrentBatchLimit is not an integer >= 1")
def concurrent_batch_limit(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a set concurrentBatchLimit that is not an integer >= 1: spectral throws at load time (official-tooling C.3
    #15)."""
    for flow in found_flows(ctx.project):
        if problem := _batch_problem(flow, "concurrentBatchLimit", required=False):
            shown, span = problem
            yield ctx.report(
                span,
                f"{_label(flow)} has an invalid batchConfig concurrentBatchLimit of {shown}. "
                "concurrentBatchLimit must be an integer >= 1.",
            )


@check("CNI212", Severity.ERROR, "lifecycle hooks without onTrigger (invalid trigger configuration)")
def lifecycle_without_on_trigger(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch lifecycle hooks on a flow with no onTrigger: spectral throws "Invalid trigger configuration" at load time
    (official-tooling C.3 #18)."""
    for flow in found_flows(ctx.project):
        hook = next((key for key in LIFECYCLE_HOOKS if present(flow.obj, key)), None)
        if hook is None or present(flow.obj, "onTrigger") is not False or present(flow.obj, "trigger") is not False:
            continue
        span = key_span(flow.obj, hook)
        if span is None:
            continue
        indent = " " * span.col
        insert = span.model_copy(update={"end_line": span.line, "end_col": span.col})
        yield ctx.report(
            span,
            "Invalid trigger configuration detected: "
            f'flow "{_label(flow)}" defines {hook} but no onTrigger, and spectral only runs lifecycle hooks '
            "around an onTrigger function or a component trigger. Add an onTrigger.",
            fix=Fix(
                title="Add an onTrigger that passes the payload through",
                edits=[
                    TextEdit(span=insert, new_text=f"onTrigger: async (context, payload) => ({{ payload }}),\n{indent}")
                ],
            ),
        )


# ---- queues --------------------------------------------------------------------------------------------------


@check("CNI216", Severity.ERROR, "FIFO queue on a synchronous or preprocess flow")
def fifo_on_sync_or_preprocess(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a FIFO queue on a synchronous or preprocess flow, which the platform does not allow."""
    for flow in found_flows(ctx.project):
        fifo, _, _ = queue_flags(flow)
        if not fifo:
            continue
        span = key_span(flow.obj, "queueConfig")
        if span and boolean(flow.obj, "isSynchronous"):
            yield ctx.report(
                span,
                f'Flow "{_label(flow)}" uses a FIFO queue but is synchronous (isSynchronous: true); '
                "FIFO queue flows must be asynchronous.",
            )
        if span and present(flow.obj, "preprocessFlowConfig"):
            yield ctx.report(
                span,
                f'Flow "{_label(flow)}" uses a FIFO queue but is the preprocess flow; '
                "FIFO queues are not available for preprocess flows.",
            )


@check("CNI217", Severity.WARNING, "dedupeIdField without a FIFO queue")
def dedupe_without_fifo(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a dedupeIdField on a non-FIFO queue, where nothing is deduplicated despite what the code suggests."""
    for flow in found_flows(ctx.project):
        fifo, _, queue = queue_flags(flow)
        if fifo is False and string(queue, "dedupeIdField") is not None and (span := key_span(queue, "dedupeIdField")):
            yield ctx.report(
                span,
                f'Flow "{_label(flow)}" sets dedupeIdField but does not use a FIFO queue, so nothing is deduplicated; '
                'set usesFifoQueue: true (or type: "sequential"/"throttled").',
            )


@check("CNI218", Severity.ERROR, "unknown queueConfig type")
def unknown_queue_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a queueConfig type other than parallel, throttled or sequential (skipped on a newer spectral that may know
    more)."""
    if newer_spectral(ctx.root):
        return  # a newer spectral may accept values this list does not know yet
    for flow in found_flows(ctx.project):
        kind = get(obj_at(flow.obj, "queueConfig"), "type")
        if diagnostic := not_one_of(ctx, kind, QUEUE_TYPES, "queueConfig type"):
            yield diagnostic


# ---- schedules -----------------------------------------------------------------------------------------------


@check("CNI219", Severity.ERROR, "invalid cron expression in a flow schedule")
def flow_schedule_cron(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a flow schedule whose cron expression croniter rejects, so the flow would never fire as intended."""
    for flow in found_flows(ctx.project):
        value = get(obj_at(flow.obj, "schedule"), "value")
        if isinstance(value, JsString) and value.span and (problem := cron_problem(value.value)):
            yield ctx.report(
                value.span, f'Flow "{_label(flow)}" has an invalid cron schedule "{value.value}": {problem}.'
            )


@check("CNI220", Severity.WARNING, "unknown time zone in a flow schedule")
def flow_schedule_time_zone(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a schedule timezone that is not an IANA name, suggesting the closest one as a fix."""
    for flow in found_flows(ctx.project):
        value = get(obj_at(flow.obj, "schedule"), "timezone")
        # An empty timezone is what spectral writes when none is given: the platform's default (UTC).
        if isinstance(value, JsString) and value.value and value.span and (problem := time_zone_problem(value.value)):
            close = suggest(value.value, time_zones())
            yield ctx.report(
                value.span,
                f'Flow "{_label(flow)}" schedule timezone "{value.value}" is not an IANA time zone: {problem}',
                fix=rename_fix(inner(value.span, value), close) if close else None,
            )


@check("CNI221", Severity.ERROR, "schedule configVar is not a schedule config variable")
def schedule_config_var_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a schedule that names a config variable whose dataType is not "schedule", which the platform cannot
    schedule by."""
    variables = known_config_vars(ctx.project)
    if variables is None:
        return
    by_name = {var.name: var for var in variables}
    for flow in found_flows(ctx.project):
        ref = get(obj_at(flow.obj, "schedule"), "configVar")
        if not isinstance(ref, JsString) or ref.span is None:
            continue
        var = by_name.get(ref.value)
        if var is not None and var.data_type is not None and var.data_type != "schedule":
            yield ctx.report(
                ref.span,
                f'Flow "{_label(flow)}" is scheduled by config variable "{ref.value}", which has dataType '
                f'"{var.data_type}"; a schedule configVar must have dataType "schedule".',
            )


# ---- endpoint security ---------------------------------------------------------------------------------------


@check("CNI222", Severity.ERROR, "unknown endpointSecurityType")
def unknown_endpoint_security(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an endpointSecurityType outside the four the platform knows (skipped on a newer spectral that may know
    more)."""
    if newer_spectral(ctx.root):
        return  # a newer spectral may accept values this list does not know yet
    for flow in found_flows(ctx.project):
        value = get(flow.obj, "endpointSecurityType")
        if diagnostic := not_one_of(ctx, value, ENDPOINT_SECURITY_TYPES, "endpointSecurityType"):
            yield diagnostic


@check("CNI223", Severity.ERROR, "organization endpoint security without organizationApiKeys")
def organization_without_keys(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch organization endpoint security without organizationApiKeys: no caller could ever authenticate."""
    for flow in found_flows(ctx.project):
        if string(flow.obj, "endpointSecurityType") != "organization":
            continue
        keys = get(flow.obj, "organizationApiKeys")
        listed = strings(keys)
        missing = (keys is None and flow.obj.complete) or isinstance(keys, JsUndefined) or listed == []
        if missing and (span := value_span(flow.obj, "endpointSecurityType")):
            yield ctx.report(
                span,
                f'Flow "{_label(flow)}" is secured by organization but has no organizationApiKeys; '
                "set organizationApiKeys to a non-empty list of keys (from process.env, not literals).",
            )


@check("CNI224", Severity.WARNING, "organizationApiKeys without organization endpoint security")
def keys_without_organization(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch organizationApiKeys on a flow whose endpoint security is not "organization", where they are ignored."""
    for flow in found_flows(ctx.project):
        if "organizationApiKeys" not in flow.obj.props:
            continue
        security = get(flow.obj, "endpointSecurityType")
        known_other = (security is None and flow.obj.complete) or (
            isinstance(security, JsString) and security.value != "organization"
        )
        if known_other and (span := key_span(flow.obj, "organizationApiKeys")):
            yield ctx.report(
                span,
                f'Flow "{_label(flow)}" sets organizationApiKeys, which only apply with endpointSecurityType '
                '"organization"; they are ignored here.',
            )


@check("CNI225", Severity.WARNING, "customer_required flow without testApiKeys")
def customer_required_without_test_keys(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a customer_required flow without testApiKeys: `prism integrations:import` then fails unless given
    --test-api-key."""
    for flow in found_flows(ctx.project):
        if string(flow.obj, "endpointSecurityType") != "customer_required":
            continue
        if present(flow.obj, "testApiKeys") is False and (span := value_span(flow.obj, "endpointSecurityType")):
            yield ctx.report(
                span,
                f'Flow "{_label(flow)}" requires customer API keys but has no testApiKeys: `prism integrations:import` '
                'fails with "requires customer API keys but none were provided" unless you pass --test-api-key.',
            )


# ---- agent flows ---------------------------------------------------------------------------------------------


@check("CNI226", Severity.ERROR, "agent flow without schemas.invoke")
def agent_flow_schema(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch schemas without invoke, or an agent flow without schemas.invoke: an agent needs the input schema to call
    it."""
    for flow in found_flows(ctx.project):
        schemas = get(flow.obj, "schemas")
        without_invoke = isinstance(schemas, JsObject) and schemas.complete and "invoke" not in schemas.props
        agent_without_schemas = boolean(flow.obj, "isAgentFlow") and present(flow.obj, "schemas") is False
        if without_invoke and (span := key_span(flow.obj, "schemas")):
            yield ctx.report(span, f'Flow "{_label(flow)}" has schemas without "invoke"; invoke is required.')
        elif agent_without_schemas and (span := key_span(flow.obj, "isAgentFlow")):
            yield ctx.report(
                span,
                f'Flow "{_label(flow)}" is an agent flow (isAgentFlow: true) but has no schemas.invoke; '
                "add schemas: { invoke: <JSON schema of its input> }.",
            )


@check("CNI227", Severity.ERROR, "agent flow is not synchronous")
def agent_flow_sync(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an agent flow that is not synchronous: agents wait for the flow's result, so it must be isSynchronous."""
    for flow in found_flows(ctx.project):
        if not boolean(flow.obj, "isAgentFlow"):
            continue
        sync = get(flow.obj, "isSynchronous")
        not_sync = (sync is None and flow.obj.complete) or (isinstance(sync, JsBoolean) and not sync.value)
        if not_sync and (span := key_span(flow.obj, "isAgentFlow")):
            yield ctx.report(
                span,
                f'Agent flow "{_label(flow)}" must be synchronous: set isSynchronous: true (found it unset or false).',
            )


# ---- retries -------------------------------------------------------------------------------------------------


def _range_problems(obj: JsObject | None, name: str, limits: dict[str, tuple[int, int]]) -> Iterator[tuple[str, Span]]:
    """(message tail, span) for every known number of `obj` outside its integer range."""
    for key, (low, high) in limits.items():
        value = get(obj, key)
        if isinstance(value, JsNumber) and value.span and not (value.is_integer and low <= value.value <= high):
            yield f"{name}.{key} is {js_number(value.value)}; it must be an integer from {low} to {high}.", value.span


@check("CNI228", Severity.ERROR, "retryConfig out of range")
def retry_config_range(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch retryConfig maxAttempts or delayMinutes outside the ranges the platform accepts (0-10, 0-60)."""
    for flow in found_flows(ctx.project):
        retry = obj_at(flow.obj, "retryConfig")
        for problem, span in _range_problems(retry, "retryConfig", {"maxAttempts": (0, 10), "delayMinutes": (0, 60)}):
            yield ctx.report(span, f'Flow "{_label(flow)}" {problem}')


@check("CNI229", Severity.ERROR, "errorConfig invalid")
def error_config(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an unknown errorHandlerType or errorConfig numbers outside the ranges the platform accepts."""
    for flow in found_flows(ctx.project):
        config = obj_at(flow.obj, "errorConfig")
        handler = get(config, "errorHandlerType")
        if isinstance(handler, JsString) and handler.value not in ("fail", "ignore", "retry") and handler.span:
            yield ctx.report(
                handler.span,
                f'Flow "{_label(flow)}" errorConfig.errorHandlerType "{handler.value}" is not one of '
                "fail, ignore, retry.",
            )
        for problem, span in _range_problems(config, "errorConfig", {"maxAttempts": (0, 5), "delaySeconds": (0, 60)}):
            yield ctx.report(span, f'Flow "{_label(flow)}" {problem}')


@check("CNI230", Severity.ERROR, "schedule without value or configVar")
def schedule_shape(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a schedule with neither value nor configVar (often a misspelt `cron`), so the flow never runs on a
    schedule."""
    for flow in found_flows(ctx.project):
        schedule = obj_at(flow.obj, "schedule")
        if schedule is None or not schedule.complete or "value" in schedule.props or "configVar" in schedule.props:
            continue
        stray = next(iter(schedule.props), None)
        close = {"cron": "value", "expression": "value"}.get(stray or "") or (
            suggest(stray, ("value", "configVar", "timezone")) if stray else None
        )
        prop = schedule.props.get(stray) if stray else None
        span = prop.key_span if prop and prop.key_span else key_span(flow.obj, "schedule")
        if span is None:
            continue
        yield ctx.report(
            span,
            f'Flow "{_label(flow)}" has a schedule with neither value (a cron expression) nor configVar (a schedule '
            "config variable), so it never runs on a schedule."
            + (f' Did you mean "{close}"?' if close and close != stray else ""),
            fix=rename_fix(span, close) if close and close != stray and prop else None,
        )


def _payload_path_problem(path: str) -> str | None:
    """What is wrong with a path into the trigger payload (`body.data.id`, `headers.x-id`), or None."""
    root, _, rest = path.partition(".")
    if root not in ("headers", "body", "rawBody", "queryParameters") or not rest:
        return 'it should start with "body." or "headers." (e.g. "body.data.id" or "headers.x-acme-id")'
    if root == "headers" and rest != rest.lower():
        return f'header names should be lowercase ("headers.{rest.lower()}"): clients differ in how they case them'
    return None


@check("CNI231", Severity.WARNING, "dedupeIdField or uniqueRequestIdField is not a trigger payload path")
def payload_id_paths(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a dedupeIdField or uniqueRequestIdField that is not a path into the trigger payload, or a header not in
    lowercase."""
    for flow in found_flows(ctx.project):
        for owner, field in (("queueConfig", "dedupeIdField"), ("retryConfig", "uniqueRequestIdField")):
            value = get(obj_at(flow.obj, owner), field)
            if isinstance(value, JsString) and value.span and (problem := _payload_path_problem(value.value)):
                yield ctx.report(value.span, f'Flow "{_label(flow)}" {owner}.{field} "{value.value}": {problem}.')


@check("CNI232", Severity.WARNING, "organizationApiKeys written in the source")
def literal_api_keys(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch organizationApiKeys written as literals: anyone with the source could call the flow."""
    for flow in found_flows(ctx.project):
        value = get(flow.obj, "organizationApiKeys")
        items = value.items if isinstance(value, JsArray) else []
        for item in items:
            if isinstance(item, JsString) and item.value and item.span:
                yield ctx.report(
                    item.span,
                    f'Flow "{_label(flow)}" has an API key written in the source; anyone with the code can call '
                    "the flow. Read it from the environment (process.env.X, kept in .env) instead.",
                )


@check("CNI233", Severity.WARNING, "agent flow input without a description")
def invoke_schema_descriptions(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch agent flow inputs without a description: an AI agent reads them to know what to pass."""
    for flow in found_flows(ctx.project):
        invoke = obj_at(obj_at(flow.obj, "schemas"), "invoke")
        properties = obj_at(invoke, "properties")
        for key, prop in (properties.props if properties else {}).items():
            field = prop.value
            if isinstance(field, JsObject) and field.complete and "description" not in field.props and prop.key_span:
                yield ctx.report(
                    prop.key_span,
                    f'Input "{key}" of the invoke schema of flow "{_label(flow)}" has no description; an AI agent '
                    "reads descriptions to know what to pass (spectral's schema type requires one).",
                )


@check("CNI234", Severity.ERROR, "polling flow without an onTrigger function")
def polling_without_on_trigger(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a polling flow without an onTrigger function, which spectral's types require since polling happens
    there."""
    for flow in found_flows(ctx.project):
        if string(flow.obj, "triggerType") != "polling" or present(flow.obj, "trigger") is not False:
            continue
        on_trigger = get(flow.obj, "onTrigger")
        missing = (on_trigger is None and flow.obj.complete) or isinstance(on_trigger, JsUndefined | JsNull)
        if missing and (span := value_span(flow.obj, "triggerType")):
            yield ctx.report(
                span,
                f'Polling flow "{_label(flow)}" has no onTrigger: a polling flow polls in its onTrigger function '
                "(with context.polling) on each scheduled run. Add onTrigger.",
            )


@check("CNI235", Severity.ERROR, "batch flow that also defines onTrigger or onDeployTrigger")
def batch_with_on_trigger(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a batched flow that also defines onTrigger or onDeployTrigger, which the batch trigger replaces and never
    runs."""
    for flow in found_flows(ctx.project):
        if not present(flow.obj, "trigger"):
            continue
        for key in ("onTrigger", "onDeployTrigger"):
            if present(flow.obj, key) and (span := key_span(flow.obj, key)):
                yield ctx.report(
                    span,
                    f'Flow "{_label(flow)}" has a batched trigger (trigger: batchFlowTrigger(...)), which replaces '
                    f"{key}: this {key} never runs. Move its work into the batch trigger.",
                )
