"""One execution, the way the platform runs it: request → trigger payload → onTrigger → onExecution → state.

`Executor` is the emulator's front door for every face (CLI, language server, TUI, `cnikit serve`)::

    with Executor(project_root) as executor:
        executor.prepare()                                   # build (skipped when unchanged), load, seed instance
        outcome = executor.run("Echo", TriggerRequest.from_payload(payload), on_update=print)
        outcome.status, outcome.result, outcome.steps, outcome.logs
        executor.replay(outcome.execution_id)               # same request, same cassette, linked to the original

It builds the trigger payload (spec/runtime.md §3) and the context (§5) from the local instance, runs both steps
in a warm worker, streams logs and step results to listeners while the execution runs, and records everything in
the store. State follows the platform's rules (§7): read at the start, each changed level written whole and only on
success, `null` deletes a key, 64 MB combined cap. Faults (timeout, memory cap, a killed worker) fail the execution
with a clear error, leave state untouched, and the next run gets a fresh worker.

Listeners (`Executor.subscribe`, or `on_update` per run) receive `ExecutionUpdate`s — `started`, `log`, `step`,
`finished` — from the thread running the execution; they must be quick and thread-safe.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cnikit.definition import BuiltDefinition, BuiltFlow, parse_definition_yaml
from cnikit.payloads import Payload
from cnikit.project import local_dir
from emulator import httpmock
from emulator.build import BuildMode, BuildResult, build
from emulator.instance import (
    LocalInstance,
    config_vars,
    flow_api_keys,
    instance_path,
    load_instance,
    save_instance,
    seed,
    webhook_url,
)
from emulator.runner import DEFAULT_MEMORY_MB, RunnerError, Worker, WorkerFault, WorkerPool, decode, encode
from emulator.store import STATE_LEVELS, STATE_LIMIT, NewExecution, StateKey, StepRecord, Store, now_iso, truncate_log

_log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 15 * 60.0  # the platform stops an execution after 15 minutes
TEXT_TYPES = ("text/", "application/xml", "application/csv", "application/x-www-form-urlencoded", "+xml")
InvokeType = Literal[
    "INTEGRATION_FLOW_TEST", "WEBHOOK", "SCHEDULED", "CROSS_FLOW", "DEPLOY_FLOW", "TEAR_DOWN_FLOW",
    "INTEGRATION_ENDPOINT_TEST",
]  # fmt: skip


class ExecutorError(Exception):
    """The execution could not start (unknown flow, malformed payload, missing cassette …); nothing was recorded."""


class MalformedPayload(ExecutorError):
    """A JSON request whose body is not JSON: the platform answers 400 `Received malformed JSON payload.`"""

    def __init__(self) -> None:
        super().__init__("Received malformed JSON payload.")


@dataclass
class TriggerRequest:
    """The HTTP request that invokes a flow, stored with the execution so a replay sends exactly the same."""

    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    method: str = "POST"
    query: dict[str, str] = field(default_factory=dict)
    path_fragment: str = ""
    debug: bool = False

    @classmethod
    def from_payload(cls, payload: Payload, *, debug: bool = False) -> TriggerRequest:
        """The request an official payload file stands for (`{headers, data, contentType}`)."""
        headers = dict(payload.headers)
        if not any(k.lower() == "content-type" for k in headers):
            headers["content-type"] = payload.contentType
        return cls(headers=headers, body=payload.body(), debug=debug)

    @classmethod
    def from_body(cls, body: bytes, content_type: str = "application/json", *, debug: bool = False) -> TriggerRequest:
        """A request carrying a raw body of the given content type."""
        return cls(headers={"content-type": content_type}, body=body, debug=debug)

    def header(self, name: str) -> str | None:
        """A header value, looked up case-insensitively."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def to_json(self) -> dict[str, Any]:
        """The stored form (body base64)."""
        return {
            "method": self.method,
            "headers": self.headers,
            "body": base64.b64encode(self.body).decode(),
            "queryParameters": self.query,
            "pathFragment": self.path_fragment,
            "debug": self.debug,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TriggerRequest:
        """Read the stored form back."""
        return cls(
            headers=dict(raw.get("headers") or {}),
            body=base64.b64decode(raw.get("body") or ""),
            method=str(raw.get("method") or "POST"),
            query=dict(raw.get("queryParameters") or {}),
            path_fragment=str(raw.get("pathFragment") or ""),
            debug=bool(raw.get("debug")),
        )


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
        if isinstance(self.response, dict):
            return {"body": {"executionId": self.execution_id}, **self.response}
        return {"statusCode": 200, "contentType": "application/json", "body": {"executionId": self.execution_id}}


@dataclass
class ExecutionUpdate:
    """Sent to listeners while an execution runs."""

    kind: Literal["started", "log", "step", "finished"]
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


class DataSourceError(ExecutorError):
    """A data source threw (or could not run): its own message, and the stack trimmed to the user's frames."""

    def __init__(self, message: str, stack: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.stack = stack

    @property
    def location(self) -> str | None:
        """`file:line:col` of the innermost frame the user wrote (None when the stack has none)."""
        for line in self.stack.splitlines()[1:]:
            found = re.search(r"\(?([^\s()]+:\d+:\d+)\)?\s*$", line)
            if found:
                return found.group(1)
        return None


@dataclass
class DataSourceResult:
    """What a data source returned (`{result, supplementalData?}`) and what it logged."""

    result: Any
    supplemental_data: Any = None
    logs: list[LogLine] = field(default_factory=list)


LOG_FLUSH_SECONDS = 0.05  # log lines reach the store within this long …
LOG_FLUSH_LINES = 100  # … or as soon as this many are waiting


class _LogWriter:
    """Writes an execution's log lines to the store while it runs, in small batches, so that another process (a
    TUI next to `cnikit serve`, a language server) can follow them. A short execution writes none early: its lines
    go with `finish_execution`, in the same transaction, which keeps warm executions fast."""

    def __init__(self, store: Store, execution_id: str, lines: list[LogLine]) -> None:
        self.store = store
        self.execution_id = execution_id
        self.lines = lines
        self.flushed = 0
        self.last = time.monotonic()
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.closed = False

    def added(self) -> None:
        """A line was appended to `lines`: write the batch now, or make sure it is written soon."""
        with self.lock:
            if self.closed:
                return
            waited = time.monotonic() - self.last
            if len(self.lines) - self.flushed >= LOG_FLUSH_LINES or waited >= LOG_FLUSH_SECONDS:
                self._flush()
            elif self.timer is None:
                self.timer = threading.Timer(LOG_FLUSH_SECONDS - waited, self._on_timer)
                self.timer.daemon = True
                self.timer.start()

    def _on_timer(self) -> None:
        with self.lock:
            self.timer = None
            if not self.closed:
                self._flush()

    def _flush(self) -> None:
        batch = self.lines[self.flushed :]
        if batch:
            try:
                self.store.append_logs(self.execution_id, [_log_row(line) for line in batch])
            except Exception:  # a busy store only delays the lines: they go with the end of the execution
                _log.exception("Could not write the log lines of execution %s yet", self.execution_id)
                return
            self.flushed += len(batch)
        self.last = time.monotonic()

    def close(self) -> list[tuple[str, str, str | None, str]]:
        """Stop writing early; the lines not written yet, for `finish_execution`."""
        with self.lock:
            self.closed = True
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            rest = [_log_row(line) for line in self.lines[self.flushed :]]
            self.flushed = len(self.lines)
            return rest


def _log_row(line: LogLine) -> tuple[str, str, str | None, str]:
    return (line.timestamp, line.severity, line.step, line.message)


def execution_global_id() -> str:
    """A new execution id, shaped like the platform's (`base64("InstanceExecutionResult:<uuid>")`)."""
    return base64.b64encode(f"InstanceExecutionResult:{uuid.uuid4()}".encode()).decode()


def parse_body(request: TriggerRequest) -> tuple[Any, str]:
    """`body.data` and its content type, parsed like the platform: JSON → value, text → str, else bytes."""
    content_type = request.header("content-type") or ""
    base = content_type.split(";")[0].strip().lower()
    if not request.body:
        return None, content_type
    if base == "application/json" or base.endswith("+json"):
        try:
            return json.loads(request.body), content_type
        except ValueError:
            raise MalformedPayload() from None
    if base == "multipart/form-data":
        return parse_multipart(request.body, content_type), content_type
    if any(marker in base for marker in TEXT_TYPES):
        try:
            return request.body.decode("utf-8"), content_type
        except UnicodeDecodeError:
            return request.body, content_type
    return request.body, content_type


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Multipart form parts keyed by field name, each `{data, contentType}` (spec/runtime.md §2.5, E3).

    JSON parts are parsed, text parts decoded, files kept as bytes; a body that is not valid multipart gives `{}`.
    """
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"content-type: " + content_type.encode() + b"\r\n\r\n" + body)
    parts: dict[str, Any] = {}
    if not message.is_multipart():
        return parts
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data: Any = part.get_payload(decode=True) or b""
        part_type = part.get_content_type() if part.get("content-type") else "text/plain"
        if part_type == "application/json" or part_type.endswith("+json"):
            with suppress(ValueError):  # a part that only claims to be JSON stays bytes
                data = json.loads(data)
        elif part.get_filename() is None and (part_type.startswith("text/") or not part.get("content-type")):
            data = data.decode("utf-8", "replace")
        parts[name] = {"data": data, "contentType": part_type}
    return parts


def load_component_mocks(root: Path) -> dict[str, Any]:
    """Local answers of registry components: `mocks/components/<component>/<actions|triggers>/<key>.json`."""
    base = local_dir(root) / "mocks" / "components"
    mocks: dict[str, Any] = {}
    if not base.is_dir():
        return mocks
    for file in sorted(base.glob("*/*/*.json")):
        component, kind, key = file.parent.parent.name, file.parent.name, file.stem
        if kind not in ("actions", "triggers"):
            continue
        try:
            value = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ExecutorError(f"{file}: not valid JSON ({error})") from None
        mocks.setdefault(component, {}).setdefault(kind, {})[key] = encode(value)
    return mocks


class Executor:
    """Runs the flows of one CNI project offline. Thread-safe; close it (or use `with`) to stop its workers."""

    def __init__(
        self,
        root: Path,
        *,
        build_mode: BuildMode = "fast",
        workers: int = 1,
        max_memory_mb: int = DEFAULT_MEMORY_MB,
        store: Store | None = None,
        webhook_base: str | None = None,
        prespawned: Worker | None = None,
    ) -> None:
        self.root = root.resolve()
        self._prespawned = prespawned  # a worker already loading the vendor layer (`runner.start_worker`)
        # Where `context.webhookUrls` point (a running `cnikit serve`); None keeps instance.json's `webhookBaseUrl`.
        self.webhook_base = webhook_base
        self.build_mode: BuildMode = build_mode
        self.workers = workers
        self.max_memory_mb = max_memory_mb
        self.store = store or Store.open(self.root)
        self.pool: WorkerPool | None = None
        self.definition: BuiltDefinition | None = None
        self.instance: LocalInstance | None = None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        # instance.json's mtime → (instance, configVars, missing secrets): keyring reads are slow, the file rarely
        # changes; an edit (or a new secret, which rewrites the file) invalidates it.
        self._identities: dict[tuple[str, int, int], dict[str, Any]] = {}
        self._config: tuple[int, LocalInstance, dict[str, Any], list[str]] | None = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (the store stays open for the caller that passed it in)."""
        if self._prespawned is not None:
            self._prespawned.close()
            self._prespawned = None
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Receive every `ExecutionUpdate` of this executor; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # --- preparing ------------------------------------------------------------------------------------------

    def prepare(self, *, force_build: bool = False) -> BuildResult:
        """Build (skipped when the sources are unchanged), load the bundle in a warm worker, seed the instance.

        Raises `emulator.build.BuildFailed` on a build error (the previous bundle and workers stay in use).
        """
        result = build(self.root, self.build_mode, force=force_build)
        with self._lock:
            if self.pool is None or result.rebuilt or self.pool.bundle != result.bundle:
                # Warm the new pool before swapping: a bundle that fails to load leaves the old workers serving.
                prespawned, self._prespawned = self._prespawned, None
                if prespawned is not None and (result.vendor_rebuilt or self.build_mode != "fast"):
                    prespawned.close()  # it preloaded a vendor layer this build replaced
                    prespawned = None
                new_pool = WorkerPool(
                    result.bundle, size=self.workers, max_memory_mb=self.max_memory_mb, prespawned=prespawned
                )
                try:
                    info = new_pool.warm()
                except BaseException:
                    new_pool.close()
                    raise
                old, self.pool = self.pool, new_pool
                if old is not None:
                    old.close()
                self.definition = parse_definition_yaml(info["yaml"], exports=info)
                instance = load_instance(self.root)
                seeded = seed(instance, self.definition, info.get("connections", []))
                if seeded or not instance_path(self.root).exists():  # the instance id must stay stable
                    save_instance(self.root, instance)
                if self.webhook_base:  # in memory only: instance.json keeps the user's value
                    instance.webhookBaseUrl = self.webhook_base
                self.instance = instance
                self._config = None
        return result

    def prespawn(self) -> None:
        """Keep a spare worker that has already evaluated the vendor layer, for the next rebuild (hot reload):
        the new pool then only loads the project's own layer."""
        from emulator.runner import start_worker

        if self._prespawned is None or not self._prespawned.alive:
            vendor = local_dir(self.root, create=True) / "build" / "vendor.js"
            self._prespawned = start_worker(vendor, max_memory_mb=self.max_memory_mb)

    def identity(self, flow: BuiltFlow, definition: BuiltDefinition, instance: LocalInstance) -> dict[str, Any]:
        """Webhook URLs, API keys, customer, instance, user, integration and flow of an execution (memoized)."""
        key = (flow.name, id(definition), id(instance))
        found = self._identities.get(key)
        if found is None:
            if len(self._identities) > 256:  # instances and definitions come and go in a long-lived process
                self._identities.clear()
            found = self._identities[key] = _identity(flow, definition, instance)
        return found

    def configuration(self) -> tuple[LocalInstance, dict[str, Any]]:
        """The local instance and its `configVars` as instance.json says now (re-read when the file changed)."""
        instance, values, _missing = self._configuration(self._definition())
        return instance, values

    def _configuration(self, definition: BuiltDefinition) -> tuple[LocalInstance, dict[str, Any], list[str]]:
        path = instance_path(self.root)
        # The inode too: instance.json is replaced (new inode) on every save, even within one mtime tick.
        stat = path.stat() if path.exists() else None
        stamp = hash((stat.st_mtime_ns, stat.st_ino, stat.st_size)) if stat else 0
        if self._config is None or self._config[0] != stamp:
            instance = load_instance(self.root)
            if self.webhook_base:  # in memory only: instance.json keeps the user's value
                instance.webhookBaseUrl = self.webhook_base
            missing: list[str] = []
            values = config_vars(instance, definition, missing)
            self._config = (stamp, instance, values, missing)
            self.instance = instance
        return self._config[1], self._config[2], self._config[3]

    def find_flow(self, ref: str) -> BuiltFlow:
        """A flow by name, stable key or function key; raises `ExecutorError` listing the flows there are."""
        definition = self._definition()
        for flow in definition.flows:
            if ref in (flow.name, flow.stable_key, flow.key):
                return flow
        folded = ref.casefold()
        matches = [f for f in definition.flows if folded in (f.name.casefold(), (f.stable_key or "").casefold())]
        if len(matches) == 1:
            return matches[0]
        available = ", ".join(f"{f.name!r} ({f.stable_key})" for f in definition.flows) or "none"
        raise ExecutorError(f"No flow {ref!r} in {definition.name!r}; its flows: {available}")

    def _definition(self) -> BuiltDefinition:
        if self.definition is None:
            self.prepare()
        assert self.definition is not None
        return self.definition

    # --- running --------------------------------------------------------------------------------------------

    def run(
        self,
        flow_ref: str,
        request: TriggerRequest | None = None,
        *,
        invoke_type: InvokeType = "INTEGRATION_FLOW_TEST",
        sync: bool | None = None,
        http: httpmock.HttpMode = "live",
        cassette: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        on_update: Listener | None = None,
        replay_of: str | None = None,
        execution_id: str | None = None,
        parent_id: str | None = None,
        retry_of: str | None = None,
    ) -> ExecutionOutcome:
        """Run one flow with `request` (an empty JSON request by default) and record the execution.

        `execution_id` is for callers that answer with the id before the execution starts (`cnikit serve`);
        `parent_id` (the execution that invoked this one, cross-flow) and `retry_of` (the execution this one
        retries) are recorded with it.
        Raises `ExecutorError` when the execution cannot start; every other failure is a failed `ExecutionOutcome`.
        """
        definition = self._definition()
        flow = self.find_flow(flow_ref)
        request = request or TriggerRequest.from_body(b"", "application/json")
        instance, values, missing_secrets = self._configuration(definition)
        cassette_name = cassette or flow.stable_key or flow.key
        cassette_file = httpmock.cassette_path(self.root, cassette_name)
        replay_exchanges = httpmock.load_cassette(cassette_file) if http == "replay" else []
        body_data, content_type = parse_body(request)  # raises MalformedPayload before anything is recorded
        mocks = load_component_mocks(self.root)
        is_sync = sync if sync is not None else _sync_requested(request, flow)
        debug = request.debug or (request.header("prismatic-debug") or "").lower() == "true"

        execution_id = execution_id or execution_global_id()
        started_at = now_iso()
        keys = state_keys(instance, definition, flow)
        message = {
            "flowKey": flow.key,
            "trigger": _trigger_spec(flow, values),
            "payload": encode(
                _payload(
                    request,
                    body_data,
                    content_type,
                    self.identity(flow, definition, instance),
                    execution_id,
                    started_at,
                    debug,
                )
            ),
            "context": encode(_context(flow, definition, instance, execution_id, started_at, debug, values, self)),
            "state": {level: self.store.get_state_text(keys[level]) or "{}" for level in STATE_LEVELS},
            "stateLimit": STATE_LIMIT,
            "http": {"mode": http, "cassette": replay_exchanges, "cassettePath": str(cassette_file)},
            "mocks": mocks,
            "mocksDir": str((local_dir(self.root) / "mocks" / "components").relative_to(self.root)),
        }
        self.store.begin_execution(
            NewExecution(
                id=execution_id,
                instance_id=instance.id,
                flow_key=flow.stable_key or flow.key,
                flow_name=flow.name,
                invoke_type=invoke_type,
                request=request.to_json(),
                started_at=started_at,
                replay_of=replay_of,
                http_mode=http,
                cassette=cassette_name if http != "live" else None,
                parent_id=parent_id,
                retry_of=retry_of,
            )
        )
        outcome = ExecutionOutcome(
            execution_id, flow, "failed", started_at, started_at, replay_of=replay_of, sync=is_sync
        )
        listeners = [*self._listeners, *([on_update] if on_update else [])]

        def notify(update: ExecutionUpdate) -> None:
            for listener in listeners:
                try:
                    listener(update)
                except Exception:  # a failing listener (a face's UI) must never fail the execution
                    _log.exception("A listener of execution %s failed on its %r update", execution_id, update.kind)

        log_writer = _LogWriter(self.store, execution_id, outcome.logs)

        def add_log(severity: str, step: str | None, text: str, timestamp: str | None = None) -> None:
            line = LogLine(timestamp or now_iso(), severity, step, truncate_log(text))
            outcome.logs.append(line)
            log_writer.added()
            notify(ExecutionUpdate("log", execution_id, flow.name, log=line))

        exchanges: list[dict[str, Any]] = []

        def on_event(event: dict[str, Any]) -> None:
            kind = event.get("type")
            if kind == "log":
                add_log(event["severity"], event.get("step"), str(event.get("message", "")), event.get("timestamp"))
            elif kind == "step":
                step = StepRecord(
                    execution_id,
                    len(outcome.steps) + 1,
                    event["name"],
                    event["startedAt"],
                    event["endedAt"],
                    event.get("error"),
                    decode(event.get("result")),
                )
                outcome.steps.append(step)
                notify(
                    ExecutionUpdate("step", execution_id, flow.name, step=step, response=decode(event.get("response")))
                )
            elif kind == "http":
                exchanges.append(event["exchange"])

        notify(ExecutionUpdate("started", execution_id, flow.name))
        add_log("info", None, f"Starting Instance '{instance.name}'. Total Concurrent Executions: 1")
        if missing_secrets:
            names = ", ".join(missing_secrets)
            add_log("warn", None, f"Secret connection fields with no value in the keyring run empty: {names}")
        state_writes: dict[StateKey, str] = {}
        execution_state: dict[str, Any] | None = None
        try:
            assert self.pool is not None
            with self.pool.worker() as worker:
                value = worker.request("execute", message, on_event=on_event, timeout=timeout)
            outcome.status = "succeeded"
            outcome.result = decode(value.get("result"))
            outcome.response = decode(value.get("response"))
            outcome.polled_no_changes = bool(value.get("polledNoChanges"))
            state_writes = {keys[level]: text for level, text in (value.get("state") or {}).items() if level in keys}
            outcome.state_changed = sorted(value.get("state") or {})
            execution_state = json.loads(value.get("executionState") or "{}")
        except RunnerError as error:
            outcome.error, outcome.error_step = error.message, error.step
            add_log("error", error.step, _user_stack(error.stack) or error.message)
        except WorkerFault as error:
            outcome.error = str(error)
            add_log("error", None, str(error))
        except KeyboardInterrupt as interrupt:
            # Ctrl-C (or SIGTERM/SIGHUP, see emulator.interrupt): the execution is recorded as stopped (not left
            # "running" forever), then the interrupt goes on.
            stopped = str(interrupt) or "The execution was stopped by the user (interrupted)."
            self._record_interrupted(execution_id, outcome, add_log, log_writer, stopped)
            raise
        if http == "record":
            kept = httpmock.record_cassette(cassette_file, exchanges)
            if kept is not None:
                add_log("warn", None, kept)
        add_log("info", None, f"Ending Instance '{instance.name}'")
        outcome.ended_at = now_iso()
        self.store.finish_execution(
            execution_id,
            status=outcome.status,
            error=outcome.error,
            result=outcome.result,
            response=outcome.response,
            execution_state=execution_state,
            steps=outcome.steps,
            logs=log_writer.close(),
            state=state_writes if outcome.succeeded else None,
            ended_at=outcome.ended_at,
            status_detail="polled_no_changes" if outcome.succeeded and outcome.polled_no_changes else None,
        )
        notify(ExecutionUpdate("finished", execution_id, flow.name, outcome=outcome))
        return outcome

    def _record_interrupted(
        self,
        execution_id: str,
        outcome: ExecutionOutcome,
        add_log: Callable[[str, str | None, str], None],
        log_writer: _LogWriter,
        error: str,
    ) -> None:
        if self.pool is not None:
            for worker in self.pool.workers():  # the interrupted one is back among them, maybe still busy
                worker.kill()
            self.pool.close()
            self.pool = None
            self.definition = None  # the next run prepares a fresh pool
        outcome.error = error
        add_log("error", None, error)
        outcome.ended_at = now_iso()
        self.store.finish_execution(
            execution_id,
            status="failed",
            error=outcome.error,
            steps=outcome.steps,
            logs=log_writer.close(),
            ended_at=outcome.ended_at,
        )

    def run_lifecycle(self, flow_ref: str, event: LifecycleEvent, *, timeout: float = 60.0) -> LifecycleOutcome:
        """Run one lifecycle function of a flow (`onInstanceDeploy`, `onInstanceDelete`, `webhookCreate`,
        `webhookDelete`) with the instance's context; changed state levels are written on success.
        They have no flow state (spec/runtime.md §4.2): `instanceState` starts empty and is not saved.

        These logs belong to no execution (the platform shows them apart, as management logs).
        """
        definition = self._definition()
        flow = self.find_flow(flow_ref)
        instance = self.instance or load_instance(self.root)
        started_at = now_iso()
        values = config_vars(instance, definition, [])
        keys = state_keys(instance, definition, flow)
        del keys["instanceState"]  # lifecycle functions see cross-flow and integration state only
        outcome = LifecycleOutcome(flow, event)

        def on_event(message: dict[str, Any]) -> None:
            if message.get("type") == "log":
                outcome.logs.append(
                    LogLine(message.get("timestamp") or now_iso(), message["severity"], event, str(message["message"]))
                )

        body = {
            "flowKey": flow.key,
            "event": event,
            "params": {},
            "context": encode(
                _context(flow, definition, instance, execution_global_id(), started_at, False, values, self)
            ),
            "state": {
                level: (self.store.get_state_text(keys[level]) or "{}") if level in keys else "{}"
                for level in STATE_LEVELS
            },
            "mocks": load_component_mocks(self.root),
            "mocksDir": str((local_dir(self.root, create=True) / "mocks" / "components").relative_to(self.root)),
        }
        try:
            assert self.pool is not None
            with self.pool.worker() as worker:
                value = worker.request("lifecycle", body, on_event=on_event, timeout=timeout)
        except (RunnerError, WorkerFault) as error:
            outcome.error = error.message if isinstance(error, RunnerError) else str(error)
            return outcome
        outcome.ran = bool(value.get("ran"))
        for level, text in (value.get("state") or {}).items():
            if level in keys:
                self.store.set_state(keys[level], json.loads(text))
                outcome.state_changed.append(level)
            else:
                outcome.logs.append(
                    LogLine(
                        now_iso(),
                        "warn",
                        event,
                        f"{event} changed instanceState: lifecycle functions have no "
                        "flow state, the change is not saved (use crossFlowState with flow-name keys)",
                    )
                )
        return outcome

    def run_data_source(
        self, config_var_key: str, config_values: dict[str, Any] | None = None, *, timeout: float = 30.0
    ) -> DataSourceResult:
        """Run the data source of a data-source config variable, the way the config wizard does: its `perform`
        gets a context whose `configVars` are the instance's values overlaid with `config_values` (the values
        entered so far, shaped like `instance.config_vars`: connections as `{key, configVarKey, fields}`).

        Raises `ExecutorError` for an unknown variable or one without an inline data source, and
        `DataSourceError` (the data source's own message, the stack trimmed to the user's frames) when it throws
        or does not answer within `timeout` seconds. Nothing is recorded.
        """
        definition = self._definition()
        var = definition.config_var(config_var_key)
        if var is None:
            known = ", ".join(v.key for v in definition.required_config_vars if v.data_source_key) or "none"
            raise ExecutorError(f"No config variable {config_var_key!r}; its data-source variables: {known}")
        if not var.data_source_key:
            raise ExecutorError(f"The config variable {config_var_key!r} has no data source")
        instance, saved, _missing = self._configuration(definition)
        values = {**saved, **(config_values or {})}
        context: dict[str, Any] = {"configVars": values, "globalDebug": False}
        if definition.flows:  # who and where, as for an execution (a data source belongs to no flow)
            identity = self.identity(definition.flows[0], definition, instance)
            context.update({k: v for k, v in identity.items() if k not in ("flow", "invokeUrl")})
        answer = DataSourceResult(None)

        def on_event(message: dict[str, Any]) -> None:
            if message.get("type") == "log":
                text = truncate_log(str(message.get("message", "")))
                answer.logs.append(
                    LogLine(message.get("timestamp") or now_iso(), message["severity"], "dataSource", text)
                )

        body = {
            "key": var.data_source_key,
            "params": {},
            "context": encode(context),
            "mocks": load_component_mocks(self.root),
            "mocksDir": str((local_dir(self.root, create=True) / "mocks" / "components").relative_to(self.root)),
        }
        try:
            assert self.pool is not None
            with self.pool.worker() as worker:
                value = worker.request("dataSource", body, on_event=on_event, timeout=timeout)
        except RunnerError as error:
            raise DataSourceError(error.message, _user_stack(error.stack)) from None
        except WorkerFault as error:
            if error.kind == "timeout":
                raise DataSourceError(
                    f"The data source of {config_var_key!r} did not answer within {timeout:g} s"
                ) from None
            raise DataSourceError(str(error)) from None
        answer.result = decode(value.get("result"))
        answer.supplemental_data = decode(value.get("supplementalData"))
        return answer

    def replay(
        self, ref: str, *, timeout: float = DEFAULT_TIMEOUT, on_update: Listener | None = None
    ) -> ExecutionOutcome:
        """Run a stored execution again: same flow, same request, same cassette; linked to the original."""
        original = self.store.get_execution(ref)
        request = TriggerRequest.from_json(original.request)
        http: httpmock.HttpMode = "replay" if original.http_mode in ("record", "replay") else "live"
        return self.run(
            original.flow_key,
            request,
            invoke_type=original.invoke_type,  # type: ignore[arg-type]
            http=http,
            cassette=original.cassette,
            timeout=timeout,
            on_update=on_update,
            replay_of=original.id,
        )


def _user_stack(stack: str) -> str:
    """A Node stack without the frames of spectral, npm packages and Node itself: what the user wrote."""
    lines = stack.splitlines()
    kept = [line for line in lines[1:] if line.strip().startswith("at ") and not _foreign_frame(line)]
    return "\n".join(lines[:1] + kept) if lines else ""


def _foreign_frame(line: str) -> bool:
    return any(
        part in line for part in ("/vendor.js:", "/node/runner.js:", "node:internal", "node_modules/", "(<anonymous>)")
    )


def _sync_requested(request: TriggerRequest, flow: BuiltFlow) -> bool:
    header = (request.header("prismatic-synchronous") or "").lower()
    if header in ("true", "false"):
        return header == "true"
    return flow.is_synchronous


def state_keys(instance: LocalInstance, definition: BuiltDefinition, flow: BuiltFlow) -> dict[str, StateKey]:
    """Where each persisted state level of `flow` lives for this instance (spec/runtime.md §7 scopes)."""
    return {
        "instanceState": StateKey("instanceState", instance.id, flow.stable_key or flow.key),
        "crossFlowState": StateKey("crossFlowState", instance.id),
        "integrationState": StateKey("integrationState", definition.name),
    }


def _trigger_spec(flow: BuiltFlow, values: dict[str, Any]) -> dict[str, Any]:
    inputs = {name: _input_value(spec, values) for name, spec in flow.trigger_inputs.items()}
    if flow.has_trigger_wrapper:
        return {"kind": "wrapper", "inputs": inputs}
    if flow.default_trigger is not None:
        return {"kind": flow.default_trigger}
    raw_component = ((flow.raw.get("steps") or [{}])[0].get("action") or {}).get("component") or {}
    return {
        "kind": "component",
        "key": flow.trigger.key,
        "component": {
            "key": flow.trigger.component_key,
            "signature": raw_component.get("signature") or "",
            "isPublic": flow.trigger.is_public,
        },
        "inputs": inputs,
    }


def _input_value(spec: Any, values: dict[str, Any]) -> Any:
    if not isinstance(spec, dict):
        return spec
    if spec.get("type") == "configVar":
        return values.get(str(spec.get("value")))
    if spec.get("type") == "complex" and isinstance(spec.get("value"), list):
        return [_input_value(item, values) for item in spec["value"]]
    return spec.get("value")


def _identity(flow: BuiltFlow, definition: BuiltDefinition, instance: LocalInstance) -> dict[str, Any]:
    """Who and where, for payload and context alike (all but executionId and startedAt)."""
    webhook_urls = {f.name: webhook_url(instance, f.stable_key or f.key) for f in definition.flows}
    api_keys = {f.name: flow_api_keys(instance, f) for f in definition.flows}
    return {
        "webhookUrls": webhook_urls,
        "webhookApiKeys": api_keys,
        "invokeUrl": webhook_urls[flow.name],
        "customer": instance.customer.model_dump(),
        "instance": {"id": instance.global_id("Instance"), "name": instance.name},
        "user": instance.user.model_dump(),
        "integration": {
            "id": base64.b64encode(f"Integration:{definition.name}".encode()).decode(),
            "name": definition.name,
            "versionSequenceId": "local",
            "externalVersion": definition.version or "",
        },
        "flow": {
            "id": base64.b64encode(f"Flow:{flow.stable_key or flow.key}".encode()).decode(),
            "name": flow.name,
            "stableId": flow.stable_key or "",
        },
    }


def _payload(
    request: TriggerRequest,
    body_data: Any,
    content_type: str,
    identity: dict[str, Any],
    execution_id: str,
    started_at: str,
    debug: bool,
) -> dict[str, Any]:
    return {
        "headers": dict(request.headers),
        "queryParameters": dict(request.query),
        "rawBody": {"data": request.body, "contentType": content_type},
        "body": {"data": body_data, "contentType": content_type},
        "pathFragment": request.path_fragment,
        **identity,
        "executionId": execution_id,
        "startedAt": started_at,
        "globalDebug": debug,
    }


def _context(
    flow: BuiltFlow,
    definition: BuiltDefinition,
    instance: LocalInstance,
    execution_id: str,
    started_at: str,
    debug: bool,
    values: dict[str, Any],
    executor: Executor,
) -> dict[str, Any]:
    identity = executor.identity(flow, definition, instance)
    return {
        **identity,
        "executionId": execution_id,
        "startedAt": started_at,
        "configVars": values,
        "stepIds": {"onTrigger": str(uuid.uuid4()), "onExecution": str(uuid.uuid4())},
        "executionFrame": {
            "invokedByExecutionJWT": "",
            "invokedByExecutionStartedAt": "",
            "componentActionKey": f"{flow.key}_onExecution",
            "executionId": execution_id,
            "executionStartedAt": started_at,
            "stepName": "onExecution",
            "loopPath": "",
        },
        "globalDebug": debug,
        "runnerAllocatedMemoryMb": executor.max_memory_mb,
        "flowSchemas": {},
        "isSimulatedTestExecution": False,
    }
