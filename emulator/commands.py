"""The emulator's commands: `cnikit run`, `executions`, `replay`, `payload new`, `state`.

Heavy imports stay inside the command functions so `cnikit check` starts fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import typer

from cnikit.completion import flow_names, payload_names

if TYPE_CHECKING:
    from emulator.executor import ExecutionOutcome, ExecutionUpdate
    from emulator.session import Session
    from emulator.store import ExecutionRecord, Store
    from emulator.views import FlowView

T = TypeVar("T")

EXIT_FAILED = 1  # the flow ran and failed
EXIT_USAGE = 2  # the flow could not run: bad input, build error, unknown flow
SQLITE_MAX_INT = 2**63 - 1

PathArg = typer.Argument(None, help="The CNI project (a folder holding .spectral/, or any path inside it).")
FlowOption = typer.Option(..., "--flow", "-f", help="Flow name or stable key.", autocompletion=flow_names)
HttpMode = Literal["live", "record", "replay"]
BuildChoice = Literal["fast", "project"]
HttpOption = typer.Option("live", "--http", help="Outbound HTTP: live, record (to a cassette) or replay.")
BuildOption = typer.Option("fast", "--build", help="fast (esbuild) or project (the project's build script).")


def _root(path: Path | None) -> Path:
    from cnikit.project import find_project_root, not_found_message

    start = (path or Path.cwd()).resolve()
    root = find_project_root(start)
    if root is None:
        _fail(not_found_message(start))
    return root


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _session(
    root: Path, build_mode: str = "fast", max_memory: int = 1024, timeout: float = 60.0, build_timeout: float = 600.0
) -> Session:
    """The project's session, prepared; what stops it is printed as the session says it, and the command exits.

    The build prints its progress on stderr and stops after `build_timeout`; `timeout` bounds loading the bundle too.
    """
    from emulator.build import BuildLimits
    from emulator.runner import MAX_LOAD_SECONDS
    from emulator.session import Session

    # Node starts loading the last build's vendor layer now, while Python imports the emulator and builds.
    session = Session(
        root,
        build_mode="project" if build_mode == "project" else "fast",
        max_memory_mb=max_memory,
        warm_early=True,
        limits=BuildLimits(build_timeout, lambda line: typer.secho(line, fg=typer.colors.BRIGHT_BLACK, err=True)),
        load_timeout=min(timeout, MAX_LOAD_SECONDS),
    )
    result = _guarded(session.prepare, session)
    if result.rebuilt:
        typer.secho(f"built in {result.seconds * 1000:.0f} ms", fg=typer.colors.BRIGHT_BLACK, err=True)
    return session


def _guarded(call: Callable[[], T], session: Session | None = None) -> T:
    """`call()`, with a `SessionError` printed (and the session closed) before the command exits."""
    from emulator.session import SessionError

    try:
        return call()
    except SessionError as error:
        if session is not None:
            session.close()
        _fail(error.text)


def _write_file(file: Path, data: bytes, example: str) -> None:
    """Write `data` to `file` whole or not at all (a temporary file next to it, then renamed); bad targets fail."""
    if file.is_dir():
        _fail(f"{file} is a folder; give a file name, e.g. {file / example}")
    if file.exists() and not file.is_file():  # the rename would replace a device or a pipe by a plain file
        _fail(f"cannot write {file}: not a regular file")
    if not file.parent.is_dir():
        _fail(f"cannot write {file}: no such folder {file.parent}")
    tmp = file.with_name(file.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(file)
    except OSError as error:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        _fail(f"cannot write {file}: {error.strerror or error}")


def _readable(value: Any) -> Any:
    """For people: binary data as a `<binary, N bytes>` note instead of base64."""
    if isinstance(value, bytes | bytearray):
        return f"<binary, {len(value)} bytes>"
    if isinstance(value, dict):
        return {k: _readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable(v) for v in value]
    return value


def _show_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(_readable(value), indent=2, default=str)


_COLORS = {"error": typer.colors.RED, "warn": typer.colors.YELLOW, "debug": typer.colors.GREEN}


def _print_log(severity: str, step: str | None, message: str, timestamp: str) -> None:
    time = timestamp[11:23] if len(timestamp) >= 23 else timestamp
    tag = f" [{step}]" if step else ""
    typer.secho(f"{time} {severity.upper():<6}{tag} {message}", fg=_COLORS.get(severity))


def _print_outcome(outcome: ExecutionOutcome) -> None:
    for step in outcome.steps:
        typer.secho(f"── {step.name}", bold=True)
        if step.error is not None:
            typer.echo(f"error: {step.error}")
        elif step.name == "onTrigger" and isinstance(step.result, dict):
            # The whole trigger payload is long (URLs, customer, …): people want its headers and body.
            brief = {"headers": step.result.get("headers"), "body": (step.result.get("body") or {}).get("data")}
            typer.echo(_show_value(brief))
        else:
            typer.echo(_show_value(step.result))
    response = outcome.http_response()
    typer.secho("── response", bold=True)
    typer.echo(f"{response.get('statusCode', 200)} {response.get('contentType', '')}".rstrip())
    typer.echo(_show_value(response.get("body")))
    number = f"#{outcome.seq} {_clock(outcome.started_at)}"  # what `executions show` and `replay` take, and when
    if outcome.succeeded:
        note = f"; state written: {', '.join(outcome.state_changed)}" if outcome.state_changed else ""
        typer.secho(f"✔ {outcome.flow.name} succeeded · {number}{note}", fg=typer.colors.GREEN)
    else:
        where = f" in {outcome.error_step}" if outcome.error_step else ""
        typer.secho(f"✘ {outcome.flow.name} failed{where}: {outcome.error}", fg=typer.colors.RED)
        typer.secho(f"  execution {number}; state unchanged", fg=typer.colors.RED)


def _clock(timestamp: str) -> str:
    """`2026-12-04T16:27:18.123Z` → `2026-12-04 16:27:18` (UTC, as stored)."""
    return timestamp[:19].replace("T", " ")


def _live_logs(as_json: bool) -> Any:
    def listener(update: ExecutionUpdate) -> None:
        if update.kind == "log" and update.log is not None and not as_json:
            line = update.log
            _print_log(line.severity, line.step, line.message, line.timestamp)

    return listener


def _finish(session: Session, outcome: ExecutionOutcome, as_json: bool) -> None:
    if as_json:
        # A synchronous run knows the response its caller got; the store keeps the trigger's.
        detail = session.detail(outcome.execution_id, response=outcome.http_response())
        typer.echo(json.dumps(detail.to_json(), indent=2))
    else:
        _print_outcome(outcome)
    raise typer.Exit(0 if outcome.succeeded else EXIT_FAILED)


MIN_MEMORY_MB = 64  # below this Node cannot load spectral and a flow at all


def _check_limits(timeout: float, max_memory: int = MIN_MEMORY_MB) -> None:
    """Refuse limits no execution can run under, before building or running anything."""
    if not timeout >= 1:  # `not >=` also refuses NaN
        _fail(f"--timeout must be at least 1 second, found {timeout:g}")
    if max_memory < MIN_MEMORY_MB:
        _fail(f"--max-memory must be at least {MIN_MEMORY_MB} MB, found {max_memory}")


def run(
    path: Path | None = PathArg,
    flow: str = FlowOption,
    payload: str | None = typer.Option(
        None,
        "--payload",
        "-p",
        help="Payload file ({headers, data, contentType}), its name, a raw body file, or -.",
        autocompletion=payload_names,
    ),
    content_type: str | None = typer.Option(None, "--content-type", "-c", help="Content type of a raw body."),
    sync: bool = typer.Option(False, "--sync", help="Invoke synchronously: show the response a caller would get."),
    debug: bool = typer.Option(False, "--debug", help="Turn on debug mode (globalDebug, per-step memory and time)."),
    http: HttpMode = HttpOption,
    cassette: str | None = typer.Option(None, "--cassette", help="Cassette name (default: the flow's stable key)."),
    timeout: float = typer.Option(900.0, "--timeout", help="Stop the execution after this many seconds."),
    max_memory: int = typer.Option(1024, "--max-memory", help="Memory cap of the Node worker, in MB."),
    build_mode: BuildChoice = BuildOption,
    build_timeout: float = typer.Option(600.0, "--build-timeout", help="Stop the project's build script after this."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as one JSON document."),
) -> None:
    """Run a flow offline, the way the platform runs it; logs stream live, then step outputs and the result."""
    from emulator.interrupt import handle_signals

    handle_signals()  # closing the terminal or `kill` ends the execution like Ctrl-C does

    _check_limits(timeout, max_memory)
    if not build_timeout >= 1:  # `not >=` also refuses NaN
        _fail(f"--build-timeout must be at least 1 second, found {build_timeout:g}")
    root = _root(path)
    with _session(root, build_mode, max_memory, timeout, build_timeout) as session:
        outcome = _guarded(
            lambda: session.run(
                flow,
                payload,
                content_type=content_type,
                debug=debug,
                stdin=sys.stdin.buffer,
                sync=True if sync else None,
                http=http,
                cassette=cassette,
                timeout=timeout,
                on_update=_live_logs(as_json),
            )
        )
        _finish(session, outcome, as_json)


def replay(
    execution: str = typer.Argument(..., help="Execution number, id, or a unique id prefix."),
    path: Path | None = PathArg,
    timeout: float = typer.Option(900.0, "--timeout", help="Stop the execution after this many seconds."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as one JSON document."),
) -> None:
    """Run a stored execution again with the same request (and cassette); the new execution links to it."""
    from emulator.interrupt import handle_signals

    handle_signals()  # closing the terminal or `kill` ends the execution like Ctrl-C does
    _check_limits(timeout)
    with _session(_root(path), timeout=timeout) as session:
        outcome = _guarded(lambda: session.replay(execution, timeout=timeout, on_update=_live_logs(as_json)))
        _finish(session, outcome, as_json)


executions_app = typer.Typer(help="Executions recorded by the local emulator.", no_args_is_help=True)


def _store(root: Path) -> Store:
    from emulator.store import Store, StoreError

    try:
        return Store.open(root)
    except StoreError as error:  # the store is unusable: its one line says what to do
        _fail(str(error))


def _duration(record: ExecutionRecord) -> str:
    ms = record.duration_ms
    if ms is None:
        return "running…"
    return f"{ms:.0f}ms" if ms < 1000 else f"{ms / 1000:.1f}s"


@executions_app.command("list")
def executions_list(
    path: Path | None = PathArg,
    flow: str | None = typer.Option(
        None, "--flow", "-f", help="Only this flow (name or stable key).", autocompletion=flow_names
    ),
    status: str | None = typer.Option(None, "--status", help="Only running, succeeded or failed executions."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many to show."),
    offset: int = typer.Option(0, "--offset", help="Skip this many newest ones first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List executions, newest first."""
    if status not in (None, "running", "succeeded", "failed"):
        _fail(f"--status must be running, succeeded or failed, found {status!r}")
    if limit < 1:
        _fail(f"--limit must be at least 1, found {limit}")
    if offset < 0:
        _fail(f"--offset must be 0 or more, found {offset}")
    if max(limit, offset) > SQLITE_MAX_INT:  # the store's integers are 64-bit
        _fail(f"--limit and --offset must be at most {SQLITE_MAX_INT}")
    with _store(_root(path)) as store:
        records = store.list_executions(flow=flow, status=status, limit=limit, offset=offset)  # type: ignore[arg-type]
        total = store.count_executions() if not records else 0
        flows = store.flows() if not records else []
    if as_json:
        from emulator.views import execution_view

        with _store(_root(path)) as store:
            views = [execution_view(store, record).to_json() for record in records]
        typer.echo(json.dumps(views, indent=2))
        return
    if not records:
        typer.echo(_nothing_listed(total, flows, flow, status, offset))
        return
    typer.echo(_table(records))


