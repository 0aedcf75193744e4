"""The account: who is logged in to which stack and tenant; log in (the URL stays on screen while the browser is
awaited), log out, switch tenant. Everything goes through `cnikit.platform` (tokens in the keyring)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.key_bar import KeyBar
from tui.widgets.navbar import NavBar

if TYPE_CHECKING:
    from cnikit.platform.models import Tenant, User
    from tui.app import CnikitApp


class AccountScreen(Screen[None]):
    """Login state, tenants, and the actions on them."""

    AUTO_FOCUS = "#tenants"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "login", "Log in", id="account.login"),
        Binding("o", "logout", "Log out", id="account.logout"),
        Binding("r", "refresh", "Refresh", id="account.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.user: User | None = None
        self.tenants: list[Tenant] = []
        self.settled = asyncio.Event()  # set whenever an account action finished (tests wait on it)

    @property
    def cnikit(self) -> CnikitApp:
        """The app, typed."""
        return cast("CnikitApp", self.app)

    def compose(self) -> ComposeResult:
        """Lay out the login summary, the login URL line, and the list of tenants under the nav bar."""
        yield NavBar("account", "Prismatic")
        with Vertical(id="account-body"):
            yield Static("Reading the login state…", id="account-summary")
            yield Static("", id="account-login-url")
            yield Static("Tenants (Enter switches)", classes="pane-title")
            yield OptionList(id="tenants")
        yield KeyBar()

    def on_mount(self) -> None:
        """Read the login state as soon as the screen appears."""
        self.action_refresh()

    def status(self, text: str | Content, *, error: bool = False) -> None:
        """The summary block."""
        content = Content.styled(text, "$error") if error and isinstance(text, str) else text
        self.query_one("#account-summary", Static).update(content)

    @work(exclusive=True, group="account")
    async def action_refresh(self) -> None:
        """Read who is logged in (and their tenants) from the stack."""
        self.settled.clear()
        try:
            await self._refresh()
        finally:
            self.settled.set()

    async def _refresh(self) -> None:
        from cnikit.platform.errors import PlatformError

        try:
            async with self.cnikit.workspace.platform_client() as client:
                session = client.session
                where = Content.assemble(
                    ("Stack ", "$text-muted"), (client.url, "bold"), ("   profile ", "$text-muted"), session.profile
                )
                if not session.is_logged_in():
                    self.user, self.tenants = None, []
                    self.status(Content.assemble(where, "\n", ("Not logged in. Press l to log in.", "$warning")))
                    self._show_tenants()
                    return
                self.user = await client.me()
                try:
                    self.tenants = await client.tenants()
                except PlatformError:
                    self.tenants = []
                self.status(self._summary(where, session.source or "", session.tenant_id or self.user.tenantId))
                self._show_tenants()
        except PlatformError as error:
            self.status(f"Could not read the account: {error}", error=True)

    def _summary(self, where: Content, source: str, tenant: str | None) -> Content:
        user = self.user
        assert user is not None
        name = " ".join(part for part in (user.name, f"<{user.email}>" if user.email else "") if part)
        return Content.assemble(
            where,
            "\n",
            ("Logged in as ", "$text-muted"),
            (name or "?", "bold $success"),
            ("   organization ", "$text-muted"),
            user.organization or "?",
            ("\ntenant ", "$text-muted"),
            tenant or "?",
            ("   tokens from ", "$text-muted"),
            source,
        )

    def _show_tenants(self) -> None:
        options = self.query_one("#tenants", OptionList)
        options.clear_options()
        current = self.user.tenantId if self.user else None
        for tenant in self.tenants:
            mark = "● " if tenant.tenantId == current else "  "
            label = f"{mark}{tenant.orgName or '?'}  ({tenant.tenantId}, {tenant.awsRegion or 'region ?'})"
            options.add_option(Option(label, id=tenant.tenantId))
        if current and options.option_count:
            ids = [tenant.tenantId for tenant in self.tenants]
            options.highlighted = ids.index(current) if current in ids else 0

    @work(exclusive=True, group="account")
    async def action_login(self) -> None:
        """Log in with the browser; the authorize URL is shown while waiting, in case no browser opens."""
        from cnikit.platform.errors import PlatformError
        from cnikit.secrets import SecretStoreError

        self.settled.clear()
        url_line = self.query_one("#account-login-url", Static)

        async def show_and_open(url: str) -> None:
            url_line.update(
                Content.assemble(("Waiting for the browser… if it did not open, visit:\n", "$warning"), url)
            )
            opened = self.cnikit.workspace.open_browser(url)
            if opened is not None:
                await opened

        try:
            async with self.cnikit.workspace.platform_client() as client:
                user = await client.login(show_and_open)
            self.notify(f"Logged in as {user.email or user.name}.", title="Logged in")
        except (PlatformError, SecretStoreError) as error:
            self.notify(str(error), title="Login failed", severity="error")
        finally:
            url_line.update("")
        try:
            await self._refresh()
        finally:
            self.settled.set()

    @work(exclusive=True, group="account")
    async def action_logout(self) -> None:
        """Forget this stack's tokens for this profile."""
        self.settled.clear()
        try:
            async with self.cnikit.workspace.platform_client() as client:
                had = await client.logout()
            self.notify("Logged out." if had else "There was no login to forget.")
            await self._refresh()
        finally:
            self.settled.set()

    @on(OptionList.OptionSelected, "#tenants")
    def _tenant_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.switch_tenant(event.option.id)

    @work(exclusive=True, group="account")
    async def switch_tenant(self, tenant_id: str) -> None:
        """Refresh the tokens for another tenant."""
        from cnikit.platform.errors import PlatformError

        self.settled.clear()
        try:
            async with self.cnikit.workspace.platform_client() as client:
                user = await client.switch_tenant(tenant_id)
            self.notify(f"Switched to {user.organization or tenant_id}.", title="Tenant")
        except PlatformError as error:
            self.notify(str(error), title="Could not switch tenant", severity="error")
        try:
            await self._refresh()
        finally:
            self.settled.set()
