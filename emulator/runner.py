"""Warm Node workers that run flows: the Python side of `emulator/node/runner.js` (which loads bundles with
`cnikit/node/loader.js`).

A `Worker` is one Node process speaking line-delimited JSON over stdio: requests `{id, op, ...}` go to its stdin;
events (`log`, `http`, `step`) and one final `result` per request come back on its stdout. Binary values travel
tagged (`{"$cnikit$": "bytes", "base64": …}`), and so do the numbers JSON cannot write (`{"$cnikit$": "number",
"value": "Infinity"}`: `1e999` in a body is `Infinity` to the flow); `decode`/`encode` convert them. A line sent to
Node never holds what `JSON.parse` rejects (no `NaN`/`Infinity` literals).

A `WorkerPool` keeps a few workers (default one per project) with the bundle loaded, so an execution costs a round
trip, not a Node start. Faults are contained: a request that outlives its timeout, a worker over its memory cap
(`--max-old-space-size`), or one that is killed fails that request with a clear error (`WorkerFault`); the worker
is discarded and the next request gets a fresh one.

Threads: each worker has a reader thread; `on_event` callbacks run on it. `Worker.request` blocks its caller, so
async code (the language server, the TUI) calls it through `asyncio.to_thread`.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import math
import os
import select
import shutil
import subprocess
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cnikit.node import node_environment  # light on purpose: a worker starts before the emulator is imported

RUNNER_JS = Path(__file__).parent / "node" / "runner.js"
TAG = "$cnikit$"
DEFAULT_MEMORY_MB = 1024  # the platform's runner memory
MEMORY_ERROR = "Execution has exceeded the maximum allowed memory"
# The wire's codec walks values recursively: a few frames per level of a 5,000-deep body, more than Node's
# default ~1 MB stack holds. 4 MB stays well inside the main thread's 8 MB (Linux's default `ulimit -s`).
STACK_SIZE = "--stack-size=4000"
MAX_LOAD_SECONDS = 60.0  # loading takes well under a second; `--timeout` lowers this limit, never raises it

EventHandler = Callable[[dict[str, Any]], None]


def encode(value: Any) -> Any:
    """A Python value for the wire: `bytes` become tagged base64, datetimes tagged ISO strings, non-finite floats
    tagged numbers."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {TAG: "bytes", "base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return {TAG: "date", "iso": value.isoformat().replace("+00:00", "Z")}
    if isinstance(value, float) and not math.isfinite(value):
        return {TAG: "number", "value": str(value).replace("inf", "Infinity").replace("nan", "NaN")}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """A value from the wire: tagged binaries become `bytes`, tagged dates aware `datetime`s."""
    if isinstance(value, dict):
        tag = value.get(TAG)
        if tag == "bytes":
            return base64.b64decode(value["base64"])
        if tag == "date":
            return datetime.fromisoformat(value["iso"].replace("Z", "+00:00"))
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def _line(message: dict[str, Any]) -> str:
    # allow_nan=False: a NaN or Infinity that escaped `encode` fails here, loudly, instead of hanging the execution
    # on a line Node cannot parse.
    return json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n"


