"""One execution: its steps with durations, its logs (followed while it runs) and each step's output."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from emulator.sources import ExecutionSource, StepOutput
from emulator.views import ExecutionView, StepView
from tui.format import duration, invoke_label, relative_time, status_icon
from tui.widgets.key_bar import KeyBar
from tui.widgets.log_view import LogView
from tui.widgets.output_view import OutputView

if TYPE_CHECKING:
    from tui.app import CnikitApp

FOLLOW_SECONDS = 0.25


class ExecutionScreen(Screen[None]):
    """Steps on the left; logs and the chosen step's output on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="execution.back"),
        Binding("l", "show_tab('logs')", "Logs", id="execution.logs"),
        Binding("o", "show_tab('output')", "Output", id="execution.output"),
        Binding("F", "toggle_follow", "Follow", id="execution.follow"),
        Binding("x", "replay", "Replay", id="execution.replay"),
    ]

    def __init__(self, source: ExecutionSource, row: ExecutionView) -> None:
        super().__init__()
        self.source = source
        self.row = row
        self.steps: list[StepView] = []
        self.follow = row.status == "running"
        self.updated = asyncio.Event()  # set whenever following picked up something new (tests wait on it)

    @property
    def cnikit(self) -> CnikitApp:
        """The app, typed."""
        return cast("CnikitApp", self.app)

    def compose(self) -> ComposeResult:
        """Lay out the summary, the steps pane, and the Logs / Output tabs."""
        yield Static(self._summary(), id="execution-summary")
        with Horizontal():
            with Vertical(id="steps-pane"):
                yield Static("Steps", classes="pane-title")
                yield OptionList(id="steps")
            with TabbedContent(initial="logs", id="execution-tabs"):
                with TabPane("Logs", id="logs"):
                    yield LogView(id="log-view")
                with TabPane("Output", id="output"):
                    yield OutputView(id="output-view")
        yield KeyBar()

    def _summary(self) -> Content:
        row = self.row
        icon, style = status_icon(row.status)
        parts = [
            Content.styled(f"{icon} {row.status}", f"bold {style}"),
            Content(f"  {row.flow}  ·  {invoke_label(row.invoke_type)}"),
            Content(f"  ·  started {relative_time(row.started_at, self.cnikit.now())}"),
            Content(f" ({row.started_at:%Y-%m-%d %H:%M:%S})  ·  {duration(row.duration_ms)}"),
            Content.styled(f"  ·  {row.id}", "$text-muted"),
        ]
        if row.replay_of:
            parts.append(Content.styled(f"  ·  replay of {row.replay_of}", "$text-muted"))
        if row.invoked_by:
            parts.append(Content.styled(f"  ·  invoked by {row.invoked_by}", "$text-muted"))
        if row.retry_of:
            parts.append(Content.styled(f"  ·  retry of {row.retry_of}", "$text-muted"))
        if row.error:
            parts.append(Content("\n"))
            parts.append(Content.styled(row.error, "$error"))
        return Content.assemble(*parts)

    def on_mount(self) -> None:
        """Load the steps and logs, start following a running execution, and fetch a cloud one."""
        self.load()
        self.set_interval(FOLLOW_SECONDS, self.follow_tick)
        self.query_one("#steps", OptionList).focus()
        if self.source.info().remote:
            self.fetch_remote()
        elif self.row.status == "running" and self.query_one(LogView).line_count == 0:
            self.query_one(LogView).write(
                "Following… (log lines appear as the execution writes them: within a moment for one started by "
                "another process, e.g. cnikit serve; at once for runs started here)"
            )

    @work(exclusive=True, group="execution-remote")
    async def fetch_remote(self) -> None:
        """Fetch logs and outputs of a cloud execution, then show them."""
        self.query_one(LogView).write("Fetching logs and step outputs from Prismatic…")
        await self.source.prefetch(self.row.id)
        self.query_one(LogView).reset()
        self.load()
        highlighted = self.query_one("#steps", OptionList).highlighted
        if highlighted is not None and highlighted < len(self.steps):
            self.show_output(self.steps[highlighted].name)
        self.updated.set()

    def load(self) -> None:
        """Read steps and logs."""
        self.steps = self.source.steps(self.row.id)
        options = self.query_one("#steps", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for step in self.steps:
            mark = "✘ " if step.status == "failed" else "  "
            options.add_option(Option(f"{mark}{step.name:<14} {duration(step.duration_ms):>8}", id=step.name))
        if self.steps:
            options.highlighted = highlighted if highlighted is not None else 0
        self.query_one(LogView).add_rows(self.source.logs(self.row.id))

    def follow_tick(self) -> None:
        """While the execution runs (or follow is on), pick up new log lines and status changes."""
        if not self.follow:
            return
        view = self.query_one(LogView)
        before = view.line_count
        view.add_rows(self.source.logs(self.row.id, after=view.last_seq))
        changed = view.line_count != before
        fresh = self.source.get(self.row.id)
        if fresh is not None and fresh != self.row:
            changed = True
            ended = fresh.status != "running" and self.row.status == "running"
            self.row = fresh
            self.query_one("#execution-summary", Static).update(self._summary())
            if ended:
                # Lines followed live are numbered apart from the stored ones: show the stored record whole.
                view.reset()
                self.follow = False
            self.load()
        if changed:
            self.updated.set()

    def action_toggle_follow(self) -> None:
        """Follow the logs (scroll along as lines arrive) or stop."""
        self.follow = not self.follow
        self.query_one(LogView).auto_scroll = self.follow
        self.notify("Following logs." if self.follow else "Stopped following.")

    def action_show_tab(self, tab: str) -> None:
        """Switch to the logs or the output tab."""
        self.query_one(TabbedContent).active = tab

    @on(OptionList.OptionHighlighted, "#steps")
    def _step_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.show_output(event.option.id)

    @on(OptionList.OptionSelected, "#steps")
    def _step_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_show_tab("output")

    def show_output(self, step: str) -> None:
        """Load one step's output into the output tab."""
        try:
            output = self.source.step_output(self.row.id, step)
        except Exception as error:
            output = StepOutput(None, found=False, note=f"Could not read the output of {step}: {error}")
        self.query_one(OutputView).show(output, step)

    def action_replay(self) -> None:
        """Replay this execution."""
        if not self.source.info().can_replay:
            self.notify("This source cannot replay executions.", severity="warning")
            return
        self.replay()

    @work(thread=True, exclusive=True, group="run")
    def replay(self) -> None:
        """Replay in a worker; the list shows the new execution."""
        try:
            new_id = self.source.replay(self.row.id)
        except Exception as error:
            self.app.call_from_thread(self.notify, str(error), title="Replay failed", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Replay recorded as {new_id}.", title="Replayed")
