"""One widget per config variable data type, all with the same small interface (`ConfigField`): a title line
(required and org-only marks), the editor, and an inline error line. Validation never clears what was typed."""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, Switch, TextArea

from emulator.instance import render_template
from tui.widgets.code_area import CodeArea
from tui.wizard_form import (
    FieldSpec,
    next_runs,
    time_zones,
    validate_code,
    validate_json_schema,
    validate_scalar,
    validate_schedule,
)

PLACEHOLDERS = {
    "number": "a number, e.g. 42",
    "date": "mm/dd/yyyy",
    "timestamp": "mm/dd/yyyy, HH:MM AM",
    "string": "",
}


class ConfigField(Vertical):
    """Base of every field: title, editor (from `compose_editor`), error line."""

    DEFAULT_CSS = """
    ConfigField { height: auto; margin-bottom: 1; }
    ConfigField > .field-title { height: 1; }
    ConfigField > .field-description { color: $text-muted; height: auto; }
    ConfigField > .field-error { color: $error; height: auto; display: none; }
    ConfigField.-invalid > .field-error { display: block; }
    ConfigField.-invalid Input, ConfigField.-invalid TextArea { border: tall $error; }
    ConfigField Input { width: 1fr; }
    ConfigField .row { height: auto; }
    ConfigField .rows { height: auto; }
    ConfigField .row Button { min-width: 5; width: 5; }
    ConfigField .add-row { width: auto; min-width: 10; }
    """

    def __init__(self, spec: FieldSpec, value: Any = None) -> None:
        super().__init__(classes="config-field")
        self.spec = spec
        self.initial = value

    def compose(self) -> ComposeResult:
        """Lay out the field: title line, description (when the definition has one), editor, hidden error line."""
        yield Label(self.title(), classes="field-title")
        if self.spec.description:
            yield Static(self.spec.description, classes="field-description", markup=False)
        yield from self.compose_editor()
        yield Static("", classes="field-error", markup=False)

    def title(self) -> Content:
        """`Name *  org only`."""
        parts = [Content.styled(self.spec.key, "bold")]
        if self.spec.required:
            parts.append(Content.styled(" *", "$error"))
        if self.spec.org_only:
            parts.append(Content.styled("  organization only", "italic $warning"))
        elif self.spec.hidden_from_customer:
            parts.append(Content.styled("  hidden from customers (set by the embedding app)", "italic $warning"))
        if self.spec.hidden_from_org:
            parts.append(Content.styled("  hidden from organization deployers", "italic $text-muted"))
        if self.spec.data_source:
            parts.append(Content.styled("  from data source", "italic $text-muted"))
        return Content.assemble(*parts)

    def compose_editor(self) -> ComposeResult:
        """The widgets that edit the value."""
        yield from ()

    def get_value(self) -> Any:
        """The value as the wizard saves it."""
        raise NotImplementedError

    def problem(self) -> str | None:
        """What is wrong with the value now (None when fine); the required check is included."""
        return None

    def check(self, *, required: bool = True) -> str | None:
        """Validate, show the error inline (or clear it), return it. Never changes the value."""
        error = self.problem()
        if error is None and required and self.spec.required and self.has_no_value():
            error = f"{self.spec.key} is required."
        self.show_error(error)
        return error

    def has_no_value(self) -> bool:
        """True when nothing was entered."""
        value = self.get_value()
        return value in (None, "", [], {})

    def show_error(self, error: str | None) -> None:
        """Show (or hide) the inline error."""
        self.set_class(error is not None, "-invalid")
        self.query_one(".field-error", Static).update(error or "")


class TextField(ConfigField):
    """string, number, date, timestamp: one line, validated as you type."""

    def compose_editor(self) -> ComposeResult:
        """One compact input holding the saved value (or the default), with a placeholder that shows the expected
        format."""
        value = self.initial if self.initial is not None else (self.spec.default or "")
        yield Input(
            str(value),
            placeholder=PLACEHOLDERS.get(self.spec.data_type, ""),
            compact=True,
            id=f"input-{_ident(self.spec.key)}",
        )

    def get_value(self) -> str:
        """The text as typed."""
        return self.query_one(Input).value

    def problem(self) -> str | None:
        """What `validate_scalar` finds wrong with the text for this data type."""
        return validate_scalar(self.spec, self.get_value())

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.check(required=False)