class RunnerError(Exception):
    """The Node side answered a request with an error (an exception thrown by the flow, spectral or the runner)."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.message = str(error.get("message") or "unknown error")
        self.stack = str(error.get("stack") or "")
        self.step: str | None = error.get("step")
        super().__init__(self.message)


class WorkerFault(Exception):
    """The worker could not finish the request: it timed out, ran out of memory, or died."""

    def __init__(self, kind: Literal["timeout", "memory", "crash", "start"], message: str, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(message)


def node_binary() -> str:
    """The `node` executable; raises `WorkerFault` with what to do when Node is not installed."""
    node = shutil.which("node")
    if node is None:
        raise WorkerFault("start", "Node.js was not found on PATH; install Node 20 or newer to run flows")
    return node


_LIVE: weakref.WeakSet[Worker] = weakref.WeakSet()  # every worker of this process, for `kill_all_workers`


def kill_all_workers() -> None:
    """Kill every worker of this process now, busy ones too (the process is stopping: nothing waits for them)."""
    for worker in list(_LIVE):
        worker.kill()


def worker_environment() -> dict[str, str]:
    """A worker's environment: `node_environment()`, and `NODE_PATH` pointing at the runner's packages
    (`@mswjs/interceptors`) when they live in `emulator.node_setup`'s cache (an installed cnikit) rather than next to
    runner.js (a checkout). The first call of an installed cnikit installs them (`NodeSetupError` if it cannot)."""
    from emulator.node_setup import NODE_DIR, node_modules_dir

    env = node_environment()
    folder = node_modules_dir()
    if folder != NODE_DIR:
        env["NODE_PATH"] = os.pathsep.join(filter(None, [str(folder / "node_modules"), env.get("NODE_PATH")]))
    return env


class Worker:
    """One warm Node process running runner.js. One request at a time (the pool lends a worker to one caller)."""

    def __init__(self, cwd: Path, *, max_memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.max_memory_mb = max_memory_mb
        self.bundle: Path | None = None
        self.load_info: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._buffer = b""
        self._stderr: deque[str] = deque(maxlen=200)
        self._closed = False
        self.process = subprocess.Popen(
            [
                node_binary(),
                f"--max-old-space-size={max_memory_mb}",
                STACK_SIZE,
                "--enable-source-maps",
                str(RUNNER_JS),
            ],
            cwd=cwd,
            env=worker_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        _LIVE.add(self)
        assert self.process.stdout is not None
        self._stdout = self.process.stdout.fileno()
        self._stderr_thread = threading.Thread(
            target=self._read_stderr, name=f"cnikit-worker-{self.pid}-e", daemon=True
        )
        self._stderr_thread.start()

    @property
    def pid(self) -> int:
        """The Node process id."""
        return self.process.pid

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return not self._closed and self.process.poll() is None

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self._stderr.append(raw.decode("utf-8", "replace").rstrip())

    def stderr_tail(self) -> str:
        """The last lines Node wrote to stderr (what it said before dying)."""
        return "\n".join(self._stderr)

    def _readline(self, deadline: _Deadline) -> bytes | None:
        """The next stdout line; b"" at end of file; None when the deadline passed first.

        Read in the calling thread (no reader thread): a warm execution is a few milliseconds, and handing lines
        between threads costs GIL switches of that order on a busy machine.
        """
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._stdout], [], [], deadline.remaining())
            if not ready:
                return None
            chunk = os.read(self._stdout, 1 << 16)
            if not chunk:
                return b""
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def request(
        self, op: str, body: dict[str, Any] | None = None, *, on_event: EventHandler | None = None, timeout: float
    ) -> Any:
        """Send one request and wait for its result; events go to `on_event` as they arrive.

        Returns the result value. Raises `RunnerError` when Node answered with an error, `WorkerFault` when the
        worker timed out (it is killed), ran out of memory or died.
        """
        if self._closed:
            raise WorkerFault("crash", "the worker has stopped")
        request_id = next(self._ids)
        line = _line({"id": request_id, "op": op, **(body or {})})
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(line.encode())
        except (BrokenPipeError, OSError):
            raise self._death() from None
        deadline = _Deadline(timeout)
        while True:
            raw = self._readline(deadline)
            if raw is None:
                self.kill()
                raise WorkerFault(
                    "timeout",
                    f"Execution exceeded the maximum allowed duration of {_seconds(timeout)} and was stopped.",
                )
            if raw == b"":
                self._closed = True
                raise self._death()
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if message.get("id") != request_id:
                continue  # the answer to a fire-and-forget request (`send`)
            if message.get("type") == "result":
                if message.get("ok"):
                    return message.get("value")
                raise RunnerError(message.get("error") or {})
            if on_event is not None:
                on_event(message)

    def _death(self) -> WorkerFault:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr_thread.join(timeout=2)  # let it drain the last lines Node printed
        tail = self.stderr_tail()
        if "heap out of memory" in tail or "Reached heap limit" in tail:
            return WorkerFault("memory", f"{MEMORY_ERROR} ({self.max_memory_mb} MB).", tail)
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        return WorkerFault("crash", f"The Node worker running the execution {how}; it has been replaced.", tail)

    def send(self, op: str, body: dict[str, Any] | None = None) -> None:
        """Send a request without waiting for (or keeping) its result; later requests queue behind it."""
        line = _line({"id": next(self._ids), "op": op, **(body or {})})
        with contextlib.suppress(BrokenPipeError, OSError):
            assert self.process.stdin is not None
            self.process.stdin.write(line.encode())

    def load(self, bundle: Path, *, timeout: float = MAX_LOAD_SECONDS) -> dict[str, Any]:
        """Load a built bundle (once per worker); returns what it exports (YAML, actions, triggers, connections)."""
        try:
            info = self.request("load", {"bundle": str(bundle)}, timeout=timeout)
        except WorkerFault as fault:
            if fault.kind != "timeout":
                raise
            limit = f"{_seconds(timeout)} (--timeout, at most {MAX_LOAD_SECONDS:g} s)"
            raise WorkerFault(
                "timeout", f"Loading the bundle exceeded its limit of {limit}: top-level code never returned."
            ) from None
        self.bundle, self.load_info = bundle, info
        return dict(info)

    def kill(self) -> None:
        """Stop the process now (SIGKILL); the worker is no longer usable."""
        self._closed = True
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    def close(self) -> None:
        """Stop the process politely (end of stdin), then for sure."""
        with contextlib.suppress(Exception):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())


def _seconds(value: float) -> str:
    if value >= 60 and value % 60 == 0:
        minutes = int(value // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{value:g} second{'s' if value != 1 else ''}"


def start_worker(vendor: Path, *, max_memory_mb: int = DEFAULT_MEMORY_MB) -> Worker | None:
    """Start a worker now and have it evaluate the vendor layer of the last build, without waiting.

    A CLI command calls this first thing, so Node loads spectral while Python imports and builds; the worker then
    goes to the `WorkerPool` (`prespawned`). None when there is no vendor layer yet (first build) or no Node.
    """
    if not vendor.is_file():
        return None
    try:
        worker = Worker(vendor.parent, max_memory_mb=max_memory_mb)
    except (OSError, WorkerFault):
        return None
    worker.send("preload", {"path": str(vendor)})
    return worker


class WorkerPool:
    """A few warm workers with one bundle loaded. `with pool.worker() as w:` lends one for one request."""

    def __init__(
        self,
        bundle: Path,
        *,
        cwd: Path | None = None,
        size: int = 1,
        max_memory_mb: int = DEFAULT_MEMORY_MB,
        prespawned: Worker | None = None,
        load_timeout: float | None = None,
    ) -> None:
        self.bundle = bundle
        self.load_timeout = load_timeout or MAX_LOAD_SECONDS
        self.cwd = cwd or bundle.parent
        self.size = max(1, size)
        self.max_memory_mb = max_memory_mb
        self._idle: list[Worker] = []
        self._count = 0
        self._cond = threading.Condition()
        self.load_info: dict[str, Any] = {}
        self.replaced = 0  # workers discarded after a fault
        self._closed = False  # a closed pool (swapped out by a reload) stops each worker as it comes back
        self._prespawned = prespawned

    def _spawn(self) -> Worker:
        worker, self._prespawned = self._prespawned, None
        if worker is None or not worker.alive or worker.max_memory_mb != self.max_memory_mb:
            if worker is not None:
                worker.close()
            worker = Worker(self.cwd, max_memory_mb=self.max_memory_mb)
        try:
            self.load_info = worker.load(self.bundle, timeout=self.load_timeout)
        except BaseException:
            worker.close()
            raise
        return worker

    def warm(self) -> dict[str, Any]:
        """Start one worker now (loading the bundle) and return what the bundle exports."""
        with self.worker():
            pass
        return self.load_info

    @contextlib.contextmanager
    def worker(self) -> Iterator[Worker]:
        """Borrow a loaded worker; a worker that died or faulted is discarded, not returned to the pool."""
        with self._cond:
            while not self._idle and self._count >= self.size:
                self._cond.wait()
            worker = self._idle.pop() if self._idle else None
            if worker is None:
                self._count += 1
        if worker is None:
            try:
                worker = self._spawn()
            except BaseException:
                with self._cond:
                    self._count -= 1
                    self._cond.notify()
                raise
        try:
            yield worker
        finally:
            with self._cond:
                if worker.alive and not self._closed:
                    self._idle.append(worker)
                else:
                    self._count -= 1
                    self.replaced += 0 if worker.alive else 1
                    worker.close()
                self._cond.notify()

    def workers(self) -> list[Worker]:
        """The idle workers (for tests and diagnostics)."""
        with self._cond:
            return list(self._idle)

    def close(self) -> None:
        """Stop every idle worker."""
        if self._prespawned is not None:
            self._prespawned.close()
            self._prespawned = None
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for worker in idle:
            worker.close()
