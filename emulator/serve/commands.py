"""`cnikit serve`, `cnikit clock advance|set|show` and `cnikit instance deploy|remove`.

`serve` runs in the foreground; `clock` and `instance` talk to a running server through its admin API
(`--url`, default `http://127.0.0.1:8787`, or `CNIKIT_SERVE_URL`). Heavy imports stay inside the functions.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import typer

# One home for the emulator's exit codes, project argument and error line: its other commands module.
from emulator.commands import EXIT_FAILED, BuildChoice, PathArg, _fail

DEFAULT_URL = "http://127.0.0.1:8787"
BuildOption = typer.Option("fast", "--build", help="fast (esbuild) or project (the project's npm run build).")

clock_app = typer.Typer(help="Move the running server's clock: schedules and retries fire on it.", no_args_is_help=True)
instance_app = typer.Typer(help="Deploy or remove the local instance on the running server.", no_args_is_help=True)

UrlOption = typer.Option(
    None, "--url", help=f"The running `cnikit serve` (default $CNIKIT_SERVE_URL or {DEFAULT_URL})."
)


def serve(
    path: Path | None = PathArg,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (keep 127.0.0.1 unless you must)."),
    port: int = typer.Option(8787, "--port", min=0, max=65535, help="Port to listen on; 0 picks a free one."),
    capture: bool = typer.Option(False, "--capture", help="Save each incoming request as a payload file of its flow."),
    watch: bool = typer.Option(True, "--watch/--no-watch", help="Rebuild and reload when a source file changes."),
    frozen_clock: bool = typer.Option(
        False, "--frozen-clock", help="Schedules fire only when the clock is moved (`cnikit clock advance`)."
    ),
    workers: int = typer.Option(4, "--workers", min=1, max=32, help="Warm Node workers (executions at once)."),
    throttle: bool = typer.Option(
        False, "--throttle", help="Refuse more than 50 requests/second per endpoint with 429, like the platform."
    ),
    build_mode: BuildChoice = BuildOption,
) -> None:
    """Serve the project like the platform: webhooks, schedules, queues, retries, hot reload."""
    from emulator.build import BuildFailed
    from emulator.commands import _root
    from emulator.executor import ExecutionUpdate
    from emulator.instance import InstanceError
    from emulator.interrupt import handle_signals, stop_executions
    from emulator.runner import RunnerError, WorkerFault
    from emulator.serve.app import Server, url_table
    from emulator.serve.clock import Clock
    from emulator.serve.runtime import RuntimeEvent
    from emulator.store import StoreError

    handle_signals()  # SIGTERM and SIGHUP stop the server like Ctrl-C
    root = _root(path)

    def on_event(event: RuntimeEvent) -> None:
        if event.kind == "log":
            color = {"error": typer.colors.RED, "warn": typer.colors.YELLOW}.get(str(event.data.get("severity")))
            typer.secho(f"{event.at} {event.data.get('message')}", fg=color, err=True)
        elif event.kind == "tick" and event.data.get("state") == "skipped":
            return  # the dispatcher already logged why
        elif event.kind == "capture":
            typer.echo(f"{event.at} captured {event.data.get('path')}", err=True)

    def on_update(update: ExecutionUpdate) -> None:
        if update.kind == "finished" and update.outcome is not None:
            outcome = update.outcome
            color = typer.colors.GREEN if outcome.succeeded else typer.colors.RED
            # The number is what `cnikit executions show` and `replay` take.
            line = f"{outcome.ended_at} #{outcome.seq} {outcome.flow.name}: {outcome.status}"
            typer.secho(line + (f" — {outcome.error}" if outcome.error else ""), fg=color, err=True)

    try:
        server = Server(
            root,
            host=host,
            port=port,
            capture=capture,
            clock=Clock(frozen=frozen_clock),
            workers=workers,
            build_mode=build_mode,
            watch=watch,
            rate_limit=50 if throttle else None,
            on_event=on_event,
            on_update=on_update,
        )
    except StoreError as error:  # the store is unusable: its one line says what to do
        _fail(str(error))
    try:
        server.start()
    except BuildFailed as error:
        lines = "\n".join(f"  {problem}" for problem in error.problems)
        _fail(f"the project does not build:\n{lines}")
    except RunnerError as error:
        _fail(f"the built bundle does not load: {error.message}")
    except (WorkerFault, InstanceError) as error:
        _fail(str(error))
    except OSError as error:
        _fail(_listen_error(host, port, error))
    typer.echo(url_table(server))
    if watch:
        typer.echo("watching src/ and package.json for changes; Ctrl-C stops", err=True)
    stopped = threading.Event()
    try:
        stopped.wait()
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP: running executions fail, not waited for
        typer.echo("stopping…", err=True)
        stop_executions(server.runtime.executor.store, interrupt)
    finally:
        server.stop()


def _listen_error(host: str, port: int, error: OSError) -> str:
    """Why `serve` cannot listen, blaming the option that is wrong: the host (unknown, not ours) or the port."""
    import errno
    import socket

    reason = error.strerror or str(error)
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {host}: {reason}; --host must be an address of this machine"
            " (the default 127.0.0.1, or 0.0.0.0 for every interface)"
        )
    return f"cannot listen on {host}:{port}: {reason}; pick another --port (0 for any free one)"


def _admin(url: str | None, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    from emulator.serve.admin_client import AdminError, admin_request

    base = (url or os.environ.get("CNIKIT_SERVE_URL") or DEFAULT_URL).rstrip("/")
    try:
        response = admin_request(base, method, path, body)
    except AdminError as error:
        _fail(str(error))
    try:
        data = response.json()
    except ValueError:
        _fail(f"{base} answered {response.status_code} without JSON: is it a cnikit serve?")
    if response.status_code >= 400:
        _fail(str(data.get("error") if isinstance(data, dict) else data))
    return data if isinstance(data, dict) else {"value": data}


def clock_advance(
    duration: str = typer.Argument(..., help="How far: 90m, 1h30m, 2d, 45s."),
    url: str | None = UrlOption,
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Move the server's clock forward; every schedule tick and retry that becomes due fires, in order."""
    from emulator.serve.clock import parse_duration

    try:
        parse_duration(duration)
    except ValueError as error:
        _fail(str(error))
    _print_clock(_admin(url, "POST", "clock", {"advance": duration}), as_json)


