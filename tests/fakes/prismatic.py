"""A fake Prismatic stack: a Starlette app on 127.0.0.1 that answers exactly what the official tools send.

It serves `/auth/meta`, an Auth0-like OIDC provider under `/oidc` (discovery, authorize with a redirect to the
loopback callback, token for code / refresh / tenant switch), `/auth/revoke`, GraphQL at `/api` (dispatching on the
operation name and checking the variables and selections the official documents carry), and presigned-like step
output URLs serving msgpack. Everything it issued or received is recorded for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import msgpack
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

SCOPES = "openid profile email offline_access"
_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class FakeFlow:
    """A flow of a fake integration."""

    id: str
    name: str
    stable_key: str
    test_url: str = ""

    def node(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "stableKey": self.stable_key,
            "isSynchronous": False,
            "usesFifoQueue": False,
            "endpointSecurityType": "customer_optional",
            "testUrl": self.test_url,
        }


@dataclass
class FakeIntegration:
    """An imported integration with its test instance."""

    id: str
    system_instance_id: str
    flows: list[FakeFlow]
    config_state: str = "FULLY_CONFIGURED"


@dataclass
class FakeStep:
    """A step of a fake execution; `output` is msgpack-packed when served."""

    id: str
    name: str
    output: Any
    started_at: datetime
    ended_at: datetime | None = None


@dataclass
class FakeExecution:
    """A test execution that advances one phase each time the execution results are polled."""

    id: str
    flow_id: str
    started_at: datetime
    request: dict[str, Any]
    phases: list[dict[str, Any]] = field(default_factory=list)
    phase: int = -1
    ended_at: datetime | None = None
    error: str | None = None
    steps: list[FakeStep] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)

    def advance(self) -> None:
        """Apply the next phase: `{"logs": [(severity, step, message)], "step(s)": (name, output), "end": error}`."""
        if self.phase + 1 >= len(self.phases):
            return
        self.phase += 1
        phase = self.phases[self.phase]
        now = self.started_at + timedelta(seconds=self.phase + 1)
        for severity, step, message in phase.get("logs", []):
            self.logs.append({"message": message, "severity": severity, "stepName": step, "timestamp": _iso(now)})
        for name, output in phase.get("steps", [phase["step"]] if "step" in phase else []):
            self.steps.append(
                FakeStep(id=f"{self.id}-step-{len(self.steps)}", name=name, output=output, started_at=now, ended_at=now)
            )
        if "end" in phase:
            self.ended_at = now
            self.error = phase["end"]


def default_phases(data: Any) -> list[dict[str, Any]]:
    """A CNI execution: starts, onTrigger returns the payload, onExecution logs and returns, ends."""
    return [
        {"logs": [("INFO", None, "Execution started")]},
        {"logs": [("INFO", "onTrigger", "Trigger received the payload")], "step": ("onTrigger", {"data": data})},
        {
            "logs": [("INFO", "onExecution", "Processing"), ("WARN", "onExecution", "Almost done")],
            "step": ("onExecution", {"data": {"processed": True, "received": data}}),
            "end": None,
        },
    ]


def quick_phases(data: Any) -> list[dict[str, Any]]:
    """The same execution, already over at the first poll (for tests that do not look at the cadence)."""
    merged: dict[str, Any] = {"logs": []}
    steps = []
    for phase in default_phases(data):
        merged["logs"] += phase.get("logs", [])
        if "step" in phase:
            steps.append(phase["step"])
    return [{"logs": merged["logs"], "steps": steps, "end": None}]


class FakePrismatic:
    """State and behaviour of the fake stack. Start it with `serve()`; `url` is then its base URL."""

    def __init__(self) -> None:
        self.url = ""
        self.client_id = "cnikit-fake-client"
        self.audience = "https://prismatic.io/api"
        self.user = {"name": "Ada Lovelace", "email": "ada@example.com"}
        self.tenants = [
            {"tenantId": "tenant-acme", "url": "", "orgName": "Acme Corp", "awsRegion": "us-east-2"},
        ]
        self.access_ttl = 3600
        self.codes: dict[str, dict[str, str]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, str] = {}  # token -> tenant at issue
        self.issued: list[str] = []  # every token ever issued, for the "no token leaks" test
        self.integrations: dict[str, FakeIntegration] = {}
        self.executions: dict[str, FakeExecution] = {}
        self.outputs_expired = False
        self.outputs_pending = False  # step outputs not uploaded yet: 404
        self.graphql_errors: dict[str, str] = {}  # operation name -> message to fail with
        self.operations: list[tuple[str, dict[str, Any]]] = []
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.token_grants: list[dict[str, str]] = []
        self.revoked: list[str] = []
        self.phases_for_next_test: list[dict[str, Any]] | None = None
        self.quick = False  # executions end at the first poll
        self.app = Starlette(
            routes=[
                Route("/auth/meta", self._auth_meta),
                Route("/auth/revoke", self._auth_revoke, methods=["POST"]),
                Route("/oidc/.well-known/openid-configuration", self._oidc_config),
                Route("/oidc/authorize", self._authorize),
                Route("/oidc/oauth/token", self._token, methods=["POST"]),
                Route("/api", self._api, methods=["POST"]),
                Route("/outputs/{step_id}", self._output, methods=["GET", "HEAD"]),
                Route("/outputs/{step_id}/meta", self._output_meta, methods=["GET", "HEAD"]),
            ]
        )

    # --- helpers for tests ------------------------------------------------------------------------------------

    def add_integration(self, config_state: str = "FULLY_CONFIGURED", flows: int = 1) -> FakeIntegration:
        """Register an imported integration with `flows` flows (stable keys `flow-1`, `flow-2`, …)."""
        n = len(self.integrations) + 1
        integration = FakeIntegration(
            id=_b64(f"Integration:{n}".encode()),
            system_instance_id=_b64(f"Instance:{n}".encode()),
            flows=[
                FakeFlow(id=_b64(f"Flow:{n}-{i}".encode()), name=f"Flow {i}", stable_key=f"flow-{i}")
                for i in range(1, flows + 1)
            ],
            config_state=config_state,
        )
        for flow in integration.flows:
            flow.test_url = f"{self.url}/trigger/{flow.id}"
        self.integrations[integration.id] = integration
        return integration

    def expire_access_tokens(self) -> None:
        """Make every issued access token invalid server-side (the next API call gets a 401)."""
        self.access_tokens.clear()

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token invalid (the next refresh fails)."""
        self.refresh_tokens.clear()

    def _jwt(self, tenant: str, ttl: int) -> str:
        header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        claims = _b64(json.dumps({"exp": int(time.time()) + ttl, "tid": tenant, "sub": "user|ada"}).encode())
        return f"{header}.{claims}.{secrets.token_urlsafe(16)}"

    def _issue(self, tenant: str, with_refresh: bool) -> dict[str, Any]:
        access = self._jwt(tenant, self.access_ttl)
        self.access_tokens[access] = {"tenant": tenant}
        self.issued.append(access)
        answer: dict[str, Any] = {
            "access_token": access,
            "id_token": self._jwt(tenant, self.access_ttl),
            "expires_in": self.access_ttl,
            "token_type": "Bearer",
            "scope": SCOPES,
        }
        self.issued.append(answer["id_token"])
        if with_refresh:
            refresh = "rt_" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = tenant
            self.issued.append(refresh)
            answer["refresh_token"] = refresh
        return answer

    def issue_refresh_token(self, tenant: str = "tenant-acme") -> str:
        """A valid refresh token issued out of band (as `prism me:token --type refresh` gives)."""
        refresh = "rt_" + secrets.token_urlsafe(24)
        self.refresh_tokens[refresh] = tenant
        self.issued.append(refresh)
        return refresh

    def issue_access_token(self, tenant: str = "tenant-acme", ttl: int | None = None) -> str:
        """A valid access token issued out of band."""
        access = self._jwt(tenant, self.access_ttl if ttl is None else ttl)
        self.access_tokens[access] = {"tenant": tenant}
        self.issued.append(access)
        return access

    # --- auth ----------------------------------------------------------------------------------------------

    async def _auth_meta(self, request: Request) -> Response:
        self.requests.append(("GET", "/auth/meta"))
        return JSONResponse({"domain": f"{self.url}/oidc", "clientId": self.client_id, "audience": self.audience})

    async def _oidc_config(self, request: Request) -> Response:
        base = f"{self.url}/oidc"
        return JSONResponse(
            {
                "issuer": f"{base}/",
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/oauth/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "revocation_endpoint": f"{base}/oauth/revoke",
            }
        )

    async def _authorize(self, request: Request) -> Response:
        q = request.query_params
        problems = []
        if q.get("response_type") != "code":
            problems.append("response_type")
        if q.get("client_id") != self.client_id:
            problems.append("client_id")
        if q.get("scope") != SCOPES:
            problems.append("scope")
        if q.get("audience") != self.audience:
            problems.append("audience")
        if q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
            problems.append("code_challenge")
        if len(q.get("state", "")) != 22:
            problems.append("state")
        if "connection" in q:
            problems.append("connection (breaks SSO)")
        redirect = q.get("redirect_uri", "")
        match = re.fullmatch(r"http://localhost:(\d+)", redirect)
        if not match or not 59400 <= int(match.group(1)) <= 59450:
            problems.append("redirect_uri")
        if problems:
            return JSONResponse({"error": "invalid_request", "bad": problems}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": q["code_challenge"], "redirect_uri": redirect}
        return RedirectResponse(f"{redirect}?{urlencode({'code': code, 'state': q['state']})}", status_code=302)

    async def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        self.token_grants.append({k: ("<secret>" if "token" in k or k == "code" else str(v)) for k, v in form.items()})
        if form.get("client_id") != self.client_id:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            challenge = _b64(hashlib.sha256(verifier.encode()).digest())
            if grant is None or grant["challenge"] != challenge or grant["redirect_uri"] != form.get("redirect_uri"):
                return JSONResponse({"error": "invalid_grant", "error_description": "bad code"}, status_code=403)
            return JSONResponse(self._issue(self.tenants[0]["tenantId"], with_refresh=True))
        if form.get("grant_type") == "refresh_token":
            refresh = str(form.get("refresh_token"))
            if refresh not in self.refresh_tokens:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."},
                    status_code=403,
                )
            tenant = str(form.get("tenant_id") or self.refresh_tokens[refresh])
            if tenant not in {t["tenantId"] for t in self.tenants}:
                return JSONResponse(
                    {"error": "access_denied", "error_description": "No access to tenant"}, status_code=403
                )
            return JSONResponse(self._issue(tenant, with_refresh=False))
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    async def _auth_revoke(self, request: Request) -> Response:
        body = await request.json()
        token = body.get("refresh_token")
        if token in self.refresh_tokens:
            del self.refresh_tokens[token]
            self.revoked.append(token)
        return JSONResponse({})

    # --- GraphQL -----------------------------------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        info = self.access_tokens.get(token)
        if not auth.startswith("Bearer ") or info is None:
            return JSONResponse({"errors": [{"message": "Unauthorized"}]}, status_code=401)
        body = await request.json()
        query = body.get("query", "")
        variables = body.get("variables") or {}
        match = _OPERATION.match(query)
        name = match.group(2) if match else "<anonymous>"
        self.operations.append((name, variables))
        if name in self.graphql_errors:
            return JSONResponse({"data": None, "errors": [{"message": self.graphql_errors[name]}]})
        handler = getattr(self, f"_op_{name}", None)
        if handler is None:
            return JSONResponse({"errors": [{"message": f"Unknown operation {name}"}]}, status_code=400)
        try:
            data = handler(query, variables, info["tenant"])
        except AssertionError as exc:  # the request is not what the official tools send
            return JSONResponse({"errors": [{"message": f"fake: malformed {name}: {exc}"}]}, status_code=400)
        return JSONResponse({"data": data})

    def _op_GetAuthenticatedUser(self, query: str, variables: dict[str, Any], tenant: str) -> dict[str, Any]:
        assert "authenticatedUser" in query and "tenantId" in query
        org = next((t["orgName"] for t in self.tenants if t["tenantId"] == tenant), None)
        return {"authenticatedUser": {**self.user, "tenantId": tenant, "org": {"name": org}, "customer": None}}

    def _op_ListUserTenants(self, query: str, variables: dict[str, Any], tenant: str) -> dict[str, Any]:
        assert "listUserTenants" in query and "orgName" in query
        return {"listUserTenants": {"nodes": [{**t, "url": t["url"] or self.url} for t in self.tenants]}}

    def _op_GetIntegration(self, query: str, variables: dict[str, Any], tenant: str) -> dict[str, Any]:
        assert "integrationId" in variables and "configState" in query and "testUrl" in query
        integration = self.integrations.get(variables["integrationId"])
        if integration is None:
            return {"integration": None}
        return {
            "integration": {
                "systemInstance": {
                    "id": integration.system_instance_id,
                    "configState": integration.config_state,
                    "configVariables": {"nodes": []},
                },
                "flows": {"nodes": [f.node() for f in integration.flows]},
            }
        }

    def _op_TestIntegrationFlow(self, query: str, variables: dict[str, Any], tenant: str) -> dict[str, Any]:
        assert "flowId" in variables and "testIntegrationFlowResult" in query
        for key in ("payload", "contentType", "headers"):
            assert variables.get(key) is None or isinstance(variables[key], str), f"{key} must be a string"
        flow_id = variables["flowId"]
        if not any(f.id == flow_id for i in self.integrations.values() for f in i.flows):
            return {
                "testIntegrationFlow": {
                    "errors": [{"field": "id", "messages": ["Flow not found."]}],
                    "testIntegrationFlowResult": None,
                }
            }
        execution_id = _b64(f"InstanceExecutionResult:{len(self.executions) + 1}".encode())
        payload = variables.get("payload")
        try:
            data = json.loads(payload) if payload is not None else None
        except ValueError:
            data = payload
        execution = FakeExecution(
            id=execution_id,
            flow_id=flow_id,
            started_at=datetime.now(UTC),
            request=dict(variables),
            phases=self.phases_for_next_test or (quick_phases if self.quick else default_phases)(data),
        )
        self.executions[execution_id] = execution
        return {"testIntegrationFlow": {"errors": [], "testIntegrationFlowResult": {"execution": {"id": execution_id}}}}

    def _op_GetExecutionResults(self, query: str, variables: dict[str, Any], tenant: str) -> dict[str, Any]:
        assert variables.get("limit") == 20 and variables.get("startedDate") and variables.get("endedDate")
        assert "stepResults(first: 10" in query
        nodes = []
        for execution in sorted(self.executions.values(), key=lambda e: e.started_at, reverse=True):
            if execution.flow_id != variables.get("flowId"):
                continue
            execution.advance()
            nodes.append(
                {
                    "id": execution.id,
                    "invokeType": "INTEGRATION_FLOW_TEST",
                    "startedAt": _iso(execution.started_at),
                    "resultType": None if execution.ended_at is None else ("ERROR" if execution.error else "COMPLETED"),
                    "endedAt": _iso(execution.ended_at) if execution.ended_at else None,
                    "error": execution.error,
                    "stepResults": {"nodes": [self._step_node(s) for s in execution.steps]},
                }
            )
        return {"executionResults": {"nodes": nodes[: variables["limit"]]}}

    def _step_node(self, step: FakeStep) -> dict[str, Any]:
        return {
            "id": step.id,
            "startedAt": _iso(step.started_at),
            "endedAt": _iso(step.ended_at) if step.ended_at else None,
            "stepName": step.name,
            "displayStepName": step.name,
            "hasError": False,
            "resultsMetadataUrl": f"{self.url}/outputs/{step.id}/meta?X-Amz-Signature=fake",
            "resultsUrl": f"{self.url}/outputs/{step.id}?X-Amz-Signature=fake",
        }

    def _op_GetExecutionLogs(self, query: str, variables: dict[str, Any], tenant: str) -> dict[str, Any]:
        assert "executionId" in variables and "first: 100" in query and "pageInfo" in query
        execution = self.executions[variables["executionId"]]
        start = int(variables["after"]) if variables.get("after") else 0
        page = execution.logs[start : start + 100]
        end = start + len(page)
        return {
            "logs": {
                "nodes": page,
                "pageInfo": {
                    "endCursor": str(end) if execution.logs else None,
                    "hasNextPage": end < len(execution.logs),
                },
            }
        }

    def _op_GetStepResultMeta(self, query: str, variables: dict[str, Any], tenant: str) -> dict[str, Any]:
        execution = self.executions[variables["executionId"]]
        return {"stepResults": {"nodes": [self._step_node(s) for s in execution.steps]}}

    # --- step outputs ------------------------------------------------------------------------------------------

    def _step(self, step_id: str) -> FakeStep | None:
        for execution in self.executions.values():
            for step in execution.steps:
                if step.id == step_id:
                    return step
        return None

    async def _output(self, request: Request) -> Response:
        if self.outputs_expired:
            return Response("<Error><Code>AccessDenied</Code></Error>", status_code=403)
        step = self._step(request.path_params["step_id"])
        if step is None:
            return Response(status_code=404)
        return Response(msgpack.packb(step.output, datetime=True), media_type="application/octet-stream")

    async def _output_meta(self, request: Request) -> Response:
        if self.outputs_expired:
            return Response(status_code=403)
        if self.outputs_pending:
            return Response(status_code=404)
        step = self._step(request.path_params["step_id"])
        if step is None:
            return Response(status_code=404)
        size = len(msgpack.packb(step.output, datetime=True))
        return Response(b"" if request.method == "HEAD" else b"{}", headers={"content-length": str(size)})


class ServerThread:
    """Run an ASGI app with uvicorn on 127.0.0.1 in a thread; the socket is listening before `start()` returns."""

    def __init__(self, app: Any) -> None:
        # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP (else a
        # 40 ms delayed-ACK stall on every keep-alive request).
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)  # connections queue here until uvicorn accepts them
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False, loop="asyncio", http="h11")
        )
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
