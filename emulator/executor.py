"""One execution, the way the platform runs it: request → trigger payload → onTrigger → onExecution → state.

`Executor` is the emulator's front door for every face (CLI, language server, TUI, `cnikit serve`)::

    with Executor(project_root) as executor:
        executor.prepare()                                   # build (skipped when unchanged), load, seed instance
        outcome = executor.run("Echo", TriggerRequest.from_payload(payload), on_update=print)
        outcome.status, outcome.result, outcome.steps, outcome.logs
        executor.replay(outcome.execution_id)               # same request, same cassette, linked to the original

It builds the trigger payload (spec/runtime.md §3) and the context (§5) from the local instance, runs both steps
in a warm worker, streams logs and step results to listeners while the execution runs, and records everything in
the store. State follows the platform's rules (§7, emulator/state.py): read at the start, each changed level written
whole and only on success, `null` deletes a key, 64 MB combined cap. Faults (timeout, memory cap, a killed worker)
fail the execution with a clear error, leave state untouched, and the next run gets a fresh worker.

Listeners (`Executor.subscribe`, or `on_update` per run) receive `ExecutionUpdate`s — `started`, `log`, `step`,
`finished` — from the thread running the execution; they must be quick and thread-safe.

The jobs around an invocation have their own modules, and their names are importable from here too:
emulator/request.py (the request and its body), emulator/context.py (the worker message), emulator/state.py (state
rules), emulator/outcome.py (what an invocation produced), emulator/live.py (an execution while it runs).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from cnikit.definition.models import BuiltDefinition, BuiltFlow, parse_definition_yaml
from cnikit.project import local_dir
from emulator import httpmock
from emulator.build import BuildLimits, BuildMode, BuildResult, build
from emulator.context import (
    data_source_context,
    execution_context,
    identity,
    trigger_payload,
    trigger_spec,
    worker_message,
)
from emulator.instance import (
    LocalInstance,
    config_vars,
    instance_path,
    instance_secrets,
    load_instance,
    save_instance,
    seed,
)
from emulator.live import LiveExecution
from emulator.outcome import (
    DataSourceResult,
    ExecutionOutcome,
    ExecutionUpdate,
    LifecycleEvent,
    LifecycleOutcome,
    Listener,
    LogLine,
)
from emulator.request import ExecutorError, MalformedPayload, TriggerRequest, parse_body
from emulator.runner import DEFAULT_MEMORY_MB, RunnerError, Worker, WorkerFault, WorkerPool, decode
from emulator.state import changed_state, lifecycle_keys, read_state, state_keys
from emulator.store import NewExecution, StateKey, Store, now_iso, truncate_log

__all__ = [
    "DEFAULT_TIMEOUT",
    "DataSourceError",
    "DataSourceResult",
    "ExecutionOutcome",
    "ExecutionUpdate",
    "Executor",
    "ExecutorError",
    "InvokeType",
    "LifecycleEvent",
    "LifecycleOutcome",
    "Listener",
    "LogLine",
    "MalformedPayload",
    "TriggerRequest",
    "execution_global_id",
    "parse_body",
    "state_keys",
]

DEFAULT_TIMEOUT = 15 * 60.0  # the platform stops an execution after 15 minutes
InvokeType = Literal[
    "INTEGRATION_FLOW_TEST", "WEBHOOK", "SCHEDULED", "CROSS_FLOW", "DEPLOY_FLOW", "TEAR_DOWN_FLOW",
    "INTEGRATION_ENDPOINT_TEST",
]  # fmt: skip


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


def execution_global_id() -> str:
    """A new execution id, shaped like the platform's (`base64("InstanceExecutionResult:<uuid>")`)."""
    return base64.b64encode(f"InstanceExecutionResult:{uuid.uuid4()}".encode()).decode()


