"""The local instance: who the emulator runs flows for, and with which configuration.

`.spectral/local/instance.json` holds the local instance (id, name), its customer and user, and the values of the
integration's config variables — seeded from the definition's defaults the first time a flow runs, then edited by
the user (or the config wizard). Connection fields marked secret (`password` inputs) are never in the file: they
live in the OS keyring (`cnikit.secrets`), and the file lists their names under `secretFields`.

At run time `config_vars()` turns it into the `configVars` the platform gives a flow (spec/runtime.md §11,
official-tooling.md C.6): strings for most types, arrays for value lists, `[{key, value}]` for key/value lists,
`{value, schedule_type, time_zone}` for schedules and `{key, configVarKey, fields, token?, context?}` for
connections.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cnikit.definition.models import BuiltConfigVar, BuiltConnectionInput, BuiltDefinition
from cnikit.private_files import tighten, write_private
from cnikit.project import local_dir

INSTANCE_FILE = "instance.json"
SECRET_SERVICE = "cnikit-emulator"
WEBHOOK_BASE = "http://127.0.0.1:8787"  # where `cnikit serve` listens by default


class InstanceError(ValueError):
    """instance.json cannot be used; the message says which file, what is wrong and how to fix it."""


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class Customer(_Model):
    """The local customer (`context.customer`)."""

    id: str = "local-customer"
    name: str = "Local Customer"
    externalId: str = "local-customer"  # the platform's key name


class User(_Model):
    """The local user (`context.user`, used with user-level configuration)."""

    id: str = "local-user"
    email: str = "developer@localhost"
    name: str = "Local Developer"
    externalId: str = "local-user"


class ConnectionValue(_Model):
    """A connection's values: plain fields, the names of secret fields (kept in the keyring), token and context."""

    fields: dict[str, Any] = Field(default_factory=dict)
    secretFields: list[str] = Field(default_factory=list)
    token: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


class LocalInstance(_Model):
    """The content of instance.json."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    name: str = "Local Instance"
    customer: Customer = Field(default_factory=Customer)
    user: User = Field(default_factory=User)
    configVars: dict[str, Any] = Field(default_factory=dict)
    connections: dict[str, ConnectionValue] = Field(default_factory=dict)
    webhookBaseUrl: str = WEBHOOK_BASE

    def global_id(self, kind: str) -> str:
        """A platform-style global id (`base64("<Kind>:<uuid>")`) for this instance's objects."""
        return base64.b64encode(f"{kind}:{self.id}".encode()).decode()

    def secret_name(self, config_var: str, field_name: str) -> str:
        """The keyring entry name of one secret connection field."""
        return f"{self.id}/{config_var}/{field_name}"


def instance_path(root: Path) -> Path:
    """`.spectral/local/instance.json` of the project at `root`."""
    return local_dir(root, create=True) / INSTANCE_FILE


def load_instance(root: Path) -> LocalInstance:
    """Read the local instance (a fresh one when the file does not exist); raises `InstanceError` when invalid."""
    path = tighten(instance_path(root))  # an older cnikit wrote it world-readable
    if not path.exists():
        return LocalInstance()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InstanceError(f"{path}: not valid JSON ({error}); fix it or delete the file to start over") from None
    try:
        return LocalInstance.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InstanceError(f"{path}: {where}: {first['msg']}") from None


def save_instance(root: Path, instance: LocalInstance) -> Path:
    """Write instance.json atomically (temporary file, then rename), readable only by its owner (0600)."""
    return write_private(instance_path(root), json.dumps(instance.model_dump(), indent=2) + "\n")


def secret_inputs(
    connections: list[dict[str, Any]],
    definition: BuiltDefinition | None = None,
    registry: dict[str, list[str]] | None = None,
) -> dict[str, set[str]]:
    """Secret input names per connection config var: `password` inputs of the bundle's inline `connections`, and,
    for a registry component's connection, its manifest's `inputType: "password"` inputs (the bundle's
    `registrySecrets`, `<component>/<connection>` → names)."""
    found = {
        str(c.get("label")): {str(i["key"]) for i in c.get("inputs", []) if i.get("type") == "password"}
        for c in connections
    }
    for var in definition.required_config_vars if definition and registry else []:
        reference = var.raw.get("connection")
        component = reference.get("component") if isinstance(reference, dict) else None
        if isinstance(component, dict) and var.connection_key:
            names = (registry or {}).get(f"{component.get('key')}/{var.connection_key}", [])
            found.setdefault(var.key, set()).update(names)
    return found


