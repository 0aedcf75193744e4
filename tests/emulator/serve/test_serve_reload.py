"""Hot reload: edit a source file while the server runs; wait for the reload event (no sleeps)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from emulator.triggers.runtime import RuntimeEvent

from .conftest import Served


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
