"""The strip at the top of every main screen: which screen is shown and the keys that switch."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

SCREENS: tuple[tuple[str, str, str], ...] = (
    ("results", "F2", "Executions"),
    ("wizard", "F3", "Config wizard"),
    ("payloads", "F4", "Payloads"),
    ("account", "F5", "Account"),
)


class NavBar(Static):
    """`cnikit · F2 Executions · F3 Config wizard …` with the current screen highlighted."""

    DEFAULT_CSS = """
    NavBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, current: str, context: str = "") -> None:
        super().__init__()
        self.current = current
        self.context = context

    def on_mount(self) -> None:
        """Draw the strip once mounted."""
        self.update(self.build())

    def build(self) -> Content:
        """The bar's content."""
        parts: list[Content | str] = [Content.styled("cnikit", "bold $accent"), "  "]
        for mode, key, title in SCREENS:
            if mode == self.current:
                parts.append(Content.styled(f" {key} {title} ", "bold reverse $primary"))
            else:
                parts.append(Content.assemble(Content.styled(key, "bold"), f" {title}"))
            parts.append("  ")
        if self.context:
            parts.append(Content.styled(self.context, "italic"))
        return Content.assemble(*parts)