def seed(instance: LocalInstance, definition: BuiltDefinition, exports: dict[str, Any]) -> bool:
    """Give every config variable the instance does not have yet its default value; returns True when it did.
    `exports` is the bundle's description (`connections`, `registrySecrets`): it says which inputs are secret."""
    from cnikit.secrets import set_secret

    secrets = secret_inputs(exports.get("connections") or [], definition, exports.get("registrySecrets"))
    changed = False
    for var in definition.required_config_vars:
        if var.is_connection:
            if var.key in instance.connections:
                continue
            value = ConnectionValue()
            # Hidden inputs are not in the YAML; a hidden password input's default (an OAuth 2.0 clientSecret)
            # is a secret all the same: to the keyring with the others.
            hidden = {i.key: {"value": i.default} for i in var.connection_inputs if i.hidden and i.secret}
            for name, spec in {**hidden, **(var.inputs or {})}.items():
                default = spec.get("value", "") if isinstance(spec, dict) else ""
                if name in secrets.get(var.key, set()):
                    value.secretFields.append(name)
                    if default not in ("", None):
                        set_secret(SECRET_SERVICE, instance.secret_name(var.key, name), str(default))
                else:
                    value.fields[name] = _input_default(default)
            instance.connections[var.key] = value
            changed = True
        elif var.data_type != "htmlElement" and var.key not in instance.configVars:
            instance.configVars[var.key] = default_value(var)
            changed = True
    return changed


def _input_default(value: Any) -> Any:
    # Collection inputs arrive as [{type: "value", value}] or [{name, type, value}].
    if isinstance(value, list):
        return [item.get("value") if isinstance(item, dict) else item for item in value]
    return value


def default_value(var: BuiltConfigVar) -> Any:
    """A config variable's default, in the shape the platform hands it to a flow."""
    raw = var.default_value
    if var.data_type == "schedule":
        schedule_type = var.schedule_type or ("custom" if raw else "none")
        return {"value": raw or "", "schedule_type": schedule_type, "time_zone": var.time_zone or ""}
    if var.collection_type in ("valuelist", "keyvaluelist"):
        parsed = _json(raw, [])
        if var.collection_type == "keyvaluelist" and isinstance(parsed, dict):
            parsed = [{"key": k, "value": v} for k, v in parsed.items()]
        return parsed if isinstance(parsed, list) else []
    if var.data_type in ("objectSelection", "objectFieldMap", "jsonForm"):
        return _json(raw, raw)
    return "" if raw is None else raw


def _json(text: str | None, fallback: Any) -> Any:
    if not text:
        return fallback
    try:
        return json.loads(text)
    except ValueError:
        return fallback


_PLACEHOLDER = re.compile(r"\{\{#([^}]+)\}\}")


def render_template(template: str, fields: Mapping[str, Any]) -> str:
    """A template input's value, as the platform renders it: each `{{#input}}` becomes that input's value."""
    return _PLACEHOLDER.sub(lambda found: str(fields.get(found.group(1)) or ""), template)


def platform_fields(inputs: Iterable[BuiltConnectionInput], fields: Mapping[str, Any]) -> dict[str, Any]:
    """A connection's fields as the platform fills them in: the inputs the built YAML omits (hidden ones, e.g. an
    OAuth 2.0 connection's `authorizeUrl`, `tokenUrl`, `scopes`, `clientId`) get their defaults when they have no
    value, then template inputs are rendered from the others (`https://{{#host}}/oauth2/authorize`)."""
    items = list(inputs)
    filled = dict(fields)
    for item in items:
        if item.template_value is None and item.key not in filled and item.default is not None:
            filled[item.key] = _input_default(item.default)
    for item in items:
        if item.template_value is not None:
            filled[item.key] = render_template(item.template_value, filled)
    return filled


