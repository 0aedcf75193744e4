"""The emulator's store: persisted state, executions, step results and logs, in one SQLite file (WAL).

One file per project, `.spectral/local/emulator.sqlite`. Every face reads it through this module:

* **State**, by the platform's rules (spec/runtime.md §7): `instanceState` per (instance, flow),
  `crossFlowState` per instance, `integrationState` per integration. Each level is one JSON document, read
  whole at the start of an execution and written whole, only when the execution succeeds
  (`Store.finish_execution(..., state=...)` writes it in the same transaction as the execution's outcome).
* **Executions**: id, flow, invoke type, status, timings, error, the original request (for exact replay), the
  result, the execution it replays; `executionState` as it was at the end.
* **Step results** (`onTrigger`, `onExecution`), msgpack-encoded as the platform stores them.
* **Logs**: timestamp, severity, step, message (truncated at 4096 characters, like the platform).

Reading (what the TUI and the language server need)::

    store = Store.open(project_root)
    page = store.list_executions(flow="my-flow", status="failed", limit=20, offset=0)   # newest first
    record = store.get_execution("12")        # by sequence number, full id, or unique id prefix
    store.steps(record.id); store.step_output(record.id, "onExecution"); store.logs(record.id)

Watching: `Store.subscribe(callback)` calls `callback(StoreEvent)` in this process whenever an execution starts
or finishes (from the thread that wrote it). Another process (a TUI next to a `cnikit run`) calls
`Store.changed()` now and then: it is True when any connection committed since the last call.

Thread-safe: one connection guarded by a lock; WAL lets other processes read while one writes.

Never left "running": each execution records the process that runs it (pid and start time, see
`emulator.interrupt`); opening a store fails, with `INTERRUPTED`, the running executions whose process is gone.

A file that is not a usable store (corrupt, truncated, a folder) raises `StoreUnreadable`, whose message is the one
line every face prints: which file, and to move it aside. Nothing is written to such a file. Stores written by an
earlier version are migrated in place (`PRAGMA user_version` counts the schema changes).
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import msgpack

from emulator.interrupt import INTERRUPTED, Owner, is_alive, this_process

DB_NAME = "emulator.sqlite"
LOG_LIMIT = 4096  # the platform truncates log lines after 4096 characters
STATE_LIMIT = 67_108_864  # 64 MB: flow + cross-flow + integration state combined
STATE_LIMIT_ERROR = f"Unable to complete execution, persisted state exceeded maximum limit of {STATE_LIMIT} bytes."

StateLevel = Literal["instanceState", "crossFlowState", "integrationState"]
STATE_LEVELS: tuple[StateLevel, ...] = ("instanceState", "crossFlowState", "integrationState")
Status = Literal["running", "succeeded", "failed"]
SCHEMA_VERSION = 2  # 1: lineage and status detail columns; 2: the owner of each execution

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    level TEXT NOT NULL,           -- instanceState | crossFlowState | integrationState
    scope TEXT NOT NULL,           -- instance id (instance, cross-flow) or integration id (integration)
    flow TEXT NOT NULL DEFAULT '', -- flow stable key for instanceState, '' otherwise
    data TEXT NOT NULL,            -- the whole level, JSON
    updated_at TEXT NOT NULL,
    PRIMARY KEY (level, scope, flow)
);
CREATE TABLE IF NOT EXISTS executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    instance_id TEXT NOT NULL,
    flow_key TEXT NOT NULL,
    flow_name TEXT NOT NULL,
    invoke_type TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    error TEXT,
    request TEXT NOT NULL,         -- the original trigger request, JSON (see executor.TriggerRequest)
    result BLOB,                   -- msgpack of the flow's result (onExecution's return)
    response BLOB,                 -- msgpack of the HTTP response the trigger gave, if any
    execution_state TEXT,          -- executionState at the end, JSON
    replay_of TEXT,                -- id of the execution this one replays
    http_mode TEXT NOT NULL DEFAULT 'live',
    cassette TEXT
    -- parent_id, retry_of, status_detail: added by _COLUMNS (also to a store made before they existed)
);
CREATE INDEX IF NOT EXISTS executions_flow ON executions (flow_key, seq);
CREATE TABLE IF NOT EXISTS steps (
    execution_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,            -- onTrigger | onExecution
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    error TEXT,
    result BLOB,                   -- msgpack
    PRIMARY KEY (execution_id, position)
);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    severity TEXT NOT NULL,        -- debug | info | warn | error | metric | trace | log
    step TEXT,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_execution ON logs (execution_id, id);
"""


