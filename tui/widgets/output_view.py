"""A step's output as highlighted JSON; binary data is shown as its type and size, never dumped."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from emulator.sources import StepOutput
from tui.format import byte_size
from tui.widgets.code_area import CodeArea


def describe_binary(data: bytes, content_type: str | None = None) -> str:
    """`<binary image/png, 12.3 KiB>`."""
    kind = content_type or "binary"
    return f"<binary {kind}, {byte_size(len(data))}>"


def jsonable(value: Any, content_type: str | None = None) -> Any:
    """`value` with every `bytes` replaced by a description of its type and size (a `{data, contentType}` pair
    names the type)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return describe_binary(bytes(value), content_type)
    if isinstance(value, dict):
        inner_type = value.get("contentType") if isinstance(value.get("contentType"), str) else None
        return {str(key): jsonable(item, inner_type) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


KINDS = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def output_text(output: StepOutput, step: str = "") -> tuple[str, str]:
    """(summary line, JSON text) for a step output."""
    if not output.found:
        return (output.note or "This step has no recorded output.", "")
    value = output.value
    if isinstance(value, bytes | bytearray | memoryview):
        return (f"Binary output: {describe_binary(bytes(value))}", "")
    if isinstance(value, dict) and isinstance(value.get("data"), bytes | bytearray):
        content_type = value.get("contentType") if isinstance(value.get("contentType"), str) else None
        summary = f"Binary data: {describe_binary(bytes(value['data']), content_type)}"
    else:
        kind = KINDS.get(type(value), "null") if value is not None else "null"
        summary = output.note or f"{step or 'The step'} returned {kind}"
    text = json.dumps(jsonable(value), indent=2, ensure_ascii=False, default=str)
    return (summary, text)


class OutputView(Vertical):
    """Summary line + read-only JSON text area (virtualised, highlighted, selectable)."""

    DEFAULT_CSS = """
    OutputView { height: 1fr; }
    OutputView > #output-summary { height: 1; color: $text-muted; padding: 0 1; }
    OutputView > CodeArea { height: 1fr; border: none; }
    """

    def compose(self) -> ComposeResult:
        """A summary line (a hint until a step is chosen) over the read-only JSON area."""
        yield Static("Choose a step to see its output.", id="output-summary")
        yield CodeArea("", language="json", read_only=True, id="output-json")

    def show(self, output: StepOutput, step: str = "") -> None:
        """Show one step's output."""
        summary, text = output_text(output, step)
        self.query_one("#output-summary", Static).update(summary)
        self.query_one("#output-json", CodeArea).load_text(text)

    @property
    def text(self) -> str:
        """The JSON shown."""
        return self.query_one("#output-json", CodeArea).text
