"""Login end to end against the fake stack: PKCE, loopback callback, tokens in the keyring, tenants, refresh."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cnikit.platform.client import PrismaticClient
from cnikit.platform.errors import LoginError, NotLoggedIn, SessionExpired
from cnikit.platform.models import Tenant
from cnikit.settings import load_settings
from tests.fakes.browser import Browser
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic


def _stored(keyring: MemoryKeyring, fake: FakePrismatic) -> dict[str, Any]:
    return json.loads(keyring.entries[("cnikit", f"tokens:default@{fake.url}")])


async def test_login_end_to_end_stores_tokens_in_the_keyring(
    fake: FakePrismatic, env: MemoryKeyring, browser: Browser
) -> None:
    async with PrismaticClient(load_settings()) as client:
        user = await client.login(browser)
        assert user.name == "Ada Lovelace" and user.organization == "Acme Corp" and user.endpoint_url == fake.url

    query = parse_qs(urlsplit(browser.visited[0]).query)
    assert query["scope"] == ["openid profile email offline_access"]
    assert query["code_challenge_method"] == ["S256"]
    port = int(urlsplit(query["redirect_uri"][0]).port or 0)
    assert 59400 <= port <= 59450
    assert "Login successful!" in browser.pages[0]

    stored = _stored(env, fake)
    assert stored["accessToken"] in fake.access_tokens
    assert stored["refreshToken"] in fake.refresh_tokens
    assert stored["tenantId"] == "tenant-acme"
    # A second process is logged in from the keyring alone.
    async with PrismaticClient(load_settings()) as client:
        assert (await client.me()).email == "ada@example.com"
        assert client.session.source == "keyring"
    # The loopback server is closed once the login is over.
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/?code=x&state=y", timeout=2)


async def test_forged_state_is_refused_and_nothing_is_stored(fake: FakePrismatic, env: MemoryKeyring) -> None:
    async def forging_browser(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{redirect}/?code=stolen&state=forged-state-value")
        assert page.status_code == 200

    async with PrismaticClient(load_settings()) as client:
        with pytest.raises(LoginError, match="OAuth state mismatch — possible CSRF attack"):
            await client.login(forging_browser)
        with pytest.raises(NotLoggedIn):
            await client.me()
    assert env.entries == {}
    assert not any(g.get("grant_type") == "authorization_code" for g in fake.token_grants)


async def test_login_timeout_and_oauth_error_leave_no_state(fake: FakePrismatic, env: MemoryKeyring) -> None:
    async def idle_browser(url: str) -> None:
        return None

    async def refusing_browser(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{redirect}/?error=access_denied&error_description=User+cancelled")
        assert "Login failed" in page.text

    async with PrismaticClient(load_settings()) as client:
        with pytest.raises(LoginError, match=r"Login timed out\. Please try again\."):
            await client.login(idle_browser, timeout=0.2)
        with pytest.raises(LoginError, match="OAuth error: access_denied - User cancelled"):
            await client.login(refusing_browser)
    assert env.entries == {}


async def test_several_tenants_are_offered_and_the_choice_is_kept(
    fake: FakePrismatic, env: MemoryKeyring, browser: Browser
) -> None:
    fake.tenants.append({"tenantId": "tenant-beta", "url": "", "orgName": "Beta Ltd", "awsRegion": "eu-west-1"})
    offered: list[tuple[list[str], str | None]] = []

    def choose(tenants: Sequence[Tenant], current: str | None) -> Tenant:
        offered.append(([t.tenantId for t in tenants], current))
        return tenants[1]

    async with PrismaticClient(load_settings()) as client:
        user = await client.login(browser, choose_tenant=choose)
    assert offered == [(["tenant-acme", "tenant-beta"], "tenant-acme")]
    assert user.tenantId == "tenant-beta" and user.organization == "Beta Ltd"
    assert _stored(env, fake)["tenantId"] == "tenant-beta"
    assert fake.token_grants[-1]["tenant_id"] == "tenant-beta"

    # Switching back later keeps the refresh token (none comes back from a refresh).
    async with PrismaticClient(load_settings()) as client:
        user = await client.switch_tenant("tenant-acme")
        assert user.organization == "Acme Corp"
        with pytest.raises(Exception, match="not one of yours"):
            await client.switch_tenant("tenant-nope")
    assert _stored(env, fake)["refreshToken"] in fake.refresh_tokens


async def test_proactive_refresh_five_minutes_before_expiry(
    fake: FakePrismatic, env: MemoryKeyring, browser: Browser
) -> None:
    async with PrismaticClient(load_settings()) as client:
        await client.login(browser)
    # Later: the stored access token now expires in 4 minutes, inside the 5-minute buffer.
    key = ("cnikit", f"tokens:default@{fake.url}")
    stored = _stored(env, fake)
    env.entries[key] = json.dumps({**stored, "expiresAt": int((time.time() + 240) * 1000)})
    async with PrismaticClient(load_settings()) as client:
        await client.me()
        await client.me()
    fresh = _stored(env, fake)
    assert fresh["accessToken"] != stored["accessToken"]
    assert fresh["refreshToken"] == stored["refreshToken"]  # none came back: the old one is kept
    assert [g["grant_type"] for g in fake.token_grants] == ["authorization_code", "refresh_token"]
    assert fresh["expiresAt"] / 1000 > time.time() + 3000


async def test_refresh_once_on_401(fake: FakePrismatic, env: MemoryKeyring, browser: Browser) -> None:
    async with PrismaticClient(load_settings()) as client:
        await client.login(browser)
        fake.expire_access_tokens()
        assert (await client.me()).name == "Ada Lovelace"
    assert [g["grant_type"] for g in fake.token_grants] == ["authorization_code", "refresh_token"]


async def test_refused_refresh_expires_the_session_and_clears_tokens(
    fake: FakePrismatic, env: MemoryKeyring, browser: Browser
) -> None:
    async with PrismaticClient(load_settings()) as client:
        await client.login(browser)
        fake.expire_access_tokens()
        fake.revoke_refresh_tokens()
        with pytest.raises(SessionExpired, match=r"^Session expired\. Please log in again\."):
            await client.me()
        with pytest.raises(NotLoggedIn):
            await client.me()
    assert env.entries == {}


async def test_logout_and_revoke(fake: FakePrismatic, env: MemoryKeyring, browser: Browser) -> None:
    async with PrismaticClient(load_settings()) as client:
        await client.login(browser)
        assert await client.logout() is True
        with pytest.raises(NotLoggedIn):
            await client.me()
        await client.login(browser)
        refresh = _stored(env, fake)["refreshToken"]
        await client.revoke()
    assert fake.revoked == [refresh] and env.entries == {}


async def test_without_a_safe_keyring_login_stops_before_the_browser(
    fake: FakePrismatic, env: MemoryKeyring, browser: Browser
) -> None:
    import keyring
    from keyring.backends import fail

    from cnikit.secrets import KeyringUnavailable

    keyring.set_keyring(fail.Keyring())
    async with PrismaticClient(load_settings()) as client:
        with pytest.raises(KeyringUnavailable, match="CNIKIT_KEYRING_PASSWORD"):
            await client.login(browser)
    assert browser.visited == [] and fake.token_grants == []
