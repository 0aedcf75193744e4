"""Login (OAuth 2.0 authorization code + PKCE with a loopback callback) and token refresh, as the official tools do.

`GET <stack>/auth/meta` gives `{domain, clientId, audience}`; `https://<domain>/.well-known/openid-configuration` gives
the endpoints. The browser is sent to the authorize endpoint with `redirect_uri=http://localhost:<port>` (a free port
in 59400–59450), the callback's `state` is checked, and the code is exchanged for tokens. Refresh posts
`grant_type=refresh_token` (with `tenant_id` to switch tenants) to the token endpoint and keeps the old refresh token
when none comes back.

`Session` owns the tokens of one stack URL and profile: where they come from (environment, keyring, prism's config
file), refreshing five minutes before expiry and once on a 401, and clearing them when a refresh is refused.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import random
import secrets as pysecrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from cnikit import secrets
from cnikit.platform.errors import LoginError, NotLoggedIn, PlatformError, SessionExpired
from cnikit.platform.local import local_tokens
from cnikit.platform.tokens import TokenSet, TokenStore, jwt_expiry, normalize_url, read_prism_profiles
from cnikit.settings import DEFAULT_URL, Settings

log = logging.getLogger(__name__)

SCOPES = "openid profile email offline_access"
PORT_RANGE = (59400, 59450)
LISTEN_ATTEMPTS = 5
LOGIN_TIMEOUT_S = 120.0

SUCCESS_PAGE = (
    "<!doctype html><html><body><h1>Login successful!</h1>"
    "<p>You can close this tab and return to cnikit.</p></body></html>"
)
FAILURE_PAGE = "<!doctype html><html><body><h1>Login failed</h1><p>{reason}</p></body></html>"


class AuthMeta(BaseModel):
    """`GET <stack>/auth/meta`."""

    domain: str
    clientId: str
    audience: str


class OidcConfig(BaseModel):
    """The parts of the OIDC discovery document the login uses."""

    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    revocation_endpoint: str


class _TokenResponse(BaseModel):
    access_token: str
    refresh_token: str | None = None
    id_token: str | None = None
    expires_in: int


def _domain_base(domain: str) -> str:
    # Auth0 gives a bare host; a full URL (a private stack, the test fake) is used as is.
    return domain.rstrip("/") if "://" in domain else f"https://{domain.rstrip('/')}"


_discovery_cache: dict[str, tuple[AuthMeta, OidcConfig]] = {}


_M = TypeVar("_M", bound=BaseModel)


async def _get_model(http: httpx.AsyncClient, url: str, model: type[_M], *, failed: str, invalid: str) -> _M:
    """GET `url` and parse its JSON as `model`; `PlatformError` says `failed` (non-200) or `invalid` (wrong shape)."""
    try:
        response = await http.get(url)
    except httpx.HTTPError as exc:
        raise PlatformError(f"Network request to {url} failed: {_reason(exc)}") from None
    if response.status_code != 200:
        raise PlatformError(f"{failed}: {response.status_code} {response.reason_phrase}")
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        raise PlatformError(invalid) from None


async def discover(http: httpx.AsyncClient, url: str) -> tuple[AuthMeta, OidcConfig]:
    """Auth meta and OIDC endpoints of the stack at `url` (cached per URL for this process)."""
    url = normalize_url(url)
    if url in _discovery_cache:
        return _discovery_cache[url]
    meta = await _get_model(
        http,
        f"{url}/auth/meta",
        AuthMeta,
        failed=f"Failed to fetch auth config from {url}/auth/meta",
        invalid=f"{url}/auth/meta did not return {{domain, clientId, audience}}; is {url} a Prismatic stack?",
    )
    oidc = await _get_model(
        http,
        f"{_domain_base(meta.domain)}/.well-known/openid-configuration",
        OidcConfig,
        failed=f"Failed to fetch OIDC configuration from {meta.domain}",
        invalid=f"The OIDC configuration of {meta.domain} lacks the authorize/token endpoints",
    )
    _discovery_cache[url] = (meta, oidc)
    return meta, oidc


def clear_discovery_cache() -> None:
    """Forget discovered endpoints (after the stack URL changes)."""
    _discovery_cache.clear()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge): 32 random bytes base64url (43 chars) and its SHA-256, base64url."""
    verifier = _b64url(pysecrets.token_bytes(32))
    return verifier, _b64url(hashlib.sha256(verifier.encode()).digest())


