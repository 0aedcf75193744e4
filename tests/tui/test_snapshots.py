"""Snapshots (pytest-textual-snapshot, SVG under __snapshots__/) of the main screens at 100×30, plus the narrow
80×24 layout and the light theme. Data is deterministic: seeded executions with fixed ids and times, a frozen clock.
Update with `pytest tests/tui/test_snapshots.py --snapshot-update` after checking the new rendering by eye."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from cnikit.payloads import create_payload
from tests.fakes.keyring import MemoryKeyring
from tests.tui.conftest import make_app
from tests.tui.seed import seed

SIZE = (100, 30)
SnapCompare = Callable[..., bool]


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for workers (builds) and pending messages, so the screen is complete; stop cursors blinking, so the
    picture does not depend on when it is taken."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.screen.query("Input, TextArea").results():
        widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


def test_executions(snap_compare: SnapCompare, tmp_path: Path) -> None:
    seed(tmp_path, 40)
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=["down"], run_before=settle)


def test_execution_output(snap_compare: SnapCompare, tmp_path: Path) -> None:
    seed(tmp_path, 10)
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=["down", "enter", "down", "o"], run_before=settle)


def test_execution_logs_of_a_failure(snap_compare: SnapCompare, tmp_path: Path) -> None:
    seed(tmp_path, 10)  # number 10 failed
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=["enter"], run_before=settle)


def test_help(snap_compare: SnapCompare, tmp_path: Path) -> None:
    seed(tmp_path, 3)
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=["f1"], run_before=settle)


def test_executions_narrow_light(snap_compare: SnapCompare, tmp_path: Path) -> None:
    seed(tmp_path, 40)
    app = make_app(tmp_path)
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def test_wizard_validation_error(
    snap_compare: SnapCompare, copy_project: Callable[[str], Path], memory_keyring: MemoryKeyring
) -> None:
    root = copy_project("tui-wizard-types")

    async def fill(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#conn-acme-connection-apikey", Input).value = "s3cret"
        await pilot.press("ctrl+n")
        batch = pilot.app.screen.query_one("#input-batch-size", Input)
        batch.value = "lots"
        batch.focus()
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(root, "wizard"), terminal_size=SIZE, run_before=fill)


def test_wizard_first_page_narrow(
    snap_compare: SnapCompare, copy_project: Callable[[str], Path], memory_keyring: MemoryKeyring
) -> None:
    root = copy_project("tui-wizard-types")
    assert snap_compare(make_app(root, "wizard"), terminal_size=(80, 24), run_before=settle)


def test_payloads(snap_compare: SnapCompare, copy_project: Callable[[str], Path]) -> None:
    root = copy_project("tui-run-echo")
    create_payload(root, "echo", "empty")
    assert snap_compare(
        make_app(root, "payloads"), terminal_size=SIZE, press=["down", "down", "enter"], run_before=settle
    )


def test_account_logged_out(
    snap_compare: SnapCompare,
    empty_project: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for var in ("PRISM_ACCESS_TOKEN", "PRISM_REFRESH_TOKEN", "PRISMATIC_TENANT_ID", "PRISM_PROFILE", "CNIKIT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PRISMATIC_URL", "https://stack.example.test")
    monkeypatch.setenv("CNIKIT_CONFIG_FILE", str(tmp_path / "cnikit-config.yml"))
    monkeypatch.setenv("PRISM_CONFIG_FILE", str(tmp_path / "prism-config.yml"))
    assert snap_compare(make_app(empty_project, "account"), terminal_size=SIZE, run_before=settle)
