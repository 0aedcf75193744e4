"""Before saving the wizard: exactly what will be written to instance.json, and which secrets go to the keyring."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tui.widgets.code_area import CodeArea

if TYPE_CHECKING:
    from tui.workspace import InstancePreview


class SavePreviewScreen(ModalScreen[bool]):
    """Returns True to save, False to go back without writing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel"),
        Binding("ctrl+s", "dismiss(True)", "Save"),
    ]

    DEFAULT_CSS = """
    SavePreviewScreen { align: center middle; }
    SavePreviewScreen > Vertical {
        width: 90%; max-width: 110; height: 90%; border: round $primary; background: $surface; padding: 0 1;
    }
    SavePreviewScreen CodeArea { height: 1fr; }
    SavePreviewScreen #preview-secrets { height: auto; color: $text-muted; }
    SavePreviewScreen #preview-buttons { height: 1; align-horizontal: right; }
    SavePreviewScreen #preview-buttons Button { margin-left: 1; }
    """

    def __init__(self, preview: InstancePreview) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        """Show the instance.json that will be written and the secrets that go to the keyring, with Cancel / Save."""
        with Vertical():
            yield Label(f"[b]Save the local instance[/b] → {self.preview.path}")
            yield CodeArea(self.preview.text, language="json", read_only=True, id="preview-json")
            secrets = self.preview.secrets
            if secrets:
                lines = "\n".join(f"  • {name}" for name in secrets)
                yield Static(
                    f"Secrets, kept in the keyring and never in the file:\n{lines}\n{self.preview.keyring}",
                    id="preview-secrets",
                    markup=False,
                )
            else:
                yield Static("No secrets to store.", id="preview-secrets")
            with Horizontal(id="preview-buttons"):
                yield Button("Cancel", id="preview-cancel", compact=True)
                yield Button("Save", id="preview-save", compact=True, variant="success")

    def on_mount(self) -> None:
        """Focus Save, so Enter confirms."""
        self.query_one("#preview-save", Button).focus()

    @on(Button.Pressed, "#preview-save")
    def _save(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#preview-cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