# Columns added after the first release: `Store` adds any that an existing emulator.sqlite lacks, in place.
_COLUMNS = {
    "executions": (
        ("parent_id", "TEXT"),  # the execution that invoked this one with `context.invokeFlow` (cross-flow)
        ("retry_of", "TEXT"),  # the original execution this one retries
        ("status_detail", "TEXT"),  # more about the status: `polled_no_changes`
        ("owner_pid", "INTEGER"),  # the process running this execution (see emulator.interrupt) ...
        ("owner_started", "TEXT"),  # ... and when it started, so a reused pid is not taken for it
    ),
}
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS executions_parent ON executions (parent_id)",
    "CREATE INDEX IF NOT EXISTS executions_retry ON executions (retry_of)",
    "CREATE INDEX IF NOT EXISTS executions_status ON executions (status)",
)
StatusDetail = Literal["polled_no_changes"]
# Every execution id is base64("InstanceExecutionResult:<uuid>") (the platform's shape): these 32 characters,
# then the part that tells executions apart.
ID_PREFIX = "SW5zdGFuY2VFeGVjdXRpb25SZXN1bHQ6"


def now_iso() -> str:
    """The current UTC time as the platform writes it (ISO 8601, milliseconds, `Z`)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def pack(value: Any) -> bytes:
    """Encode a step result with msgpack, as the platform stores it (bytes → bin, datetimes → timestamps)."""
    return pack_noted(value)[0]


def pack_noted(value: Any) -> tuple[bytes, str | None]:
    """`pack`, and why the value had to be stored another way, if it did.

    What msgpack cannot encode but Node produced anyway (a lone surrogate, nesting past msgpack's 512 levels, an
    integer past 64 bits) is kept as JSON text in a msgpack extension (`JSON_EXT`) that `unpack` reads back."""
    try:
        return msgpack.packb(value, use_bin_type=True, datetime=True), None
    except (ValueError, OverflowError, UnicodeEncodeError, TypeError) as error:
        text = json.dumps(value, default=_json_default)  # ASCII: lone surrogates travel escaped
        why = (
            "it holds a lone surrogate"
            if isinstance(error, UnicodeEncodeError)
            else "it is nested deeper than msgpack allows"
            if "recursion" in str(error)
            else f"msgpack cannot encode it ({error})"
        )
        return msgpack.packb(msgpack.ExtType(JSON_EXT, text.encode())), why


def _stored_as_json(step: str, why: str) -> str:
    return f"The {step} result is stored as JSON in a msgpack extension: {why}."


def unpack(blob: bytes | None) -> Any:
    """Decode a msgpack step result (`None` stays `None`)."""
    if blob is None:
        return None
    return msgpack.unpackb(blob, raw=False, timestamp=3, ext_hook=_ext)


JSON_EXT = 1  # msgpack extension type: JSON text of a value msgpack cannot encode (see `pack_noted`)
_TAG = "$cnikit$"


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {_TAG: "bytes", "base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return {_TAG: "date", "iso": value.isoformat()}
    return str(value)


def _json_object(raw: dict[str, Any]) -> Any:
    if raw.get(_TAG) == "bytes":
        return base64.b64decode(raw["base64"])
    if raw.get(_TAG) == "date":
        return datetime.fromisoformat(raw["iso"])
    return raw


def _ext(code: int, data: bytes) -> Any:
    if code == JSON_EXT:
        return json.loads(data, object_hook=_json_object)
    return msgpack.ExtType(code, data)


def state_json(key: StateKey, value: dict[str, Any]) -> str:
    """A state level as stored: strict JSON (NaN and Infinity are not JSON, and would break every later run)."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise StoreError(f"{key.level} must be strict JSON: NaN and Infinity are not JSON values") from None


