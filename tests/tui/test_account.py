"""The account screen against a real HTTP fake of the Prismatic stack (OAuth endpoints + GraphQL) on 127.0.0.1:
log in through a scripted browser (the URL shown while waiting), see the user and tenants, switch tenant, log out."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes.browser import Browser
from tests.fakes.prismatic import FakePrismatic
from tests.tui.conftest import make_app
from tui.screens.account import AccountScreen


def text(screen: AccountScreen, selector: str) -> str:
    """What a Static shows."""
    return str(screen.query_one(selector).render())


async def settled(screen: AccountScreen) -> None:
    """Wait for the account action under way to finish (an event, no sleeping)."""
    await asyncio.wait_for(screen.settled.wait(), timeout=30)


async def act(pilot, screen: AccountScreen, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Press keys that start an account action, and wait until it finished."""
    screen.settled.clear()
    await pilot.press(*keys)
    await settled(screen)


async def test_log_in_switch_tenant_and_log_out(stack: FakePrismatic, empty_project: Path) -> None:
    app = make_app(empty_project, "account")
    shown_while_waiting: list[str] = []
    browser = Browser()

    async def user_browser(url: str) -> None:
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        shown_while_waiting.append(text(screen, "#account-login-url"))
        await browser(url)

    app.workspace.open_browser = user_browser
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        await settled(screen)
        assert "Not logged in" in text(screen, "#account-summary")

        await act(pilot, screen, "l")
        assert browser.visited and browser.visited[0].startswith(stack.url)
        assert "Waiting for the browser" in shown_while_waiting[0] and browser.visited[0] in shown_while_waiting[0]
        summary = text(screen, "#account-summary")
        assert "Ada Lovelace" in summary and "Acme Corp" in summary and "tenant-acme" in summary
        assert [t.tenantId for t in screen.tenants] == ["tenant-acme", "tenant-globex"]

        await act(pilot, screen, "down", "enter")  # from the current tenant to the next
        assert "Globex" in text(screen, "#account-summary")

        await act(pilot, screen, "o")
        assert "Not logged in" in text(screen, "#account-summary")
        assert screen.tenants == []
