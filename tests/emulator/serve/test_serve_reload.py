"""Hot reload: edit a source file while the server runs; wait for the reload event (no sleeps)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from emulator.serve.runtime import RuntimeEvent

from .conftest import Gate, Served


class Reloads:
    """Collects `reload` events; `next()` waits for the next one."""

    def __init__(self, served: Served) -> None:
        self._events: list[RuntimeEvent] = []
        self._cond = threading.Condition()
        served.server.runtime.subscribe(self._on_event)

    def _on_event(self, event: RuntimeEvent) -> None:
        if event.kind == "reload":
            with self._cond:
                self._events.append(event)
                self._cond.notify_all()

    def next(self, seen: int, timeout: float = 30) -> RuntimeEvent:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self._events) > seen, timeout), "no reload event"
            return self._events[seen]


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_saving_a_source_file_serves_the_new_code(serve: Callable[..., Served]) -> None:
    served = serve("serve-reload", watch=True)
    reloads = Reloads(served)
    url = served.flows["Greet"]
    assert served.client.post(url, json={}).text == "hello, version 1"
    write(served.root / "src" / "greeting.ts", 'export const GREETING = "hello, version 2";\n')
    event = reloads.next(0)
    assert event.data["ok"] and event.data["rebuilt"] and event.data["changed"] == ["greeting.ts"]
    assert event.data["seconds"] < 10
    assert served.client.post(url, json={}).text == "hello, version 2"
    assert any("reloaded in" in e.data.get("message", "") for e in served.events if e.kind == "log")
    # Another process (the language server, the TUI) follows the same events through the admin API's long poll.
    polled = served.admin("GET", "events", params={"after": 0, "timeout": 5})["events"]
    assert [e["ok"] for e in polled if e["kind"] == "reload"] == [True]
    after = polled[-1]["seq"]
    write(served.root / "src" / "greeting.ts", 'export const GREETING = "hello, version 3";\n')
    following = served.admin("GET", "events", params={"after": after, "timeout": 30})["events"]
    assert following and all(e["seq"] > after for e in following)


def test_a_broken_build_keeps_the_old_code_serving(serve: Callable[..., Served]) -> None:
    served = serve("serve-reload", watch=True)
    reloads = Reloads(served)
    url = served.flows["Greet"]
    write(served.root / "src" / "greeting.ts", 'export const GREETING = "oops;\n')
    failed = reloads.next(0)
    assert not failed.data["ok"] and failed.data["error"] == "the project does not build"
    assert any("greeting.ts" in problem for problem in failed.data["problems"])
    assert served.client.post(url, json={}).text == "hello, version 1"
    health = served.admin("GET", "health")
    assert health["lastReload"]["ok"] is False
    write(served.root / "src" / "greeting.ts", 'export const GREETING = "fixed";\n')
    assert reloads.next(1).data["ok"]
    assert served.client.post(url, json={}).text == "fixed"


def test_a_bundle_that_throws_on_load_keeps_the_old_workers(serve: Callable[..., Served]) -> None:
    served = serve("serve-reload", watch=True)
    reloads = Reloads(served)
    greeting = served.root / "src" / "greeting.ts"
    write(greeting, 'export const GREETING: string = (() => { throw new Error("no greeting configured"); })();\n')
    failed = reloads.next(0)
    assert not failed.data["ok"] and "does not load" in failed.data["error"]
    assert "no greeting configured" in failed.data["error"]
    for _ in range(6):  # more calls than warm workers: new workers load the previous bundle too
        assert served.client.post(served.flows["Greet"], json={}).text == "hello, version 1"


def test_executions_in_flight_finish_on_the_old_workers(serve: Callable[..., Served]) -> None:
    served = serve("serve-reload", watch=True)
    reloads = Reloads(served)
    gate = Gate()
    answers: list[httpx.Response] = []
    try:
        call = threading.Thread(
            target=lambda: answers.append(served.client.post(served.flows["Hold"], json={"release": gate.url}))
        )
        call.start()
        assert gate.arrived.wait(30), "the execution did not start"
        write(served.root / "src" / "greeting.ts", 'export const GREETING = "hello, version 2";\n')
        assert reloads.next(0).data["ok"]
        assert served.client.post(served.flows["Greet"], json={}).text == "hello, version 2"  # new code serves
        gate.go.set()
        call.join(30)
    finally:
        gate.close()
    held = answers[0].json()
    assert held["greeting"] == "hello, version 1"  # the execution in flight finished on the old code
    with pytest.raises(ProcessLookupError):
        os.kill(held["pid"], 0)  # and its worker, swapped out, stopped once it was done
