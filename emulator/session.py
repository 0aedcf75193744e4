"""One CNI project as every face sees it: the command line, the language server, the TUI and `cnikit serve`.

A `Session` owns, per project:

* **prepare / rebuild** (`prepare`): build, load the bundle in a warm worker, seed the local instance. Every fault
  of the build, the runner, a worker, instance.json, the store or a payload becomes a `SessionError` — one line a
  face can print as it is (`message`), with optional further lines (`details`: build problems, a stack). That
  mapping (`session_error`) is the only one: faces catch `SessionError`, never the engine's exceptions.
* **the warm `Executor`** (`executor`), sharing the session's store; `subscribe` receives its updates.
* **payload references** (`request`), one rule for every face, tried in this order:
  `-` (stdin; only where the face has one) · a raw body (text starting with `{` or `[`) · a payload name (a file of
  the flow's `.spectral/flows/<stableKey>/payloads/<name>.json`) · a path, absolute or relative to the project (or,
  failing that, to the current directory). A file in the official format (`{headers, data, contentType}`) is sent
  as that payload; any other file is sent as a raw body.
* **executions as views** (`views`, `view`, `detail`: see `emulator.views`), an **execution feed** (`feed`: a
  cursor over the store yielding new and changed executions and log lines, see `emulator.sources.ExecutionFeed`),
  and **execution sources** (`local_source`, `cloud_source`: the `emulator.sources.ExecutionSource` protocol).
* **state snapshots**: `export_state`, `import_state` (validated whole, nothing changes when invalid), `set_state`.

    with Session(root) as session:
        session.prepare()
        outcome = session.run("My flow", "hello")          # the payload named hello of that flow
        print(session.detail(outcome.execution_id).to_json())

Thread-safe where the executor and store are; opening the store and the executor happens once, on first use.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from emulator.views import ExecutionDetail, ExecutionView, FlowView, execution_detail, execution_view, flow_view

if TYPE_CHECKING:
    from cnikit.definition.models import BuiltDefinition, BuiltFlow
    from cnikit.payloads import Payload
    from emulator.build import BuildLimits, BuildMode, BuildResult
    from emulator.cloud_source import CloudSource
    from emulator.executor import ExecutionOutcome, ExecutionUpdate, Executor, TriggerRequest
    from emulator.sources import ExecutionFeed, LocalSource
    from emulator.store import StateKey, Status, Store

SNAPSHOT_VERSION = 1
LEVEL_NAMES = {"flow": "instanceState", "cross-flow": "crossFlowState", "integration": "integrationState"}


class SessionError(Exception):
    """Something a face reports to its user: `message` is one line; `details` are further lines, if any;
    `refused` says the run was refused before anything was run or recorded."""

    def __init__(self, message: str, details: list[str] | None = None, *, refused: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.refused = refused

    @property
    def text(self) -> str:
        """The message and its details, one per line (details indented), for a terminal."""
        lines = [self.message, *(f"  {line}" for line in self.details)]
        return "\n".join(lines + (["nothing was run or recorded"] if self.refused else []))


def session_error(error: BaseException) -> SessionError | None:
    """The user-facing error of an engine fault, or None when `error` is not one (a bug: let it propagate)."""
    from cnikit.payloads import PayloadError
    from emulator.build import BuildFailed
    from emulator.executor import ExecutorError
    from emulator.httpmock import CassetteError
    from emulator.instance import InstanceError
    from emulator.node_setup import NodeSetupError
    from emulator.runner import RunnerError, WorkerFault
    from emulator.store import StoreError

    if isinstance(error, SessionError):
        return error
    if isinstance(error, NodeSetupError):
        return SessionError(str(error))
    if isinstance(error, BuildFailed):
        problems = [str(problem) for problem in error.problems] or [str(error)]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return SessionError(f"the project does not build: {problems[0]}{more}", problems if more else [])
    if isinstance(error, RunnerError):
        return SessionError(f"the built bundle does not load: {error.message}", error.stack.splitlines())
    if isinstance(error, WorkerFault | InstanceError | StoreError):
        lines = str(error).strip().splitlines() or [type(error).__name__]
        return SessionError(lines[0], lines[1:])
    if isinstance(error, ExecutorError | CassetteError | PayloadError):
        lines = str(error).strip().splitlines() or [type(error).__name__]
        return SessionError(lines[0], lines[1:], refused=True)
    return None


def _mapped(error: BaseException) -> BaseException:
    return session_error(error) or error


class Session:
    """One CNI project under every face; close it (or use `with`) to stop its workers and close its store."""

    def __init__(
        self,
        root: Path,
        *,
        build_mode: BuildMode = "fast",
        max_memory_mb: int | None = None,
        store: Store | None = None,
        warm_early: bool = False,
        limits: BuildLimits | None = None,
        load_timeout: float | None = None,
    ) -> None:
        """`limits` bounds the build and says its progress; `load_timeout` bounds loading the bundle.
        `warm_early` starts a Node worker loading the last build's vendor layer at once, and finds the keyring
        backend in the background when the instance has secrets (the CLI: both take a while, and happen while
        Python imports the emulator and builds)."""
        self.root = root.resolve()
        self.build_mode: BuildMode = build_mode
        self.max_memory_mb = max_memory_mb
        self.limits, self.load_timeout = limits, load_timeout
        self._store = store
        self._owns_store = store is None
        self._executor: Executor | None = None
        self._local: LocalSource | None = None
        self._local_attached = False  # whether it reads this session's store (else a connection of its own)
        self._lock = threading.RLock()
        self._listeners: list[Callable[[ExecutionUpdate], None]] = []
        self._early: Any = None
        if warm_early:
            from cnikit.project import local_dir
            from emulator.runner import start_worker

            self._early = start_worker(
                local_dir(self.root) / "build" / "vendor.js", max_memory_mb=max_memory_mb or 1024
            )

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers; close the store when the session opened it."""
        with self._lock:
            if self._executor is not None:
                self._executor.close()
                self._executor = None
            if self._early is not None:
                self._early.close()
                self._early = None
            if self._local is not None and not self._local_attached:
                self._local.close()  # it opened the store file itself
            self._local = None
            if self._store is not None and self._owns_store:
                self._store.close()
                self._store = None

    # -- engine ------------------------------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The project's store (opened, and created, on first use)."""
        with self._lock:
            if self._store is None:
                from emulator.store import Store

                self._store = Store.open(self.root)
            return self._store

    def has_store(self) -> bool:
        """Whether the project has a store file yet (asking does not create one)."""
        from cnikit.project import local_dir
        from emulator.store import DB_NAME

        return self._store is not None or (local_dir(self.root) / DB_NAME).exists()

    @property
    def executor(self) -> Executor:
        """The warm executor (created on first use; `prepare` builds and loads)."""
        with self._lock:
            if self._executor is None:
                from emulator.executor import DEFAULT_MEMORY_MB, Executor

                early, self._early = self._early, None
                self._executor = Executor(
                    self.root,
                    build_mode=self.build_mode,
                    max_memory_mb=self.max_memory_mb or DEFAULT_MEMORY_MB,
                    store=self.store,
                    prespawned=early,
                    limits=self.limits,
                    load_timeout=self.load_timeout,
                )
                self._executor.subscribe(self._forward)
            return self._executor

    def _forward(self, update: ExecutionUpdate) -> None:
        for listener in list(self._listeners):
            listener(update)

    def subscribe(self, listener: Callable[[ExecutionUpdate], None]) -> Callable[[], None]:
        """Receive every update of this session's executions (on execution threads); returns unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def prepare(self, *, rebuild: bool = False) -> BuildResult:
        """Build (unless unchanged, or `rebuild`), load the bundle, seed the instance; faults are `SessionError`s."""
        try:
            return self.executor.prepare(force_build=rebuild)
        except Exception as error:
            raise _mapped(error) from None

    @property
    def definition(self) -> BuiltDefinition:
        """The built definition (prepares first when needed)."""
        executor = self.executor
        if executor.definition is None:
            self.prepare()
        assert executor.definition is not None
        return executor.definition

    def find_flow(self, ref: str) -> BuiltFlow:
        """A flow by name or stable key (prepares first when needed)."""
        self.definition  # noqa: B018 - prepares first when needed
        try:
            return self.executor.find_flow(ref)
        except Exception as error:
            raise _mapped(error) from None

    def flows(self) -> list[FlowView]:
        """The built flows, with their payload files."""
        from cnikit.payloads import list_payloads

        files = list_payloads(self.root)
        return [
            flow_view(flow, [str(path) for path in files.get(flow.stable_key or flow.key, [])])
            for flow in self.definition.flows
        ]

    # -- payloads and runs -------------------------------------------------------------------------------------------
    def request(
        self,
        flow: BuiltFlow | str,
        ref: str | None,
        *,
        content_type: str | None = None,
        debug: bool = False,
        stdin: IO[bytes] | None = None,
    ) -> TriggerRequest:
        """The trigger request a payload reference names (see the module docstring for the rule)."""
        from emulator.executor import TriggerRequest

        chosen = self.find_flow(flow) if isinstance(flow, str) else flow
        raw_type = content_type or "application/json"
        if ref is None:
            return TriggerRequest.from_body(b"", raw_type, debug=debug)
        if ref == "-":
            if stdin is None:
                raise SessionError("'-' means standard input, which only the command line has; name a payload")
            return TriggerRequest.from_body(stdin.read(), raw_type, debug=debug)
        found = self._resolve(chosen.stable_key or chosen.key, ref)
        if isinstance(found, bytes):
            return TriggerRequest.from_body(found, raw_type, debug=debug)
        request = TriggerRequest.from_payload(found, debug=debug)
        if content_type:
            request.headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
            request.headers["content-type"] = content_type
        return request

    def payload(self, stable_key: str, ref: str) -> Payload:
        """The payload a reference names, by the same rule, for a flow given by stable key (no build needed: the
        cloud test sends it to Prismatic). A raw body becomes a payload of that body."""
        from cnikit.payloads import Payload

        found = self._resolve(stable_key, ref)
        if not isinstance(found, bytes):
            return found
        text = found.decode("utf-8", errors="replace")
        try:
            return Payload(data=json.loads(text))
        except ValueError:
            return Payload(data=text, contentType="text/plain")

    def _resolve(self, stable_key: str, ref: str) -> Payload | bytes:
        """A reference other than `-`: an official payload, or the bytes of a raw body."""
        from cnikit.payloads import PayloadError, load_payload, payloads_dir

        if ref.lstrip()[:1] in ("{", "["):
            return ref.encode()
        folder = payloads_dir(self.root, stable_key)
        path = self._payload_path(ref, folder)
        if folder in path.resolve().parents or _looks_official(path):
            try:
                return load_payload(path)
            except PayloadError as error:
                raise _mapped(error) from None
        return path.read_bytes()

    def _payload_path(self, ref: str, folder: Path) -> Path:
        named = folder / f"{ref}.json"
        if "/" not in ref and named.is_file():
            return named
        given = Path(ref).expanduser()
        for candidate in (given,) if given.is_absolute() else (self.root / given, Path.cwd() / given):
            if candidate.is_file():
                return candidate
        names = sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []
        listed = f" (its payloads: {', '.join(names)})" if names else ""
        raise SessionError(
            f"no payload {ref!r}: neither a payload of the flow{listed} nor a file "
            f"(absolute, or relative to {self.root})",
            refused=True,
        )

    def run(
        self,
        flow: str,
        payload: str | None = None,
        *,
        content_type: str | None = None,
        debug: bool = False,
        stdin: IO[bytes] | None = None,
        on_update: Callable[[ExecutionUpdate], None] | None = None,
        **options: Any,
    ) -> ExecutionOutcome:
        """Prepare, then run a flow with a payload reference; `options` go to `Executor.run` (sync, http, cassette,
        timeout …). A run that cannot start is a `SessionError`; a flow that fails is a failed outcome."""
        self.prepare()
        chosen = self.find_flow(flow)
        request = self.request(chosen, payload, content_type=content_type, debug=debug, stdin=stdin)
        try:
            return self.executor.run(chosen.name, request, on_update=on_update, **options)
        except Exception as error:
            raise _mapped(error) from None

    def replay(
        self, ref: str, *, on_update: Callable[[ExecutionUpdate], None] | None = None, **options: Any
    ) -> ExecutionOutcome:
        """Prepare, then run a stored execution again (same request and cassette), linked to the original."""
        self.prepare()
        try:
            return self.executor.replay(ref, on_update=on_update, **options)
        except Exception as error:
            raise _mapped(error) from None

    # -- executions as views -----------------------------------------------------------------------------------------
    def views(
        self, *, flow: str | None = None, status: Status | None = None, limit: int = 50, offset: int = 0
    ) -> list[ExecutionView]:
        """Executions, newest first (none, without creating a store, when nothing ran yet)."""
        if not self.has_store():
            return []
        store = self.store
        records = store.list_executions(flow=flow, status=status, limit=limit, offset=offset)
        return [execution_view(store, record) for record in records]

    def view(self, ref: str) -> ExecutionView:
        """One execution (by number, id or unique id prefix) as listed."""
        store = self.store
        try:
            return execution_view(store, store.get_execution(ref))
        except Exception as error:
            raise _mapped(error) from None

    def detail(self, ref: str, *, response: Any = None) -> ExecutionDetail:
        """One execution with everything recorded about it (`response`: see `views.execution_detail`)."""
        store = self.store
        try:
            return execution_detail(store, store.get_execution(ref), response=response)
        except Exception as error:
            raise _mapped(error) from None

    def feed(self, *, since: str | None = None) -> ExecutionFeed:
        """A new cursor over the store (see `emulator.sources.ExecutionFeed`)."""
        from emulator.sources import ExecutionFeed

        return ExecutionFeed(self.store, since=since)

    def local_source(self) -> LocalSource:
        """The local executions as an `ExecutionSource` (one per session), sharing this session's store once it
        exists; replays go through this session's executor."""
        from emulator.sources import LocalSource

        with self._lock:
            if self._local is None or (self._store is not None and not self._local_attached):
                if self._local is not None:
                    self._local.close()  # it had opened the store file itself, before this session did
                self._local = LocalSource(self.root, replayer=lambda ref: self.replay(ref).execution_id)
                self._local_attached = self._store is not None
                if self._store is not None:
                    self._local.attach(self._store)
            return self._local

    def cloud_source(self, client_factory: Callable[[], Any]) -> CloudSource | None:
        """The imported integration's cloud executions (`.spectral/prism.json`) when logged in, else None.
        `client_factory()` returns a `PrismaticClient` (an async context manager)."""
        from cnikit.platform.auth import Session as PlatformSession
        from cnikit.platform.cloudtest import read_integration_id
        from cnikit.settings import SettingsError, load_settings
        from emulator.cloud_source import CloudSource

        integration_id = read_integration_id(self.root)
        if integration_id is None:
            return None
        try:
            # Only the stored tokens are looked at here: no HTTP client, no network.
            logged_in = PlatformSession(load_settings(self.root), None).is_logged_in()  # type: ignore[arg-type]
        except SettingsError:
            return None
        return CloudSource(self.root, client_factory, integration_id) if logged_in else None

    # -- state -------------------------------------------------------------------------------------------------------
    def export_state(self) -> dict[str, Any]:
        """Every stored state level as a snapshot `{"version": 1, "levels": [{level, scope, flow, value}]}`."""
        entries = self.store.list_state() if self.has_store() else []
        return {
            "version": SNAPSHOT_VERSION,
            "levels": [{"level": k.level, "scope": k.scope, "flow": k.flow, "value": v} for k, v in entries],
        }

    def import_state(self, snapshot: Any, *, where: str = "the snapshot") -> int:
        """Replace all stored state by a snapshot (as `export_state` writes it); returns how many levels. The
        snapshot is validated whole first: when it is invalid nothing changes and `SessionError` says where."""
        from emulator.store import STATE_LEVELS, StateKey

        unchanged = "nothing was changed"
        if (
            not isinstance(snapshot, dict)
            or snapshot.get("version") != SNAPSHOT_VERSION
            or not isinstance(snapshot.get("levels"), list)
        ):
            raise SessionError(
                f'{where}: expected {{"version": 1, "levels": [...]}} as written by `state export`; {unchanged}'
            )
        entries: list[tuple[StateKey, dict[str, Any]]] = []
        for index, item in enumerate(snapshot["levels"]):
            at = f"{where}: levels[{index}]"
            if not isinstance(item, dict) or item.get("level") not in STATE_LEVELS:
                raise SessionError(f"{at}: level must be one of {', '.join(STATE_LEVELS)}; {unchanged}")
            if not isinstance(item.get("scope"), str) or not isinstance(item.get("flow", ""), str):
                raise SessionError(f"{at}: scope and flow must be strings; {unchanged}")
            if not isinstance(item.get("value"), dict):
                raise SessionError(f"{at}: value must be a JSON object; {unchanged}")
            entries.append((StateKey(item["level"], item["scope"], item.get("flow", "")), item["value"]))
        self.store.replace_all_state(entries)
        return len(entries)

    def set_state(self, level: str, key: str, value: Any, *, flow: str | None = None) -> dict[str, Any]:
        """Set (or, with None, delete) one key of a state level (`flow`, `cross-flow`, `integration` or the
        platform's names); flow state needs `flow`. Returns the level as stored."""
        from emulator.executor import state_keys

        chosen_level = state_level(level)
        definition = self.definition  # prepares first when needed: the state keys need the instance
        chosen = self.find_flow(flow) if flow else None
        if chosen_level == "instanceState" and chosen is None:
            raise SessionError("flow state belongs to one flow: pass --flow NAME")
        instance = self.executor.instance
        assert instance is not None  # prepared with the definition
        state_key = state_keys(instance, definition, chosen or definition.flows[0])[chosen_level]
        current = self.store.get_state(state_key)
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
        try:
            self.store.set_state(state_key, current)
        except Exception as error:  # not strict JSON (NaN, Infinity), too large: the store says what is wrong
            raise _mapped(error) from None
        return current