def new_state() -> str:
    """16 random bytes, base64url (22 chars)."""
    return _b64url(pysecrets.token_bytes(16))


@dataclass
class Callback:
    """What the browser brought back to the loopback server."""

    code: str
    state: str


class LoopbackServer:
    """The one-shot HTTP server on `localhost:<port>` (59400–59450) that receives the authorization code."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[Callback] | None = None

    @property
    def redirect_uri(self) -> str:
        """The `redirect_uri` the authorize request names."""
        return f"http://localhost:{self.port}"

    async def start(self) -> None:
        """Listen on a random free port of the range (5 attempts, like the official tools)."""
        self._result = asyncio.get_running_loop().create_future()
        last: OSError | None = None
        for _ in range(LISTEN_ATTEMPTS):
            port = random.randint(*PORT_RANGE)
            try:
                self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
            except OSError as exc:
                last = exc
                continue
            self.port = port
            return
        raise LoginError(f"Failed to start callback server after {LISTEN_ATTEMPTS} attempts: {last}")

    async def wait(self, timeout: float) -> Callback:
        """The callback, or `LoginError("Login timed out. Please try again.")` after `timeout` seconds."""
        assert self._result is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), timeout)
        except TimeoutError:
            raise LoginError("Login timed out. Please try again.") from None

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode("latin-1")
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # headers are not needed
            parts = request_line.split(" ")
            target = parts[1] if len(parts) > 1 else "/"
            query = parse_qs(urlsplit(target).query)
            first = {k: v[0] for k, v in query.items()}
            if "error" in first:
                page = FAILURE_PAGE.format(reason="The sign-in was refused.")
                self._settle(LoginError(f"OAuth error: {first['error']} - {first.get('error_description', '')}"))
            elif "code" in first and "state" in first:
                page = SUCCESS_PAGE
                self._settle(Callback(code=first["code"], state=first["state"]))
            elif urlsplit(target).path == "/favicon.ico":
                page = ""
            else:
                page = FAILURE_PAGE.format(reason="The callback carried no authorization code.")
                self._settle(LoginError("Callback missing authorization code"))
            body = page.encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        finally:
            writer.close()

    def _settle(self, outcome: Callback | Exception) -> None:
        if self._result is None or self._result.done():
            return
        if isinstance(outcome, Exception):
            self._result.set_exception(outcome)
        else:
            self._result.set_result(outcome)


def authorize_url(meta: AuthMeta, oidc: OidcConfig, redirect_uri: str, challenge: str, state: str) -> str:
    """The browser URL of the authorize step (no Auth0 `connection`, so SSO logins work)."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": meta.clientId,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "audience": meta.audience,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
        }
    )
    return f"{oidc.authorization_endpoint}?{query}"


async def _token_request(http: httpx.AsyncClient, endpoint: str, form: dict[str, str], what: str) -> _TokenResponse:
    try:
        response = await http.post(endpoint, data=form)
    except httpx.HTTPError as exc:
        raise PlatformError(f"{what} failed: network request to {endpoint} failed: {_reason(exc)}") from None
    if response.status_code != 200:
        detail = _oauth_error(response)
        raise PlatformError(f"{what} failed: {response.status_code} {detail}")
    try:
        return _TokenResponse.model_validate_json(response.content)
    except ValidationError:
        raise PlatformError(f"{what} failed: the token endpoint's answer has no access_token/expires_in") from None


def _oauth_error(response: httpx.Response) -> str:
    # Only the OAuth error fields: never echo a body that might carry a token.
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(data, dict) and "error" in data:
        return f"{data['error']}: {data.get('error_description', '')}".strip(": ")
    return response.reason_phrase


def _token_set(answer: _TokenResponse, previous_refresh: str, tenant_id: str | None) -> TokenSet:
    expires = jwt_expiry(answer.access_token) or (time.time() + answer.expires_in)
    return TokenSet(
        access_token=answer.access_token,
        refresh_token=answer.refresh_token or previous_refresh,
        id_token=answer.id_token or "",
        expires_at=min(expires, time.time() + answer.expires_in),
        tenant_id=tenant_id,
    )


