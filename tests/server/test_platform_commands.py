"""The cloud workflow from the editor, against the fake Prismatic stack: login, me, token, logout, URL, import,
test in Prismatic, cloud results, designer URL."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.fakes.prismatic import FakePrismatic
from tests.server.conftest import FIXTURES, Session, StartSession
from tests.server.test_run_commands import field, plain


def platform_env(fake: FakePrismatic, tmp_path: Path, **extra: str | None) -> dict[str, str | None]:
    """The server talks to the fake, keeps tokens in an in-memory keyring, and finds the fake prism CLI."""
    return {
        "PRISMATIC_URL": fake.url,
        "PYTHON_KEYRING_BACKEND": "tests.fakes.keyring.MemoryKeyring",
        "CNIKIT_CONFIG_FILE": str(tmp_path / "cnikit-config.yml"),
        "PRISM_CONFIG_FILE": str(tmp_path / "prism-config.yml"),
        "FAKE_PRISM_RECORD": str(tmp_path / "prism-call.json"),
        "PATH": f"{FIXTURES / 'fake-prism'}{os.pathsep}{os.environ['PATH']}",
        "PRISM_ACCESS_TOKEN": None,
        "PRISM_REFRESH_TOKEN": None,
        "PRISMATIC_TENANT_ID": None,
        "PRISM_PROFILE": None,
        "CNIKIT_PROFILE": None,
        "CNIKIT_KEYRING_PASSWORD": None,
        **extra,
    }


async def status_after(session: Session, count: int, ready: Any) -> dict[str, Any]:
    """The first `cnikit/status` after the first `count` ones that `ready` accepts."""
    seen = session.notifications["cnikit/status"]

    def find() -> Any:
        return next((plain(p) for p in seen[count:] if ready(plain(p))), None)

    return await session.wait_for("cnikit/status", find)


async def test_login_me_refresh_and_logout(start_session: StartSession, workspace, fake, tmp_path) -> None:
    root = workspace("lsp-platform")
    session = await start_session([root], env=platform_env(fake, tmp_path))
    started = await session.command("cnikit.server.login", {})
    authorize_url = field(started, "authorizeUrl")
    assert authorize_url.startswith(f"{fake.url}/oidc/authorize?")

    async with httpx.AsyncClient(follow_redirects=True, timeout=10) as browser:  # the user's browser
        await browser.get(authorize_url)
    status = await status_after(session, 0, lambda p: p["user"] is not None)
    assert status["user"] == {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert status["organization"] == "Acme Corp"
    assert status["url"] == fake.url
    assert status["activeProject"] == str(root)

    assert plain(await session.command("cnikit.server.getStatus")) == status
    me = plain(await session.command("cnikit.server.me"))
    assert me == {"name": "Ada Lovelace", "email": "ada@example.com", "organization": "Acme Corp", "url": fake.url}

    grants_before = len(fake.token_grants)
    token = plain(await session.command("cnikit.server.refreshToken"))
    assert token["expiresAt"] is not None and token["expiresAt"].endswith("Z")
    assert len(fake.token_grants) == grants_before + 1  # a real refresh happened

    count = len(session.notifications["cnikit/status"])
    assert plain(await session.command("cnikit.server.logout")) == {"message": "Successfully logged out."}
    await status_after(session, count, lambda p: p["user"] is None)
    assert plain(await session.command("cnikit.server.getStatus"))["user"] is None
    with pytest.raises(JsonRpcException, match="Not logged in"):
        await session.command("cnikit.server.me")


async def test_prismatic_url_is_shown_and_set(start_session: StartSession, workspace, fake, tmp_path) -> None:
    root = workspace("lsp-platform")
    session = await start_session([root], env=platform_env(fake, tmp_path, PRISMATIC_URL=None))
    assert plain(await session.command("cnikit.server.prismaticUrl")) == {"url": "https://app.prismatic.io"}
    chosen = plain(await session.command("cnikit.server.prismaticUrl", {"url": "https://app.eu-west-1.prismatic.io/"}))
    assert chosen == {"url": "https://app.eu-west-1.prismatic.io"}
    assert "app.eu-west-1.prismatic.io" in (tmp_path / "cnikit-config.yml").read_text()
    assert plain(await session.command("cnikit.server.prismaticUrl")) == {"url": "https://app.eu-west-1.prismatic.io"}
    with pytest.raises(JsonRpcException, match="Expected a URL"):
        await session.command("cnikit.server.prismaticUrl", {"url": "prismatic"})


async def test_import_then_open_in_browser(start_session: StartSession, workspace, fake, tmp_path) -> None:
    root = workspace("lsp-platform")
    env = platform_env(fake, tmp_path, PRISM_REFRESH_TOKEN=fake.issue_refresh_token())
    session = await start_session([root], env=env)
    with pytest.raises(JsonRpcException, match="has not been imported yet"):
        await session.command("cnikit.server.openInBrowser")

    result = plain(await session.command("cnikit.server.importIntegration", {"project": str(root)}))
    assert result == {"integrationId": "SW50ZWdyYXRpb246ZmFrZQ=="}
    assert json.loads((root / ".spectral" / "prism.json").read_text())["integrationId"] == result["integrationId"]
    call = json.loads((tmp_path / "prism-call.json").read_text())
    assert call["argv"] == ["integrations:import"] and call["dist"] is True  # built before prism ran
    reports = [
        report.message
        for reports in session.client.progress_reports.values()
        for report in reports
        if isinstance(report, types.WorkDoneProgressReport)
    ]
    assert "Importing with prism integrations:import…" in reports

    designer = plain(await session.command("cnikit.server.openInBrowser"))
    assert designer == {"url": f"{fake.url}/designer/SW50ZWdyYXRpb246ZmFrZQ==/"}


async def test_test_in_prismatic_follows_the_execution(start_session: StartSession, workspace, fake, tmp_path) -> None:
    root = workspace("lsp-platform")
    fake.quick = True
    integration = fake.add_integration(flows=1)
    (root / ".spectral" / "prism.json").write_text(json.dumps({"integrationId": integration.id}))
    env = platform_env(fake, tmp_path, PRISM_REFRESH_TOKEN=fake.issue_refresh_token())
    session = await start_session([root], env=env)
    payload = root / ".spectral" / "flows" / "flow-1" / "payloads" / "order.json"

    started = plain(await session.command("cnikit.server.testIntegration", {"flow": "flow-1", "payload": str(payload)}))
    execution_id = started["executionId"]
    update = await session.notification(
        "cnikit/executionUpdated",
        lambda p: plain(p)["execution"]["id"] == execution_id and plain(p)["execution"]["status"] != "running",
    )
    summary = plain(update)["execution"]
    updates = [plain(p)["execution"] for p in session.notifications["cnikit/executionUpdated"]]
    assert updates[0]["status"] == "running" and updates[0]["id"] == execution_id  # shown at once, then followed
    assert summary["source"] == "cloud"
    assert summary["status"] == "succeeded"
    assert [step["name"] for step in summary["steps"]] == ["onTrigger", "onExecution"]
    log = await session.notification("cnikit/executionLog", lambda p: plain(p)["message"] == "Almost done")
    assert plain(log)["executionId"] == execution_id and plain(log)["step"] == "onExecution"
    sent = fake.executions[execution_id].request
    assert json.loads(sent["payload"]) == {"order": 7}

    listed = plain(await session.command("cnikit.server.listExecutions", {"source": "cloud"}))
    assert [item["id"] for item in listed] == [execution_id]
    logs = plain(
        await session.command("cnikit.server.getExecutionLogs", {"executionId": execution_id, "source": "cloud"})
    )
    assert "[WARN] [onExecution] Almost done" in logs["text"]
    output = plain(
        await session.command(
            "cnikit.server.getStepOutput", {"executionId": execution_id, "step": "onExecution", "source": "cloud"}
        )
    )
    assert json.loads(output["json"]) == {"processed": True, "received": {"order": 7}}


async def test_test_in_prismatic_refuses_an_unconfigured_instance(
    start_session: StartSession, workspace, fake, tmp_path
) -> None:
    root = workspace("lsp-platform")
    integration = fake.add_integration(config_state="NEEDS_INSTANCE_CONFIGURATION")
    (root / ".spectral" / "prism.json").write_text(json.dumps({"integrationId": integration.id}))
    env = platform_env(fake, tmp_path, PRISM_REFRESH_TOKEN=fake.issue_refresh_token())
    session = await start_session([root], env=env)
    with pytest.raises(JsonRpcException, match="configure-instance") as raised:
        await session.command("cnikit.server.testIntegration", {"flow": "flow-1"})
    assert "\n" not in str(raised.value)
    assert not fake.executions  # nothing ran


async def test_prismatic_url_overridden_by_the_environment_says_so(
    start_session: StartSession, workspace, fake, tmp_path
) -> None:
    root = workspace("lsp-platform")
    session = await start_session([root], env=platform_env(fake, tmp_path))  # PRISMATIC_URL is the fake
    answer = plain(await session.command("cnikit.server.prismaticUrl", {"url": "https://app.eu-west-1.prismatic.io"}))
    assert answer == {"url": fake.url}  # what the next command will really use
    warning = await session.wait_for(types.WINDOW_SHOW_MESSAGE, lambda: session.client.messages)
    assert "takes precedence" in warning[-1].message and fake.url in warning[-1].message


async def test_switch_tenant_lists_then_switches(start_session: StartSession, workspace, fake, tmp_path) -> None:
    root = workspace("lsp-platform")
    env = platform_env(fake, tmp_path, PRISM_REFRESH_TOKEN=fake.issue_refresh_token())
    session = await start_session([root], env=env)
    only = plain(await session.command("cnikit.server.switchTenant"))
    assert only == {"message": "Only one tenant available to your account."}

    fake.tenants.append({"tenantId": "tenant-beta", "url": "", "orgName": "Beta Ltd", "awsRegion": "eu-west-1"})
    listed = plain(await session.command("cnikit.server.switchTenant"))
    assert [(t["tenantId"], t["orgName"], t["current"]) for t in listed["tenants"]] == [
        ("tenant-acme", "Acme Corp", True),
        ("tenant-beta", "Beta Ltd", False),
    ]
    same = plain(await session.command("cnikit.server.switchTenant", {"tenantId": "tenant-acme"}))
    assert same == {"message": "Already on selected tenant."}
    switched = plain(await session.command("cnikit.server.switchTenant", {"tenantId": "tenant-beta"}))
    assert switched["message"].startswith("Switched to ")
    with pytest.raises(JsonRpcException, match="not one of yours"):
        await session.command("cnikit.server.switchTenant", {"tenantId": "tenant-nope"})


async def test_refresh_integration_details(start_session: StartSession, workspace, fake, tmp_path) -> None:
    root = workspace("lsp-platform")
    env = platform_env(fake, tmp_path, PRISM_REFRESH_TOKEN=fake.issue_refresh_token())
    session = await start_session([root], env=env)
    with pytest.raises(JsonRpcException, match="has not been imported yet"):
        await session.command("cnikit.server.refreshIntegrationDetails")
    integration = fake.add_integration(flows=2)
    (root / ".spectral" / "prism.json").write_text(json.dumps({"integrationId": integration.id}))
    details = plain(await session.command("cnikit.server.refreshIntegrationDetails", {"project": str(root)}))
    assert details["integrationId"] == integration.id
    assert details["systemInstanceId"] and details["configState"]
    assert len(details["flows"]) == 2