def _table(records: list[ExecutionRecord]) -> str:
    """`executions list` as people read it: a header row, then one aligned row per execution (errors below it)."""
    header = ("#", "STARTED (UTC)", "STATUS", "TIME", "INVOKE", "FLOW", "ID")
    rows = [
        (
            f"#{r.seq}",
            _clock(r.started_at),
            {"succeeded": "✔ ok", "failed": "✘ failed"}.get(r.status, "… running"),
            _duration(r),
            _INVOKE.get(r.invoke_type, r.invoke_type.lower()),
            r.flow_name,
            r.short_id[:10] + (f" (replay of {_short(r.replay_of)})" if r.replay_of else ""),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    right = {0, 3}  # numbers and durations align right

    def line(cells: tuple[str, ...]) -> str:
        padded = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=False))
        ]
        return "  ".join([*padded, cells[-1]]).rstrip()

    out = [line(header)]
    for record, row in zip(records, rows, strict=True):
        out.append(line(row))
        if record.error:
            out.append(" " * (widths[0] + 2) + record.error.splitlines()[0])
    return "\n".join(out)


# The platform's invoke types, as a word (the store keeps the platform's constant).
_INVOKE = {
    "INTEGRATION_FLOW_TEST": "test",
    "WEBHOOK": "webhook",
    "SCHEDULED": "schedule",
    "CROSS_FLOW": "cross-flow",
    "DEPLOY_FLOW": "deploy",
    "TEAR_DOWN_FLOW": "tear-down",
    "INTEGRATION_ENDPOINT_TEST": "endpoint test",
}