class BooleanField(ConfigField):
    """boolean: a switch."""

    def compose_editor(self) -> ComposeResult:
        """A switch, on when the saved value (or the default) is "true"."""
        value = self.initial if self.initial is not None else (self.spec.default or "false")
        yield Switch(str(value).lower() == "true", id=f"switch-{_ident(self.spec.key)}")

    def get_value(self) -> str:
        """ "true" or "false", the strings a boolean config variable holds."""
        return "true" if self.query_one(Switch).value else "false"


class PicklistField(ConfigField):
    """picklist: a select of the definition's options (or a data source's)."""

    def __init__(self, spec: FieldSpec, value: Any = None, options: list[tuple[str, str]] | None = None) -> None:
        super().__init__(spec, value)
        self.options = options if options is not None else [(item, item) for item in spec.pick_list]

    def compose_editor(self) -> ComposeResult:
        """A select of the options, preselecting the saved value (or the default) when it is offered."""
        value = self.initial if self.initial is not None else self.spec.default
        keys = [key for _, key in self.options]
        yield Select(
            self.options,
            value=value if value in keys else Select.NULL,
            prompt="choose…",
            compact=True,
            id=f"select-{_ident(self.spec.key)}",
        )

    def set_options(self, options: list[tuple[str, str]]) -> None:
        """Replace the options (a data source answered), keeping the choice when it is still offered."""
        select = self.query_one(Select)
        current = select.value
        self.options = options
        select.set_options(options)
        keys = [key for _, key in options]
        if current in keys:
            select.value = current
        elif self.initial in keys:
            select.value = self.initial

    def get_value(self) -> str:
        """The chosen option's key, or "" when none is chosen."""
        value = self.query_one(Select).value
        return value if isinstance(value, str) else ""

    def problem(self) -> str | None:
        """Reject a value that is not among the options (e.g. one kept from before a data source answered)."""
        value = self.get_value()
        if value and self.options and value not in [key for _, key in self.options]:
            return f"Expected one of {', '.join(key for _, key in self.options)}, found {value!r}."
        return None


class CodeField(ConfigField):
    """code: a text area highlighted in its language; JSON and XML are validated as you type."""

    DEFAULT_CSS = """
    CodeField CodeArea { height: 8; }
    """

    def compose_editor(self) -> ComposeResult:
        """The language line and a code area highlighted in the variable's codeLanguage."""
        value = self.initial if self.initial is not None else (self.spec.default or "")
        yield Static(f"language: {self.spec.code_language or 'text'}", classes="field-description")
        yield CodeArea(str(value), language=self.spec.code_language, id=f"code-{_ident(self.spec.key)}")

    def get_value(self) -> str:
        """The code as typed."""
        return self.query_one(CodeArea).text

    def problem(self) -> str | None:
        """What is wrong with the code in its language (JSON and XML are parsed); empty code is fine here."""
        text = self.get_value()
        return validate_code(text, self.spec.code_language) if text.strip() else None

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.check(required=False)


