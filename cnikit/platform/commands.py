"""The platform commands: login, logout, me, token, tenants, url, import, test, open, wizard, results.

Thin over `cnikit.platform.client.PrismaticClient`; heavy imports stay inside the functions so `cnikit` starts fast.
Every failure is one line on stderr (`Error: …`) and exit status 1 (2 for a bad argument, as for every command).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from cnikit.completion import flow_names, payload_names

if TYPE_CHECKING:
    from cnikit.payloads import Payload
    from cnikit.platform.client import PrismaticClient
    from cnikit.platform.models import Execution, LogLine, StepOutput, Tenant

T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Add this face's commands to `app`."""
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("me")(me)
    app.command("token")(token)
    app.command("tenants")(tenants)
    app.command("url")(url)
    app.command("import")(import_)
    app.command("test")(test)
    app.command("open")(open_)
    app.command("wizard")(wizard)
    app.command("results")(results)


# --- plumbing ------------------------------------------------------------------------------------------------


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def _guarded(fn: Callable[..., T]) -> Callable[..., T]:
    """Turn the errors users can act on into one line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        from cnikit.payloads import PayloadError
        from cnikit.platform.errors import PlatformError
        from cnikit.secrets import SecretStoreError
        from cnikit.settings import SettingsError

        try:
            return fn(*args, **kwargs)
        except (PlatformError, SettingsError, SecretStoreError, PayloadError) as exc:
            raise _fail(str(exc)) from None
        except KeyboardInterrupt:
            raise _fail("Cancelled.") from None

    return wrapper


def _project(path: Path | None) -> Path | None:
    """The project at or above `path` (else the current folder); a `--project` that holds none is a usage error."""
    from cnikit.project import find_project_root, not_found_message

    root = find_project_root(path or Path.cwd())
    if root is None and path is not None:
        raise _fail(not_found_message(path), code=2)
    return root


def _run(project: Path | None, work: Callable[[PrismaticClient], Coroutine[Any, Any, T]]) -> T:
    import asyncio

    from cnikit.platform.client import PrismaticClient

    async def main() -> T:
        async with PrismaticClient.from_settings(project) as client:
            return await work(client)

    return asyncio.run(main())


def _integration_id(project: Path | None, given: str | None) -> str:
    from cnikit.platform.cloudtest import read_integration_id

    if given:
        return given
    if project is None:
        raise _fail("No CNI project here (no .spectral folder at or above this folder); pass --integration-id.")
    found = read_integration_id(project)
    if not found:
        path = project / ".spectral" / "prism.json"
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as bad:
            # A broken file must not read as "never imported": `cnikit import` would replace what is in it.
            raise _fail(
                f'{path} is not readable JSON ({bad}); expected {{"integrationId": "..."}} as `cnikit import` '
                "writes it. Fix the file, or remove it and run `cnikit import`."
            ) from None
        raise _fail(f"No integration ID in {path}. Run `cnikit import` first.")
    return found


def _open(url: str, no_browser: bool) -> None:
    if not no_browser:
        import webbrowser

        try:
            if webbrowser.open(url):
                return
        except webbrowser.Error:
            pass
    typer.echo(url)


# The project is the positional path or `--project` (no short form: `-p` means `--payload` everywhere).
PathArgument = Annotated[
    Path | None,
    typer.Argument(help="The CNI project (default: the one at or above this folder).", show_default=False),
]
ProjectOption = Annotated[Path | None, typer.Option("--project", help="The CNI project, as the path argument.")]
FlowOption = Annotated[
    str | None, typer.Option("--flow", "-f", help="Flow stable key, name or id.", autocompletion=flow_names)
]
IntegrationOption = Annotated[
    str | None, typer.Option("--integration-id", "-i", help="Default: integrationId of .spectral/prism.json.")
]
NoBrowser = Annotated[bool, typer.Option("--no-browser", help="Print the URL instead of opening a browser.")]


# --- identity ------------------------------------------------------------------------------------------------


def _choose_tenant(tenants_: Sequence[Tenant], current: str | None) -> Tenant | None:
    if not sys.stdin.isatty():
        return None  # non-interactive: stay on the current tenant
    typer.echo("Prismatic Tenant Selection:")
    for n, t in enumerate(tenants_, 1):
        mark = "✓" if t.tenantId == current else " "
        typer.echo(f"  {n}. {mark} {t.orgName or t.tenantId}  {t.url or ''} ({t.awsRegion or '?'})")
    choice = typer.prompt(
        "Tenant number", default=str(next((n for n, t in enumerate(tenants_, 1) if t.tenantId == current), 1))
    )
    try:
        return tenants_[int(choice) - 1]
    except (ValueError, IndexError):
        typer.echo(f"No tenant number {choice}; staying on the current tenant.", err=True)
        return None


@_guarded
def login(
    stack: Annotated[str | None, typer.Option("--url", help="Log in to this stack (and keep it as your URL).")] = None,
    no_browser: NoBrowser = False,
) -> None:
    """Log in to Prismatic in the browser (PKCE); tokens go to the OS keyring."""
    if stack:
        _save_url(stack)

    def show(url_: str) -> None:
        if no_browser:
            typer.echo("Open this URL in a browser to log in:")
            typer.echo(url_)
        else:
            _open(url_, False)
        typer.echo("Waiting for the browser login to finish (up to 2 minutes)…", err=True)

    async def work(client: PrismaticClient) -> None:
        user = await client.login(show, choose_tenant=_choose_tenant)
        typer.echo(
            f"Login complete! {user.name or user.email} — {user.organization or 'no organization'} ({client.url})"
        )

    _run(_project(None), work)


@_guarded
def logout(
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Also revoke the refresh token at Prismatic (prism me:token:revoke).")
    ] = False,
) -> None:
    """Forget this stack's tokens (keyring)."""

    async def work(client: PrismaticClient) -> None:
        if revoke:
            await client.revoke()
            typer.echo("Refresh token revoked.")
        had = await client.logout() or revoke
        typer.echo("Successfully logged out." if had else f"Not logged in to {client.url}.")
        if os.environ.get("PRISM_ACCESS_TOKEN") or os.environ.get("PRISM_REFRESH_TOKEN"):
            typer.echo("PRISM_ACCESS_TOKEN/PRISM_REFRESH_TOKEN are still set and keep you logged in.", err=True)
        elif client.session.source == "prism":
            typer.echo(
                f"The prism CLI's profile '{client.session.profile}' ({client.settings.prism_config_path()}) still "
                "logs you in here; run `prism logout` to log out there too.",
                err=True,
            )

    _run(_project(None), work)