def _short(execution_id: str) -> str:
    from emulator.store import ID_PREFIX

    return execution_id.removeprefix(ID_PREFIX)[:10]


def _nothing_listed(total: int, flows: list[tuple[str, str]], flow: str | None, status: str | None, offset: int) -> str:
    """Why `executions list` shows nothing: an empty store, an unknown flow, or filters that matched nothing."""
    if total == 0:
        return "no executions yet: run a flow with `cnikit run --flow NAME`"
    if flow and all(flow not in pair for pair in flows):
        listed = ", ".join(f"{name!r} ({key})" for name, key in flows)
        return f"no executions of a flow {flow!r}; the flows with executions: {listed}"
    filters = " ".join(f"{option} {value}" for option, value in (("--flow", flow), ("--status", status)) if value)
    skipped = f" after skipping {offset} (--offset)" if offset else ""
    matched = f"{filters} matched no executions" if filters else "no executions"
    return f"{matched}{skipped}; {total} execution{'s' if total != 1 else ''} in all"


StepOutputOption = typer.Option(None, "--output", "-o", help="With --step: write its msgpack result to this file.")


@executions_app.command("show")
def executions_show(
    execution: str = typer.Argument(..., help="Execution number, id, or a unique id prefix."),
    path: Path | None = PathArg,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    step: str | None = typer.Option(None, "--step", help="Print only this step's output (onTrigger, onExecution)."),
    output: Path | None = StepOutputOption,
) -> None:
    """Show one execution: request, step outputs, logs, result."""
    from emulator.store import StoreError
    from emulator.views import execution_detail, jsonable

    with _store(_root(path)) as store:
        try:
            record = store.get_execution(execution)
            if step is not None:
                blob = store.step_blob(record.id, step)
                value = store.step_output(record.id, step)
        except StoreError as error:
            _fail(str(error))
        steps = store.steps(record.id)
        logs = store.logs(record.id)
        detail = execution_detail(store, record)
    if step is not None:
        if output is not None:  # the stored bytes, like the platform's resultsUrl (`prism executions:step-result:get`)
            _write_file(output, blob or b"", f"{step}.msgpack")
            typer.echo(f"wrote {len(blob or b'')} bytes (msgpack) to {output}")
        else:
            typer.echo(json.dumps(jsonable(value), indent=2) if as_json else _show_value(value))
        return
    if as_json:
        typer.echo(json.dumps(detail.to_json(), indent=2))
        return
    typer.secho(f"execution #{record.seq} · {_clock(record.started_at)} · {record.id}", bold=True)
    typer.echo(
        f"flow {record.flow_name} ({record.flow_key}) · {record.invoke_type} · {record.status} · {_duration(record)}"
    )
    if record.replay_of:
        typer.echo(f"replay of {record.replay_of}")
    if record.parent_id:
        typer.echo(f"invoked by {record.parent_id}")
    if record.retry_of:
        typer.echo(f"retry of {record.retry_of}")
    if record.status_detail == "polled_no_changes":
        typer.echo("the polling trigger found no changes: onExecution did not run")
    if record.error:
        typer.secho(f"error: {record.error}", fg=typer.colors.RED)
    typer.secho("── logs", bold=True)
    for line in logs:
        _print_log(line.severity, line.step, line.message, line.timestamp)
    for stored in steps:
        typer.secho(f"── {stored.name}", bold=True)
        typer.echo(_show_value(stored.result) if stored.error is None else f"error: {stored.error}")