def truncate_log(message: str) -> str:
    """A log message as the platform keeps it: at most 4096 characters, in UTF-8 (a lone surrogate, which a flow
    can log, becomes U+FFFD as in Node's output)."""
    message = message if len(message) <= LOG_LIMIT else message[:LOG_LIMIT]
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        return message.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return message


@dataclass(frozen=True)
class StateKey:
    """Where one persisted state level lives."""

    level: StateLevel
    scope: str
    flow: str = ""


@dataclass
class ExecutionRecord:
    """One execution as stored. `result` and `response` are decoded on read."""

    id: str
    seq: int
    instance_id: str
    flow_key: str
    flow_name: str
    invoke_type: str
    status: Status
    started_at: str
    ended_at: str | None
    error: str | None
    request: dict[str, Any]
    result: Any = None
    response: Any = None
    execution_state: dict[str, Any] | None = None
    replay_of: str | None = None
    http_mode: str = "live"
    cassette: str | None = None
    parent_id: str | None = None  # invoked by this execution (cross-flow)
    retry_of: str | None = None  # retries this execution
    status_detail: str | None = None  # e.g. `polled_no_changes`: the trigger found nothing new

    @property
    def short_id(self) -> str:
        """The id without the `InstanceExecutionResult:` part every id starts with: what people type."""
        return self.id.removeprefix(ID_PREFIX)

    @property
    def duration_ms(self) -> float | None:
        """Wall time from start to end, or None while running."""
        if self.ended_at is None:
            return None
        start = datetime.fromisoformat(self.started_at.replace("Z", "+00:00"))
        end = datetime.fromisoformat(self.ended_at.replace("Z", "+00:00"))
        return (end - start).total_seconds() * 1000


@dataclass
class StepRecord:
    """One step (`onTrigger` or `onExecution`) of an execution, its result decoded from msgpack."""

    execution_id: str
    position: int
    name: str
    started_at: str
    ended_at: str
    error: str | None
    result: Any


@dataclass
class LogRecord:
    """One log line of an execution."""

    id: int
    execution_id: str
    timestamp: str
    severity: str
    step: str | None
    message: str


@dataclass
class NewExecution:
    """What `Store.begin_execution` needs to record an execution that just started."""

    id: str
    instance_id: str
    flow_key: str
    flow_name: str
    invoke_type: str
    request: dict[str, Any]
    started_at: str = field(default_factory=now_iso)
    replay_of: str | None = None
    http_mode: str = "live"
    cassette: str | None = None
    parent_id: str | None = None
    retry_of: str | None = None


@dataclass
class StoreEvent:
    """Sent to subscribers: an execution started (`kind="started"`) or finished (`kind="finished"`)."""

    kind: Literal["started", "finished"]
    execution_id: str
    flow_key: str
    status: Status


class StoreError(Exception):
    """A request the store cannot answer (unknown execution, ambiguous id prefix, invalid state document)."""


def _private(path: Path) -> None:
    """The store holds requests and results: 0600 from its creation (SQLite gives its -wal and -shm files the
    database's mode), and a store an older cnikit left world-readable is tightened."""
    from cnikit.private_files import FILE_MODE, tighten

    with suppress(OSError):  # exists already, or cannot be made: SQLite then says what is wrong, as before
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with suppress(OSError):
            tighten(part)


def _shown(step: str, result: Any) -> Any:
    from cnikit.credentials import mask_request

    return mask_request(result) if step == "onTrigger" else result


