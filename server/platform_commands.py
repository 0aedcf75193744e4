"""Platform commands (Prismatic): login, logout, me, refresh token, stack URL, import, test in the cloud, designer.

Every command opens a `cnikit.platform.client.PrismaticClient` for the project (settings: environment > project
file > user file; the editor's `prismaticUrl` setting, when set, names the stack) and closes it when done. Login
answers at once with the URL to open; its outcome reaches the client as `cnikit/status`. A cloud test answers with
the execution id and then follows the execution, sending `cnikit/executionUpdated` and `cnikit/executionLog` like a
local run (with `source: "cloud"`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pydantic import BaseModel, ConfigDict

from server.executions import EXECUTION_LOG, EXECUTION_UPDATED, log_line_impl, log_params_impl
from server.projects import CommandError

if TYPE_CHECKING:
    from cnikit.platform.models import Execution
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)

STATUS = "cnikit/status"
LOGIN_TIMEOUT_S = 300.0


class _Args(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UrlArgs(_Args):
    """`login` and `prismaticUrl`: an optional stack URL."""

    url: str | None = None


class ProjectArgs(_Args):
    """Commands on a project (the active one when omitted)."""

    project: str | None = None


class CloudTestArgs(ProjectArgs):
    """`cnikit.server.testIntegration`."""

    flow: str
    payload: str | None = None


# -- status bar ------------------------------------------------------------------------------------------------------


def status_impl(ls: CnikitLanguageServer) -> dict[str, Any]:
    """The status bar's content: who is logged in where, and the active project."""
    login = ls.login
    active = ls.projects.states.get(ls.projects.active) if ls.projects.active else None
    user = {"name": login.name, "email": login.email} if login.name or login.email else None
    return {
        "user": user,
        "organization": login.organization,
        "url": login.url or ls.settings.prismatic_url,
        "activeProject": str(active.root) if active else None,
        "activeIntegration": active.name if active else None,
    }


def send_status(ls: CnikitLanguageServer) -> None:
    """Send `cnikit/status`."""
    ls.notify(STATUS, status_impl(ls))


@asynccontextmanager
async def platform_client(ls: CnikitLanguageServer, root: Path | None, url: str | None = None) -> AsyncIterator[Any]:
    """A client for the project's stack; platform errors become the command's one-line error."""
    from cnikit.platform.client import PrismaticClient
    from cnikit.platform.errors import PlatformError
    from cnikit.secrets import SecretStoreError
    from cnikit.settings import SettingsError, load_settings

    try:
        settings = load_settings(root)
    except SettingsError as error:
        raise CommandError(str(error)) from None
    chosen = url or ls.settings.prismatic_url
    if chosen:
        settings = settings.model_copy(update={"prismatic_url": chosen})
    client = PrismaticClient(settings, project=root)
    ls.login.url = client.url
    try:
        yield client
    except (PlatformError, SecretStoreError) as error:  # no keyring: the message says what to set up
        raise CommandError(str(error)) from None
    finally:
        await client.aclose()


def _root(ls: CnikitLanguageServer, project: str | None) -> Path | None:
    """The named or active project's root; None when the workspace has no project (login works without one)."""
    try:
        return ls.projects.resolve(project).root
    except CommandError:
        if project:
            raise
        return None


def _integration_id(root: Path) -> str:
    from cnikit.platform.cloudtest import read_integration_id

    integration_id = read_integration_id(root)
    if integration_id is None:
        raise CommandError(f"{root.name} has not been imported yet (no .spectral/prism.json); run Import first")
    return integration_id