@executions_app.command("prune")
def executions_prune(
    path: Path | None = PathArg,
    keep: int | None = typer.Option(None, "--keep", help="Keep only the newest N executions."),
    older_than: str | None = typer.Option(
        None, "--older-than", metavar="AGE", help="Delete executions started longer ago than this: 7d, 12h, 30m."
    ),
) -> None:
    """Delete old executions with their steps and logs (running ones and all state stay); the store also keeps only
    the newest `retention` (10,000 unless .spectral/cnikit.yml says otherwise) by itself."""
    from emulator.views import iso

    if keep is None and older_than is None:
        _fail("say what to delete: --keep N and/or --older-than AGE (e.g. 7d)")
    if keep is not None and not 0 <= keep <= SQLITE_MAX_INT:  # the store's integers are 64-bit
        _fail(f"--keep must be between 0 and {SQLITE_MAX_INT}, found {keep}")
    before = iso(_ago(older_than)) if older_than is not None else None
    with _store(_root(path)) as store:
        removed = store.prune(keep=keep, older_than=before)
        left = store.count_executions()
    typer.echo(f"deleted {removed} execution{'s' if removed != 1 else ''}; {left} left")


_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _ago(age: str) -> Any:
    """The moment `age` (`7d`, `12h`, `30m`, `90s`) before now."""
    from datetime import UTC, datetime, timedelta

    number, unit = age.strip()[:-1], age.strip()[-1:].lower()
    if unit not in _UNITS or not number.isdigit():
        _fail(f"--older-than takes a number and a unit (d, h, m or s), e.g. 7d; found {age!r}")
    return datetime.now(UTC) - timedelta(seconds=int(number) * _UNITS[unit])


