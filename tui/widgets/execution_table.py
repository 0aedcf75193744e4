"""A virtualised table of executions: rows are fetched page by page from the source and only visible lines render.

Built on the Line API (`ScrollView.render_line`), so 10,000 executions cost one `COUNT(*)` and one page query, not
10,000 widgets or table rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from emulator.sources import ExecutionQuery, ExecutionSource
from emulator.views import ExecutionView
from tui.format import duration, fit, invoke_label, relative_time

COLUMNS: tuple[tuple[str, int], ...] = (("", 2), ("Started", 10), ("Duration", 9), ("Invoke", 12), ("Flow", 0))
ID_WIDTH = 14
MAX_CACHED_PAGES = 8


def header_text(width: int) -> str:
    """The column titles, laid out like the rows of a table `width` cells wide."""
    return "".join(_cells([title for title, _ in COLUMNS] + ["Execution"], width))


def _cells(values: list[str], width: int) -> list[str]:
    fixed = sum(w for _, w in COLUMNS) + ID_WIDTH
    flow_width = max(8, width - fixed)
    out: list[str] = []
    for (_, w), value in zip(COLUMNS, values, strict=False):
        out.append(fit(value, (w or flow_width)))
    out.append(fit(values[-1], ID_WIDTH).rstrip().rjust(ID_WIDTH) if values[-1] else " " * ID_WIDTH)
    return out


class ExecutionTable(ScrollView, can_focus=True):
    """Executions newest first, one per line, with a cursor; Enter selects."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "execution-table--cursor",
        "execution-table--succeeded",
        "execution-table--failed",
        "execution-table--running",
        "execution-table--muted",
    }

    DEFAULT_CSS = """
    ExecutionTable { height: 1fr; background: $surface; }
    ExecutionTable > .execution-table--cursor { background: $block-cursor-blurred-background; }
    ExecutionTable:focus > .execution-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    ExecutionTable > .execution-table--succeeded { color: $success; }
    ExecutionTable > .execution-table--failed { color: $error; }
    ExecutionTable > .execution-table--running { color: $warning; }
    ExecutionTable > .execution-table--muted { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", id="results.open"),
    ]

    cursor: reactive[int] = reactive(0, init=False)

    class Highlighted(Message):
        """The cursor moved to another execution."""

        def __init__(self, row: ExecutionView | None) -> None:
            super().__init__()
            self.row = row

    class Selected(Message):
        """Enter (or a click) chose an execution."""

        def __init__(self, row: ExecutionView) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self,
        source: ExecutionSource,
        now: Callable[[], datetime],
        *,
        page_size: int = 200,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.source = source
        self.now = now
        self.query_filter = ExecutionQuery()
        self.page_size = page_size
        self.row_count = 0
        self._pages: OrderedDict[int, list[ExecutionView]] = OrderedDict()
        self._styles: dict[str, Style] = {}

    def on_mount(self) -> None:
        """Count the executions; the visible rows are then fetched page by page as they render."""
        self.reload()

    # -- data ------------------------------------------------------------------------------------------------------
    def reload(self, query: ExecutionQuery | None = None) -> None:
        """Re-count and forget cached pages (after a filter change or new executions); keeps the cursor's row."""
        old_count = self.row_count
        filter_changed = query is not None and query != self.query_filter
        if query is not None:
            self.query_filter = query
        self.row_count = self.source.count(self.query_filter)
        self._pages.clear()
        if filter_changed:
            self.cursor = 0
            self.scroll_to(y=0, animate=False)
        elif self.cursor > 0 and self.row_count > old_count:
            # New executions appear on top: keep the cursor on the execution it was on.
            self.cursor += self.row_count - old_count
        self.virtual_size = Size(self.size.width, self.row_count)
        self.cursor = max(0, min(self.cursor, self.row_count - 1))
        self.refresh()
        self.post_message(self.Highlighted(self.row_at(self.cursor)))

    def row_at(self, index: int) -> ExecutionView | None:
        """The execution at `index` (0 = newest), fetching its page when not cached."""
        if index < 0 or index >= self.row_count:
            return None
        number, offset = divmod(index, self.page_size)
        page = self._pages.get(number)
        if page is None:
            page = self.source.page(self.query_filter, number * self.page_size, self.page_size)
            self._pages[number] = page
            while len(self._pages) > MAX_CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    @property
    def current(self) -> ExecutionView | None:
        """The execution under the cursor."""
        return self.row_at(self.cursor)

    # -- rendering -------------------------------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        """Resolve the component styles once per frame (they depend on focus and theme), then render the lines."""
        self._styles = {
            name: self.get_component_rich_style(f"execution-table--{name}", partial=name != "cursor")
            for name in ("cursor", "succeeded", "failed", "running", "muted")
        }
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """One visible line: the execution at scroll offset + y."""
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        row = self.row_at(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        styles = self._styles
        base = self.rich_style
        if index == self.cursor:
            base = base + styles["cursor"]
        status_style = styles.get(row.status, Style())
        muted = styles["muted"]
        icon = {"succeeded": "✔", "failed": "✘", "running": "●"}.get(row.status, "?")
        invoke = invoke_label(row.invoke_type) + (" ↻" if row.replay_of else "")
        values = [
            icon,
            relative_time(row.started_at, self.now()),
            duration(row.duration_ms),
            invoke,
            row.flow,
            row.id,
        ]
        cells = _cells(values, width)
        cell_styles: list[Style] = [status_style, Style(), Style(), muted, Style(), muted]
        segments = [Segment(text, base + style) for text, style in zip(cells, cell_styles, strict=True)]
        strip = Strip(segments)
        return strip.crop_extend(0, width, base)

    def watch_cursor(self, old: int, new: int) -> None:
        """Keep the cursor in view, redraw only the lines whose highlight changed, and announce the new row."""
        top = self.scroll_offset.y
        self._scroll_cursor_into_view()
        if self.scroll_offset.y == top:
            # Only the two lines whose highlight changed are drawn again.
            width = self.size.width
            for index in (old, new):
                self.refresh(Region(0, index - top, width, 1))
        else:
            self.refresh()
        self.post_message(self.Highlighted(self.row_at(new)))

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    # -- actions ---------------------------------------------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        """Move the cursor by `delta` rows."""
        self.cursor = max(0, min(self.row_count - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        """Move the cursor by a screenful."""
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, index: int) -> None:
        """Jump to the first (0) or last (-1) row."""
        self.cursor = max(0, self.row_count - 1) if index < 0 else 0

    def action_select(self) -> None:
        """Open the execution under the cursor."""
        row = self.current
        if row is not None:
            self.post_message(self.Selected(row))

    def on_click(self, event: events.Click) -> None:
        """Move the cursor to the clicked row; a double click on it selects the execution."""
        index = self.scroll_offset.y + event.y
        if 0 <= index < self.row_count:
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = index
