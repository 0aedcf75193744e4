"""The config wizard without widgets: pages and fields from the built definition, validation per data type, and the
values the wizard saves. Pure functions, so every rule is unit-testable without a terminal.

Semantics follow Prismatic's wizard (spec/cli-auth-config-api.md §5, spec/cni-authoring.md §8–§11): pages in order,
HTML helper text between fields, `orgOnly` variables shown but marked, connections with their inputs (secrets
masked), data-source variables whose options come from running the data source, collections as editable rows.
"""

from __future__ import annotations

import html
import ipaddress
import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

if TYPE_CHECKING:
    from cnikit.definition.models import BuiltConfigVar, BuiltDefinition

SECRET_INPUT_TYPES = {"password"}
PICKLIST_MAX = 64  # a picklist value may be at most 64 characters
DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")
TIMESTAMP_FORMATS = ("%m/%d/%Y, %I:%M %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
OAUTH_INPUTS = ("authorizeUrl", "tokenUrl", "scopes", "clientId", "clientSecret")


@dataclass(frozen=True)
class ConnectionInput:
    """One input of a connection config variable."""

    key: str
    label: str
    type: str = "string"
    required: bool = False
    shown: bool = True
    default: str = ""
    comments: str = ""
    placeholder: str = ""  # spectral's `placeholder` (or its `example`), shown in the empty input

    @property
    def secret(self) -> bool:
        """Password inputs are masked and kept in the keyring (the emulator's rule: `instance.secret_inputs`)."""
        return self.type in SECRET_INPUT_TYPES


@dataclass(frozen=True)
class FieldSpec:
    """One config variable as the wizard shows it."""

    key: str
    data_type: str
    stable_key: str | None = None
    description: str = ""
    default: str | None = None
    pick_list: tuple[str, ...] = ()
    code_language: str | None = None
    collection_type: str | None = None
    time_zone: str | None = None
    org_only: bool = False
    hidden_from_customer: bool = False  # `embedded` (set by the app) or `organization`
    hidden_from_org: bool = False  # `visibleToOrgDeployer: false`
    data_source: str | None = None  # key of the data source that provides the options
    inputs: tuple[ConnectionInput, ...] = ()
    oauth2: bool = False
    scoped: bool = False  # customer/organization-activated connection: credentials live outside the integration

    @property
    def is_connection(self) -> bool:
        """A connection (inputs, maybe OAuth 2.0)."""
        return self.data_type == "connection"

    @property
    def required(self) -> bool:
        """Every shown variable needs a value, except switches (always true or false) and lists (may be empty)."""
        return self.data_type != "boolean" and self.collection_type is None and not self.is_connection


@dataclass(frozen=True)
class PageElement:
    """A field, or HTML helper text."""

    field: FieldSpec | None = None
    html: str = ""


@dataclass(frozen=True)
class PageSpec:
    """One wizard page."""

    name: str
    tagline: str = ""
    elements: tuple[PageElement, ...] = ()

    @property
    def fields(self) -> list[FieldSpec]:
        """The page's fields, in order."""
        return [element.field for element in self.elements if element.field is not None]


@dataclass
class ConnectionMeta:
    """A connection's inputs as spectral exports them (`component.connections`), keyed by connection key."""

    key: str
    label: str = ""
    inputs: list[dict[str, Any]] = field(default_factory=list)


def wizard_pages(definition: BuiltDefinition, connections: list[ConnectionMeta] | None = None) -> list[PageSpec]:
    """The wizard's pages, in the definition's order, with a `FieldSpec` for each config variable."""
    by_key = {meta.key: meta for meta in connections or []}
    pages = []
    for page in definition.config_pages:
        if page.user_level_configured:
            continue  # user-level configuration is a separate wizard, filled per user
        elements = []
        for element in page.elements:
            if element.type == "htmlElement":
                elements.append(PageElement(html=element.value))
                continue
            var = definition.config_var(element.value)
            if var is None:
                continue
            elements.append(PageElement(field=field_spec(var, by_key)))
        pages.append(PageSpec(page.name, page.tagline or "", tuple(elements)))
    return pages


def field_spec(var: BuiltConfigVar, connections: dict[str, ConnectionMeta]) -> FieldSpec:
    """A `FieldSpec` from a built config variable (and the connection metadata when it is a connection)."""
    meta = var.meta or {}
    inputs: tuple[ConnectionInput, ...] = ()
    oauth2 = False
    if var.is_connection:
        inputs = _connection_inputs(var, connections.get(var.connection_key or ""))
        oauth2 = bool(var.raw.get("oauth2Type")) or all(
            key in {i.key for i in inputs} for key in ("authorizeUrl", "tokenUrl", "clientId")
        )
    return FieldSpec(
        key=var.key,
        data_type=var.data_type or "string",
        stable_key=var.stable_key,
        description=var.description or "",
        default=var.default_value,
        pick_list=tuple(var.pick_list or ()),
        code_language=var.code_language,
        collection_type=var.collection_type,
        time_zone=var.time_zone,
        org_only=var.org_only,
        hidden_from_customer=meta.get("visibleToCustomerDeployer") is False,
        hidden_from_org=meta.get("visibleToOrgDeployer") is False,
        data_source=var.data_source_key,
        inputs=inputs,
        oauth2=oauth2,
        scoped=bool(var.use_scoped_config_var) or (var.is_connection and not var.inputs and not var.connection_key),
    )


def _connection_inputs(var: BuiltConfigVar, meta: ConnectionMeta | None) -> tuple[ConnectionInput, ...]:
    raw_inputs: dict[str, Any] = var.inputs or {}
    described = {str(item.get("key")): item for item in (meta.inputs if meta else [])}
    keys = list(described) or list(raw_inputs)
    out = []
    for key in keys:
        info = described.get(key, {})
        raw = raw_inputs.get(key) or {}
        default = raw.get("value") if isinstance(raw, dict) else None
        if default is None:
            default = info.get("default")
        out.append(
            ConnectionInput(
                key=key,
                label=str(info.get("label") or key),
                type=str(info.get("type") or "string"),
                required=bool(info.get("required", False)),
                shown=bool(info.get("shown", True)),
                default="" if default is None else str(default),
                comments=str(info.get("comments") or ""),
                placeholder=str(info.get("placeholder") or info.get("example") or ""),
            )
        )
    return tuple(out)


# -- validation ------------------------------------------------------------------------------------------------------
def validate_scalar(spec: FieldSpec, value: str, *, data_type: str | None = None) -> str | None:
    """The error for one scalar value of `spec` (None when valid). Empty values are checked by `validate_required`."""
    kind = data_type or spec.data_type
    if value == "":
        return None
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return f"Expected a number such as 42 or 3.5, found {value!r}."
    elif kind == "date":
        if not _parses(value, DATE_FORMATS):
            return f"Expected a date as mm/dd/yyyy (e.g. 03/31/2026), found {value!r}."
    elif kind == "timestamp":
        if not _parses(value, TIMESTAMP_FORMATS):
            return f"Expected a timestamp as mm/dd/yyyy, HH:MM AM/PM (e.g. 03/31/2026, 09:30 AM), found {value!r}."
    elif kind == "picklist":
        if spec.pick_list and value not in spec.pick_list:
            return f"Expected one of {', '.join(spec.pick_list)}, found {value!r}."
        if len(value) > PICKLIST_MAX:
            return f"A picklist value may be at most {PICKLIST_MAX} characters, this one has {len(value)}."
    elif kind == "code":
        return validate_code(value, spec.code_language)
    elif kind == "boolean" and value not in ("true", "false"):
        return f"Expected true or false, found {value!r}."
    return None


def validate_code(text: str, language: str | None) -> str | None:
    """JSON must parse, XML must be well-formed; anything else is free text."""
    if language == "json":
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            return f"Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
    elif language == "xml":
        try:
            ElementTree.fromstring(text)
        except ElementTree.ParseError as error:
            line, column = error.position
            return f"Invalid XML at line {line}, column {column + 1}: {str(error).split(':')[0]}."
    return None


def validate_schedule(cron: str, time_zone: str) -> str | None:
    """A cron expression of five fields and a known IANA time zone (empty means UTC)."""
    from croniter import croniter

    if not cron.strip():
        return None
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        return f"Expected a cron expression of five fields (minute hour day month weekday), found {cron!r}."
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return f"Unknown time zone {time_zone!r}; expected an IANA name such as America/Chicago."
    return None


def next_runs(cron: str, time_zone: str, now: datetime, count: int = 3) -> list[datetime]:
    """The next `count` times a valid schedule fires after `now`, in its time zone."""
    from croniter import croniter

    zone = ZoneInfo(time_zone) if time_zone else ZoneInfo("UTC")
    iterator = croniter(cron, now.astimezone(zone))
    return [iterator.get_next(datetime) for _ in range(count)]


def time_zones() -> list[str]:
    """IANA time zone names, sorted."""
    return sorted(available_timezones())


def _parses(value: str, formats: tuple[str, ...]) -> bool:
    for fmt in formats:
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            continue
        return True
    return False


# -- JSON Forms -------------------------------------------------------------------------------------------------------
def validate_json_schema(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Errors of `value` against the JSON Schema keywords JSON Forms uses (type, required, enum, oneOf const,
    min/max length, minimum/maximum, pattern, formats date/date-time/time/email/uri/ipv4, arrays, objects)."""
    where = path or "the form"
    errors: list[str] = []
    kind = schema.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "null": lambda v: v is None,
    }
    if isinstance(kind, str) and kind in checks and not checks[kind](value):
        return [f"{where}: expected {kind}, found {json.dumps(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: expected one of {', '.join(json.dumps(v) for v in schema['enum'])}")
    if "oneOf" in schema and all("const" in option for option in schema["oneOf"]):
        allowed = [option["const"] for option in schema["oneOf"]]
        if value not in allowed:
            errors.append(f"{where}: expected one of {', '.join(json.dumps(v) for v in allowed)}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{where}: at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: at most {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: must match {schema['pattern']}")
        problem = _format_problem(value, schema.get("format"))
        if problem:
            errors.append(f"{where}: {problem}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: at most {schema['maximum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if value.get(name) in (None, ""):
                errors.append(f"{path + '.' if path else ''}{name}: required")
        for name, sub in (schema.get("properties") or {}).items():
            if name in value and isinstance(sub, dict):
                errors += validate_json_schema(value[name], sub, f"{path + '.' if path else ''}{name}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            errors += validate_json_schema(item, schema["items"], f"{where}[{index}]")
    return errors


def _format_problem(value: str, fmt: str | None) -> str | None:
    if not fmt or not value:
        return None
    if fmt == "date" and not _parses(value, ("%Y-%m-%d",)):
        return f"expected a date as yyyy-mm-dd, found {value!r}"
    if fmt == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return f"expected a date-time such as 2026-03-31T09:30:00Z, found {value!r}"
    if fmt == "time" and not _parses(value, ("%H:%M", "%H:%M:%S")):
        return f"expected a time as HH:MM, found {value!r}"
    if fmt == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return f"expected an email address, found {value!r}"
    if fmt == "uri" and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
        return f"expected a URI such as https://example.com, found {value!r}"
    if fmt == "ipv4":
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return f"expected an IPv4 address, found {value!r}"
    return None


# -- HTML helper text ------------------------------------------------------------------------------------------------
class _Markdownish(HTMLParser):
    """HTML helper text → Markdown, readable in a terminal: headings, paragraphs, lists, links, emphasis, images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in ("p", "div", "br"):
            self.out.append("\n\n" if tag != "br" else "  \n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("b", "strong"):
            self.out.append("**")
        elif tag in ("i", "em"):
            self.out.append("*")
        elif tag == "code":
            self.out.append("`")
        elif tag == "a":
            self.href.append(attributes.get("href"))
            self.out.append("[")
        elif tag == "img":
            self.out.append(f"[image: {attributes.get('alt') or attributes.get('src') or ''}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "strong"):
            self.out.append("**")
        elif tag in ("i", "em"):
            self.out.append("*")
        elif tag == "code":
            self.out.append("`")
        elif tag == "a":
            href = self.href.pop() if self.href else None
            self.out.append(f"]({href})" if href else "]")
        elif tag in ("ul", "ol", "p"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        self.out.append(re.sub(r"\s+", " ", data))


def html_to_markdown(text: str) -> str:
    """Helper text (HTML) as Markdown; text without tags is returned unchanged."""
    if "<" not in text:
        return html.unescape(text)
    parser = _Markdownish()
    parser.feed(text)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.out)).strip()
