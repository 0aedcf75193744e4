"""Payload files of each flow (`.spectral/flows/<stableKey>/payloads/*.json`, the official format): list, create,
edit — validated as you type. Edits of several files are kept side by side until saved; nothing typed is lost by
moving to another file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, Static, TextArea, Tree

from cnikit import payloads
from tui.widgets.code_area import CodeArea
from tui.widgets.key_bar import KeyBar
from tui.widgets.navbar import NavBar

if TYPE_CHECKING:
    from tui.app import CnikitApp
    from tui.workspace import FlowInfo


class NewPayloadScreen(ModalScreen[str | None]):
    """Ask for a payload name (letters, numbers, hyphens, underscores); returns it, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    DEFAULT_CSS = """
    NewPayloadScreen { align: center middle; }
    NewPayloadScreen > Vertical { width: 60; height: auto; border: round $primary; background: $surface; padding: 0 1; }
    NewPayloadScreen #new-payload-error { color: $error; height: auto; }
    """

    def __init__(self, flow: FlowInfo) -> None:
        super().__init__()
        self.flow = flow

    def compose(self) -> ComposeResult:
        """Ask for the new payload's name, with a line for an invalid-name error."""
        with Vertical():
            yield Label(f"New payload for [b]{self.flow.name}[/b]")
            yield Input(placeholder="payload name, e.g. new-order", id="new-payload-name")
            yield Static("", id="new-payload-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        problem = payloads.validate_name(event.value)
        if problem:
            self.query_one("#new-payload-error", Static).update(problem)
            return
        self.dismiss(event.value)


class PayloadsScreen(Screen[None]):
    """Flows and their payload files on the left; the chosen file in a JSON editor on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "new_payload", "New payload", id="payloads.new"),
        Binding("ctrl+s", "save", "Save", id="payloads.save"),
        Binding("ctrl+r", "reload", "Reload", id="payloads.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flows: list[FlowInfo] = []
        self.current: Path | None = None
        self.buffers: dict[Path, str] = {}  # unsaved edits, by file
        self.flows_loaded = asyncio.Event()  # set once the flows are listed (tests wait on it)

    @property
    def cnikit(self) -> CnikitApp:
        """The app, typed."""
        return cast("CnikitApp", self.app)

    def compose(self) -> ComposeResult:
        """Lay out the tree of flows and payload files beside the JSON editor and its status line."""
        yield NavBar("payloads", ".spectral/flows/<flow>/payloads/")
        with Horizontal():
            tree: Tree[FlowInfo | Path] = Tree("Flows", id="payload-tree")
            tree.show_root = False
            yield tree
            with Vertical(id="payload-editor"):
                yield Static("Choose a payload file, or a flow and press a to create one.", id="payload-title")
                yield CodeArea("", language="json", id="payload-text")
                yield Static("", id="payload-status")
        yield KeyBar()

    def on_mount(self) -> None:
        """Keep the editor disabled until a file is chosen, and list the flows and their payloads."""
        self.query_one("#payload-text", CodeArea).disabled = True
        self.load_flows()

    @work(exclusive=True, group="payload-flows")
    async def load_flows(self) -> None:
        """Flows from the build; without a build, the flow folders that exist on disk."""
        from tui.workspace import FlowInfo

        try:
            flows = await asyncio.to_thread(self.cnikit.workspace.flows)
        except Exception as error:
            flows = []
            self.notify(f"Could not build the integration to list its flows: {error}", severity="warning")
        known = {flow.stable_key for flow in flows}
        for key in payloads.list_payloads(self.cnikit.workspace.root):
            if key not in known:
                flows.append(FlowInfo(key, key))
        self.flows = flows
        self.refresh_tree()
        self.query_one("#payload-tree", Tree).focus()
        self.flows_loaded.set()

    def refresh_tree(self, select: Path | None = None) -> None:
        """Rebuild the tree from disk (keeping unsaved edits marked)."""
        tree = cast("Tree[FlowInfo | Path]", self.query_one("#payload-tree", Tree))
        tree.clear()
        files = payloads.list_payloads(self.cnikit.workspace.root)
        target_line = None
        for flow in self.flows:
            node = tree.root.add(Text(flow.name, style="bold"), data=flow, expand=True)
            for path in files.get(flow.stable_key, []):
                leaf = node.add_leaf(self._label(path), data=path)
                if path == select:
                    target_line = leaf
            if not files.get(flow.stable_key):
                node.add_leaf(Text("no payloads (a: new)", style="dim"), data=flow)
            node.expand()
        tree.root.expand()
        if target_line is not None:
            tree.move_cursor(target_line)
        elif tree.cursor_line < 0 and self.flows:
            tree.cursor_line = 0

    def _label(self, path: Path) -> Text:
        modified = path in self.buffers
        return Text.assemble(("● " if modified else "  ", "yellow"), path.stem)

    def selected_flow(self) -> FlowInfo | None:
        """The flow under the tree's cursor (or the flow of the file under it)."""
        from tui.workspace import FlowInfo

        node = self.query_one("#payload-tree", Tree).cursor_node
        while node is not None:
            if isinstance(node.data, FlowInfo):
                return node.data
            node = node.parent
        return None

    @on(Tree.NodeSelected, "#payload-tree")
    def _chosen(self, event: Tree.NodeSelected[FlowInfo | Path]) -> None:
        if isinstance(event.node.data, Path):
            self.open(event.node.data)

    def open(self, path: Path) -> None:
        """Show a payload file (or its unsaved edit) in the editor."""
        self._stash()
        self.current = path
        editor = self.query_one("#payload-text", CodeArea)
        editor.disabled = False
        text = self.buffers.get(path)
        if text is None:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as error:
                self.status(f"Cannot read {path.name}: {error.strerror}", error=True)
                return
        with editor.prevent(TextArea.Changed):
            editor.load_text(text)
        self.query_one("#payload-title", Static).update(
            Content.assemble(("Editing ", "$text-muted"), (str(path.relative_to(self.cnikit.workspace.root)), "bold"))
        )
        self.validate()
        editor.focus()

    def _stash(self) -> None:
        if self.current is None:
            return
        text = self.query_one("#payload-text", CodeArea).text
        try:
            on_disk = self.current.read_text(encoding="utf-8")
        except OSError:
            on_disk = None
        if text != on_disk:
            self.buffers[self.current] = text
        else:
            self.buffers.pop(self.current, None)

    @on(TextArea.Changed, "#payload-text")
    def _edited(self, event: TextArea.Changed) -> None:
        if self.current is not None:
            self.buffers[self.current] = event.text_area.text
        self.validate()

    def validate(self) -> payloads.Payload | None:
        """Check the text being edited against the payload format; say what is wrong and where."""
        if self.current is None:
            return None
        text = self.query_one("#payload-text", CodeArea).text
        try:
            payload = payloads.parse_payload(text, self.current)
        except payloads.PayloadError as error:
            located = error.line or error.col or error.reason.startswith("invalid JSON")
            where = f"line {error.line + 1}, column {error.col + 1}: " if located else ""
            self.status(f"✘ {where}{error.reason}", error=True)
            return None
        unsaved = " (unsaved)" if self.current in self.buffers else ""
        self.status(f"✔ valid {payload.contentType} payload, {len(payload.headers)} header(s){unsaved}")
        return payload

    def status(self, message: str, *, error: bool = False) -> None:
        """The line under the editor."""
        self.query_one("#payload-status", Static).update(Content.styled(message, "$error" if error else "$success"))

    def action_save(self) -> None:
        """Write the file being edited, if it is a valid payload (the text is kept either way)."""
        if self.current is None:
            return
        if self.validate() is None:
            self.notify("Fix the payload first; nothing was written.", severity="error")
            return
        text = self.query_one("#payload-text", CodeArea).text
        tmp = self.current.with_suffix(".json.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.current)
        self.buffers.pop(self.current, None)
        self.validate()
        self.refresh_tree(select=self.current)
        self.notify(f"Saved {self.current.name}.")

    def action_new_payload(self) -> None:
        """Create a payload file (official default content) for the flow under the cursor."""
        flow = self.selected_flow()
        if flow is None:
            self.notify("Choose a flow first.", severity="warning")
            return

        def created(name: str | None) -> None:
            if name is None:
                return
            try:
                path = payloads.create_payload(self.cnikit.workspace.root, flow.stable_key, name)
            except (ValueError, FileExistsError) as error:
                self.notify(str(error), severity="error")
                return
            self.refresh_tree(select=path)
            self.open(path)

        self.app.push_screen(NewPayloadScreen(flow), created)

    def action_reload(self) -> None:
        """Read the files again (unsaved edits stay)."""
        self._stash()
        self.refresh_tree(select=self.current)
