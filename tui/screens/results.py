"""The executions screen: newest first, filtered by flow and status, live as the emulator records new ones."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Label, Select, Static

from emulator.sources import STATUSES, ExecutionQuery, ExecutionSource
from emulator.views import ExecutionView
from tui.widgets.execution_table import ExecutionTable, header_text
from tui.widgets.key_bar import KeyBar
from tui.widgets.navbar import NavBar

if TYPE_CHECKING:
    from tui.app import CnikitApp

POLL_SECONDS = 0.25  # how often the store is asked whether something was recorded (one cheap PRAGMA)
CLOUD_REFRESH_SECONDS = 15.0  # how often cloud executions are fetched again
ANY = "__any__"


class ResultsScreen(Screen[None]):
    """Executions of one source (local emulator or cloud) in a virtualised table."""

    AUTO_FOCUS = "#executions"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "focus_filter('flow')", "Flow", id="results.filter-flow"),
        Binding("s", "focus_filter('status')", "Status", id="results.filter-status"),
        Binding("x", "replay", "Replay", id="results.replay"),
        Binding("n", "run", "Run flow", id="results.run"),
        Binding("c", "toggle_source", "Local/Cloud", id="results.toggle-source"),
        Binding("escape", "focus_table", "List", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cloud = False
        self._version = -1
        self.reloaded = asyncio.Event()  # set after every reload caused by new data (tests wait on it)

    @property
    def cnikit(self) -> CnikitApp:
        """The app, typed."""
        return cast("CnikitApp", self.app)

    @property
    def source(self) -> ExecutionSource:
        """Where the executions come from now."""
        return self.cnikit.execution_source(cloud=self.cloud)

    def compose(self) -> ComposeResult:
        """Lay out the flow and status filters, the column header, the execution table and its empty-state line."""
        source = self.source
        info = source.info()
        yield NavBar("results", info.label)
        with Horizontal(id="filters"):
            yield Label("Flow", classes="filter-label")
            yield Select(
                [(name, name) for name in info.flows],
                prompt="any flow",
                allow_blank=True,
                compact=True,
                id="filter-flow",
            )
            yield Label("Status", classes="filter-label")
            yield Select([(s, s) for s in STATUSES], prompt="any status", compact=True, id="filter-status")
            yield Static("", id="results-count")
        yield Static("", id="results-header")
        yield ExecutionTable(source, self.cnikit.now, id="executions")
        yield Static("", id="results-empty")
        yield KeyBar()

    def on_mount(self) -> None:
        """Start polling for new executions (and refreshing a cloud source), then fill the table."""
        self.set_interval(POLL_SECONDS, self.poll)
        self.set_interval(CLOUD_REFRESH_SECONDS, self._refresh_remote)
        self._setup()

    def _setup(self) -> None:
        """What depends on the source: its version, the filter's flows, a first fetch for a remote source."""
        self._version = self.source.version()
        self.query_one(ExecutionTable).focus()
        self._update_chrome()
        self._offer_flows([])
        self._flows_requested = False
        self._refresh_remote()

    def _refresh_remote(self) -> None:
        if self.source.info().remote:
            self.fetch_remote()

    @work(exclusive=True, group="results-remote")
    async def fetch_remote(self) -> None:
        """Fetch the remote (cloud) list; the poll notices the new version and redraws."""
        await self.source.refresh()
        self.poll()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Fetch the integration's flows for the flow filter the first time it takes focus."""
        # The integration's own flow list needs a build: fetched the first time the flow filter is used, not at start.
        if getattr(event.widget, "id", None) == "filter-flow" and not self._flows_requested and not self.cloud:
            self._flows_requested = True
            self.load_flows()

    @work(thread=True, exclusive=True, group="results-flows")
    def load_flows(self) -> None:
        """The integration's flows (from its build) join the filter's choices; a project that does not build still
        offers the flows seen in its executions."""
        try:
            names = [flow.name for flow in self.cnikit.workspace.flows()]
        except Exception:
            return
        self.app.call_from_thread(self._offer_flows, names)

    def _offer_flows(self, names: list[str]) -> None:
        """Flow filter choices: `names` plus the flows of the newest executions."""
        table = self.table
        if table.query_filter == ExecutionQuery():
            # The newest page is the one the table shows first: read it through the table's cache.
            seen = [row.flow for i in range(min(table.page_size, table.row_count)) if (row := table.row_at(i))]
        else:
            seen = [row.flow for row in self.source.page(ExecutionQuery(), 0, table.page_size)]
        choices = list(dict.fromkeys([*names, *sorted(set(seen))]))
        select = self.query_one("#filter-flow", Select)
        current = select.value
        if [value for _, value in select._options if isinstance(value, str)] == choices:
            return
        with select.prevent(Select.Changed):
            select.set_options([(name, name) for name in choices])
            if current in choices:
                select.value = current

    def on_resize(self) -> None:
        """Refit the column header and the counts to the new width."""
        self._update_chrome()

    @property
    def table(self) -> ExecutionTable:
        """The execution table."""
        return self.query_one(ExecutionTable)

    def _update_chrome(self) -> None:
        table = self.table
        self.query_one("#results-header", Static).update(header_text(max(20, self.size.width - 1)))
        self.query_one("#results-count", Static).update(f"{table.row_count:,} executions")
        empty = self.query_one("#results-empty", Static)
        empty.display = table.row_count == 0
        if table.row_count == 0:
            q = table.query_filter
            if q.flow or q.status:
                empty.update("No execution matches the filter.")
            else:
                empty.update(self.source.info().label + ": no executions yet. Press n to run a flow.")

    # -- live updates ----------------------------------------------------------------------------------------------
    def poll(self) -> None:
        """Reload when the source says something was recorded since the last look."""
        version = self.source.version()
        if version != self._version:
            self._version = version
            self.refresh_rows()

    def refresh_rows(self) -> None:
        """Re-read the table (after new executions or a status change) and tell waiters."""
        self.table.reload()
        self._update_chrome()
        self.reloaded.set()

    # -- filters ---------------------------------------------------------------------------------------------------
    def action_focus_filter(self, which: str) -> None:
        """Open the flow or status filter."""
        select = self.query_one(f"#filter-{which}", Select)
        select.focus()
        select.expanded = True

    def action_focus_table(self) -> None:
        """Back to the table."""
        self.table.focus()

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        flow = self.query_one("#filter-flow", Select).value
        status = self.query_one("#filter-status", Select).value
        query = ExecutionQuery(
            flow=flow if isinstance(flow, str) else None,
            status=status if isinstance(status, str) else None,
        )
        self.table.reload(query)
        self._update_chrome()
        self.table.focus()

    # -- actions ---------------------------------------------------------------------------------------------------
    @on(ExecutionTable.Selected)
    def _open(self, event: ExecutionTable.Selected) -> None:
        from tui.screens.execution import ExecutionScreen

        self.app.push_screen(ExecutionScreen(self.source, event.row))

    def action_toggle_source(self) -> None:
        """Switch between local and cloud executions."""
        if not self.cloud and not self.cnikit.cloud_available():
            self.notify("Log in first (F5) to see cloud executions.", title="Not logged in", severity="warning")
            return
        self.cloud = not self.cloud
        self.app.call_after_refresh(self._switch_source)

    async def _switch_source(self) -> None:
        """Rebuild the screen for the other source."""
        await self.recompose()
        self._setup()

    def action_replay(self) -> None:
        """Replay the execution under the cursor."""
        row = self.table.current
        if row is None:
            self.notify("There is no execution to replay.", severity="warning")
            return
        if not self.source.info().can_replay:
            self.notify("This source cannot replay executions.", severity="warning")
            return
        self.replay(row)

    @work(thread=True, exclusive=True, group="run")
    def replay(self, row: ExecutionView) -> None:
        """Replay in a worker thread; the new execution appears through the live update."""
        self.app.call_from_thread(self.notify, f"Replaying {row.id} ({row.flow})…")
        try:
            new_id = self.source.replay(row.id)
        except Exception as error:  # shown, never raised into the UI
            self.app.call_from_thread(self.notify, str(error), title="Replay failed", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Replay recorded as {new_id}.", title="Replayed")
        self.app.call_from_thread(self.poll)

    def action_run(self) -> None:
        """Choose a flow and a payload file, then run it."""
        from tui.screens.run_flow import RunFlowScreen

        flow = self.table.query_filter.flow or (self.table.current.flow if self.table.current else None)
        self.app.push_screen(RunFlowScreen(self.cnikit.workspace, flow), self._run_chosen)

    def _run_chosen(self, choice: tuple[str, str | None] | None) -> None:
        if choice is not None:
            self.run_flow(*choice)

    @work(thread=True, exclusive=True, group="run")
    def run_flow(self, flow: str, payload: str | None) -> None:
        """Run a flow in a worker thread; the new execution appears through the live update."""
        self.app.call_from_thread(self.notify, f"Running {flow}…")
        try:
            new_id = self.cnikit.workspace.run_flow(flow, payload)
        except Exception as error:
            self.app.call_from_thread(self.notify, str(error), title="Run failed", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Execution {new_id} recorded.", title=f"Ran {flow}")
        self.app.call_from_thread(self.poll)