def flows(
    path: Path | None = PathArg,
    url: str | None = typer.Option(
        None, "--url", help="Where `cnikit serve` would run (default $CNIKIT_SERVE_URL or http://127.0.0.1:8787)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the flows as JSON (FlowView documents)."),
) -> None:
    """List the project's flows: name, stable key, trigger, schedule, endpoint URL and payload files.

    When a `cnikit serve` of this project answers at --url, its flows (with their endpoint URLs and next schedule
    ticks) are shown; otherwise the project is built (as `run` does) and the endpoint fields stay empty."""
    root = _root(path)
    views = _served_flows(root, url)
    if views is None:
        with _session(root) as session:
            views = _guarded(session.flows)
    if as_json:
        typer.echo(json.dumps([view.to_json() for view in views], indent=2))
        return
    for view in views:
        typer.secho(view.name, bold=True)
        trigger = view.trigger or "webhook"
        if view.synchronous:
            trigger += ", synchronous"
        typer.echo(f"  stable key  {view.stable_key or '-'}")
        typer.echo(f"  trigger     {trigger}")
        if view.schedule is not None:
            typer.echo(f"  schedule    {view.schedule.cron} ({view.schedule.time_zone})")
        elif view.has_schedule:
            typer.echo("  schedule    yes (its time is known while `cnikit serve` runs)")
        typer.echo(f"  endpoint    {view.url or '-  (start `cnikit serve` for one)'}")
        names = ", ".join(Path(file).stem for file in view.payloads)
        typer.echo(f"  payloads    {names or '-  (`cnikit payload new` makes one)'}")


def _served_flows(root: Path, url: str | None) -> list[FlowView] | None:
    """The flows of a `cnikit serve` of this project at `url` (its endpoint fields filled), or None when no server
    of this project answers there."""
    import os

    import httpx

    from emulator.serve.commands import DEFAULT_URL
    from emulator.views import FlowView

    base = (url or os.environ.get("CNIKIT_SERVE_URL") or DEFAULT_URL).rstrip("/")
    try:
        health = httpx.get(f"{base}/__cnikit/health", timeout=2).json()
        if not isinstance(health, dict) or health.get("project") != str(root):
            return None
        listed = httpx.get(f"{base}/__cnikit/flows", timeout=10).json()
        return [FlowView.model_validate(doc) for doc in listed]
    except (httpx.HTTPError, ValueError, TypeError):  # nothing there, or not a cnikit serve: build instead
        return None


payload_app = typer.Typer(help="Flow test payload files (.spectral/flows/<stableKey>/payloads/).", no_args_is_help=True)


@payload_app.command("new")
def payload_new(
    flow: str = typer.Argument(..., help="Flow name or stable key.", autocompletion=flow_names),
    name: str = typer.Argument(..., help="Payload name (letters, numbers, hyphens, underscores)."),
    path: Path | None = PathArg,
    force: bool = typer.Option(False, "--force", help="Overwrite an existing payload file."),
) -> None:
    """Create a payload file with the official default content, for `cnikit run --payload NAME`."""
    from cnikit.payloads import create_payload

    root = _root(path)
    with _session(root) as session:
        chosen = _guarded(lambda: session.find_flow(flow))
    try:
        created = create_payload(root, chosen.stable_key or chosen.key, name, overwrite=force)
    except (ValueError, FileExistsError) as error:
        _fail(f"{error}{' (use --force to overwrite)' if isinstance(error, FileExistsError) else ''}")
    typer.echo(str(created.relative_to(root)))