def config_vars(
    instance: LocalInstance, definition: BuiltDefinition, missing: list[str] | None = None
) -> dict[str, Any]:
    """The `configVars` of a flow's context: the instance's values, connections with their secrets from the keyring.

    Secret fields with no value in the keyring are given as `""` and named in `missing` (`"<var>.<field>"`).
    """
    from cnikit.secrets import get_secret

    values: dict[str, Any] = {}
    for var in definition.required_config_vars:
        if var.data_type == "htmlElement":
            continue
        if var.is_connection:
            stored = instance.connections.get(var.key, ConnectionValue())
            fields = dict(stored.fields)
            for name in stored.secretFields:
                secret = get_secret(SECRET_SERVICE, instance.secret_name(var.key, name))
                fields[name] = secret if secret is not None else ""
                if secret is None and missing is not None:
                    missing.append(f"{var.key}.{name}")
            connection: dict[str, Any] = {
                "key": var.connection_key or var.key,
                "configVarKey": var.key,
                "fields": platform_fields(var.connection_inputs, fields),
            }
            if stored.token is not None:
                connection["token"] = stored.token
            if stored.context is not None:
                connection["context"] = stored.context
            values[var.key] = connection
        else:
            values[var.key] = instance.configVars.get(var.key, default_value(var))
    for key, value in instance.configVars.items():  # values the definition no longer declares still reach the flow
        values.setdefault(key, value)
    return values


def instance_secrets(instance: LocalInstance, values: dict[str, Any]) -> dict[str, str]:
    """The instance's secrets by name (`<config var>/<field>`, `<config var>/token.<key>`), from `config_vars()`'s
    `values`: what cassettes and logs must never hold."""
    found: dict[str, str] = {}
    for key, stored in instance.connections.items():
        fields = (values.get(key) or {}).get("fields") or {}
        for name in stored.secretFields:
            if isinstance(fields.get(name), str) and fields[name]:
                found[f"{key}/{name}"] = fields[name]
        for name, value in (stored.token or {}).items():
            if isinstance(value, str) and value and name != "token_type":
                found[f"{key}/token.{name}"] = value
    return found


def set_config_value(root: Path, key: str, value: Any) -> None:
    """Set one (non-connection) config variable's value in instance.json."""
    instance = load_instance(root)
    instance.configVars[key] = value
    save_instance(root, instance)


def set_connection_secret(root: Path, config_var: str, field_name: str, value: str) -> None:
    """Store one secret connection field in the keyring and record its name (never its value) in instance.json."""
    from cnikit.secrets import set_secret

    instance = load_instance(root)
    connection = instance.connections.setdefault(config_var, ConnectionValue())
    set_secret(SECRET_SERVICE, instance.secret_name(config_var, field_name), value)
    connection.fields.pop(field_name, None)
    if field_name not in connection.secretFields:
        connection.secretFields.append(field_name)
    save_instance(root, instance)


def webhook_url(instance: LocalInstance, stable_key: str) -> str:
    """The local webhook URL of a flow: `<base>/trigger/<base64 InstanceFlowConfig id>`."""
    flow_id = uuid.uuid5(uuid.UUID(instance.id) if _is_uuid(instance.id) else uuid.NAMESPACE_URL, stable_key)
    token = base64.b64encode(f"InstanceFlowConfig:{flow_id}".encode()).decode()
    return f"{instance.webhookBaseUrl.rstrip('/')}/trigger/{token}"


def local_api_key(instance: LocalInstance) -> str:
    """The local customer's webhook API key (for `customer_required`/`customer_optional` flows): stable per instance."""
    return "local-" + uuid.uuid5(uuid.NAMESPACE_URL, f"cnikit-api-key:{instance.id}").hex[:16]


def flow_api_keys(instance: LocalInstance, flow: Any) -> list[str]:
    """The keys a flow's webhook accepts (`webhookApiKeys[flow name]`): its organization keys, or the customer's."""
    security = getattr(flow, "endpoint_security_type", None) or "customer_optional"
    if security == "organization":
        return list(getattr(flow, "organization_api_keys", None) or [])
    if security in ("customer_required", "customer_optional"):
        return [local_api_key(instance)]
    return []


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
