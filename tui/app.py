"""The cnikit terminal UI: executions, the config wizard, payload files and the account, one screen each."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from emulator.sources import ExecutionSource
from tui.workspace import Workspace

SCREEN_NAMES = ("results", "wizard", "payloads", "account")


def _results() -> Screen[None]:
    from tui.screens.results import ResultsScreen

    return ResultsScreen()


def _wizard() -> Screen[None]:
    from tui.screens.wizard import WizardScreen

    return WizardScreen()


def _payloads() -> Screen[None]:
    from tui.screens.payloads import PayloadsScreen

    return PayloadsScreen()


def _account() -> Screen[None]:
    from tui.screens.account import AccountScreen

    return AccountScreen()


class CnikitApp(App[None]):
    """`cnikit tui`: one project, four screens (modes), keyboard first."""

    TITLE = "cnikit"
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses elsewhere (tests, bench) find it too
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "results": _results,
        "wizard": _wizard,
        "payloads": _payloads,
        "account": _account,
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("f2", "switch_mode('results')", "Executions", show=False, id="app.results"),
        Binding("f3", "switch_mode('wizard')", "Wizard", show=False, id="app.wizard"),
        Binding("f4", "switch_mode('payloads')", "Payloads", show=False, id="app.payloads"),
        Binding("f5", "switch_mode('account')", "Account", show=False, id="app.account"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, id="app.theme"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit"),
    ]

    def __init__(
        self,
        workspace: Workspace,
        *,
        screen: str = "results",
        now: Callable[[], datetime] | None = None,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        if screen not in SCREEN_NAMES:
            raise ValueError(f"unknown screen {screen!r}; expected one of {', '.join(SCREEN_NAMES)}")
        self.workspace = workspace
        self.initial_screen = screen
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        if theme:
            self.theme = theme
        self.sub_title = str(workspace.root)

    def on_mount(self) -> None:
        """Open on the screen asked for on the command line (executions unless told otherwise)."""
        self.switch_mode(self.initial_screen)

    # -- what screens ask of the app -----------------------------------------------------------------------------------
    def execution_source(self, *, cloud: bool = False) -> ExecutionSource:
        """Local executions, or the cloud's when `cloud` (and logged in)."""
        if cloud:
            source = self.workspace.cloud_source()
            if source is not None:
                return source
        return self.workspace.local

    def cloud_available(self) -> bool:
        """True when logged in to Prismatic, so cloud executions can be listed."""
        return self.workspace.cloud_source() is not None

    # -- actions -------------------------------------------------------------------------------------------------------
    def action_help(self) -> None:
        """Show every key."""
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        """Dark ↔ light."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Command palette entries: every screen and the app-wide actions."""
        yield SystemCommand("Executions", "Local (or cloud) executions, newest first (F2)", self._mode("results"))
        yield SystemCommand(
            "Config wizard", "Configure the local instance the emulator runs with (F3)", self._mode("wizard")
        )
        yield SystemCommand("Payloads", "List, create and edit flow payload files (F4)", self._mode("payloads"))
        yield SystemCommand("Account", "Log in, log out, switch tenant (F5)", self._mode("account"))
        yield SystemCommand("Help", "Every key of every screen (F1)", self.action_help)
        yield SystemCommand(
            "Toggle dark/light theme", "Switch between the dark and the light theme (Ctrl+T)", self.action_toggle_theme
        )
        yield from screen_commands(screen)
        yield from super().get_system_commands(screen)

    def _mode(self, name: str) -> Callable[[], object]:
        return lambda: self.switch_mode(name)

    def on_unmount(self) -> None:
        """Release the workspace's files and processes as the app exits."""
        self.workspace.close()


def screen_commands(screen: Screen[object]) -> Iterable[SystemCommand]:
    """Palette entries for the actions of the screen shown now (its visible bindings)."""
    for binding in type(screen).BINDINGS:
        if not isinstance(binding, Binding) or not binding.show or not binding.description:
            continue
        action = binding.action
        yield SystemCommand(
            f"{binding.description}",
            f"{screen.__class__.__name__.removesuffix('Screen')}: {binding.description} ({binding.key})",
            lambda action=action: screen.run_action(action),
        )


def run(root: Path, screen: str = "results") -> None:
    """Start the TUI on the project at `root`."""
    CnikitApp(Workspace(root), screen=screen).run()
