"""Checks on connections: where they sit in the wizard, inline `connectionConfigVar` definitions (OAuth 2.0 inputs,
input types, on-prem rules) and integration-agnostic connections.

CNI402/CNI403 carry spectral's own messages (official-tooling C.3 #16/#17), CNI409 the one spectral 10.31 throws for
an activated connection on a user level page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import (
    boolean,
    found_config_vars,
    get,
    inner,
    key_span,
    newer_spectral,
    obj_at,
    present,
    rename_fix,
    string,
    suggest,
    value_span,
    var_span,
)
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import ConfigVar, JsMember, JsObject, JsString

INPUT_TYPES = ("string", "password", "text", "data", "boolean", "template")
OAUTH2_INPUTS = {
    "authorization_code": ("authorizeUrl", "tokenUrl", "scopes", "clientId", "clientSecret"),
    "client_credentials": ("tokenUrl", "scopes", "clientId", "clientSecret"),
}
OAUTH2_NAMES = {"authorization_code": "authorization code", "client_credentials": "client credentials"}
PLACEHOLDER = re.compile(r"\{\{#([^}]+)\}\}")
SECRET_INPUTS = ("clientsecret", "password", "apikey", "secret", "token", "accesstoken", "privatekey")


def _inline(ctx: CheckContext) -> Iterator[tuple[ConfigVar, JsObject, JsObject]]:
    """Inline connection definitions: (variable, its object, its `inputs` object)."""
    for var in found_config_vars(ctx.project):
        if var.helper != "connectionConfigVar" or var.obj is None:
            continue
        inputs = obj_at(var.obj, "inputs")
        if inputs is not None:
            yield var, var.obj, inputs


def _label(var: ConfigVar) -> str:
    """spectral names a connection by its stable key in its messages."""
    return var.stable_key if var.stable_key is not None else var.name


def oauth2_type(obj: JsObject) -> str | None:
    """`"authorization_code"` / `"client_credentials"` from `OAuth2Type.X` or the string; None when unknown/absent."""
    value = get(obj, "oauth2Type")
    if isinstance(value, JsString):
        return value.value
    if isinstance(value, JsMember):
        return {
            "OAuth2Type.AuthorizationCode": "authorization_code",
            "OAuth2Type.ClientCredentials": "client_credentials",
        }.get(value.path)
    return None


@check("CNI401", Severity.ERROR, "connection not on the first config page")
def connection_not_on_first_page(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a connection off the first config page: the wizard only allows connections on the first page."""
    integration = ctx.project.integration
    if integration is None or not integration.config_pages:
        return
    first = integration.config_pages[0].title
    for var in found_config_vars(ctx.project):
        if var.is_connection and not var.scoped and not var.user_level and var.page_index and (span := var_span(var)):
            yield ctx.report(
                span,
                f'Connection "{var.name}" is on config page "{var.page}" (page {var.page_index + 1}); connections '
                f'must be on the first config page ("{first}"), where later pages can use them in data sources.',
            )


def _on_prem_inputs(inputs: JsObject) -> bool | None:
    """Whether any input is `onPremControlled: true`; None when that cannot be known."""
    found = [
        present(value, "onPremControlled") if isinstance(value, JsObject) else None for value in _input_values(inputs)
    ]
    if any(found):
        return True
    return False if inputs.complete and all(item is False for item in found) else None


def _input_values(inputs: JsObject) -> list[JsObject | None]:
    return [prop.value if isinstance(prop.value, JsObject) else None for prop in inputs.props.values()]