async def exchange_code(
    http: httpx.AsyncClient, meta: AuthMeta, oidc: OidcConfig, code: str, verifier: str, redirect_uri: str
) -> TokenSet:
    """Trade the authorization code for tokens."""
    answer = await _token_request(
        http,
        oidc.token_endpoint,
        {
            "grant_type": "authorization_code",
            "client_id": meta.clientId,
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
        },
        "Token exchange",
    )
    return _token_set(answer, "", None)


async def refresh_tokens(
    http: httpx.AsyncClient, meta: AuthMeta, oidc: OidcConfig, refresh_token: str, tenant_id: str | None
) -> TokenSet:
    """New tokens from a refresh token (for `tenant_id` when given); the refresh token is kept when none returns."""
    form = {"grant_type": "refresh_token", "client_id": meta.clientId, "refresh_token": refresh_token}
    if tenant_id:
        form["tenant_id"] = tenant_id
    answer = await _token_request(http, oidc.token_endpoint, form, "Token refresh")
    return _token_set(answer, refresh_token, tenant_id)


Source = Literal["environment", "local", "keyring", "prism"]
OpenBrowser = Callable[[str], Awaitable[None] | None]


def resolve_profile(settings: Settings) -> str:
    """The profile: settings (CNIKIT_PROFILE / PRISM_PROFILE / files), else prism's defaultProfile, else `default`."""
    if settings.profile:
        return settings.profile
    default, _ = read_prism_profiles(settings.prism_config_path())
    return default or "default"


def resolve_url(settings: Settings) -> str:
    """The stack URL: settings (PRISMATIC_URL / files), else the prism profile's URL, else the default stack."""
    if settings.prismatic_url:
        return normalize_url(settings.prismatic_url)
    _, profiles = read_prism_profiles(settings.prism_config_path())
    chosen = profiles.get(resolve_profile(settings))
    return chosen.prismatic_url if chosen else DEFAULT_URL