def _remember(ls: CnikitLanguageServer, user: Any) -> None:
    ls.login.name, ls.login.email = user.name, user.email
    ls.login.organization = user.organization or None


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def cloud_summary_impl(execution: Execution, flow_name: str) -> dict[str, Any]:
    """The protocol's ExecutionSummary of a cloud execution."""
    status = "running" if execution.running else "failed" if execution.failed else "succeeded"
    steps = []
    for step in execution.steps:
        duration = (step.endedAt - step.startedAt).total_seconds() * 1000 if step.endedAt and step.startedAt else None
        step_status = "running" if step.endedAt is None else ("failed" if step.hasError else "succeeded")
        steps.append({"name": step.label, "status": step_status, "durationMs": duration})
    return {
        "id": execution.id,
        "flow": flow_name,
        "status": status,
        "invokeType": execution.invokeType,
        "startedAt": _iso(execution.startedAt),
        "endedAt": _iso(execution.endedAt),
        "durationMs": execution.duration_ms,
        "error": execution.error,
        "source": "cloud",
        "steps": steps,
    }


# -- cloud results (used by listExecutions / getExecutionLogs / getStepOutput with source "cloud") -------------------


async def cloud_executions(ls: CnikitLanguageServer, root: Path, flow: str | None, limit: int) -> list[dict[str, Any]]:
    """The imported integration's recent executions, newest first (one flow's when `flow` names it)."""
    async with platform_client(ls, root) as client:
        integration = await client.integration(_integration_id(root))
        flows = integration.flows
        if flow is not None:
            found = integration.find_flow(flow)
            if found is None:
                raise CommandError(f"No flow {flow!r} in the imported integration")
            flows = [found]
        found_all: list[dict[str, Any]] = []
        for item in flows:
            for execution in await client.executions(item.id):  # the official page size (20)
                found_all.append(cloud_summary_impl(execution, item.name))
    found_all.sort(key=lambda summary: summary["startedAt"] or "", reverse=True)
    return found_all[:limit]


async def cloud_logs(ls: CnikitLanguageServer, root: Path, execution_id: str) -> dict[str, Any]:
    """A cloud execution's logs as text."""
    async with platform_client(ls, root) as client:
        page = await client.logs(execution_id)
    return {"text": "\n".join(log_line_impl(x.timestamp, x.severity, x.stepName, x.message) for x in page.lines)}


async def cloud_step_output(ls: CnikitLanguageServer, root: Path, execution_id: str, step: str) -> dict[str, Any]:
    """One step output of a cloud execution, as pretty JSON."""
    async with platform_client(ls, root) as client:
        integration = await client.integration(_integration_id(root))
        for flow in integration.flows:
            for execution in await client.executions(flow.id):
                if execution.id != execution_id:
                    continue
                for candidate in execution.steps:
                    if step in (candidate.label, candidate.stepName, candidate.id):
                        output = await client.step_output(candidate, execution_id)
                        return {"json": json.dumps(output.data, indent=2, default=str, ensure_ascii=False)}
                names = ", ".join(s.label for s in execution.steps)
                raise CommandError(f'Execution {execution_id} has no step "{step}"; its steps: {names}')
    raise CommandError(f"No execution {execution_id} in the last 24 hours of the imported integration")


# -- commands ----------------------------------------------------------------------------------------------------


async def login(ls: CnikitLanguageServer, args: UrlArgs) -> dict[str, Any]:
    """Start the browser login; answer with the URL to open. The outcome arrives as `cnikit/status`."""
    previous = ls.login.pending
    if previous is not None and not previous.done():
        previous.cancel()  # a new login replaces one the user abandoned
    loop = asyncio.get_running_loop()
    authorize: asyncio.Future[str] = loop.create_future()
    root = _root(ls, None)

    def open_browser(url: str) -> None:
        if not authorize.done():
            authorize.set_result(url)

    async def run() -> None:
        try:
            async with platform_client(ls, root, args.url) as client:
                user = await client.login(open_browser, timeout=LOGIN_TIMEOUT_S)
            if args.url:
                from cnikit.settings import save_user_setting

                save_user_setting("prismatic_url", client.url)
            _remember(ls, user)
            send_status(ls)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the command has answered already: tell the user here
            if not authorize.done():
                authorize.set_exception(error)
                return
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=f"Login: {error}"))
            log.warning("login failed: %s", error)

    task = ls.login.pending = ls.spawn_raw(run())
    await asyncio.wait({task, authorize}, return_when=asyncio.FIRST_COMPLETED)
    if authorize.done():
        return {"authorizeUrl": authorize.result()}
    error = task.exception()
    raise error if error is not None else CommandError("login ended before it started")


