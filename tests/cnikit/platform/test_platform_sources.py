"""Where tokens come from (environment, prism's config file, settings files) and how failures read."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from cnikit.platform.client import PrismaticClient
from cnikit.platform.errors import GraphQLError, NotLoggedIn, PlatformError
from cnikit.settings import SettingsError, load_settings, save_user_setting
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic


async def test_refresh_token_from_the_environment_is_used_and_never_stored(
    fake: FakePrismatic, env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.tenants.append({"tenantId": "tenant-beta", "url": "", "orgName": "Beta Ltd", "awsRegion": "eu-west-1"})
    monkeypatch.setenv("PRISM_REFRESH_TOKEN", fake.issue_refresh_token())
    monkeypatch.setenv("PRISMATIC_TENANT_ID", "tenant-beta")
    async with PrismaticClient(load_settings()) as client:
        user = await client.me()
        assert client.session.source == "environment"
    assert user.organization == "Beta Ltd"
    assert fake.token_grants[0]["tenant_id"] == "tenant-beta"
    assert env.entries == {}


async def test_access_token_from_the_environment_is_used_as_is(
    fake: FakePrismatic, env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRISM_ACCESS_TOKEN", fake.issue_access_token())
    async with PrismaticClient(load_settings()) as client:
        assert (await client.me()).name == "Ada Lovelace"
    assert fake.token_grants == [] and env.entries == {}


def _prism_config(path: Path, fake: FakePrismatic, *, legacy: bool = False) -> dict[str, object]:
    profile = {
        "accessToken": fake.issue_access_token(ttl=60),  # nearly expired: a refresh is due
        "expiresIn": 86400,
        "refreshToken": fake.issue_refresh_token(),
        "scope": "openid profile email offline_access",
        "tokenType": "Bearer",
    }
    if legacy:
        data: dict[str, object] = profile
    else:
        data = {
            "version": 1,
            "defaultProfile": "work",
            "profiles": {"work": {**profile, "tenantId": "tenant-acme", "prismaticUrl": fake.url}},
        }
    path.write_text(yaml.safe_dump(data))
    return data


async def test_a_prism_login_is_picked_up_and_its_file_never_written(
    fake: FakePrismatic, env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PRISMATIC_URL")  # the URL comes from the prism profile too
    prism_file = tmp_path / "prism-config.yml"
    _prism_config(prism_file, fake)
    before = prism_file.read_bytes()
    async with PrismaticClient(load_settings()) as client:
        assert client.url == fake.url and client.session.profile == "work"
        assert client.session.source == "prism"
        assert (await client.me()).email == "ada@example.com"
    assert prism_file.read_bytes() == before
    # The refreshed tokens became cnikit's own, in the keyring under prism's profile name.
    assert ("cnikit", f"tokens:work@{fake.url}") in env.entries


async def test_a_legacy_prism_file_is_read_as_profile_default(
    fake: FakePrismatic, env: MemoryKeyring, tmp_path: Path
) -> None:
    _prism_config(tmp_path / "prism-config.yml", fake, legacy=True)
    async with PrismaticClient(load_settings()) as client:
        assert client.session.source == "prism"
        assert (await client.me()).name == "Ada Lovelace"


async def test_not_logged_in_says_what_to_do(fake: FakePrismatic, env: MemoryKeyring) -> None:
    async with PrismaticClient(load_settings()) as client:
        with pytest.raises(NotLoggedIn, match=f"Not logged in to {fake.url}. Run `cnikit login` first."):
            await client.me()


async def test_graphql_and_mutation_errors_are_one_line(
    fake: FakePrismatic, env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRISM_ACCESS_TOKEN", fake.issue_access_token())
    fake.graphql_errors["GetAuthenticatedUser"] = "Internal error\n  at resolver"
    integration = fake.add_integration()
    async with PrismaticClient(load_settings()) as client:
        with pytest.raises(GraphQLError) as err:
            await client.me()
        assert str(err.value) == "GetAuthenticatedUser failed: Internal error at resolver"
        with pytest.raises(GraphQLError, match=r"^TestIntegrationFlow failed: id: Flow not found\.$"):
            await client.test_flow("no-such-flow")
        with pytest.raises(GraphQLError, match=r"No integration found for ID \(nope\)"):
            await client.integration("nope")
        assert (await client.integration(integration.id)).flows[0].stableKey == "flow-1"


async def test_network_failure_names_the_url(env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PRISMATIC_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("PRISM_ACCESS_TOKEN", "not-a-jwt")
    async with PrismaticClient(load_settings()) as client:
        with pytest.raises(PlatformError, match=rf"^Network request to http://127.0.0.1:{port}/api failed: "):
            await client.me()


def test_settings_precedence_and_refusals(
    env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake: FakePrismatic
) -> None:
    project = tmp_path / "project"
    (project / ".spectral").mkdir(parents=True)
    save_user_setting("prismatic_url", "https://user.example")
    (project / ".spectral" / "cnikit.yml").write_text("prismatic_url: https://project.example\nprofile: team\n")
    assert load_settings(project).prismatic_url == fake.url  # environment wins
    monkeypatch.delenv("PRISMATIC_URL")
    assert load_settings(project).prismatic_url == "https://project.example"
    assert load_settings(project).profile == "team"
    assert load_settings().prismatic_url == "https://user.example"
    (project / ".spectral" / "cnikit.yml").write_text("refresh_token: abc\n")
    with pytest.raises(SettingsError, match="must not be in a settings file"):
        load_settings(project)
    (project / ".spectral" / "cnikit.yml").write_text("prismatic_url: [unclosed\n")
    with pytest.raises(SettingsError, match=r"cnikit\.yml: not readable YAML at line 2, column 1 \(expected "):
        load_settings(project)
