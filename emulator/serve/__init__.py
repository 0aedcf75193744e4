"""`cnikit serve`: the local Prismatic runtime of one project (webhooks, schedules, queues, retries, hot reload).

    app.py        Server: the HTTP app (webhook routes and the `/__cnikit/…` admin API), start/stop, url_table
    commands.py   the `serve`, `clock` and `instance` commands
    runtime.py    Runtime: runs jobs on the executor, keeps the event feed; queue.py, clock.py, schedule.py under it
    webhook.py    endpoints.py, capture.py: incoming requests → jobs; lifecycle.py: instance deploy/remove
    watch.py      hot reload

`from emulator.serve import Server, DEFAULT_PORT` is the public entry. It is resolved lazily so that registering
the commands (`emulator.serve.commands`) does not import Starlette: `cnikit check` must start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.serve.app import DEFAULT_PORT, Server, url_table

__all__ = ["DEFAULT_PORT", "Server", "url_table"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from emulator.serve import app

        return getattr(app, name)
    raise AttributeError(f"module 'emulator.serve' has no attribute {name!r}")