def _retention(root: Path) -> int:
    """The project's `retention` setting; a settings file that cannot be read is reported by the commands that
    need it, and here keeps the default."""
    from cnikit.settings import DEFAULT_RETENTION, SettingsError, load_settings

    try:
        return load_settings(root).retention
    except SettingsError:
        return DEFAULT_RETENTION


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
        limits: BuildLimits | None = None,
        load_timeout: float | None = None,
        retention: int | None = None,
    ) -> None:
        self.root = root.resolve()
        # How many executions the store keeps (the newest); None: `retention` of the project's cnikit.yml.
        self.retention = retention if retention is not None else _retention(self.root)
        self.limits, self.load_timeout = limits, load_timeout  # the build's time limit and progress; the load's
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
        result = build(self.root, self.build_mode, force=force_build, limits=self.limits)
        if self.pool is None or result.rebuilt or self.pool.bundle != result.bundle:
            self.load_bundle(result.bundle, reuse_prespawned=not result.vendor_rebuilt and result.mode == "fast")
        return result

    def load_bundle(self, bundle: Path, *, reuse_prespawned: bool = False) -> None:
        """Load `bundle` (a built CNI `index.js`) in a fresh warm pool and swap it in; read its definition, seed the
        instance. A bundle that fails to load raises `RunnerError` and leaves the old workers serving. Besides
        `prepare`, `cnikit serve` calls it with the `dist/index.js` the prism CLI imported."""
        with self._lock:
            # Warm the new pool before swapping: a bundle that fails to load leaves the old workers serving.
            prespawned, self._prespawned = self._prespawned, None
            if prespawned is not None and not reuse_prespawned:
                prespawned.close()  # it preloaded a vendor layer this bundle does not use
                prespawned = None
            new_pool = WorkerPool(
                bundle,
                size=self.workers,
                max_memory_mb=self.max_memory_mb,
                prespawned=prespawned,
                load_timeout=self.load_timeout,
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
            seeded = seed(instance, self.definition, info)
            if seeded or not instance_path(self.root).exists():  # the instance id must stay stable
                save_instance(self.root, instance)
            if self.webhook_base:  # in memory only: instance.json keeps the user's value
                instance.webhookBaseUrl = self.webhook_base
            self.instance = instance
            self._config = None

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
            found = self._identities[key] = identity(flow, definition, instance)
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
        # 1. Everything that can refuse the request (unknown flow, malformed body, bad mock, missing cassette)
        #    comes before the execution is recorded.
        definition = self._definition()
        flow = self.find_flow(flow_ref)
        request = request or TriggerRequest.from_body(b"", "application/json")
        instance, values, missing_secrets = self._configuration(definition)
        cassette_name = cassette or flow.stable_key or flow.key
        cassette_file = httpmock.cassette_path(self.root, cassette_name)
        secrets = instance_secrets(instance, values)  # kept out of cassettes, filled back in on replay
        execution_id = execution_id or execution_global_id()
        started_at = now_iso()
        keys = state_keys(instance, definition, flow)
        message = self._execute_message(
            flow, definition, instance, values, request, execution_id, started_at, keys, http, cassette_file, secrets
        )
        # 2. Record it as running, then run it.
        outcome_seq = self.store.begin_execution(
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
        is_sync = sync if sync is not None else _sync_requested(request, flow)
        outcome = ExecutionOutcome(
            execution_id, flow, "failed", started_at, started_at, replay_of=replay_of, sync=is_sync, seq=outcome_seq
        )
        listeners = [*self._listeners, *([on_update] if on_update else [])]
        live = LiveExecution(self.store, outcome, listeners, secrets.values())
        live.update("started")
        live.log("info", None, f"Starting Instance '{instance.name}'. Total Concurrent Executions: 1")
        if missing_secrets:
            names = ", ".join(missing_secrets)
            live.log("warn", None, f"Secret connection fields with no value in the keyring run empty: {names}")
        state_writes, execution_state = self._execute(live, message, keys, timeout)
        # 3. Keep what it produced: the cassette, then the outcome, its steps, logs and (on success) state.
        if http == "record":
            kept = httpmock.record_cassette(cassette_file, live.exchanges, secrets)
            if kept is not None:
                live.log("warn", None, kept)
        live.log("info", None, f"Ending Instance '{instance.name}'")
        outcome.ended_at = now_iso()
        self.store.finish_execution(
            execution_id,
            status=outcome.status,
            error=outcome.error,
            result=outcome.result,
            response=outcome.response,
            execution_state=execution_state,
            steps=outcome.steps,
            logs=live.log_writer.close(),
            state=state_writes if outcome.succeeded else None,
            ended_at=outcome.ended_at,
            status_detail="polled_no_changes" if outcome.succeeded and outcome.polled_no_changes else None,
        )
        self.store.prune(keep=self.retention)
        live.update("finished", outcome=outcome)
        return outcome

    def _execute_message(
        self,
        flow: BuiltFlow,
        definition: BuiltDefinition,
        instance: LocalInstance,
        values: dict[str, Any],
        request: TriggerRequest,
        execution_id: str,
        started_at: str,
        keys: dict[str, StateKey],
        http: httpmock.HttpMode,
        cassette_file: Path,
        secrets: dict[str, str],
    ) -> dict[str, Any]:
        """The worker's `execute` request; raises `ExecutorError` (a malformed body, a bad mock or cassette)."""
        replay_exchanges = httpmock.load_cassette(cassette_file, secrets) if http == "replay" else []
        body_data, content_type = parse_body(request)
        debug = request.debug or (request.header("prismatic-debug") or "").lower() == "true"
        who = self.identity(flow, definition, instance)
        context = execution_context(
            flow,
            who,
            values,
            execution_id=execution_id,
            started_at=started_at,
            debug=debug,
            memory_mb=self.max_memory_mb,
        )
        payload = trigger_payload(
            request, body_data, content_type, who, execution_id=execution_id, started_at=started_at, debug=debug
        )
        return worker_message(
            self.root,
            context,
            state=read_state(self.store, keys),
            payload=payload,
            flowKey=flow.key,
            trigger=trigger_spec(flow, values),
            http={"mode": http, "cassette": replay_exchanges, "cassettePath": str(cassette_file)},
        )

    def _execute(
        self, live: LiveExecution, message: dict[str, Any], keys: dict[str, StateKey], timeout: float
    ) -> tuple[dict[StateKey, str], dict[str, Any] | None]:
        """Run the execution in a worker and fill in `live.outcome`; the state levels to write on success and the
        final `executionState`. A failure of the flow or of its worker is a failed outcome, never an exception."""
        outcome = live.outcome
        try:
            assert self.pool is not None
            with self.pool.worker() as worker:
                value = worker.request("execute", message, on_event=live.on_event, timeout=timeout)
        except RunnerError as error:
            outcome.error, outcome.error_step = error.message, error.step
            live.log("error", error.step, _user_stack(error.stack) or error.message)
        except WorkerFault as error:
            outcome.error = str(error)
            live.log("error", None, str(error))
        except KeyboardInterrupt as interrupt:
            # Ctrl-C (or SIGTERM/SIGHUP, see emulator.interrupt): the execution is recorded as stopped (not left
            # "running" forever), then the interrupt goes on.
            self._record_interrupted(live, str(interrupt) or "The execution was stopped by the user (interrupted).")
            raise
        else:
            outcome.status = "succeeded"
            outcome.result = decode(value.get("result"))
            outcome.response = decode(value.get("response"))
            outcome.polled_no_changes = bool(value.get("polledNoChanges"))
            outcome.state_changed = sorted(value.get("state") or {})
            return changed_state(keys, value.get("state") or {}), json.loads(value.get("executionState") or "{}")
        return {}, None

    def _record_interrupted(self, live: LiveExecution, error: str) -> None:
        if self.pool is not None:
            for worker in self.pool.workers():  # the interrupted one is back among them, maybe still busy
                worker.kill()
            self.pool.close()
            self.pool = None
            self.definition = None  # the next run prepares a fresh pool
        outcome = live.outcome
        outcome.error = error
        live.log("error", None, error)
        outcome.ended_at = now_iso()
        self.store.finish_execution(
            outcome.execution_id,
            status="failed",
            error=outcome.error,
            steps=outcome.steps,
            logs=live.log_writer.close(),
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
        values = config_vars(instance, definition, [])
        keys = lifecycle_keys(instance, definition, flow)
        outcome = LifecycleOutcome(flow, event)

        context = execution_context(
            flow,
            self.identity(flow, definition, instance),
            values,
            execution_id=execution_global_id(),
            started_at=now_iso(),
            debug=False,
            memory_mb=self.max_memory_mb,
        )
        body = worker_message(
            self.root, context, state=read_state(self.store, keys), flowKey=flow.key, event=event, params={}
        )
        try:
            assert self.pool is not None
            with self.pool.worker() as worker:
                value = worker.request("lifecycle", body, on_event=_collect_logs(outcome.logs, event), timeout=timeout)
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
        # Who and where, as for an execution (a data source belongs to no flow).
        who = self.identity(definition.flows[0], definition, instance) if definition.flows else None
        answer = DataSourceResult(None)

        body = worker_message(self.root, data_source_context(who, values), key=var.data_source_key, params={})
        try:
            assert self.pool is not None
            with self.pool.worker() as worker:
                value = worker.request(
                    "dataSource", body, on_event=_collect_logs(answer.logs, "dataSource"), timeout=timeout
                )
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


def _collect_logs(lines: list[LogLine], step: str) -> Callable[[dict[str, Any]], None]:
    """A worker event handler that keeps the log lines of an invocation that is no execution (lifecycle, data
    source): nothing is streamed or stored, the caller gets them with its outcome."""

    def on_event(event: dict[str, Any]) -> None:
        if event.get("type") == "log":
            text = truncate_log(str(event.get("message", "")))
            lines.append(LogLine(event.get("timestamp") or now_iso(), event["severity"], step, text))

    return on_event


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