class ScheduleField(ConfigField):
    """schedule: a cron expression and a time zone, with the next runs previewed."""

    def compose_editor(self) -> ComposeResult:
        """Cron and time zone inputs side by side (the zone suggests IANA names), then the next-runs preview line."""
        if isinstance(self.initial, dict):
            cron, zone = str(self.initial.get("value", "")), str(self.initial.get("time_zone") or "")
        elif isinstance(self.initial, str):
            cron, zone = self.initial, ""
        else:
            cron, zone = self.spec.default or "", ""
        zone = zone or self.spec.time_zone or ""
        with Horizontal(classes="row"):
            yield Input(
                cron or "", placeholder="cron, e.g. 0 2 * * *", compact=True, id=f"cron-{_ident(self.spec.key)}"
            )
            yield Input(
                zone,
                placeholder="time zone (UTC)",
                compact=True,
                suggester=SuggestFromList(time_zones(), case_sensitive=False),
                id=f"tz-{_ident(self.spec.key)}",
            )
        yield Static("", classes="schedule-preview field-description")

    def on_mount(self) -> None:
        """Preview the next runs of the saved schedule as soon as the field appears."""
        self._preview()

    def _inputs(self) -> tuple[Input, Input]:
        cron, zone = self.query(Input).results(Input)
        return cron, zone

    def get_value(self) -> dict[str, str]:
        """`{value, schedule_type, time_zone}`, the shape the emulator hands a flow."""
        cron, zone = self._inputs()
        cron_text = cron.value.strip()
        return {"value": cron_text, "schedule_type": "custom" if cron_text else "none", "time_zone": zone.value.strip()}

    def has_no_value(self) -> bool:
        """True when no cron expression is entered (a time zone alone is no schedule)."""
        return not self.get_value()["value"]

    def problem(self) -> str | None:
        """What is wrong with the cron expression or the time zone."""
        cron, zone = self._inputs()
        return validate_schedule(cron.value, zone.value.strip())

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.check(required=False)
        self._preview()

    def _preview(self) -> None:
        cron, zone = self._inputs()
        preview = self.query_one(".schedule-preview", Static)
        if not cron.value.strip() or self.problem():
            preview.update("")
            return
        now: Callable[[], datetime] = getattr(self.app, "now", lambda: datetime.now(UTC))
        runs = next_runs(cron.value.strip(), zone.value.strip(), now())
        preview.update("next runs: " + ", ".join(run.strftime("%a %Y-%m-%d %H:%M %Z") for run in runs))


class ListField(ConfigField):
    """valuelist / keyvaluelist: editable rows (Add, ✕ to remove); each value is validated by the element type."""

    def compose_editor(self) -> ComposeResult:
        """One row per saved item (key and value inputs for a keyvaluelist), then the Add button."""
        with Vertical(classes="rows"):
            for item in self._initial_items():
                yield self._row(item)
        yield Button("+ Add", classes="add-row", compact=True)

    @property
    def key_value(self) -> bool:
        """A list of {key, value} pairs."""
        return self.spec.collection_type == "keyvaluelist"

    def _initial_items(self) -> list[Any]:
        value = self.initial
        if value is None and self.spec.default:
            try:
                value = json.loads(self.spec.default)
            except json.JSONDecodeError:
                value = [self.spec.default]
        if isinstance(value, dict):
            value = [{"key": k, "value": v} for k, v in value.items()]
        return list(value) if isinstance(value, list) else []

    def _row(self, item: Any) -> Horizontal:
        if self.key_value:
            key = str(item.get("key", "")) if isinstance(item, dict) else ""
            val = str(item.get("value", "")) if isinstance(item, dict) else str(item)
            widgets: list[Widget] = [
                Input(key, placeholder="key", compact=True, classes="kv-key"),
                Input(val, placeholder="value", compact=True, classes="kv-value"),
            ]
        else:
            widgets = [Input(str(item), placeholder=PLACEHOLDERS.get(self.spec.data_type, "value"), compact=True)]
        return Horizontal(*widgets, Button("✕", classes="remove-row", compact=True), classes="row")

    @on(Button.Pressed, ".add-row")
    async def add_row(self, event: Button.Pressed | None = None) -> None:
        """Append an empty row and focus it."""
        if event is not None:
            event.stop()
        row = self._row({"key": "", "value": ""} if self.key_value else "")
        await self.query_one(".rows").mount(row)
        row.query(Input).first().focus()

    @on(Button.Pressed, ".remove-row")
    async def _remove_row(self, event: Button.Pressed) -> None:
        event.stop()
        row = event.button.parent
        if isinstance(row, Widget):
            await row.remove()

    def get_value(self) -> list[Any]:
        """The non-empty rows: strings for a valuelist, `{key, value}` pairs for a keyvaluelist."""
        rows = list(self.query(".row").results(Horizontal))
        if self.key_value:
            pairs = []
            for row in rows:
                key, value = row.query_one(".kv-key", Input).value, row.query_one(".kv-value", Input).value
                if key or value:
                    pairs.append({"key": key, "value": value})
            return pairs
        return [row.query_one(Input).value for row in rows if row.query_one(Input).value != ""]

    def problem(self) -> str | None:
        """The first row with a missing key or a value invalid for the element type, numbered from 1."""
        for index, item in enumerate(self.get_value(), start=1):
            value = item["value"] if self.key_value else item
            if self.key_value and not item["key"]:
                return f"Row {index}: a key is required."
            error = validate_scalar(self.spec, value)
            if error:
                return f"Row {index}: {error}"
        return None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.check(required=False)


