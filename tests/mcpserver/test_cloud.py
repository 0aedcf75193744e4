"""Cloud tools exist only when logged in (the server never asks for a password); `me` and `test_in_prismatic`
against the fake stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.prismatic import FakePrismatic
from tests.mcpserver.conftest import served
from tests.mcpserver.test_tools import call


async def test_no_cloud_tool_when_logged_out(project: Path) -> None:
    async with served(project) as client:
        assert "me" not in {tool.name for tool in (await client.list_tools()).tools}


async def test_me_when_logged_in(project: Path, fake: FakePrismatic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISMATIC_URL", fake.url)
    monkeypatch.setenv("PRISM_ACCESS_TOKEN", fake.issue_access_token())
    async with served(project) as client:
        [tool] = [tool for tool in (await client.list_tools()).tools if tool.name == "me"]
        assert tool.annotations is not None and tool.annotations.read_only_hint and tool.annotations.open_world_hint
        user = await call(client, "me")
        assert (user["name"], user["organization"], user["url"]) == ("Ada Lovelace", "Acme Corp", fake.url)
        assert user["authentication"] == "environment"
        fake.expire_access_tokens()  # the token stops working: a one-line tool error, the server keeps serving
        failed = await client.call_tool("me", {})
        text = failed.content[0].text  # type: ignore[union-attr]
        assert failed.is_error and "\n" not in text, text
        assert text.endswith("me: Session expired. Please log in again. (no refresh token)"), text
        assert (await call(client, "explain_check", code="CNI701"))["code"] == "CNI701"


async def test_test_in_prismatic_runs_the_imported_flow_and_waits(
    project: Path, fake: FakePrismatic, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("PRISMATIC_URL", fake.url)
    monkeypatch.setenv("PRISM_ACCESS_TOKEN", fake.issue_access_token())
    fake.quick = True
    async with served(project) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert {"import_integration", "test_in_prismatic"} <= set(tools)
        annotations = tools["test_in_prismatic"].annotations
        assert annotations is not None and not annotations.read_only_hint and annotations.open_world_hint
        refused = await client.call_tool("test_in_prismatic", {"flow": "flow-1"})
        assert refused.is_error
        assert "has not been imported yet" in refused.content[0].text  # type: ignore[union-attr]

        integration = fake.add_integration(flows=1)
        (project / ".spectral" / "prism.json").write_text(json.dumps({"integrationId": integration.id}))
        ran = await call(client, "test_in_prismatic", flow="flow-1")
        assert (ran["flow"], ran["status"]) == ("Flow 1", "succeeded")
        assert ran["steps"] == ["onTrigger", "onExecution"]
        assert any("Almost done" in line for line in ran["logs"])
        assert ran["executionId"] in fake.executions


async def test_import_integration_builds_and_imports_with_prism(
    project: Path, fake: FakePrismatic, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json
    import os

    from tests.mcpserver.conftest import FIXTURES

    monkeypatch.setenv("PRISMATIC_URL", fake.url)
    monkeypatch.setenv("PRISM_ACCESS_TOKEN", fake.issue_access_token())
    monkeypatch.setenv("FAKE_PRISM_RECORD", str(tmp_path / "prism-call.json"))
    monkeypatch.setenv("PATH", f"{FIXTURES / 'fake-prism'}{os.pathsep}{os.environ['PATH']}")
    manifest = json.loads((project / "package.json").read_text())
    manifest["scripts"] = {"build": "mkdir -p dist && echo 'module.exports = {};' > dist/index.js"}
    (project / "package.json").write_text(json.dumps(manifest))
    async with served(project) as client:
        imported = await call(client, "import_integration")
        assert imported["integrationId"] == "SW50ZWdyYXRpb246ZmFrZQ=="
    assert json.loads((project / ".spectral" / "prism.json").read_text())["integrationId"] == imported["integrationId"]
    prism = json.loads((tmp_path / "prism-call.json").read_text())
    assert prism["argv"] == ["integrations:import"] and prism["dist"] and prism["url"] == fake.url
