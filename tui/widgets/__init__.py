"""tui.widgets."""