def clock_set(
    when: str = typer.Argument(..., help="An ISO time with a zone, e.g. 2027-01-15T15:00:00Z (forward only)."),
    url: str | None = UrlOption,
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Move the server's clock forward to a time (a time before the server's now is refused)."""
    from emulator.serve.clock import parse_time

    try:
        parse_time(when)
    except ValueError as error:
        _fail(str(error))
    _print_clock(_admin(url, "POST", "clock", {"set": when}), as_json)


def clock_show(url: str | None = UrlOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show the server's time, next ticks and pending retries."""
    _print_clock(_admin(url, "GET", "clock"), as_json)


def _print_clock(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"now {data['now']}{' (frozen)' if data.get('frozen') else ''}")
    for tick in data.get("fired", []):
        typer.echo(
            f"  fired {tick['flow']} for {tick['scheduledFor']}: {tick['state']} {tick.get('executionId') or ''}"
        )
    for flow, when in (data.get("next") or {}).items():
        typer.echo(f"  next {flow}: {when}")
    for pending in data.get("pending", []):
        typer.echo(f"  pending {pending['what']} at {pending['at']}")


def _lifecycle(action: str, url: str | None, as_json: bool) -> None:
    data = _admin(url, "POST", f"instance/{action}")
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        for hook in data.get("hooks", []):
            status = f"failed: {hook['error']}" if hook.get("error") else "ok"
            typer.echo(f"{hook['flow']} {hook['event']}: {status}")
        for execution in data.get("executions", []):
            typer.echo(f"started execution {execution}")
        typer.echo(f"instance {action}ed" if action == "deploy" else "instance removed")
    if not data.get("ok", True):
        raise typer.Exit(EXIT_FAILED)


def instance_deploy(url: str | None = UrlOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """Deploy: run onInstanceDeploy / webhook create handlers, then the Instance Deploy flows."""
    _lifecycle("deploy", url, as_json)


def instance_remove(url: str | None = UrlOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """Remove: run onInstanceDelete / webhook delete handlers and the Instance Remove flows; drop instance state."""
    _lifecycle("remove", url, as_json)


def register(app: typer.Typer) -> None:
    """Add `serve`, `clock` and `instance` to `app`."""
    app.command("serve")(serve)
    clock_app.command("advance")(clock_advance)
    clock_app.command("set")(clock_set)
    clock_app.command("show")(clock_show)
    instance_app.command("deploy")(instance_deploy)
    instance_app.command("remove")(instance_remove)
    app.add_typer(clock_app, name="clock")
    app.add_typer(instance_app, name="instance")
