"""Executions are never left "running": signals end them like Ctrl-C, and every execution names its owner.

* `handle_signals()` makes SIGTERM and SIGHUP (closing the terminal) raise `Interrupted`, a `KeyboardInterrupt`,
  in the main thread: whatever records a Ctrl-C (the executor marks its execution failed) records these too.
* `this_process()` and `is_alive(owner)` name a process by its pid *and* its start time, so a pid the system has
  since given to another process is not mistaken for the owner. The store writes the owner of every execution it
  starts and, when opened, fails the running executions whose owner is gone (SIGKILL, a crash, a power cut).
* `stop_executions(store, interrupt)`: a server that stops fails its running executions and kills their workers
  instead of waiting for them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.store import Store


class Interrupted(KeyboardInterrupt):
    """A signal asked the process to stop; handled wherever Ctrl-C is. Its text is the execution's error."""


SIGNALS = ("SIGTERM", "SIGHUP")
INTERRUPTED = "The execution was interrupted"  # the error of an execution whose process ended before it did


def handle_signals() -> None:
    """In the main thread: SIGTERM and SIGHUP raise `Interrupted` (a `KeyboardInterrupt`), like Ctrl-C does."""

    def interrupt(number: int, frame: FrameType | None) -> None:
        name = signal.Signals(number).name
        raise Interrupted(f"{INTERRUPTED} ({name})")

    for name in SIGNALS:
        if hasattr(signal, name):  # Windows has no SIGHUP
            signal.signal(getattr(signal, name), interrupt)


@dataclass(frozen=True)
class Owner:
    """A process: its id and when it started (opaque text, compared for equality only)."""

    pid: int
    started: str


@cache
def this_process() -> Owner:
    """This process as an `Owner`."""
    return Owner(os.getpid(), _started(os.getpid()) or "")


def is_alive(owner: Owner) -> bool:
    """Whether the process `owner` names still runs (same pid, same start time; a zombie counts as gone)."""
    if owner == this_process():
        return True
    started = _started(owner.pid)
    return started is not None and (not owner.started or started == owner.started)


def _started(pid: int) -> str | None:
    """When process `pid` started, or None when there is no such (live) process."""
    stat = Path(f"/proc/{pid}/stat")
    if sys.platform.startswith("linux"):
        try:
            # Fields after the command name (which may hold spaces and parentheses): state is the 1st, the start
            # time (clock ticks since boot) the 20th.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return None if fields[0] in ("Z", "X") else fields[19]
    try:  # macOS and other Unixes: ps knows the start time
        out = subprocess.run(["ps", "-o", "lstart=,stat=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    line = out.stdout.strip()
    if out.returncode != 0 or not line or line.split()[-1].startswith("Z"):
        return None
    return " ".join(line.split()[:-1])


def stop_executions(store: Store, interrupt: KeyboardInterrupt) -> list[str]:
    """This process is stopping (`interrupt`: Ctrl-C or a signal): fail its running executions as interrupted, then
    kill the Node workers running them so nothing waits for them. Returns the ids of the executions interrupted."""
    from emulator.runner import kill_all_workers

    interrupted = store.interrupt_running(str(interrupt) or INTERRUPTED)
    kill_all_workers()
    return interrupted