@check("CNI402", Severity.ERROR, "onPremControlled inputs without onPremConnectionConfig")
def on_prem_inputs_without_config(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch onPremControlled inputs without onPremConnectionConfig: spectral throws this at load time (official-tooling
    C.3 #16)."""
    for var, obj, inputs in _inline(ctx):
        if _on_prem_inputs(inputs) and present(obj, "onPremConnectionConfig") is False and (span := var_span(var)):
            yield ctx.report(
                span,
                f"Connection {_label(var)} has onPremControlled inputs but no onPremConnectionConfig value set. "
                "Please set an onPremConnectionConfig value for the connection.",
            )


@check("CNI403", Severity.ERROR, "onPremConnectionConfig without onPremControlled inputs")
def on_prem_config_without_inputs(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch onPremConnectionConfig without onPremControlled inputs: spectral throws this at load time (official-tooling
    C.3 #17)."""
    for var, obj, inputs in _inline(ctx):
        config = string(obj, "onPremConnectionConfig")
        span = value_span(obj, "onPremConnectionConfig")
        if config and config != "disallowed" and _on_prem_inputs(inputs) is False and span:
            yield ctx.report(
                span,
                f"Connection {_label(var)} has onPremConnectionConfig set but no onPremControlled inputs. The "
                "connection will not be valid without onPremControlled inputs (host, port).",
            )


@check("CNI404", Severity.ERROR, "OAuth 2.0 connection without its required inputs")
def oauth2_required_inputs(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an OAuth 2.0 connection missing an input its grant type needs, without which authorisation cannot work."""
    for var, obj, inputs in _inline(ctx):
        kind = oauth2_type(obj)
        if kind not in OAUTH2_INPUTS or not inputs.complete:
            continue
        required = OAUTH2_INPUTS[kind]
        missing = [key for key in required if key not in inputs.props]
        if missing and (span := value_span(obj, "oauth2Type")):
            yield ctx.report(
                span,
                f'OAuth 2.0 {OAUTH2_NAMES[kind]} connection "{var.name}" is missing the input'
                f"{'s' if len(missing) > 1 else ''} {' and '.join(missing)}; it needs {', '.join(required)}.",
            )


@check("CNI405", Severity.ERROR, "oauth2PkceMethod on a connection that is not authorization code")
def pkce_without_auth_code(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch oauth2PkceMethod on a connection that is not OAuth 2.0 authorization code, where PKCE does not apply."""
    for var in found_config_vars(ctx.project):
        obj = var.obj
        if var.helper != "connectionConfigVar" or obj is None or "oauth2PkceMethod" not in obj.props:
            continue
        kind = oauth2_type(obj)
        known_other = kind == "client_credentials" or ("oauth2Type" not in obj.props and obj.complete)
        if known_other and (span := key_span(obj, "oauth2PkceMethod")):
            yield ctx.report(
                span,
                f'Connection "{var.name}" sets oauth2PkceMethod, which only applies to OAuth 2.0 authorization code '
                "connections (oauth2Type: OAuth2Type.AuthorizationCode).",
            )


@check("CNI406", Severity.ERROR, "unknown connection input type")
def input_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a connection input type outside the ones the platform knows."""
    if newer_spectral(ctx.root):
        return  # a newer spectral may accept values this list does not know yet
    for var, _, inputs in _inline(ctx):
        for key, prop in inputs.props.items():
            value = get(prop.value, "type") if isinstance(prop.value, JsObject) else None
            if isinstance(value, JsString) and value.value not in INPUT_TYPES and value.span:
                close = suggest(value.value, INPUT_TYPES)
                yield ctx.report(
                    value.span,
                    f'Input "{key}" of connection "{var.name}" has type "{value.value}"; expected one of '
                    f"{', '.join(INPUT_TYPES)}." + (f' Did you mean "{close}"?' if close else ""),
                    fix=rename_fix(inner(value.span, value), close) if close else None,
                )


@check("CNI407", Severity.WARNING, "hidden connection input without a default")
def hidden_input_without_default(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about a hidden connection input without a default: it always uses its default, so it would always be
    empty."""
    for var, _, inputs in _inline(ctx):
        for key, prop in inputs.props.items():
            field = prop.value
            if not isinstance(field, JsObject) or not field.complete or string(field, "type") == "template":
                continue
            hidden = boolean(field, "shown") is False and "default" not in field.props
            if hidden and (span := key_span(field, "shown")):
                yield ctx.report(
                    span,
                    f'Input "{key}" of connection "{var.name}" is hidden (shown: false) but has no default; a '
                    "hidden input always uses its default, so it would always be empty.",
                )


@check("CNI408", Severity.ERROR, "activated connection in the wrong place")
def activated_connection_place(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an organization-activated connection on a config page, or a customer-activated one in scopedConfigVars."""
    for var in found_config_vars(ctx.project):
        span = var_span(var)
        if span is None:
            continue
        if var.helper == "organizationActivatedConnection" and not var.scoped:
            yield ctx.report(
                span,
                f'"{var.name}" is an organization-activated connection on config page "{var.page}"; it belongs in '
                "integration({ scopedConfigVars }) (exported from src/index.ts), not on a config page.",
            )
        elif var.helper == "customerActivatedConnection" and var.scoped:
            yield ctx.report(
                span,
                f'"{var.name}" is a customer-activated connection in scopedConfigVars; it belongs on the first '
                "config page.",
            )


@check("CNI409", Severity.ERROR, "organization- or customer-activated connection on a user level page")
def activated_connection_on_user_level_page(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an organization- or customer-activated connection on a user level page, which asks each person for their
    own."""
    for var in found_config_vars(ctx.project):
        activated = var.helper in ("organizationActivatedConnection", "customerActivatedConnection")
        if activated and var.user_level and (span := var_span(var)):
            yield ctx.report(
                span,
                "A connection activated once by the organization or the customer does not belong on a user level "
                "config page, which asks each person for their own. "
                f'Move "{var.name}" on user level config page "{var.page}".',
            )


@check("CNI410", Severity.ERROR, "connectionConfigVar without inputs or a component connection")
def connection_without_definition(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a connectionConfigVar with neither inputs nor a component connection, so there is nothing to connect
    with."""
    for var in found_config_vars(ctx.project):
        obj = var.obj
        if var.helper != "connectionConfigVar" or obj is None or not obj.complete:
            continue
        if "inputs" not in obj.props and "connection" not in obj.props and (span := var_span(var)):
            yield ctx.report(
                span,
                f'Connection "{var.name}" has neither inputs (an inline connection) nor connection: {{ component, '
                "key } (a component's connection); add one of them.",
            )


@check("CNI411", Severity.WARNING, "secret connection input that is not a password")
def secret_input_not_password(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about a secret-looking connection input of type "string", which the wizard shows in clear text."""
    for var, _, inputs in _inline(ctx):
        for key, prop in inputs.props.items():
            field = prop.value
            kind = get(field, "type") if isinstance(field, JsObject) else None
            if isinstance(kind, JsString) and kind.value == "string" and _normal(key) in SECRET_INPUTS and kind.span:
                yield ctx.report(
                    kind.span,
                    f'Input "{key}" of connection "{var.name}" holds a secret but has type "string", so it is shown '
                    'in clear text; use type "password".',
                    fix=rename_fix(inner(kind.span, kind), "password"),
                )


def _template_inputs(inputs: JsObject) -> Iterator[tuple[str, JsObject]]:
    for key, prop in inputs.props.items():
        if isinstance(prop.value, JsObject) and string(prop.value, "type") == "template":
            yield key, prop.value


@check("CNI412", Severity.ERROR, "template connection input without templateValue, or shown")
def template_input_shape(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a template input without templateValue, or one marked shown: template inputs are computed, never
    entered."""
    for var, _, inputs in _inline(ctx):
        for key, field in _template_inputs(inputs):
            if field.complete and "templateValue" not in field.props and (span := value_span(field, "type")):
                yield ctx.report(
                    span,
                    f'Template input "{key}" of connection "{var.name}" has no templateValue; a template input is '
                    'computed from the others, e.g. templateValue: "https://{{#domain}}.acme.com/oauth/token".',
                )
            if boolean(field, "shown") and (span := key_span(field, "shown")):
                yield ctx.report(
                    span,
                    f'Template input "{key}" of connection "{var.name}" cannot be shown: it is computed, never '
                    "entered. Remove shown: true.",
                )


@check("CNI413", Severity.ERROR, "templateValue placeholder names no input")
def template_placeholders(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch a templateValue placeholder that names no input of the connection (suggesting the closest input)."""
    for var, _, inputs in _inline(ctx):
        if not inputs.complete:
            continue
        templates = {key for key, _ in _template_inputs(inputs)}
        names = [key for key in inputs.props if key not in templates]
        for key, field in _template_inputs(inputs):
            value = get(field, "templateValue")
            if not isinstance(value, JsString) or value.span is None:
                continue
            for match in PLACEHOLDER.finditer(value.value):
                name = match.group(1)
                if name in names:
                    continue
                close = suggest(name, names)
                span = inner(value.span, value)
                at = span.model_copy(update={"col": span.col + match.start(1), "end_col": span.col + match.end(1)})
                single_line = span.line == span.end_line and span.end_col - span.col == len(value.value)
                yield ctx.report(
                    value.span,
                    f'templateValue of "{key}" in connection "{var.name}" uses {{{{#{name}}}}}, but the connection has '
                    f"no such input" + (f'; did you mean "{close}"?' if close else f" (inputs: {', '.join(names)})."),
                    fix=rename_fix(at, close) if close and single_line else None,
                )


@check("CNI414", Severity.WARNING, "secret connection input with a default written in the source")
def literal_secret_default(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn about a secret connection input whose default is written in the source rather than read from the
    environment."""
    for var, _, inputs in _inline(ctx):
        for key, prop in inputs.props.items():
            field = prop.value
            if not isinstance(field, JsObject):
                continue
            secret = string(field, "type") == "password" or _normal(key) in SECRET_INPUTS
            default = get(field, "default")
            if secret and isinstance(default, JsString) and default.value and default.span:
                yield ctx.report(
                    default.span,
                    f'Input "{key}" of connection "{var.name}" has its secret written in the source; read it from the '
                    "environment instead (default: process.env.X, kept in .env and out of version control).",
                )


def _normal(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")