state_app = typer.Typer(
    help="Persisted state of the local instance (flow, cross-flow, integration).", no_args_is_help=True
)
SnapshotArg = typer.Argument(..., help="The state snapshot file (JSON, as written by `state export`).")


def _level(name: str) -> str:
    from emulator.session import state_level

    return _guarded(lambda: state_level(name))


@state_app.command("show")
def state_show(
    path: Path | None = PathArg,
    level: str | None = typer.Option(None, "--level", help="flow, cross-flow or integration."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the stored state levels."""
    with _store(_root(path)) as store:
        entries = store.list_state()
    wanted = _level(level) if level else None
    rows = [(key, value) for key, value in entries if wanted is None or key.level == wanted]
    if as_json:
        typer.echo(
            json.dumps([{"level": k.level, "scope": k.scope, "flow": k.flow, "value": v} for k, v in rows], indent=2)
        )
        return
    if not rows:
        typer.echo("no state stored")
    for key, value in rows:
        owner = f" flow {key.flow}" if key.flow else ""
        typer.secho(f"── {key.level}{owner}", bold=True)
        typer.echo(json.dumps(value, indent=2))


@state_app.command("set")
def state_set(
    level: str = typer.Argument(..., help="flow, cross-flow or integration."),
    key: str = typer.Argument(..., help="The key to set."),
    value: str = typer.Argument(..., help="A JSON value (null deletes the key)."),
    path: Path | None = PathArg,
    flow: str | None = typer.Option(None, "--flow", "-f", help="The flow, for flow state.", autocompletion=flow_names),
) -> None:
    """Set (or, with null, delete) one key of a state level."""
    _level(level)  # a bad level is reported before anything is built
    try:
        parsed = json.loads(value)
    except ValueError as error:
        _fail(f"the value must be JSON (strings in quotes: '\"text\"'): {error}")
    with _session(_root(path)) as session:
        current = _guarded(lambda: session.set_state(level, key, parsed, flow=flow))
    typer.echo(json.dumps(current, indent=2))


@state_app.command("clear")
def state_clear(
    path: Path | None = PathArg,
    level: str | None = typer.Option(None, "--level", help="Only this level: flow, cross-flow or integration."),
    flow: str | None = typer.Option(
        None, "--flow", "-f", help="Only this flow's state (stable key).", autocompletion=flow_names
    ),
) -> None:
    """Delete stored state (all of it unless narrowed)."""
    with _store(_root(path)) as store:
        removed = store.clear_state(_level(level) if level else None, flow)  # type: ignore[arg-type]
    typer.echo(f"removed {removed} state level{'s' if removed != 1 else ''}")


@state_app.command("export")
def state_export(file: Path = SnapshotArg, path: Path | None = PathArg) -> None:
    """Write every stored state level to a JSON snapshot (written to a temporary file, then renamed)."""
    from emulator.session import Session

    with Session(_root(path)) as session:
        snapshot = session.export_state()
    _write_file(file, (json.dumps(snapshot, indent=2) + "\n").encode(), "state.json")
    count = len(snapshot["levels"])
    typer.echo(f"exported {count} state level{'s' if count != 1 else ''} to {file}")


@state_app.command("import")
def state_import(file: Path = SnapshotArg, path: Path | None = PathArg) -> None:
    """Replace all stored state by a snapshot; the snapshot is validated first, nothing changes if it is invalid."""
    from emulator.session import Session

    if file.exists() and not file.is_file():  # a folder, a device or a pipe: nothing to read whole
        _fail(f"cannot read {file}: not a regular file")
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        _fail(f"cannot read {file}: {error.strerror}")
    except ValueError as error:
        _fail(f"{file}: not valid JSON ({error}); nothing was changed")
    root = _root(path)
    with Session(root) as session:
        count = _guarded(lambda: session.import_state(raw, where=str(file)))
    typer.echo(f"imported {count} state level{'s' if count != 1 else ''} from {file}")


def register(app: typer.Typer) -> None:
    """Add this face's commands to `app`."""
    from emulator.doctor import doctor_command

    app.command("run")(run)
    app.command("replay")(replay)
    app.command("flows")(flows)
    app.add_typer(executions_app, name="executions")
    app.add_typer(payload_app, name="payload")
    app.add_typer(state_app, name="state")
    app.command("doctor")(doctor_command)
