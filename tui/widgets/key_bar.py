"""The key bar at the bottom of every screen: the keys that work now and what they do, on one line.

Textual's `Footer` recomposes a widget per key whenever bindings change (every focus move), which restyles a dozen
widgets each time and dominated start-up; this bar is one `Static` whose text is rebuilt instead. Clicking a key
runs its action, like the footer.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static


class KeyBar(Static):
    """`key Description` for every shown binding of the focused widget, its screen and the app."""

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__("")
        self._spans: list[tuple[int, int, str]] = []  # (start, end, action) of each key on the line

    def on_mount(self) -> None:
        """Rebuild the line whenever the screen's bindings change, and once now."""
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._rebuild()

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self._rebuild()

    def _rebuild(self) -> None:
        parts: list[Content] = []
        spans: list[tuple[int, int, str]] = []
        position = 0
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            text = Content.assemble(
                Content.styled(key, "bold $footer-key-foreground" if enabled else "$text-disabled"),
                " ",
                Content.styled(binding.description, "" if enabled else "$text-disabled"),
                "  ",
            )
            spans.append((position, position + len(key) + 1 + len(binding.description), binding.action))
            position += len(text.plain)
            parts.append(text)
        palette = ""
        if self.app.ENABLE_COMMAND_PALETTE:
            palette = self.app.get_key_display(Binding(self.app.COMMAND_PALETTE_BINDING, "command_palette"))
        if palette:
            spans.append((position, position + len(palette) + 8, "app.command_palette"))
            parts.append(Content.assemble(Content.styled(palette, "bold $footer-key-foreground"), " palette"))
        self._spans = spans
        self.update(Content.assemble(*parts))

    async def on_click(self, event: events.Click) -> None:
        """Run the action of the key that was clicked."""
        x = event.x - 1  # padding
        for start, end, action in self._spans:
            if start <= x < end:
                await self.screen.run_action(action)
                return

    @property
    def text(self) -> str:
        """The bar as plain text."""
        return str(self.render())