async def logout(ls: CnikitLanguageServer, args: _Args) -> dict[str, Any]:
    """Forget the tokens of this stack and profile."""
    async with platform_client(ls, _root(ls, None)) as client:
        await client.logout()
    ls.login.name = ls.login.email = ls.login.organization = None
    send_status(ls)
    return {"message": "Successfully logged out."}


async def me(ls: CnikitLanguageServer, args: _Args) -> dict[str, Any]:
    """The logged-in user."""
    async with platform_client(ls, _root(ls, None)) as client:
        user = await client.me()
        url = client.url
    _remember(ls, user)
    send_status(ls)
    return {"name": user.name, "email": user.email, "organization": user.organization, "url": url}


async def refresh_token(ls: CnikitLanguageServer, args: _Args) -> dict[str, Any]:
    """Refresh the access token now; answer when it expires."""
    from cnikit.platform.tokens import jwt_expiry

    async with platform_client(ls, _root(ls, None)) as client:
        token = await client.access_token(refresh=True)
    expiry = jwt_expiry(token)
    expires_at = datetime.fromtimestamp(expiry, UTC).isoformat().replace("+00:00", "Z") if expiry else None
    return {"expiresAt": expires_at}


async def prismatic_url(ls: CnikitLanguageServer, args: UrlArgs) -> dict[str, Any]:
    """The stack URL in use; with `url`, remember it (user settings, shared with the CLI and the TUI).

    The answer is the URL the next command will use: when something with precedence (PRISMATIC_URL, the project's
    .spectral/cnikit.yml, the editor's cnikit.prismaticUrl) still names another stack, the user is told so.
    """
    requested = None
    if args.url:
        from cnikit.platform.tokens import normalize_url
        from cnikit.settings import save_user_setting

        if not args.url.startswith(("https://", "http://")):
            raise CommandError(f"Expected a URL such as https://app.prismatic.io, found {args.url!r}")
        requested = normalize_url(args.url)
        save_user_setting("prismatic_url", requested)
    async with platform_client(ls, _root(ls, None)) as client:
        url = client.url
    if requested is not None and url != requested:
        ls.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Warning,
                message=f"Saved {requested}, but {url} is still used: PRISMATIC_URL, the project's "
                ".spectral/cnikit.yml or the editor's cnikit.prismaticUrl setting takes precedence.",
            )
        )
    send_status(ls)
    return {"url": url}


async def import_integration(ls: CnikitLanguageServer, args: ProjectArgs) -> dict[str, Any]:
    """Build the project and import it with prism; the output lines are progress reports."""
    root = ls.projects.resolve(args.project).root
    loop = asyncio.get_running_loop()
    async with ls.work_progress(f"cnikit: import {root.name}") as report, platform_client(ls, root) as client:

        def on_output(line: str) -> None:
            log.info("import: %s", line)
            loop.call_soon_threadsafe(report, line[:200])

        integration_id = await client.import_integration(root, on_output=on_output)
    send_status(ls)
    return {"integrationId": integration_id}