class Session:
    """The tokens of one stack URL and profile, and everything that keeps them fresh.

    Precedence (as prism): `PRISM_ACCESS_TOKEN`/`PRISM_REFRESH_TOKEN` (never stored) > for a local `cnikit serve`
    (a loopback URL), the project's local token > the keyring entry > the prism CLI profile for this URL (read only;
    refreshed tokens then go to the keyring).
    """

    def __init__(self, settings: Settings, http: httpx.AsyncClient, *, project: Path | None = None) -> None:
        self.settings = settings
        self.project = project  # for a local `cnikit serve` stack: its local token (cnikit.platform.local)
        self.http = http
        self.url = resolve_url(settings)
        self.profile = resolve_profile(settings)
        self.store = TokenStore(self.url, self.profile)
        self._tokens: TokenSet | None = None
        self._source: Source | None = None
        self._lock = asyncio.Lock()

    @property
    def source(self) -> Source | None:
        """Where the current tokens came from (None before the first use or when logged out)."""
        self._load()
        return self._source

    def _load(self) -> TokenSet | None:
        if self._tokens is not None:
            return self._tokens
        s = self.settings
        if s.access_token or s.refresh_token:
            access = s.access_token.get_secret_value() if s.access_token else ""
            # An env access token without a refresh token is used as is; with one, expiry is honoured.
            expiry = jwt_expiry(access) if access else 0.0
            if access and expiry is None:
                expiry = float("inf") if not s.refresh_token else 0.0
            self._tokens = TokenSet(
                access_token=access,
                refresh_token=s.refresh_token.get_secret_value() if s.refresh_token else "",
                expires_at=expiry or 0.0,
                tenant_id=s.tenant_id,
            )
            self._source = "environment"
            return self._tokens
        local = local_tokens(self.url, self.project)
        if local is not None:
            self._tokens, self._source = local, "local"
            return local
        stored = self.store.load()
        if stored is not None:
            self._tokens, self._source = stored, "keyring"
            return stored
        _, profiles = read_prism_profiles(s.prism_config_path())
        candidate = profiles.get(self.profile)
        if candidate is None or candidate.prismatic_url != self.url:
            matches = [p for p in profiles.values() if p.prismatic_url == self.url]
            candidate = matches[0] if len(matches) == 1 else candidate
        if candidate is not None and candidate.prismatic_url == self.url and candidate.tokens.refresh_token:
            self._tokens, self._source = candidate.tokens, "prism"
            return candidate.tokens
        return None

    def is_logged_in(self) -> bool:
        """Tokens exist for this stack and profile (they may still need a refresh)."""
        return self._load() is not None

    @property
    def tenant_id(self) -> str | None:
        """The tenant the tokens are for, when known."""
        tokens = self._load()
        return tokens.tenant_id if tokens else None

    async def access_token(self, *, force_refresh: bool = False) -> str:
        """A valid access token: refreshed when it expires within five minutes, or when `force_refresh`."""
        async with self._lock:
            tokens = self._load()
            if tokens is None:
                raise NotLoggedIn(f"Not logged in to {self.url}. Run `cnikit login` first.")
            if force_refresh and self._source == "local":
                raise NotLoggedIn(
                    f"The local server at {self.url} refused this project's token (.spectral/local/token): "
                    "is that `cnikit serve` serving this project?"
                )
            if force_refresh or tokens.needs_refresh():
                if not tokens.refresh_token:
                    if force_refresh or not tokens.access_token:
                        raise SessionExpired("no refresh token")
                    return tokens.access_token
                tokens = await self._refresh(tokens, tokens.tenant_id)
            return tokens.access_token

    async def switch_tenant(self, tenant_id: str) -> TokenSet:
        """Refresh the tokens for another tenant and keep them."""
        async with self._lock:
            tokens = self._load()
            if tokens is None or not tokens.refresh_token:
                raise NotLoggedIn("Not logged in. Please log in first.")
            return await self._refresh(tokens, tenant_id)

    async def _refresh(self, tokens: TokenSet, tenant_id: str | None) -> TokenSet:
        meta, oidc = await discover(self.http, self.url)
        log.debug("refreshing tokens for %s (profile %s, tenant %s)", self.url, self.profile, tenant_id)
        try:
            fresh = await refresh_tokens(self.http, meta, oidc, tokens.refresh_token, tenant_id)
        except PlatformError as exc:
            if self._source == "environment":
                raise SessionExpired(f"PRISM_REFRESH_TOKEN was refused: {exc}") from None
            self.forget()
            raise SessionExpired(str(exc)) from None
        self._tokens = fresh
        if self._source != "environment":
            try:
                self.store.save(fresh)
                self._source = "keyring"
            except secrets.SecretStoreError as exc:
                # Keep working in memory; say once why nothing was kept.
                log.warning("tokens are kept for this process only: %s", exc)
        return fresh

    def adopt(self, tokens: TokenSet) -> None:
        """Keep freshly issued login tokens (in the keyring; raises when there is no safe keyring)."""
        self.store.save(tokens)
        self._tokens, self._source = tokens, "keyring"

    def forget(self) -> None:
        """Drop the tokens (keyring entry included). Environment tokens stay in the environment."""
        self.store.clear()
        self._tokens, self._source = None, None


async def browser_login(
    http: httpx.AsyncClient,
    url: str,
    open_browser: OpenBrowser,
    *,
    timeout: float = LOGIN_TIMEOUT_S,
) -> TokenSet:
    """Run the PKCE login in the browser and return the new tokens (nothing is stored here).

    `open_browser(authorize_url)` shows the URL to the user (opens a browser, or prints it for `--no-browser`).
    The loopback server is always closed, whatever happens.
    """
    meta, oidc = await discover(http, url)
    verifier, challenge = pkce_pair()
    state = new_state()
    server = LoopbackServer()
    await server.start()
    try:
        result = open_browser(authorize_url(meta, oidc, server.redirect_uri, challenge, state))
        if result is not None:
            await result
        callback = await server.wait(timeout)
        if not pysecrets.compare_digest(callback.state, state):
            raise LoginError("OAuth state mismatch — possible CSRF attack. Please try again.")
        return await exchange_code(http, meta, oidc, callback.code, verifier, server.redirect_uri)
    finally:
        await server.close()
