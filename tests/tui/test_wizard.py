"""The config wizard, driven with Pilot on a fixture project built by the emulator's fast build: navigate, hit
validation errors (input kept), save, then check instance.json and the keyring."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, Select, Switch

from emulator.instance import SECRET_SERVICE
from tests.fakes.keyring import MemoryKeyring
from tests.tui.conftest import make_app
from tui.app import CnikitApp
from tui.screens.save_preview import SavePreviewScreen
from tui.screens.wizard import DataSourceSlot, WizardScreen
from tui.widgets.config_fields import ListField, PicklistField


async def open_wizard(app: CnikitApp) -> WizardScreen:
    """Wait until the wizard has built the project and shows its first page."""
    await app.workers.wait_for_complete()
    screen = app.screen
    assert isinstance(screen, WizardScreen)
    assert screen.pages, str(screen.query_one("#wizard-status").render())
    return screen


@asynccontextmanager
async def running_wizard(root: Path) -> AsyncIterator[tuple[Pilot[Any], WizardScreen]]:
    """The app on `root`'s wizard, run with Pilot, once its first page shows."""
    app = make_app(root, "wizard")
    async with app.run_test(size=(100, 30)) as pilot:
        yield pilot, await open_wizard(app)


async def past_the_connection(pilot: Pilot[Any], wizard: WizardScreen, api_key: str) -> None:
    """Type the Acme API key on the first page and go on to the next."""
    await type_into(pilot, wizard.query_one("#conn-acme-connection-apikey", Input), api_key)
    await pilot.press("ctrl+n")


async def type_into(pilot: Pilot[Any], widget: Input, text: str) -> None:
    """Focus an input, clear it, type `text` key by key."""
    widget.focus()
    widget.value = ""
    await pilot.press(*text)


async def test_fill_hit_errors_and_save(copy_project: Callable[[str], Path], memory_keyring: MemoryKeyring) -> None:
    root = copy_project("tui-wizard-types")
    async with running_wizard(root) as (pilot, wizard):
        assert [page.name for page in wizard.pages] == ["Connection", "Options"]

        # The API key is required: Next stays on the page and says so.
        await pilot.press("ctrl+n")
        assert wizard.page_index == 0
        assert "Required: API Key." in str(wizard.query_one("#wizard-status").render())
        api_key = wizard.query_one("#conn-acme-connection-apikey", Input)
        assert api_key.password  # a secret is masked
        await type_into(pilot, api_key, "s3cret")
        await pilot.press("ctrl+n")
        assert wizard.page_index == 1

        # A number that is not one: the error is inline, and what was typed stays.
        batch = wizard.query_one("#input-batch-size", Input)
        await type_into(pilot, batch, "lots")
        field = batch.parent
        assert field is not None and field.has_class("-invalid")
        await pilot.press("ctrl+s")
        assert not isinstance(pilot.app.screen, SavePreviewScreen)
        assert batch.value == "lots"
        assert "Expected a number" in str(wizard.query_one("#wizard-status").render())

        await type_into(pilot, batch, "25")
        await type_into(pilot, wizard.query_one("#cron-sync-schedule", Input), "0 2 * * *")
        assert "next runs: Mon 2026-03-02 02:00 CST" in str(wizard.query_one(".schedule-preview").render())
        tags = next(f for f in wizard.query(ListField) if f.spec.key == "Tags")
        await tags.add_row()
        await pilot.press(*"red")
        wizard.query_one("#switch-enabled", Switch).toggle()
        await pilot.pause()

        await pilot.press("ctrl+s")
        preview = pilot.app.screen
        assert isinstance(preview, SavePreviewScreen)
        assert "s3cret" not in preview.preview.text
        await pilot.press("ctrl+s")
        assert pilot.app.screen is wizard

    saved = json.loads((root / ".spectral" / "local" / "instance.json").read_text())
    assert saved["configVars"]["Batch Size"] == "25"
    assert saved["configVars"]["Enabled"] == "false"
    assert saved["configVars"]["Tags"] == ["red"]
    assert saved["configVars"]["Sync Schedule"] == {
        "value": "0 2 * * *",
        "schedule_type": "custom",
        "time_zone": "America/Chicago",
    }
    assert saved["configVars"]["Mode"] == "fast"
    assert saved["connections"]["Acme Connection"]["fields"] == {"baseUrl": "https://api.acme.test"}
    assert saved["connections"]["Acme Connection"]["secretFields"] == ["apiKey"]
    assert "s3cret" not in (root / ".spectral" / "local" / "instance.json").read_text()
    secret_name = f"{saved['id']}/Acme Connection/apiKey"
    assert memory_keyring.entries[(SECRET_SERVICE, secret_name)] == "s3cret"


async def test_back_and_next_keep_what_was_typed(
    copy_project: Callable[[str], Path], memory_keyring: MemoryKeyring
) -> None:
    root = copy_project("tui-wizard-types")
    async with running_wizard(root) as (pilot, wizard):
        await past_the_connection(pilot, wizard, "k")
        await type_into(pilot, wizard.query_one("#input-target-name", Input), "staging")
        await pilot.press("ctrl+b")
        assert wizard.page_index == 0
        assert wizard.query_one("#conn-acme-connection-apikey", Input).value == "k"
        await pilot.press("ctrl+n")
        assert wizard.query_one("#input-target-name", Input).value == "staging"


