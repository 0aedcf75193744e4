"""App-wide behaviour: screens by function key, help, command palette entries, dark/light theme; and the field
widgets the fixture projects do not reach (JSON Forms, object selection, OAuth authorize)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button, Input, SelectionList, Switch

from tests.tui.conftest import make_app
from tests.tui.seed import seed
from tui.app import CnikitApp
from tui.screens.account import AccountScreen
from tui.screens.help import HelpScreen
from tui.screens.payloads import PayloadsScreen
from tui.screens.results import ResultsScreen
from tui.screens.wizard import WizardScreen
from tui.widgets.config_fields import ConfigField, ConnectionField, data_source_field
from tui.widgets.key_bar import KeyBar
from tui.wizard_form import ConnectionInput, FieldSpec


async def test_function_keys_switch_screens_and_f1_shows_help(tmp_path: Path) -> None:
    seed(tmp_path, 3)
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, ResultsScreen)
        assert "f1 Help" in app.screen.query_one(KeyBar).text
        await pilot.press("f4")
        assert isinstance(app.screen, PayloadsScreen)
        await pilot.press("f5")
        assert isinstance(app.screen, AccountScreen)
        await pilot.press("f3")
        assert isinstance(app.screen, WizardScreen)
        await pilot.press("f2")
        assert isinstance(app.screen, ResultsScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ResultsScreen)


async def test_palette_lists_screens_and_the_screen_actions(tmp_path: Path) -> None:
    seed(tmp_path, 3)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for expected in ("Executions", "Config wizard", "Payloads", "Account", "Help", "Toggle dark/light theme"):
            assert expected in titles
        assert {"Replay", "Run flow", "Local/Cloud"} <= set(titles)  # the executions screen's own actions


async def test_ctrl_t_switches_between_dark_and_light(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert not app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark


def test_an_unknown_screen_is_refused(tmp_path: Path) -> None:
    from tui.workspace import Workspace

    try:
        CnikitApp(Workspace(tmp_path), screen="settings")
    except ValueError as error:
        assert "results, wizard, payloads, account" in str(error)
    else:
        raise AssertionError("an unknown screen was accepted")


class FieldApp(App[None]):
    """One field on its own."""

    def __init__(self, field: ConfigField) -> None:
        super().__init__()
        self.field = field

    def compose(self) -> ComposeResult:
        yield self.field


async def test_json_form_fields_come_from_the_schema() -> None:
    spec = FieldSpec("Settings", "jsonForm", data_source="settings")
    result: dict[str, Any] = {
        "schema": {
            "type": "object",
            "required": ["email"],
            "properties": {
                "email": {"type": "string", "format": "email", "title": "Email"},
                "retries": {"type": "integer", "minimum": 0},
                "verbose": {"type": "boolean"},
            },
        },
        "uiSchema": {"type": "VerticalLayout", "elements": []},
        "data": {"retries": 3},
    }
    field = data_source_field(spec, None, result)
    async with FieldApp(field).run_test() as pilot:
        inputs = {widget.name: widget for widget in field.query(Input).results(Input)}
        assert inputs["retries"].value == "3"
        inputs["email"].value = "not-an-email"
        await pilot.pause()
        assert "email: expected an email address" in (field.check() or "")
        inputs["email"].value = "ops@acme.test"
        field.query_one(Switch).value = True
        await pilot.pause()
        assert field.check() is None
        assert field.get_value() == {"email": "ops@acme.test", "retries": 3, "verbose": True}


async def test_nested_json_form_falls_back_to_a_validated_json_editor() -> None:
    spec = FieldSpec("Mapping", "jsonForm", data_source="mapping")
    schema = {"type": "object", "properties": {"rows": {"type": "array", "items": {"type": "object"}}}}
    field = data_source_field(spec, None, {"schema": schema, "uiSchema": {}, "data": {"rows": []}})
    async with FieldApp(field).run_test() as pilot:
        editor = field.query_one("CodeArea")
        editor.load_text('{"rows": "nope"}')  # type: ignore[attr-defined]
        await pilot.pause()
        assert "rows: expected array" in (field.check() or "")
        editor.load_text(json.dumps({"rows": [{"a": 1}]}))  # type: ignore[attr-defined]
        assert field.check() is None and field.get_value() == {"rows": [{"a": 1}]}


async def test_object_selection_offers_the_data_source_objects() -> None:
    spec = FieldSpec("Objects", "objectSelection", data_source="objects")
    result = [
        {"object": {"key": "contact", "label": "Contact"}, "fields": []},
        {"object": {"key": "deal", "label": "Deal"}, "fields": []},
    ]
    field = data_source_field(spec, None, result)
    async with FieldApp(field).run_test():
        field.query_one(SelectionList).select("deal")
        assert field.get_value() == [result[1]]


async def test_the_authorize_url_is_rendered_from_the_template_and_hidden_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inputs = (
        ConnectionInput("host", "Host", "string", True, True, "acme.example.com"),
        ConnectionInput(
            "authorizeUrl", "Authorize URL", "template", False, False, "https://{{#host}}/oauth2/authorize"
        ),
        ConnectionInput("tokenUrl", "Token URL", "template", False, False, "https://{{#host}}/oauth2/token"),
        ConnectionInput("scopes", "Scopes", "string", False, False, "read"),
        ConnectionInput("clientId", "Client ID", "string", True, False, "hidden-id"),
        ConnectionInput("clientSecret", "Client Secret", "password", True, False, "hidden-secret"),
    )
    spec = FieldSpec("Acme OAuth", "connection", stable_key="acme-oauth", inputs=inputs, oauth2=True)
    opened: list[str] = []
    field = ConnectionField(spec, redirect_uri="http://127.0.0.1:8787/oauth2/callback")
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url) or True)
    async with FieldApp(field).run_test() as pilot:
        next(w for w in field.query(Input).results(Input) if w.name == "host").value = "tenant.example.org"
        field.query_one(Button).press()
        await pilot.pause()
    assert opened == [
        "https://tenant.example.org/oauth2/authorize?response_type=code&client_id=hidden-id"
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2Foauth2%2Fcallback&scope=read&state=acme-oauth"
    ]


async def test_oauth_connection_opens_the_authorize_url(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = tuple(
        ConnectionInput(key, label, "password" if key == "clientSecret" else "string", True, True, default)
        for key, label, default in (
            ("authorizeUrl", "Authorize URL", "https://auth.acme.test/authorize"),
            ("tokenUrl", "Token URL", "https://auth.acme.test/token"),
            ("scopes", "Scopes", "read write"),
            ("clientId", "Client ID", "cid"),
            ("clientSecret", "Client Secret", "shh"),
        )
    )
    spec = FieldSpec("Acme OAuth", "connection", stable_key="acme-oauth", inputs=inputs, oauth2=True)
    opened: list[str] = []
    field = ConnectionField(spec, redirect_uri="http://127.0.0.1:8787/oauth2/callback")
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url) or True)
    async with FieldApp(field).run_test() as pilot:
        field.query_one(Button).press()
        await pilot.pause()
        assert "Opened in your browser" in str(field.query_one(".authorize-url").render())
        secret = next(w for w in field.query(Input).results(Input) if w.name == "clientSecret")
        assert secret.password
    assert opened == [
        "https://auth.acme.test/authorize?response_type=code&client_id=cid"
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2Foauth2%2Fcallback&scope=read+write&state=acme-oauth"
    ]
