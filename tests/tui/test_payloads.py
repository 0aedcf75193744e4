"""The payloads screen: list the flows' payload files, edit one (validated as you type), create one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Tree

from cnikit.payloads import create_payload
from tests.tui.conftest import make_app
from tui.screens.payloads import NewPayloadScreen, PayloadsScreen
from tui.widgets.code_area import CodeArea


async def test_edit_validate_and_save_a_payload(copy_project: Callable[[str], Path]) -> None:
    root = copy_project("tui-wizard-types")
    path = create_payload(root, "echo", "hello")
    app = make_app(root, "payloads")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, PayloadsScreen)
        await screen.flows_loaded.wait()
        await pilot.press("down", "enter")  # Echo → hello
        assert screen.current == path
        editor = screen.query_one("#payload-text", CodeArea)

        editor.insert("oops", location=(0, 0))  # no longer JSON
        await pilot.pause()
        status = str(screen.query_one("#payload-status").render())
        assert "line 1, column 1: invalid JSON" in status
        await pilot.press("ctrl+s")
        assert json.loads(path.read_text())["data"] == {}  # nothing was written…
        assert editor.text.startswith("oops{")  # …and nothing typed was lost

        editor.load_text(json.dumps({"headers": {}, "data": {"id": 7}, "contentType": "application/json"}))
        await pilot.pause()
        assert "✔ valid application/json payload" in str(screen.query_one("#payload-status").render())
        await pilot.press("ctrl+s")
        assert json.loads(path.read_text())["data"] == {"id": 7}


async def test_create_a_payload_with_a_valid_name(copy_project: Callable[[str], Path]) -> None:
    root = copy_project("tui-wizard-types")
    app = make_app(root, "payloads")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, PayloadsScreen)
        await screen.flows_loaded.wait()
        assert screen.query_one("#payload-tree", Tree).has_focus
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, NewPayloadScreen)
        await pilot.press(*"bad name", "enter")
        assert app.screen is dialog
        assert "letters, numbers, hyphens, and underscores" in str(dialog.query_one("#new-payload-error").render())
        name = dialog.query_one("#new-payload-name", Input)
        name.value = ""
        await pilot.press(*"new-order", "enter")
        assert app.screen is screen
        created = root / ".spectral" / "flows" / "echo" / "payloads" / "new-order.json"
        assert json.loads(created.read_text()) == {
            "headers": {"prismatic-debug": "false"},
            "data": {},
            "contentType": "application/json",
        }
        assert screen.current == created
