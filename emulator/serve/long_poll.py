"""Long polls on the event loop: a waiting HTTP client costs a coroutine, never a thread of the shared pool.

`GET /__cnikit/events?timeout=` and `GET /__cnikit/executions/<id>?wait=` hold a request open until something
happens. Waiting on a pool thread (`asyncio.to_thread`) let a handful of such requests take every thread that
synchronous webhooks need; here the coroutine sleeps until a subscription wakes it (or a short recheck, for state
that changes without an event), then asks `check` again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
Subscribe = Callable[[Callable[[Any], None]], Callable[[], None]]
RECHECK = 0.05  # seconds: also notice changes no subscription announces (a job's bookkeeping after its event)


async def wait_until(check: Callable[[], T], timeout: float, *, wake_on: Iterable[Subscribe] = ()) -> T:
    """`check()` once it is truthy, or its last value after `timeout` seconds; `check` must not block."""
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def wake(_event: Any) -> None:  # called on whichever thread published
        with contextlib.suppress(RuntimeError):  # the loop is closing: nobody is waiting any more
            loop.call_soon_threadsafe(changed.set)

    unsubscribes = [subscribe(wake) for subscribe in wake_on]
    try:
        deadline = loop.time() + timeout
        while True:
            changed.clear()
            result = check()
            remaining = deadline - loop.time()
            if result or remaining <= 0:
                return result
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, RECHECK))
    finally:
        for unsubscribe in unsubscribes:
            unsubscribe()