def state_level(name: str) -> str:
    """A state level by its short name (`flow`, `cross-flow`, `integration`) or the platform's; `SessionError`
    for anything else."""
    level = LEVEL_NAMES.get(name, name)
    if level not in LEVEL_NAMES.values():
        raise SessionError(
            f"level must be one of {', '.join(LEVEL_NAMES)} (or instanceState, crossFlowState, integrationState)"
        )
    return level


def _warm_keyring_if_needed(instance_file: Path) -> None:
    """Find the keyring backend in a thread when the instance has secrets: finding it takes a while."""
    try:
        connections = json.loads(instance_file.read_text(encoding="utf-8")).get("connections") or {}
    except (OSError, ValueError, AttributeError):
        return
    if any(isinstance(c, dict) and c.get("secretFields") for c in connections.values()):
        threading.Thread(target=_warm_keyring, name="cnikit-keyring", daemon=True).start()


def _warm_keyring() -> None:
    from cnikit.secrets import SecretStoreError, backend

    with suppress(SecretStoreError):  # the run itself reports a missing keyring
        backend()


def _looks_official(path: Path) -> bool:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return path.suffix == ".json"  # a broken payload file: loading it says where it is broken
    return isinstance(raw, dict) and bool(raw) and set(raw) <= {"headers", "data", "contentType"} and "data" in raw
