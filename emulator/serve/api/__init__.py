"""The Prismatic API on `cnikit serve`, so the unmodified prism CLI (and cnikit's own cloud commands) run the dev
loop offline: `export PRISMATIC_URL=http://127.0.0.1:<port>` and `export PRISM_ACCESS_TOKEN=<the project's token>`.

Routes (mounted by `emulator.serve.app.Server.app`):

    POST /api                          GraphQL: the subset in schema.graphql (ariadne, validated by graphql-core);
                                       `Authorization: Bearer <local token>` or 401, as the platform
    GET  /auth/meta                    what prism and cnikit ask a stack before logging in
    PUT  /__cnikit/prism/blob/<token>  a package or media upload (links from publishComponent / uploadMedia)
    GET  /__cnikit/prism/blob/<token>  a step result, msgpack `{data, contentType}` (links from `resultsUrl`;
                                       HEAD gives its size, as `resultsMetadataUrl`)
    GET  /configure-instance/<id>/     the "configure the test instance" page: says to run the local wizard

The links are unguessable and expire (`links.py`); the flows' `testUrl`s are the server's own webhook URLs.
Resolvers are modules by subject (`integrations.py`, `executions.py`) over `ApiState`.
"""

from __future__ import annotations

import asyncio
import html
from importlib import resources
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from emulator.serve.api.imports import MAX_PACKAGE_BYTES, ImportFailed, Imports
from emulator.serve.api.links import PREFIX, Links
from emulator.serve.api.state import ApiState
from emulator.serve.webhook import read_body

if TYPE_CHECKING:
    from graphql import GraphQLSchema
    from starlette.types import ASGIApp, Receive, Scope, Send

    from emulator.serve.runtime import Runtime

MAX_MEDIA_BYTES = 5 * 1024 * 1024


def schema_text() -> str:
    """The served schema (SDL)."""
    return resources.files(__package__).joinpath("schema.graphql").read_text(encoding="utf-8")


def make_schema() -> GraphQLSchema:
    """The executable schema: schema.graphql bound to the resolver modules."""
    from ariadne import make_executable_schema

    from emulator.serve.api import executions, integrations

    return make_executable_schema(
        schema_text(),
        integrations.query,
        integrations.mutation,
        integrations.integration_type,
        integrations.instance_type,
        executions.query,
        executions.mutation,
        executions.execution_type,
    )


def bearer(request: Request | Any) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class _RequireToken:
    """ASGI middleware for /api: the project's local token or 401 with a GraphQL-shaped error (prism prints it)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from cnikit.local_token import matches

        if scope["type"] == "http" and not matches(self.token, bearer(Request(scope))):
            message = (
                "Unauthorized: send the project's local token (`export PRISM_ACCESS_TOKEN=…` as `cnikit serve` "
                "printed it, from .spectral/local/token)"
            )
            await JSONResponse({"errors": [{"message": message}]}, 401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class PrismApi:
    """The Prismatic API of one served project."""

    def __init__(self, runtime: Runtime, base_url: str, token: str) -> None:
        self.state = ApiState(runtime, Imports(runtime), Links(base_url), base_url)
        self.token = token

    def routes(self) -> list[Route]:
        """The Starlette routes (see the module docstring)."""
        from ariadne.asgi import GraphQL

        graphql = GraphQL(make_schema(), context_value=self._context, introspection=True)
        return [
            Route("/api", _RequireToken(graphql, self.token), methods=["GET", "POST"]),
            Route("/auth/meta", self.auth_meta),
            Route(f"{PREFIX}/{{token}}", self.blob, methods=["GET", "PUT"]),
            Route("/configure-instance/{id}/", self.configure),
            Route("/configure-instance/{id}", self.configure),
        ]

    def _context(self, request: Any, _data: Any) -> dict[str, Any]:
        return {"request": request, "api": self.state}

    async def auth_meta(self, _request: Request) -> Response:
        """What a client asks a stack before logging in; logging in is not needed (nor possible) here."""
        return JSONResponse(
            {"domain": "127.0.0.1", "clientId": "cnikit-serve-local", "audience": self.state.base_url, "local": True}
        )

    async def blob(self, request: Request) -> Response:
        """Uploads (PUT: a component package or media) and step results (GET), by link."""
        token = request.path_params["token"]
        links = self.state.links
        if request.method in ("GET", "HEAD"):  # HEAD: the size, as a client checks before downloading
            link = links.resolve(token, "result")
            if link is None:
                return _expired()
            return await asyncio.to_thread(self._result, link.ref)
        link = links.resolve(token, "package") or links.resolve(token, "media")
        if link is None:
            return _expired()
        limit = MAX_PACKAGE_BYTES if link.kind == "package" else MAX_MEDIA_BYTES
        body = await read_body(request, limit)
        if body is None:
            return JSONResponse({"error": f"the upload is larger than {limit} bytes"}, 413)
        if link.kind == "media":
            return Response(b"", 200)  # icons and avatars are accepted; the emulator shows none
        try:
            await asyncio.to_thread(self.state.imports.upload_package, link.ref, body)
        except ImportFailed as failed:
            return JSONResponse({"error": str(failed)}, 400)
        except Exception as error:  # the bundle does not load: the old one keeps serving; say why in one line
            from emulator.session import session_error

            mapped = session_error(error)
            if mapped is None:
                raise
            return JSONResponse({"error": mapped.message}, 400)
        return Response(b"", 200)

    def _result(self, ref: str) -> Response:
        from emulator.serve.api.executions import result_blob

        execution_id, _, step = ref.partition("\n")
        found = [s for s in self.state.runtime.executor.store.steps(execution_id) if s.name == step]
        if not found:
            return JSONResponse({"error": f"execution {execution_id} has no step {step!r}"}, 404)
        return Response(result_blob(found[0]), 200, media_type="application/octet-stream")

    async def configure(self, request: Request) -> Response:
        """prism's "configure the test instance" URL: the local instance is configured in the local wizard."""
        root = html.escape(str(self.state.runtime.root))
        page = (
            "<!doctype html><meta charset=utf-8><title>Configure the local instance</title>"
            "<h1>Configure the local instance</h1>"
            f"<p>This is <code>cnikit serve</code> for <code>{root}</code>. Its test instance is configured locally: "
            f"run</p><pre>cd {root}\ncnikit tui --screen wizard</pre>"
            "<p>then test again; the values are read at the next execution.</p>"
        )
        return HTMLResponse(page)


def _expired() -> Response:
    return JSONResponse({"error": "this link is unknown or has expired; ask the API for a new one"}, 403)