class JsonField(ConfigField):
    """jsonForm / objectSelection / objectFieldMap without a usable form: a JSON editor validated against the
    schema when one is known."""

    DEFAULT_CSS = """
    JsonField CodeArea { height: 8; }
    """

    def __init__(self, spec: FieldSpec, value: Any = None, schema: dict[str, Any] | None = None) -> None:
        super().__init__(spec, value)
        self.schema = schema

    def compose_editor(self) -> ComposeResult:
        """A JSON code area with the saved value (or the default) pretty-printed."""
        value = self.initial
        if value is None and self.spec.default:
            value = _json_or_text(self.spec.default)
        text = json.dumps(value, indent=2) if value is not None else ""
        yield CodeArea(text, language="json", id=f"json-{_ident(self.spec.key)}")

    def get_value(self) -> Any:
        """The parsed JSON, the raw text when it does not parse (so nothing typed is lost), or None when empty."""
        text = self.query_one(CodeArea).text
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # kept as typed; `problem` says what is wrong

    def problem(self) -> str | None:
        """A JSON syntax error, else up to three schema violations when a schema is known."""
        text = self.query_one(CodeArea).text
        if not text.strip():
            return None
        error = validate_code(text, "json")
        if error:
            return error
        if self.schema:
            errors = validate_json_schema(json.loads(text), self.schema)
            if errors:
                return "; ".join(errors[:3])
        return None

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.check(required=False)


class JsonFormField(ConfigField):
    """jsonForm: one input per schema property (string, number, integer, boolean, enum); a schema with nested objects
    or arrays falls back to `JsonField`'s editor."""

    def __init__(self, spec: FieldSpec, value: Any, schema: dict[str, Any], data: dict[str, Any] | None = None) -> None:
        super().__init__(spec, value)
        self.schema = schema
        self.data = value if isinstance(value, dict) else (data or {})

    @staticmethod
    def supports(schema: dict[str, Any]) -> bool:
        """True when every property is a simple value this form can edit."""
        properties = schema.get("properties")
        if schema.get("type") != "object" or not isinstance(properties, dict) or not properties:
            return False
        return all(
            isinstance(sub, dict) and sub.get("type") in ("string", "number", "integer", "boolean")
            for sub in properties.values()
        )

    def compose_editor(self) -> ComposeResult:
        """One labelled row per schema property: a switch, a select for enums, or an input."""
        required = set(self.schema.get("required", []))
        for name, sub in self.schema["properties"].items():
            label = str(sub.get("title") or name) + (" *" if name in required else "")
            value = self.data.get(name, sub.get("default"))
            with Horizontal(classes="row"):
                yield Label(label, classes="json-form-label")
                options = _choices(sub)
                if sub.get("type") == "boolean":
                    yield Switch(bool(value), name=name)
                elif options:
                    keys = [key for _, key in options]
                    yield Select(options, value=value if value in keys else Select.NULL, compact=True, name=name)
                else:
                    yield Input("" if value is None else str(value), compact=True, name=name)

    def get_value(self) -> dict[str, Any]:
        """The form as an object, numbers coerced to the schema's type and blank inputs left out."""
        properties = self.schema["properties"]
        out: dict[str, Any] = {}
        for widget in self.query("Input, Switch, Select").results():
            name = widget.name or ""
            sub = properties.get(name, {})
            if isinstance(widget, Switch):
                out[name] = widget.value
            elif isinstance(widget, Select):
                if widget.value is not Select.NULL:
                    out[name] = widget.value
            elif isinstance(widget, Input) and widget.value != "":
                out[name] = _coerce(widget.value, sub.get("type"))
        return out

    def problem(self) -> str | None:
        """Up to three violations of the data source's schema."""
        errors = validate_json_schema(self.get_value(), self.schema)
        return "; ".join(errors[:3]) if errors else None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.check(required=False)