class StoreUnreadable(StoreError):
    """The store file cannot be used (corrupt, truncated, not a file, from a newer cnikit); the message says what
    to do, in one line."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(
            f"{path} is not a usable cnikit store ({reason}): move it aside (with any {path.name}-wal and"
            f" {path.name}-shm next to it) and cnikit starts a new one; nothing was changed"
        )


# SQLite's own words for a file that is not (or no longer) a database; other errors (locked, full disk) are not.
_UNREADABLE = {"SQLITE_CORRUPT": "corrupt or truncated", "SQLITE_NOTADB": "not an SQLite database"}


def _truncated(path: Path) -> str | None:
    """How much of the file is missing, when its header promises more pages than it holds; else None.

    SQLite itself only notices a missing page when a query reads it, maybe long after opening. Checked only when no
    process has the store open (no `-wal` file): a checkpoint may write the header before the pages it adds.
    """
    try:
        with path.open("rb") as file:
            header = file.read(100)
            size = os.fstat(file.fileno()).st_size
    except OSError:
        return None  # SQLite says what is wrong when it opens it
    wal = path.with_name(path.name + "-wal")
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0") or wal.exists():
        return None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    pages_valid = header[24:28] == header[92:96]  # the page count is valid for the last change (file format docs)
    expected = pages * page_size
    if pages_valid and size < expected:
        return f"truncated: {size} of {expected} bytes"
    return None


class Store:
    """The SQLite store of one project. Use `Store.open(project_root)` or `Store(path_to_sqlite)`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._listeners: list[Callable[[StoreEvent], None]] = []
        if path.exists() and not path.is_file():
            raise StoreUnreadable(path, "it is a folder, not a file" if path.is_dir() else "it is not a regular file")
        if (short := _truncated(path)) is not None:
            raise StoreUnreadable(path, short)
        _private(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            with self._guard():
                self._db.execute("PRAGMA busy_timeout=5000")
                self._check_header()
                self._db.execute("PRAGMA journal_mode=WAL")
                # NORMAL is durable across application crashes in WAL mode; only a power cut may lose the last commit.
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._migrate()
                self._fail_orphans()
        except BaseException:
            self._db.close()
            raise
        self._data_version = self._version()

    def _check_header(self) -> None:
        # Read before writing anything: a file that is not a store (or is from a newer cnikit) stays untouched.
        self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreUnreadable(
                self.path, f"written by a newer cnikit: schema {version}, this one knows {SCHEMA_VERSION}"
            )

    def _migrate(self) -> None:
        """Create the tables, or bring a store written by an earlier version up to `SCHEMA_VERSION` in place: add
        the columns it lacks (nothing it holds changes). One transaction, so two processes never race on it."""
        if int(self._db.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
            return
        with self._tx() as db:
            for statement in _SCHEMA.split(";")[:-1]:  # one transaction: executescript would commit on its own
                db.execute(statement)
            for table, columns in _COLUMNS.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for name, kind in columns:
                    if name not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            for statement in _INDEXES:
                db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _fail_orphans(self) -> None:
        """Fail the running executions whose process is gone: nothing will ever finish them."""
        with self._guard():
            owners = self._db.execute(
                "SELECT DISTINCT owner_pid, owner_started FROM executions WHERE status='running'"
            ).fetchall()
        gone = [(pid, started) for pid, started in owners if pid is None or not is_alive(Owner(pid, started or ""))]
        if gone:
            self._interrupt(gone)

    def interrupt_running(self, error: str = INTERRUPTED) -> list[str]:
        """Fail this process's running executions with `error` (it is stopping); returns their ids.

        Their own end, if it still comes, is then ignored (see `finish_execution`)."""
        me = this_process()
        return self._interrupt([(me.pid, me.started)], error)

    def _interrupt(self, owners: list[tuple[int | None, str | None]], error: str = INTERRUPTED) -> list[str]:
        ended = now_iso()
        rows: list[tuple[str, str]] = []
        with self._tx() as db:
            for pid, started in owners:
                rows += db.execute(
                    "SELECT id, flow_key FROM executions"
                    " WHERE status='running' AND owner_pid IS ? AND owner_started IS ?",
                    (pid, started),
                ).fetchall()
            db.executemany(
                "INSERT INTO logs (execution_id, timestamp, severity, step, message) VALUES (?, ?, 'error', NULL, ?)",
                [(execution_id, ended, error) for execution_id, _ in rows],
            )
            db.executemany(
                "UPDATE executions SET status='failed', error=?, ended_at=? WHERE id=?",
                [(error, ended, execution_id) for execution_id, _ in rows],
            )
        for execution_id, flow_key in rows:
            self._emit(StoreEvent("finished", execution_id, flow_key, "failed"))
        return [execution_id for execution_id, _ in rows]

    @classmethod
    def open(cls, project_root: Path) -> Store:
        """Open (creating if needed) the store of the CNI project at `project_root`."""
        from cnikit.project import local_dir

        return cls(local_dir(project_root, create=True) / DB_NAME)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Hold the lock; SQLite's "this is no database" errors become `StoreUnreadable` (the one place they do)."""
        with self._lock:
            try:
                yield
            except sqlite3.DatabaseError as error:
                reason = _UNREADABLE.get(getattr(error, "sqlite_errorname", ""))
                if reason is None:
                    raise
                raise StoreUnreadable(self.path, reason) from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- watching -------------------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[StoreEvent], None]) -> Callable[[], None]:
        """Call `callback` on every execution start and finish written through this Store; returns unsubscribe."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _emit(self, event: StoreEvent) -> None:
        for listener in list(self._listeners):
            with suppress(Exception):  # a failing listener must never fail an execution
                listener(event)

    def _version(self) -> int:
        with self._guard():
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True when another connection (another process) committed since the previous call."""
        version = self._version()
        changed, self._data_version = version != self._data_version, version
        return changed

    # --- state ----------------------------------------------------------------------------------------------

    def get_state(self, key: StateKey) -> dict[str, Any]:
        """One state level (`{}` when never written)."""
        text = self.get_state_text(key)
        return json.loads(text) if text else {}

    def get_state_text(self, key: StateKey) -> str | None:
        """One state level's stored JSON text, or None when never written."""
        with self._guard():
            row = self._db.execute(
                "SELECT data FROM state WHERE level=? AND scope=? AND flow=?", (key.level, key.scope, key.flow)
            ).fetchone()
        return row[0] if row else None

    def set_state(self, key: StateKey, value: dict[str, Any]) -> None:
        """Replace one state level whole (an empty dict removes it)."""
        if not isinstance(value, dict):
            raise StoreError(f"{key.level} must be a JSON object, found {type(value).__name__}")
        with self._tx() as db:
            self._write_state(db, key, state_json(key, value))

    def list_state(self) -> list[tuple[StateKey, dict[str, Any]]]:
        """Every stored state level with its value, ordered by level, scope and flow."""
        with self._guard():
            rows = self._db.execute("SELECT level, scope, flow, data FROM state ORDER BY level, scope, flow").fetchall()
        return [(StateKey(level, scope, flow), json.loads(data)) for level, scope, flow, data in rows]

    def clear_state(self, level: StateLevel | None = None, flow: str | None = None) -> int:
        """Delete stored state (all of it, one level, and/or one flow's instanceState); returns levels removed."""
        clauses: list[str] = []
        params: list[str] = []
        if level:
            clauses.append("level=?")
            params.append(level)
        if flow is not None:
            clauses.append("flow=?")
            params.append(flow)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._tx() as db:
            return db.execute(f"DELETE FROM state{where}", params).rowcount

    def replace_all_state(self, entries: list[tuple[StateKey, dict[str, Any]]]) -> None:
        """Replace every stored state level by `entries`, atomically (used by `state import`)."""
        with self._tx() as db:
            db.execute("DELETE FROM state")
            for key, value in entries:
                self._write_state(db, key, state_json(key, value))

    @staticmethod
    def _write_state(db: sqlite3.Connection, key: StateKey, data: str) -> None:
        if data in ("{}", ""):
            db.execute("DELETE FROM state WHERE level=? AND scope=? AND flow=?", (key.level, key.scope, key.flow))
            return
        db.execute(
            "INSERT INTO state (level, scope, flow, data, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (level, scope, flow) DO UPDATE SET data=excluded.data, updated_at=excluded.updated_at",
            (key.level, key.scope, key.flow, data, now_iso()),
        )

    # --- executions -----------------------------------------------------------------------------------------

    def begin_execution(self, new: NewExecution) -> int:
        """Record an execution that has just started (status `running`); returns its short number."""
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO executions (id, instance_id, flow_key, flow_name, invoke_type, status, started_at,"
                " request, replay_of, http_mode, cassette, parent_id, retry_of, owner_pid, owner_started)"
                " VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.id,
                    new.instance_id,
                    new.flow_key,
                    new.flow_name,
                    new.invoke_type,
                    new.started_at,
                    json.dumps(new.request),
                    new.replay_of,
                    new.http_mode,
                    new.cassette,
                    new.parent_id,
                    new.retry_of,
                    this_process().pid,
                    this_process().started,
                ),
            )
        self._emit(StoreEvent("started", new.id, new.flow_key, "running"))
        return int(cursor.lastrowid or 0)

    def append_logs(self, execution_id: str, logs: list[tuple[str, str, str | None, str]]) -> None:
        """Add log lines `(timestamp, severity, step, message)` of a running execution, in one transaction."""
        with self._tx() as db:
            db.executemany(
                "INSERT INTO logs (execution_id, timestamp, severity, step, message) VALUES (?, ?, ?, ?, ?)",
                [(execution_id, ts, sev, step, truncate_log(msg)) for ts, sev, step, msg in logs],
            )

    def finish_execution(
        self,
        execution_id: str,
        *,
        status: Literal["succeeded", "failed"],
        error: str | None = None,
        result: Any = None,
        response: Any = None,
        execution_state: dict[str, Any] | None = None,
        steps: list[StepRecord] | None = None,
        logs: list[tuple[str, str, str | None, str]] | None = None,
        state: dict[StateKey, str] | None = None,
        ended_at: str | None = None,
        status_detail: StatusDetail | None = None,
    ) -> None:
        """Record an execution's outcome, its steps and logs — and, on success only, the changed state levels.

        `logs` are the lines not yet written with `append_logs`, `(timestamp, severity, step, message)`; `state`
        maps each changed level to its whole new JSON text. All of it is one transaction: a crash leaves either the
        old state or the new, never a mix. An execution that was interrupted meanwhile stays as it is.
        """
        flow_key = ""
        with self._tx() as db:
            row = db.execute("SELECT flow_key, status FROM executions WHERE id=?", (execution_id,)).fetchone()
            if row is None:
                raise StoreError(f"no execution {execution_id} to finish")
            if row[1] != "running":
                return  # interrupted meanwhile (`interrupt_running`): that outcome stands, state is not written
            flow_key = row[0]
            db.execute(
                "UPDATE executions SET status=?, ended_at=?, error=?, result=?, response=?, execution_state=?,"
                " status_detail=? WHERE id=?",
                (
                    status,
                    ended_at or now_iso(),
                    error,
                    pack(result),
                    None if response is None else pack(response),
                    None if execution_state is None else json.dumps(execution_state),
                    status_detail,
                    execution_id,
                ),
            )
            if steps:
                packed = [(step, *pack_noted(step.result)) for step in steps]
                db.executemany(
                    "INSERT OR REPLACE INTO steps (execution_id, position, name, started_at, ended_at, error, result)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (execution_id, s.position, s.name, s.started_at, s.ended_at, s.error, blob)
                        for s, blob, _ in packed
                    ],
                )
                # Say so when a result had to be stored as JSON: `--output` then writes a msgpack extension.
                logs = [
                    *(logs or []),
                    *((now_iso(), "warn", s.name, _stored_as_json(s.name, why)) for s, _, why in packed if why),
                ]
            if logs:
                db.executemany(
                    "INSERT INTO logs (execution_id, timestamp, severity, step, message) VALUES (?, ?, ?, ?, ?)",
                    [(execution_id, ts, sev, step, truncate_log(msg)) for ts, sev, step, msg in logs],
                )
            if state and status == "succeeded":
                for key, data in state.items():
                    self._write_state(db, key, data)
        self._emit(StoreEvent("finished", execution_id, flow_key, status))

    def list_executions(
        self, *, flow: str | None = None, status: Status | None = None, limit: int = 50, offset: int = 0
    ) -> list[ExecutionRecord]:
        """Executions newest first, optionally of one flow (stable key or name) and/or one status; paged."""
        clauses, params = [], []
        if flow:
            clauses.append("(flow_key=? OR flow_name=?)")
            params += [flow, flow]
        if status:
            clauses.append("status=?")
            params.append(status)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._guard():
            rows = self._db.execute(
                f"SELECT {_EXEC_COLUMNS} FROM executions{where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        return [_execution(row) for row in rows]

    def count_executions(self, *, flow: str | None = None, status: Status | None = None) -> int:
        """How many executions match the same filters as `list_executions`."""
        clauses, params = [], []
        if flow:
            clauses.append("(flow_key=? OR flow_name=?)")
            params += [flow, flow]
        if status:
            clauses.append("status=?")
            params.append(status)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._guard():
            return int(self._db.execute(f"SELECT COUNT(*) FROM executions{where}", params).fetchone()[0])

    def flows(self) -> list[tuple[str, str]]:
        """The flows that have executions, as (name, stable key), by name."""
        with self._guard():
            rows = self._db.execute("SELECT DISTINCT flow_name, flow_key FROM executions ORDER BY flow_name").fetchall()
        return [(row[0], row[1]) for row in rows]

    def get_execution(self, ref: str) -> ExecutionRecord:
        """An execution by its number (`12` or `#12`), full id, or a unique prefix of its id — the whole id, or the
        part after the `InstanceExecutionResult:` every id starts with (`short_id`); raises `StoreError`."""
        ref = ref.strip()
        with self._guard():
            if ref.removeprefix("#").isdigit():
                rows = self._db.execute(
                    f"SELECT {_EXEC_COLUMNS} FROM executions WHERE seq=?", (int(ref.removeprefix("#")),)
                ).fetchall()
            elif ref:
                # Prefixes compare exactly (LIKE would ignore case, and base64 ids differ by case alone).
                rows = self._db.execute(
                    f"SELECT {_EXEC_COLUMNS} FROM executions WHERE substr(id, 1, ?) = ? OR substr(id, 1, ?) = ?"
                    " ORDER BY seq DESC LIMIT 2",
                    (len(ref), ref, len(ID_PREFIX) + len(ref), ID_PREFIX + ref),
                ).fetchall()
            else:
                rows = []
        if not rows:
            raise StoreError(f"no execution {ref!r} (see `cnikit executions list`)")
        exact = [row for row in rows if row[1] == ref]
        if len(rows) > 1 and not exact:
            raise StoreError(f"execution id prefix {ref!r} is ambiguous; give more characters or the number")
        return _execution(exact[0] if exact else rows[0])

    # --- retention ------------------------------------------------------------------------------------------

    def prune(self, *, keep: int | None = None, older_than: str | None = None, flow: str | None = None) -> int:
        """Delete executions (with their steps and logs) beyond the newest `keep` and/or started before the ISO
        time `older_than`; running executions and state are never touched. Returns how many were deleted."""
        clauses: list[str] = ["status != 'running'"]
        params: list[int | str] = []
        if keep is not None:
            # The newest `keep` stay: everything up to the (keep+1)-th newest goes (an index walk, not a scan).
            clauses.append("seq <= COALESCE((SELECT seq FROM executions ORDER BY seq DESC LIMIT 1 OFFSET ?), 0)")
            params.append(max(keep, 0))
        if older_than is not None:
            clauses.append("started_at < ?")
            params.append(older_than)
        where = " AND ".join(clauses)
        with self._tx() as db:
            doomed = f"SELECT id FROM executions WHERE {where}"
            db.execute(f"DELETE FROM steps WHERE execution_id IN ({doomed})", params)
            db.execute(f"DELETE FROM logs WHERE execution_id IN ({doomed})", params)
            removed = db.execute(f"DELETE FROM executions WHERE {where}", params).rowcount
        return int(removed)

    def steps(self, execution_id: str) -> list[StepRecord]:
        """The steps of an execution in order, results decoded."""
        with self._guard():
            rows = self._db.execute(
                "SELECT execution_id, position, name, started_at, ended_at, error, result FROM steps"
                " WHERE execution_id=? ORDER BY position",
                (execution_id,),
            ).fetchall()
        # Trigger results are masked when written; steps an older cnikit stored are masked here, for every face.
        return [StepRecord(r[0], r[1], r[2], r[3], r[4], r[5], _shown(r[2], unpack(r[6]))) for r in rows]

    def step_output(self, execution_id: str, step: str) -> Any:
        """One step's decoded result (`onTrigger` or `onExecution`); raises `StoreError` when absent."""
        records = self.steps(execution_id)
        for record in records:
            if record.name == step:
                return record.result
        has = f"its steps: {', '.join(r.name for r in records)}" if records else "it has no stored steps"
        raise StoreError(f"execution {execution_id} has no step {step!r}; {has}")

    def step_blob(self, execution_id: str, step: str) -> bytes | None:
        """One step's result exactly as stored (msgpack bytes), like the platform's `resultsUrl` content."""
        with self._guard():
            row = self._db.execute(
                "SELECT result FROM steps WHERE execution_id=? AND name=?", (execution_id, step)
            ).fetchone()
        return row[0] if row else None

    def logs(self, execution_id: str, *, after_id: int = 0, severity: str | None = None) -> list[LogRecord]:
        """Logs of an execution in order; `after_id` pages forward (pass the last `LogRecord.id` seen)."""
        query = "SELECT id, execution_id, timestamp, severity, step, message FROM logs WHERE execution_id=? AND id>?"
        params: list[Any] = [execution_id, after_id]
        if severity:
            query += " AND severity=?"
            params.append(severity)
        with self._guard():
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [LogRecord(*row) for row in rows]

    def invoked_by(self, execution_id: str) -> list[ExecutionRecord]:
        """Executions that `execution_id` invoked (cross-flow), oldest first."""
        return self._linked("parent_id", execution_id, "seq")

    def retries_of(self, execution_id: str) -> list[ExecutionRecord]:
        """Executions that retry `execution_id`, oldest first."""
        return self._linked("retry_of", execution_id, "seq")

    def replays_of(self, execution_id: str) -> list[ExecutionRecord]:
        """Executions that replay `execution_id`, newest first."""
        return self._linked("replay_of", execution_id, "seq DESC")

    def _linked(
        self, link: Literal["parent_id", "retry_of", "replay_of"], execution_id: str, order: str
    ) -> list[ExecutionRecord]:
        # One query for every execution-to-execution link column; `link` and `order` are ours, never user input.
        with self._guard():
            rows = self._db.execute(
                f"SELECT {_EXEC_COLUMNS} FROM executions WHERE {link}=? ORDER BY {order}", (execution_id,)
            ).fetchall()
        return [_execution(row) for row in rows]


_EXEC_COLUMNS = (
    "seq, id, instance_id, flow_key, flow_name, invoke_type, status, started_at, ended_at, error, request, result,"
    " response, execution_state, replay_of, http_mode, cassette, parent_id, retry_of, status_detail"
)


def _execution(row: tuple[Any, ...]) -> ExecutionRecord:
    (seq, id_, instance_id, flow_key, flow_name, invoke_type, status, started, ended, error, request, result,
     response, execution_state, replay_of, http_mode, cassette, parent_id, retry_of, status_detail) = row  # fmt: skip
    return ExecutionRecord(
        id=id_,
        seq=seq,
        instance_id=instance_id,
        flow_key=flow_key,
        flow_name=flow_name,
        invoke_type=invoke_type,
        status=status,
        started_at=started,
        ended_at=ended,
        error=error,
        request=json.loads(request),
        result=unpack(result),
        response=unpack(response),
        execution_state=json.loads(execution_state) if execution_state else None,
        replay_of=replay_of,
        http_mode=http_mode,
        cassette=cassette,
        parent_id=parent_id,
        retry_of=retry_of,
        status_detail=status_detail,
    )
