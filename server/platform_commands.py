"""Platform commands (Prismatic): login, logout, me, refresh token, stack URL, import, test in the cloud, designer.

Every command opens a `cnikit.platform.client.PrismaticClient` for the project (settings: environment > project
file > user file; the editor's `prismaticUrl` setting, when set, names the stack) and closes it when done. Login
answers at once with the URL to open; its outcome reaches the client as `cnikit/status`. A cloud test answers with
the execution id and then follows the execution, sending `cnikit/executionUpdated` and `cnikit/executionLog` like a
local run (with `source: "cloud"`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pydantic import BaseModel, ConfigDict

from server.executions import EXECUTION_LOG, EXECUTION_UPDATED, log_params_impl
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


class TenantArgs(_Args):
    """`switchTenant`: the tenant to switch to; without one, the answer lists the tenants to pick from."""

    tenantId: str | None = None


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


async def switch_tenant(ls: CnikitLanguageServer, args: TenantArgs) -> dict[str, Any]:
    """`cnikit tenants switch` for the editor. Without `tenantId`: `{tenants: [...]}` (each with `current`) to pick
    from, or `{message}` when there is nothing to pick. With one: switch and answer `{message}`."""
    async with platform_client(ls, _root(ls, None)) as client:
        known = await client.tenants()
        current = client.session.tenant_id or (await client.me()).tenantId  # a token from the environment: ask
        if args.tenantId is None:
            if len(known) <= 1:
                return {"message": "Only one tenant available to your account."}
            return {"tenants": [{**t.model_dump(), "current": t.tenantId == current} for t in known]}
        if args.tenantId == current:
            return {"message": "Already on selected tenant."}
        user = await client.switch_tenant(args.tenantId)
    _remember(ls, user)
    send_status(ls)
    return {"message": f"Switched to {user.organization or args.tenantId}"}


async def refresh_integration_details(ls: CnikitLanguageServer, args: ProjectArgs) -> dict[str, Any]:
    """Re-read the imported integration (`GetIntegration`): its test instance, config state and flows."""
    root = ls.projects.resolve(args.project).root
    integration_id = _integration_id(root)
    async with platform_client(ls, root) as client:
        integration = await client.integration(integration_id)
    send_status(ls)
    return {
        "integrationId": integration.id,
        "systemInstanceId": integration.system_instance_id,
        "configState": integration.config_state,
        "flows": [flow.name for flow in integration.flows],
    }


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
    from emulator.cloud_source import cloud_view

    state = ls.projects.resolve(args.project)
    root = state.root
    payload = None
    if args.payload:
        from emulator.session import Session, SessionError

        try:
            payload = Session(root).payload(args.flow, args.payload)
        except SessionError as bad:
            raise CommandError(bad.message) from None
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
                view = cloud_view(execution, flow.name)
                ls.notify(EXECUTION_UPDATED, {"project": str(root), "execution": view.to_json()})

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
    ls.register_command("cnikit.server.switchTenant", TenantArgs, switch_tenant)
    ls.register_command("cnikit.server.refreshIntegrationDetails", ProjectArgs, refresh_integration_details)
    ls.register_command("cnikit.server.prismaticUrl", UrlArgs, prismatic_url)
    ls.register_command("cnikit.server.importIntegration", ProjectArgs, import_integration)
    ls.register_command("cnikit.server.testIntegration", CloudTestArgs, test_integration)
    ls.register_command("cnikit.server.openInBrowser", ProjectArgs, open_in_browser)