class ObjectSelectionField(ConfigField):
    """objectSelection: choose objects among those a data source offers."""

    def __init__(self, spec: FieldSpec, value: Any, objects: list[dict[str, Any]]) -> None:
        super().__init__(spec, value)
        self.objects = objects

    def compose_editor(self) -> ComposeResult:
        """A selection list of the data source's objects, the saved ones ticked."""
        chosen = {str(item.get("object", {}).get("key")) for item in self.initial or [] if isinstance(item, dict)}
        items = []
        for entry in self.objects:
            obj = entry.get("object", {}) if isinstance(entry, dict) else {}
            key = str(obj.get("key", ""))
            items.append((str(obj.get("label") or key), key, key in chosen))
        yield SelectionList[str](*items)

    def get_value(self) -> list[dict[str, Any]]:
        """The data source's entries for the ticked objects, in the data source's order."""
        selected = set(self.query_one(SelectionList).selected)
        return [entry for entry in self.objects if str(entry.get("object", {}).get("key")) in selected]


class ConnectionField(ConfigField):
    """connection: its inputs (secrets masked), and for OAuth 2.0 an Authorize action that opens the browser."""

    def __init__(self, spec: FieldSpec, value: Any = None, redirect_uri: str = "") -> None:
        super().__init__(spec, value)
        self.redirect_uri = redirect_uri

    def compose_editor(self) -> ComposeResult:
        """A labelled input per shown connection input (secrets masked), and for OAuth 2.0 the Authorize button."""
        values = (self.initial or {}).get("inputs", {}) if isinstance(self.initial, dict) else {}
        if self.spec.scoped:
            yield Static(
                "This connection is activated outside the integration (customer- or organization-activated): "
                "its credentials are not part of this wizard.",
                classes="field-description",
            )
        for item in self.spec.inputs:
            if not item.shown:
                continue
            value = values.get(item.key, item.default)
            title = (
                item.label
                + (" *" if item.required else "")
                + ("  (secret: kept in the keyring)" if item.secret else "")
            )
            yield Label(title, classes="connection-input-label")
            if item.comments:
                yield Static(item.comments, classes="field-description", markup=False)
            yield Input(
                "" if value is None else str(value),
                password=item.secret,
                placeholder=item.placeholder,
                compact=True,
                name=item.key,
                id=f"conn-{_ident(self.spec.key)}-{_ident(item.key)}",
            )
        if self.spec.oauth2:
            with Horizontal(classes="row"):
                yield Button("Authorize in browser", classes="authorize", compact=True)
            yield Static("", classes="authorize-url field-description", markup=False)

    def get_value(self) -> dict[str, Any]:
        """`{inputs}`: what was typed for shown inputs, the defaults for hidden ones."""
        inputs: dict[str, str] = {}
        shown = {item.key for item in self.spec.inputs if item.shown}
        for item in self.spec.inputs:
            if item.key not in shown:
                inputs[item.key] = item.default
        for widget in self.query(Input).results(Input):
            if widget.name:
                inputs[widget.name] = widget.value
        # Template inputs (`https://{{#host}}/oauth2/authorize`) are rendered from the others, as the platform does.
        for item in self.spec.inputs:
            if item.type == "template":
                inputs[item.key] = render_template(item.default, inputs)
        return {"inputs": inputs}

    def has_no_value(self) -> bool:
        """Never empty: a connection is checked input by input in `problem` instead."""
        return False

    def problem(self) -> str | None:
        """The required shown inputs left blank, by label."""
        values = self.get_value()["inputs"]
        missing = [item.label for item in self.spec.inputs if item.required and item.shown and not values.get(item.key)]
        if missing:
            return f"Required: {', '.join(missing)}."
        return None

    def authorize_url(self) -> str:
        """The authorization URL: authorizeUrl with client_id, redirect_uri, scope, state and response_type."""
        values = self.get_value()["inputs"]
        base = values.get("authorizeUrl", "")
        query = {
            "response_type": "code",
            "client_id": values.get("clientId", ""),
            "redirect_uri": self.redirect_uri,
            "scope": values.get("scopes", ""),
            "state": self.spec.stable_key or self.spec.key,
        }
        return base + ("&" if "?" in base else "?") + urlencode(query)

    @on(Button.Pressed, ".authorize")
    def _authorize(self, event: Button.Pressed) -> None:
        event.stop()
        values = self.get_value()["inputs"]
        if not values.get("authorizeUrl") or not values.get("clientId"):
            self.show_error("Authorize needs the Authorize URL and the Client ID first.")
            return
        url = self.authorize_url()
        self.query_one(".authorize-url", Static).update(f"Opened in your browser: {url}")
        webbrowser.open(url)