@_guarded
def me() -> None:
    """Show the logged-in user."""
    from cnikit.platform.local import LOCAL_LABEL

    async def work(client: PrismaticClient) -> None:
        user = await client.me()
        source = {
            "environment": "Environment",
            "local": "Local token (.spectral/local/token)",
            "keyring": "Keyring",
            "prism": "prism CLI profile",
        }
        where = f" ({LOCAL_LABEL})" if client.session.source == "local" else ""
        typer.echo(f"Name: {user.name or ''}")
        typer.echo(f"Email: {user.email or ''}")
        typer.echo(f"Organization: {user.organization}")
        typer.echo(f"Tenant ID: {user.tenantId or ''}")
        typer.echo(f"Endpoint URL: {client.url}{where}")
        typer.echo(f"Authentication: {source.get(client.session.source or '', 'none')}")
        typer.echo(f"Profile: {client.session.profile}")

    _run(_project(None), work)


@_guarded
def token(
    refresh: Annotated[bool, typer.Option("--refresh", help="Refresh the access token first.")] = False,
) -> None:
    """Print a valid access token (for scripts: `export PRISM_ACCESS_TOKEN=$(cnikit token)`)."""

    async def work(client: PrismaticClient) -> None:
        typer.echo(await client.access_token(refresh=refresh))

    _run(_project(None), work)


@_guarded
def tenants(
    action: Annotated[str | None, typer.Argument(help="`switch` to change tenant.", show_default=False)] = None,
    tenant_id: Annotated[str | None, typer.Argument(help="The tenant to switch to.", show_default=False)] = None,
) -> None:
    """List your tenants on this stack, or `switch` to another one."""
    if action not in (None, "switch"):
        raise _fail(f"Unknown action {action!r}: expected `cnikit tenants` or `cnikit tenants switch [TENANT_ID]`.")

    async def work(client: PrismaticClient) -> None:
        known = await client.tenants()
        current = client.session.tenant_id
        if action is None:
            if not known:
                typer.echo("No tenants are available to this login.")
            for t in known:
                mark = "✓" if t.tenantId == current else " "
                typer.echo(f"{mark} {t.tenantId}  {t.orgName or ''}  {t.url or ''} ({t.awsRegion or '?'})")
            return
        if len(known) <= 1 and tenant_id in (None, current):  # a tenant id that is not yours is an error below
            typer.echo("Only one tenant available to your account.")
            return
        target = tenant_id
        if target is None:
            picked = _choose_tenant(known, current)
            if picked is None:
                return
            target = picked.tenantId
        if target == current:
            typer.echo("Already on selected tenant.")
            return
        user = await client.switch_tenant(target)
        typer.echo(f"Switched to {user.organization or target}")

    _run(_project(None), work)