async def test_integration(ls: CnikitLanguageServer, args: CloudTestArgs) -> dict[str, Any]:
    """Test a flow in the cloud; answer with the execution id, then follow it with notifications."""
    from cnikit.platform.cloudtest import Finished, LogEvent, StepEvent, run_test
    from cnikit.platform.models import Execution

    state = ls.projects.resolve(args.project)
    root = state.root
    payload = None
    if args.payload:
        from server.project_commands import load_payload_ref

        payload = load_payload_ref(root, args.payload)
    integration_id = _integration_id(root)
    started: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def run() -> None:
        async with ls.work_progress(f"cnikit: test {args.flow}") as report, platform_client(ls, root) as client:
            report("starting")
            flow, execution_id = await run_test(client, integration_id, args.flow, payload)
            started.set_result(execution_id)
            report("running")
            # Until the platform lists the execution, the client sees it running with the steps done so far.
            running = Execution(id=execution_id, invokeType="INTEGRATION_FLOW_TEST", startedAt=datetime.now(UTC))

            def update(execution: Execution) -> None:
                summary = cloud_summary_impl(execution, flow.name)
                ls.notify(EXECUTION_UPDATED, {"project": str(root), "execution": summary})

            update(running)
            last: Execution | None = None
            async for event in client.follow(flow.id, execution_id):
                if isinstance(event, LogEvent):
                    line = event.line
                    params = log_params_impl(
                        root, execution_id, line.timestamp, line.severity, line.stepName, line.message
                    )
                    ls.notify(EXECUTION_LOG, params)
                elif isinstance(event, StepEvent):
                    report(f"step {event.step.label} done")
                    running.steps.append(event.step)
                    update(running)
                elif isinstance(event, Finished):
                    last = event.execution
            if last is not None:
                update(last)

    task = ls.spawn_raw(run())
    await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
    if started.done():
        return {"executionId": started.result()}
    error = task.exception()
    raise error if error is not None else CommandError("the test ended before it started")


async def open_in_browser(ls: CnikitLanguageServer, args: ProjectArgs) -> dict[str, Any]:
    """The designer URL of the imported integration (the client opens it)."""
    root = ls.projects.resolve(args.project).root
    integration_id = _integration_id(root)
    async with platform_client(ls, root) as client:
        return {"url": client.designer_url(integration_id)}


def _probe_login(root: Path | None, url: str | None) -> tuple[Any, str]:
    """Who is logged in (None: nobody) and the stack URL. Runs in a thread with its own event loop: importing the
    platform client and detecting the keyring take a second of CPU that must not stall the editor's requests."""
    from cnikit.platform.client import PrismaticClient
    from cnikit.settings import load_settings

    async def ask() -> tuple[Any, str]:
        settings = load_settings(root)
        if url:
            settings = settings.model_copy(update={"prismatic_url": url})
        async with PrismaticClient(settings, project=root) as client:
            user = await asyncio.wait_for(client.me(), 10) if client.session.is_logged_in() else None
            return user, client.url

    return asyncio.run(ask())


async def refresh_status(ls: CnikitLanguageServer) -> None:
    """At start: tell the status bar who is logged in (quietly nobody when offline or logged out)."""
    try:
        user, ls.login.url = await asyncio.to_thread(_probe_login, _root(ls, None), ls.settings.prismatic_url)
        if user is not None:
            _remember(ls, user)
    except Exception as error:  # offline, expired, no keyring: the status just shows no user
        log.info("login state unknown: %s", error)
    send_status(ls)


def register(ls: CnikitLanguageServer) -> None:
    """Register the platform commands."""
    ls.register_command("cnikit.server.getStatus", _Args, lambda ls, args: status_impl(ls))
    ls.register_command("cnikit.server.login", UrlArgs, login)
    ls.register_command("cnikit.server.logout", _Args, logout)
    ls.register_command("cnikit.server.me", _Args, me)
    ls.register_command("cnikit.server.refreshToken", _Args, refresh_token)
    ls.register_command("cnikit.server.prismaticUrl", UrlArgs, prismatic_url)
    ls.register_command("cnikit.server.importIntegration", ProjectArgs, import_integration)
    ls.register_command("cnikit.server.testIntegration", CloudTestArgs, test_integration)
    ls.register_command("cnikit.server.openInBrowser", ProjectArgs, open_in_browser)
