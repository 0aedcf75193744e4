"""Choose a flow and one of its payload files, then run it locally."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

if TYPE_CHECKING:
    from tui.workspace import FlowInfo, Workspace

NO_PAYLOAD = "__none__"


class RunFlowScreen(ModalScreen[tuple[str, str | None] | None]):
    """Returns (flow name, payload file path or None), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+r", "run", "Run"),
    ]

    DEFAULT_CSS = """
    RunFlowScreen { align: center middle; }
    RunFlowScreen > Vertical {
        width: 70; max-width: 95%; height: auto; border: round $primary; background: $surface; padding: 1 2;
    }
    RunFlowScreen Select { margin-bottom: 1; }
    RunFlowScreen #run-buttons { height: auto; align-horizontal: right; }
    RunFlowScreen #run-message { color: $text-muted; height: auto; }
    """

    def __init__(self, workspace: Workspace, flow: str | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.initial_flow = flow
        self.flows: list[FlowInfo] = []

    def compose(self) -> ComposeResult:
        """Lay out the flow and payload selects, a message line, and Cancel / Run."""
        with Vertical():
            yield Label("[b]Run a flow[/b]")
            yield Label("Flow")
            yield Select([], prompt="loading flows…", id="run-flow")
            yield Label("Payload file")
            yield Select(
                [("no payload (empty body)", NO_PAYLOAD)], value=NO_PAYLOAD, allow_blank=False, id="run-payload"
            )
            yield Static("", id="run-message")
            with Horizontal(id="run-buttons"):
                yield Button("Cancel", id="run-cancel")
                yield Button("Run", variant="primary", id="run-go")

    def on_mount(self) -> None:
        """Load the flows to offer as soon as the dialog appears."""
        self.load_flows()

    @work(thread=True)
    def load_flows(self) -> None:
        """Flows come from the built definition (a build may take a moment)."""
        try:
            flows = self.workspace.flows()
        except Exception as error:
            self.app.call_from_thread(self._message, f"Could not read the flows: {error}")
            return
        self.app.call_from_thread(self._show_flows, flows)

    def _message(self, text: str) -> None:
        self.query_one("#run-message", Static).update(text)

    def _show_flows(self, flows: list[FlowInfo]) -> None:
        self.flows = flows
        select = self.query_one("#run-flow", Select)
        select.set_options([(flow.name, flow.name) for flow in flows])
        select.prompt = "choose a flow"
        names = [flow.name for flow in flows]
        if self.initial_flow in names:
            select.value = self.initial_flow
        elif flows:
            select.value = flows[0].name
        select.focus()

    @on(Select.Changed, "#run-flow")
    def _flow_changed(self, event: Select.Changed) -> None:
        flow = next((f for f in self.flows if f.name == event.value), None)
        options: list[tuple[str, str]] = [("no payload (empty body)", NO_PAYLOAD)]
        if flow is not None:
            options += [(path.name, str(path)) for path in self.workspace.payload_files(flow)]
        payload = self.query_one("#run-payload", Select)
        payload.set_options(options)
        payload.value = options[1][1] if len(options) > 1 else NO_PAYLOAD

    @on(Button.Pressed, "#run-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#run-go")
    def action_run(self) -> None:
        """Run the chosen flow with the chosen payload."""
        flow = self.query_one("#run-flow", Select).value
        if not isinstance(flow, str):
            self._message("Choose a flow first.")
            return
        payload = self.query_one("#run-payload", Select).value
        self.dismiss((flow, payload if isinstance(payload, str) and payload != NO_PAYLOAD else None))