def _save_url(value: str) -> str:
    from urllib.parse import urlsplit

    from cnikit.platform.auth import clear_discovery_cache
    from cnikit.settings import save_user_setting

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(f"{value!r} is not a valid URL: expected e.g. https://app.eu-west-1.prismatic.io")
    normalized = value.strip().rstrip("/")
    path = save_user_setting("prismatic_url", normalized)
    clear_discovery_cache()
    typer.echo(f"Prismatic URL set to {normalized} (in {path}).", err=True)
    if os.environ.get("PRISMATIC_URL") and os.environ["PRISMATIC_URL"].rstrip("/") != normalized:
        typer.echo(f"Note: PRISMATIC_URL={os.environ['PRISMATIC_URL']} is set and takes precedence.", err=True)
    return normalized


@_guarded
def url(
    value: Annotated[str | None, typer.Argument(help="The stack URL to use from now on.", show_default=False)] = None,
) -> None:
    """Show the Prismatic stack URL, or set it (then `cnikit login` there)."""
    if value is not None:
        _save_url(value)
        typer.echo("Run `cnikit login` to log in there (tokens are kept per stack URL).")
        return
    from cnikit.platform.auth import resolve_url
    from cnikit.settings import load_settings

    typer.echo(resolve_url(load_settings(_project(None))))


# --- integration ---------------------------------------------------------------------------------------------


