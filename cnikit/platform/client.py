"""`PrismaticClient`: the one door to the Prismatic platform for every face (CLI, language server, TUI).

    async with PrismaticClient.from_settings(project=root) as client:
        user = await client.me()
        integration = await client.integration(integration_id)
        execution_id = await client.test_flow(flow.id, payload, sync=False, debug=True)
        async for event in client.follow(flow.id, execution_id): ...

GraphQL goes to `<stack>/api` with `Authorization: Bearer <token>`; a 401 refreshes the token once and retries.
Every failure is a `PlatformError` whose message is one line saying what failed.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from cnikit.payloads import Payload
from cnikit.platform import operations as ops
from cnikit.platform.auth import OpenBrowser, Session, browser_login, clear_discovery_cache
from cnikit.platform.errors import GraphQLError, LoginError, PlatformError
from cnikit.platform.models import (
    ConfigVariable,
    Execution,
    Flow,
    Integration,
    LogLine,
    LogPage,
    StepOutput,
    StepResult,
    Tenant,
    User,
)
from cnikit.platform.outputs import fetch_step_output
from cnikit.settings import Settings, load_settings

log = logging.getLogger(__name__)

ChooseTenant = Callable[[Sequence[Tenant], str | None], Awaitable[Tenant | None] | Tenant | None]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class PrismaticClient:
    """Typed operations on one Prismatic stack as one profile. Use as an async context manager."""

    def __init__(
        self, settings: Settings, *, http: httpx.AsyncClient | None = None, project: Path | None = None
    ) -> None:
        """`project`: the CNI project, whose local token signs in to a local `cnikit serve` (cnikit.platform.local)."""
        self.settings = settings
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(30.0),
            follow_redirects=False,
            # Headers and body go out in two writes; without TCP_NODELAY each request can wait on a delayed ACK.
            transport=httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]),
        )
        self.session = Session(settings, self.http, project=project)

    @classmethod
    def from_settings(cls, project: Path | None = None) -> PrismaticClient:
        """A client configured from the environment, the project's and the user's settings files."""
        return cls(load_settings(project), project=project)

    @property
    def url(self) -> str:
        """The stack URL, without a trailing slash."""
        return self.session.url

    async def __aenter__(self) -> PrismaticClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.http.aclose()

    # --- transport -------------------------------------------------------------------------------------------

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL operation and return its `data`; refresh the token once on a 401."""
        endpoint = f"{self.url}/api"
        name = query.split("(")[0].split("{")[0].split()[-1]
        token = await self.session.access_token()
        response = await self._post(endpoint, query, variables, token, name)
        if response.status_code == 401:
            log.debug("%s: 401, refreshing the access token once", name)
            token = await self.session.access_token(force_refresh=True)
            response = await self._post(endpoint, query, variables, token, name)
        try:
            body = response.json()
        except ValueError:
            body = None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0].get("message") if isinstance(errors[0], dict) else str(errors[0])
            raise GraphQLError(f"{name} failed: {_one_line(str(first))}")
        if response.status_code >= 400:
            raise PlatformError(f"{name} failed: HTTP {response.status_code} {response.reason_phrase} from {endpoint}")
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise GraphQLError(f"{name} failed: no data returned by {endpoint}")
        return body["data"]

    async def _post(
        self, endpoint: str, query: str, variables: dict[str, Any] | None, token: str, name: str
    ) -> httpx.Response:
        log.debug("GraphQL %s → %s", name, endpoint)
        try:
            return await self.http.post(
                endpoint,
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            reason = _one_line(str(exc)) or type(exc).__name__
            raise PlatformError(f"Network request to {endpoint} failed: {reason}") from None

    @staticmethod
    def _mutation_errors(payload: dict[str, Any] | None, name: str) -> None:
        errors = (payload or {}).get("errors") or []
        if errors:
            parts = []
            for e in errors:
                messages = ", ".join(e.get("messages") or [])
                parts.append(messages if e.get("field") in (None, "__all__") else f"{e['field']}: {messages}")
            raise GraphQLError(f"{name} failed: {'; '.join(parts)}")

    # --- identity --------------------------------------------------------------------------------------------

    async def me(self) -> User:
        """The logged-in user (`GetAuthenticatedUser`)."""
        data = await self.graphql(ops.GET_AUTHENTICATED_USER)
        raw = data.get("authenticatedUser")
        if not raw:
            raise GraphQLError("GetAuthenticatedUser failed: No user data returned from API")
        return User.model_validate({**raw, "endpoint_url": self.url})

    async def tenants(self) -> list[Tenant]:
        """The tenants the user may switch to (`ListUserTenants`)."""
        data = await self.graphql(ops.LIST_USER_TENANTS)
        nodes = ((data.get("listUserTenants") or {}).get("nodes")) or []
        return [Tenant.model_validate(n) for n in nodes]

    async def access_token(self, *, refresh: bool = False) -> str:
        """A valid access token (refreshed first when `refresh` or when it expires within five minutes)."""
        return await self.session.access_token(force_refresh=refresh)

    async def login(
        self,
        open_browser: OpenBrowser,
        *,
        choose_tenant: ChooseTenant | None = None,
        timeout: float | None = None,
    ) -> User:
        """Log in with the browser (PKCE), keep the tokens in the keyring, choose a tenant when there are several.

        Nothing is stored until the code exchange succeeded; a timeout, a cancel or a forged state leave the
        previous state untouched.
        """
        from cnikit import secrets

        secrets.backend()  # no safe keyring: say what to do before the user goes through the browser
        kwargs = {"timeout": timeout} if timeout is not None else {}
        tokens = await browser_login(self.http, self.url, open_browser, **kwargs)
        self.session.adopt(tokens)
        user = await self.me()
        tokens.tenant_id = user.tenantId
        self.session.adopt(tokens)
        if choose_tenant is not None:
            try:
                tenants = await self.tenants()
            except PlatformError as exc:
                log.warning("could not list tenants: %s", exc)  # non-fatal, as in the extension
                tenants = []
            if len(tenants) > 1:
                picked = choose_tenant(tenants, user.tenantId)
                if picked is not None and not isinstance(picked, Tenant):
                    picked = await picked
                if isinstance(picked, Tenant) and picked.tenantId != user.tenantId:
                    await self.session.switch_tenant(picked.tenantId)
                    user = await self.me()
        return user

    async def switch_tenant(self, tenant_id: str) -> User:
        """Refresh the tokens for `tenant_id` and return the user there."""
        known = await self.tenants()
        if not any(t.tenantId == tenant_id for t in known):
            names = ", ".join(f"{t.orgName or '?'} ({t.tenantId})" for t in known) or "none"
            raise PlatformError(f"Tenant {tenant_id!r} is not one of yours; available: {names}")
        await self.session.switch_tenant(tenant_id)
        return await self.me()

    async def logout(self) -> bool:
        """Forget this stack's tokens for this profile (local only, like the extension). True if there were any."""
        had = self.session.source in ("keyring",)
        self.session.forget()
        clear_discovery_cache()
        return had

    async def revoke(self) -> None:
        """Revoke the refresh token at `<stack>/auth/revoke` (as `prism me:token:revoke`) and forget the tokens."""
        tokens = self.session._load()
        if tokens is None or not tokens.refresh_token:
            raise LoginError("Not logged in: there is no refresh token to revoke.")
        endpoint = f"{self.url}/auth/revoke"
        try:
            response = await self.http.post(endpoint, json={"refresh_token": tokens.refresh_token})
        except httpx.HTTPError as exc:
            raise PlatformError(f"Network request to {endpoint} failed: {_one_line(str(exc))}") from None
        if response.status_code >= 400:
            raise PlatformError(f"Revoking the refresh token failed: HTTP {response.status_code}")
        self.session.forget()

    # --- integration -----------------------------------------------------------------------------------------

    async def integration(self, integration_id: str) -> Integration:
        """The integration's test instance (id, config state, config variables) and flows (`GetIntegration`)."""
        data = await self.graphql(ops.GET_INTEGRATION, {"integrationId": integration_id})
        raw = data.get("integration")
        if not raw:
            raise GraphQLError(
                f"No integration found for ID ({integration_id}) in {self.url}; run `cnikit import` to import it"
            )
        instance = raw.get("systemInstance") or {}
        variables = ((instance.get("configVariables") or {}).get("nodes")) or []
        flows = ((raw.get("flows") or {}).get("nodes")) or []
        return Integration(
            id=integration_id,
            system_instance_id=instance.get("id"),
            config_state=instance.get("configState"),
            config_variables=[ConfigVariable.model_validate(v) for v in variables],
            flows=[Flow.model_validate(f) for f in flows],
        )

    def designer_url(self, integration_id: str) -> str:
        """The integration in the designer (browser)."""
        return f"{self.url}/designer/{integration_id}/"

    def config_wizard_url(self, system_instance_id: str) -> str:
        """The test instance's config wizard. No token in the URL: the browser's own session signs in."""
        return f"{self.url}/configure-instance/{system_instance_id}/?reconfigure=true"

    async def import_integration(
        self, project: Path, *, confirm_install: Callable[[str], bool] | None = None, on_output: Callable[[str], None]
    ) -> str:
        """Build `project` and import it with `prism integrations:import`; return (and record) the integration id."""
        import asyncio

        from cnikit.platform.importer import import_project

        token = await self.access_token()
        return await asyncio.to_thread(
            import_project,
            project,
            url=self.url,
            token=token,
            prism_path=self.settings.prism_path,
            confirm_install=confirm_install,
            on_output=on_output,
        )

    # --- testing and results ---------------------------------------------------------------------------------

    async def test_flow(
        self, flow_id: str, payload: Payload | None = None, *, sync: bool = False, debug: bool = False
    ) -> str:
        """Run the flow on the test instance (`TestIntegrationFlow`) and return the execution id.

        A JSON payload is sent pretty-printed (as the extension does); a string body (XML, CSV) is sent as is.
        `sync` and `debug` become the `prismatic-synchronous` and `prismatic-debug` headers.
        """
        headers: dict[str, str] = dict(payload.headers) if payload else {}
        if sync:
            headers["prismatic-synchronous"] = "true"
        if debug:
            headers["prismatic-debug"] = "true"
        variables: dict[str, Any] = {"flowId": flow_id}
        if payload is not None:
            body = payload.data if isinstance(payload.data, str) else json.dumps(payload.data, indent=2)
            variables.update(payload=body, contentType=payload.contentType)
        if headers:
            variables["headers"] = json.dumps(headers)
        data = await self.graphql(ops.TEST_INTEGRATION_FLOW, variables)
        result = data.get("testIntegrationFlow")
        self._mutation_errors(result, "TestIntegrationFlow")
        execution = ((result or {}).get("testIntegrationFlowResult") or {}).get("execution") or {}
        if not execution.get("id"):
            raise GraphQLError("TestIntegrationFlow failed: the platform returned no execution id")
        return str(execution["id"])

    async def executions(self, flow_id: str, *, limit: int = 20, now: datetime | None = None) -> list[Execution]:
        """The flow's newest executions of the last 24 hours, newest first, with their first 10 steps."""
        now = now or datetime.now(UTC)
        data = await self.graphql(
            ops.GET_EXECUTION_RESULTS,
            {
                "flowId": flow_id,
                "startedDate": _iso(now - timedelta(hours=24)),
                "endedDate": _iso(now + timedelta(hours=1)),
                "limit": limit,
            },
        )
        nodes = ((data.get("executionResults") or {}).get("nodes")) or []
        result = []
        for node in nodes:
            steps = ((node.get("stepResults") or {}).get("nodes")) or []
            fields = {k: v for k, v in node.items() if k != "stepResults"}
            result.append(Execution.model_validate({**fields, "steps": steps}))
        return result

    async def logs(self, execution_id: str, *, after: str | None = None, started_at: datetime | None = None) -> LogPage:
        """The execution's logs after cursor `after`, all pages (100 per page, oldest first)."""
        lines: list[LogLine] = []
        cursor = after
        started = _iso(started_at or datetime.now(UTC) - timedelta(hours=24))
        while True:
            data = await self.graphql(
                ops.GET_EXECUTION_LOGS, {"executionId": execution_id, "after": cursor, "startedDate": started}
            )
            page = data.get("logs") or {}
            lines.extend(LogLine.model_validate(n) for n in page.get("nodes") or [])
            info = page.get("pageInfo") or {}
            cursor = info.get("endCursor") or cursor
            if not info.get("hasNextPage"):
                return LogPage(lines=lines, cursor=cursor)

    async def step_output(self, step: StepResult, execution_id: str | None = None) -> StepOutput:
        """The decoded output of `step` (looked up with `GetStepResultMeta` when its URLs are unknown)."""
        if not step.resultsUrl and execution_id:
            data = await self.graphql(
                ops.GET_STEP_RESULT_META,
                {
                    "executionId": execution_id,
                    "startedAt": _iso(step.startedAt) if step.startedAt else None,
                    "endedAt": _iso(step.endedAt) if step.endedAt else None,
                },
            )
            for node in ((data.get("stepResults") or {}).get("nodes")) or []:
                if node.get("id") == step.id:
                    step = step.model_copy(update=node)
        return await fetch_step_output(self.http, step)

    def follow(self, flow_id: str, execution_id: str, **options: Any) -> AsyncIterator[Any]:
        """Follow an execution until it ends: yields log lines, step outputs and finally the execution.

        See `cnikit.platform.cloudtest.follow_execution` for the events and the polling cadence.
        """
        from cnikit.platform.cloudtest import follow_execution

        return follow_execution(self, flow_id, execution_id, **options)