async def test_cancelling_the_preview_writes_nothing(
    copy_project: Callable[[str], Path], memory_keyring: MemoryKeyring
) -> None:
    root = copy_project("tui-wizard-types")
    async with running_wizard(root) as (pilot, wizard):
        await past_the_connection(pilot, wizard, "k")
        await type_into(pilot, wizard.query_one("#cron-sync-schedule", Input), "*/5 * * * *")
        await pilot.press("ctrl+s")
        assert isinstance(pilot.app.screen, SavePreviewScreen)
        await pilot.press("escape")
        assert pilot.app.screen is wizard
        assert "nothing was written" in str(wizard.query_one("#wizard-status").render())
    assert not (root / ".spectral" / "local" / "instance.json").exists()
    assert memory_keyring.entries == {}


async def test_without_a_keyring_nothing_is_written_and_input_is_kept(
    copy_project: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("PYTHON_KEYRING_BACKEND", "CNIKIT_KEYRING_PASSWORD", "CNIKIT_KEYRING_FILE"):
        monkeypatch.delenv(var, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        root = copy_project("tui-wizard-types")
        async with running_wizard(root) as (pilot, wizard):
            await past_the_connection(pilot, wizard, "s3cret")
            await type_into(pilot, wizard.query_one("#cron-sync-schedule", Input), "0 2 * * *")
            await pilot.press("ctrl+s", "ctrl+s")
            status = str(wizard.query_one("#wizard-status").render())
            assert "Could not save" in status and "CNIKIT_KEYRING_PASSWORD" in status
            await pilot.press("ctrl+b")
            assert wizard.query_one("#conn-acme-connection-apikey", Input).value == "s3cret"
        assert not (root / ".spectral" / "local" / "instance.json").exists()
    finally:
        keyring.set_keyring(previous)


async def data_source_slot(pilot: Pilot[Any], wizard: WizardScreen) -> DataSourceSlot:
    """The slot of the page's data source, once its data source answered (it runs in a worker)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    slot = wizard.query_one(DataSourceSlot)
    assert slot.loaded
    return slot


async def test_a_data_source_fills_the_picklist_from_the_connection_entered(
    copy_project: Callable[[str], Path], memory_keyring: MemoryKeyring
) -> None:
    root = copy_project("tui-wizard-data-source")
    async with running_wizard(root) as (pilot, wizard):
        token = wizard.query_one("#conn-files-connection-token", Input)
        # The bundle's whole connection inputs reach the wizard: comments and placeholder too.
        assert token.placeholder == "files_…"
        assert "From the Files admin page" in [str(s.render()) for s in wizard.query(".field-description")]
        await type_into(pilot, token, "t0ken")
        await pilot.press("ctrl+n")
        slot = await data_source_slot(pilot, wizard)
        assert "Options from data source 'folder'" in str(slot.query_one(".slot-status").render())
        helper = wizard.query_one(".helper-text", Markdown)
        assert "**sync**" in helper.source
        select = slot.query_one(Select)
        assert [(str(label), key) for label, key in slot.query_one(PicklistField).options] == [
            ("Inbox", "inbox"),
            ("Archive", "archive"),
        ]
        select.value = "archive"
        await pilot.press("ctrl+s", "ctrl+s")
    saved = json.loads((root / ".spectral" / "local" / "instance.json").read_text())
    assert saved["configVars"]["Folder"] == "archive"
    assert "t0ken" not in json.dumps(saved)  # the token went to the keyring


async def test_a_data_source_that_throws_says_why_inline_and_keeps_the_input(
    copy_project: Callable[[str], Path], memory_keyring: MemoryKeyring
) -> None:
    root = copy_project("tui-wizard-data-source")
    async with running_wizard(root) as (pilot, wizard):
        token = wizard.query_one("#conn-files-connection-token", Input)
        await type_into(pilot, token, "expired")
        await pilot.press("ctrl+n")
        slot = await data_source_slot(pilot, wizard)
        status = str(slot.query_one(".slot-status").render())
        assert "the data source 'folder' failed: The token has expired (src/index.ts:" in status, status
        assert "Ctrl+R" in status
        # The value can still be typed, and what was typed survives fixing the connection and running it again.
        field = slot.field
        assert field is not None
        await type_into(pilot, field.query_one(Input), "inbox")
        await pilot.press("ctrl+b")
        assert token.value == "expired"  # the input that made it fail is still there to fix
        await type_into(pilot, token, "t0ken")
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+r")
        slot = await data_source_slot(pilot, wizard)
        assert slot.query_one(Select).value == "inbox"
        await pilot.press("ctrl+s", "ctrl+s")
    saved = json.loads((root / ".spectral" / "local" / "instance.json").read_text())
    assert saved["configVars"]["Folder"] == "inbox"


async def test_a_project_that_does_not_build_says_where(copy_project: Callable[[str], Path]) -> None:
    root = copy_project("tui-wizard-build-error")
    app = make_app(root, "wizard")
    async with app.run_test(size=(100, 30)):
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        status = str(screen.query_one("#wizard-status").render())
        assert status.startswith("Could not read the config pages: src/index.ts:8:")
        assert screen.pages == []


async def test_an_unreadable_instance_file_is_reported_and_kept(copy_project: Callable[[str], Path]) -> None:
    root = copy_project("tui-wizard-types")
    instance = root / ".spectral" / "local" / "instance.json"
    instance.parent.mkdir(parents=True)
    instance.write_text("{ half a file")
    app = make_app(root, "wizard")
    async with app.run_test(size=(100, 30)):
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        status = str(screen.query_one("#wizard-status").render())
        assert "instance.json: not valid JSON" in status and "fix it or delete the file" in status
    assert instance.read_text() == "{ half a file"