@_guarded
def import_(
    path: PathArgument = None,
    project: ProjectOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Install missing dependencies without asking.")] = False,
) -> None:
    """Build the project with its package manager and import it with `prism integrations:import`."""
    root = _project(path or project)
    if root is None:
        from cnikit.project import not_found_message

        raise _fail(not_found_message(path or project or Path.cwd()))

    def confirm(manager: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            return False
        return typer.confirm(f"Dependencies aren't installed for this integration. Run '{manager} install' now?")

    async def work(client: PrismaticClient) -> str:
        return await client.import_integration(
            root, confirm_install=confirm, on_output=lambda line: typer.echo(line, err=True)
        )

    integration_id = _run(root, work)
    typer.echo(f"Integration imported successfully! ID: {integration_id}")


def _load_payload(root: Path | None, stable_key: str | None, ref: str) -> Payload:
    from cnikit.payloads import load_payload, payloads_dir

    candidate = Path(ref)
    if candidate.is_file():
        return load_payload(candidate)
    if root is not None and stable_key:
        named = payloads_dir(root, stable_key) / (ref if ref.endswith(".json") else f"{ref}.json")
        if named.is_file():
            return load_payload(named)
        raise _fail(f"No payload {ref!r}: neither a file nor {named}")
    raise _fail(f"No payload file {ref!r}")


def _log_line(line: LogLine) -> str:
    import re

    found = re.search(r"T(\d{2}:\d{2}:\d{2})", line.timestamp)
    time_ = found.group(1) if found else line.timestamp
    step = f" [{line.stepName}]" if line.stepName else ""
    return f"{time_} [{line.severity}]{step} {line.message}"


def _step_text(label: str, output: StepOutput | None, error: str | None) -> str:
    if output is None:
        return f"── {label}: {error}"
    body = output.data if isinstance(output.data, str) else json.dumps(output.data, indent=2, ensure_ascii=False)
    note = f"// {output.message}\n" if output.message else ""
    return f"── {label}\n{note}{body}"


def _duration(ms: float | None) -> str:
    if ms is None:
        return "running…"
    if ms < 1000:
        return f"{ms:.0f}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    return f"{int(ms // 60000)}m{int(ms % 60000 // 1000):02d}s"


def _status(execution: Execution) -> str:
    if execution.running:
        return "RUNNING"
    return "ERROR" if execution.failed else (execution.resultType or "COMPLETED")


@_guarded
def test(
    flow: FlowOption = None,
    payload: Annotated[
        str | None,
        typer.Option(
            "--payload",
            "-p",
            help="A payload file, or the name of one of the flow's payload files.",
            autocompletion=payload_names,
        ),
    ] = None,
    tail: Annotated[bool, typer.Option("--tail", help="Follow the execution: logs and step outputs.")] = False,
    sync: Annotated[bool, typer.Option("--sync", help="Run synchronously (prismatic-synchronous: true).")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Debug mode for this run (prismatic-debug: true).")] = False,
    path: PathArgument = None,
    project: ProjectOption = None,
    integration_id: IntegrationOption = None,
) -> None:
    """Test a flow on the integration's test instance in the cloud (import first)."""
    from cnikit.platform.cloudtest import Finished, LogEvent, StepEvent, prepare

    root = _project(path or project)
    iid = _integration_id(root, integration_id)

    async def work(client: PrismaticClient) -> int:
        _, chosen = await prepare(client, iid, flow)
        body = _load_payload(root, chosen.stableKey, payload) if payload else None
        execution_id = await client.test_flow(chosen.id, body, sync=sync, debug=debug)
        typer.echo(f"Started a test of {chosen.name} ({chosen.stableKey}): execution {execution_id}")
        if not tail:
            typer.echo(f"Follow it with `cnikit results --flow {chosen.stableKey or chosen.name} --logs`.")
            return 0
        async for event in client.follow(chosen.id, execution_id):
            if isinstance(event, LogEvent):
                typer.echo(_log_line(event.line))
            elif isinstance(event, StepEvent):
                typer.echo(_step_text(event.step.label, event.output, event.error))
            elif isinstance(event, Finished):
                if event.timed_out or event.execution is None:
                    typer.echo("Stopped following: the execution is still running.", err=True)
                    return 1
                e = event.execution
                typer.echo(
                    f"Execution {_status(e)} in {_duration(e.duration_ms)}" + (f": {e.error}" if e.error else "")
                )
                return 1 if e.failed else 0
        return 0

    code = _run(root, work)
    if code:
        raise typer.Exit(code)


@_guarded
def open_(
    path: PathArgument = None,
    project: ProjectOption = None,
    integration_id: IntegrationOption = None,
    no_browser: NoBrowser = False,
) -> None:
    """Open the integration in the designer."""
    from cnikit.platform.auth import resolve_url
    from cnikit.settings import load_settings

    root = _project(path or project)
    iid = _integration_id(root, integration_id)
    _open(f"{resolve_url(load_settings(root))}/designer/{iid}/", no_browser)


@_guarded
def wizard(
    path: PathArgument = None,
    project: ProjectOption = None,
    integration_id: IntegrationOption = None,
    no_browser: NoBrowser = False,
) -> None:
    """Open the config wizard of the integration's test instance."""
    root = _project(path or project)
    iid = _integration_id(root, integration_id)

    async def work(client: PrismaticClient) -> str:
        integration = await client.integration(iid)
        if not integration.system_instance_id:
            raise _fail("No system instance was found for the given integration. Please re-import.")
        typer.echo(f"Instance state: {integration.config_state}", err=True)
        return client.config_wizard_url(integration.system_instance_id)

    _open(_run(root, work), no_browser)


@_guarded
def results(
    flow: FlowOption = None,
    logs: Annotated[bool, typer.Option("--logs", help="Also show logs and step outputs of the newest one.")] = False,
    execution: Annotated[str | None, typer.Option("--execution", "-e", help="Show this execution in full.")] = None,
    path: PathArgument = None,
    project: ProjectOption = None,
    integration_id: IntegrationOption = None,
) -> None:
    """The flow's executions of the last 24 hours (newest first), optionally with logs and step outputs."""
    root = _project(path or project)
    iid = _integration_id(root, integration_id)

    async def work(client: PrismaticClient) -> None:
        from cnikit.platform.errors import StepOutputError

        integration = await client.integration(iid)
        if flow is None and len(integration.flows) > 1:
            names = ", ".join(f.stableKey or f.name for f in integration.flows)
            raise _fail(f"This integration has several flows; choose one with --flow: {names}")
        chosen = integration.find_flow(flow) if flow else (integration.flows[0] if integration.flows else None)
        if chosen is None:
            raise _fail(
                f"No flow {flow!r}; the flows are: {', '.join(f.stableKey or f.name for f in integration.flows)}"
            )
        found = await client.executions(chosen.id)
        if not found:
            typer.echo(f"No executions of {chosen.name} in the last 24 hours.")
            return
        for e in found:
            started = e.startedAt.strftime("%Y-%m-%d %H:%M:%S") if e.startedAt else "?"
            kind = (e.invokeType or "").lower().replace("_", " ")
            typer.echo(f"{e.id}  {started}  {_status(e):<9} {_duration(e.duration_ms):>8}  {kind}")
        target = next((e for e in found if e.id == execution), None) if execution else (found[0] if logs else None)
        if execution and target is None:
            raise _fail(f"Execution {execution} is not among the newest executions of {chosen.name}.")
        if target is None:
            return
        typer.echo(f"\nLogs of {target.id}:")
        page = await client.logs(target.id, started_at=target.startedAt)
        for line in page.lines or []:
            typer.echo(_log_line(line))
        if not page.lines:
            typer.echo("<no logs yet>")
        for step in target.steps:
            try:
                typer.echo(_step_text(step.label, await client.step_output(step, target.id), None))
            except StepOutputError as exc:
                typer.echo(_step_text(step.label, None, str(exc)))

    _run(root, work)