def _ident(text: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in text).lower()


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _choices(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    if isinstance(schema.get("enum"), list):
        return [(str(item), item) for item in schema["enum"]]
    if isinstance(schema.get("oneOf"), list) and all(isinstance(o, dict) and "const" in o for o in schema["oneOf"]):
        return [(str(o.get("title", o["const"])), o["const"]) for o in schema["oneOf"]]
    return []


def _coerce(text: str, kind: str | None) -> Any:
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "number":
        try:
            return float(text) if "." in text or "e" in text.lower() else int(text)
        except ValueError:
            return text
    return text


def field_for(spec: FieldSpec, value: Any = None, *, redirect_uri: str = "") -> ConfigField:
    """The widget for a config variable of the definition (data-source variables start as placeholders and are
    replaced by `data_source_field` once their data source answered)."""
    if spec.is_connection:
        return ConnectionField(spec, value, redirect_uri=redirect_uri)
    if spec.collection_type in ("valuelist", "keyvaluelist"):
        return ListField(spec, value)
    kind = spec.data_type
    if kind == "boolean":
        return BooleanField(spec, value)
    if kind == "picklist":
        return PicklistField(spec, value)
    if kind == "code":
        return CodeField(spec, value)
    if kind == "schedule":
        return ScheduleField(spec, value)
    if kind in ("jsonForm", "objectSelection", "objectFieldMap"):
        return JsonField(spec, value)
    return TextField(spec, value)


def data_source_field(spec: FieldSpec, value: Any, result: Any) -> ConfigField:
    """The widget for a data-source variable, given what its data source returned."""
    kind = spec.data_type
    if kind == "picklist" and isinstance(result, list):
        options = []
        for item in result:
            if isinstance(item, dict):
                options.append((str(item.get("label") or item.get("key")), str(item.get("key"))))
            else:
                options.append((str(item), str(item)))
        return PicklistField(spec, value, options)
    if kind == "jsonForm" and isinstance(result, dict) and isinstance(result.get("schema"), dict):
        schema = result["schema"]
        data = result.get("data") if isinstance(result.get("data"), dict) else None
        if JsonFormField.supports(schema):
            return JsonFormField(spec, value, schema, data)
        return JsonField(spec, value if value is not None else data, schema)
    if kind == "objectSelection" and isinstance(result, list):
        return ObjectSelectionField(spec, value, [item for item in result if isinstance(item, dict)])
    if kind in ("jsonForm", "objectSelection", "objectFieldMap"):
        return JsonField(spec, value if value is not None else result)
    if value is None and result is not None and not isinstance(result, dict | list):
        value = str(result).lower() if isinstance(result, bool) else str(result)
    return field_for(spec, value)
