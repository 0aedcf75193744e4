"""Cloud tools exist only when logged in (the server never asks for a password); `me` against the fake stack."""

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
