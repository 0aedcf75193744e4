"""The help screen: every key of every screen, and where to find more."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# cnikit — terminal UI

Everything is reachable from the keyboard. **Ctrl+P** opens the command palette: every action below is there too.

## Everywhere

| Key | Action |
|---|---|
| F1 | this help |
| F2 | executions (local emulator, or the cloud when logged in) |
| F3 | config wizard of the local instance |
| F4 | flow payload files |
| F5 | account: log in, log out, switch tenant |
| Ctrl+T | switch between dark and light theme |
| Ctrl+P | command palette |
| Ctrl+Q | quit |

## Executions

| Key | Action |
|---|---|
| ↑ ↓ PgUp PgDn Home End | move through executions (newest first) |
| Enter | open the execution: steps, logs, outputs |
| f / s | filter by flow / by status |
| c | switch between local and cloud executions |
| x | replay the execution under the cursor |
| n | run a flow with a payload file |

## One execution

| Key | Action |
|---|---|
| ↑ ↓ | choose a step; its output is shown as JSON (binary as type and size) |
| l / o | logs / output |
| F | follow the logs while the execution runs |
| x | replay it |
| Escape | back to the list |

## Config wizard

| Key | Action |
|---|---|
| Tab / Shift+Tab | next / previous field |
| Ctrl+N / Ctrl+B | next / previous page |
| Ctrl+S | review what will be written, then save |
| Ctrl+R | reload the options of data-source variables |

Saving writes `.spectral/local/instance.json`; secret connection fields go to the keyring, never to the file. A
field that does not validate keeps what you typed and says what is expected.

## Payloads

| Key | Action |
|---|---|
| Enter | edit the payload file (validated as you type) |
| a | new payload file for the flow |
| Ctrl+S | save the payload being edited |
"""


class HelpScreen(ModalScreen[None]):
    """Keys of every screen, as Markdown."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%; border: round $primary; background: $surface;
    }
    """

    def compose(self) -> ComposeResult:
        """Show the help text as scrollable Markdown."""
        with VerticalScroll():
            yield Markdown(HELP)
