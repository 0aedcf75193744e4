"""An execution's logs: severity coloured, step tagged, appended as they arrive (follow mode scrolls along)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from emulator.views import LogLine

SEVERITY_COLOURS: dict[str, str] = {
    "error": "bold red",
    "warn": "yellow",
    "info": "",
    "debug": "dim",
    "metric": "cyan",
}


def log_line(row: LogLine) -> Text:
    """One log line: `HH:MM:SS.mmm LEVEL [step] message`."""
    colour = SEVERITY_COLOURS.get(row.severity, "")
    line = Text()
    line.append(row.timestamp.strftime("%H:%M:%S.") + f"{row.timestamp.microsecond // 1000:03d} ", style="dim")
    line.append(f"{row.severity.upper():<5} ", style=colour or "bold")
    if row.step:
        line.append(f"[{row.step}] ", style="magenta")
    line.append(row.message, style=colour)
    return line


class LogView(RichLog):
    """Log lines of one execution. `last_seq` is the newest line shown, so a follower asks only for newer ones."""

    DEFAULT_CSS = """
    LogView { background: $surface; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, auto_scroll=True)
        self.last_seq = -1
        self.line_count = 0

    def add_rows(self, rows: list[LogLine]) -> None:
        """Append log lines (ignoring any already shown)."""
        for row in rows:
            if row.seq <= self.last_seq:
                continue
            self.write(log_line(row))
            self.last_seq = row.seq
            self.line_count += 1

    def reset(self) -> None:
        """Forget every line."""
        self.clear()
        self.last_seq = -1
        self.line_count = 0
