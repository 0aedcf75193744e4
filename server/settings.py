"""Settings of the language server (the `cnikit` section): initialization options, then `workspace/configuration`.

The client sends its settings as `initializationOptions` when it starts the server; the server then reads
`workspace/configuration` (section `cnikit`) after `initialized` and again on `workspace/didChangeConfiguration`.
Keys set there override the initialization options. Invalid settings are reported to the user with what was
expected, and the previous (or default) settings stay in force.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any, Literal

from lsprotocol import types
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from cnikit.diagnostics import Severity

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)

SECTION = "cnikit"
SeverityOverride = Literal["error", "warning", "info", "hint", "off"]


class ServerSettings(BaseModel):
    """The `cnikit` settings section, as VS Code's settings.json spells it (camelCase)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, alias_generator=to_camel)

    cnikit_path: str | None = None
    """The `cnikit` executable the client starts (informational for the server; used in terminal commands)."""

    prismatic_url: str | None = None
    """The Prismatic stack URL; None means the platform client's own default (env, prism config, then app)."""

    debug: bool = False
    """Verbose server logging (`window/logMessage` at debug level)."""

    severity_overrides: dict[str, SeverityOverride] = Field(default_factory=dict)
    """Severity per check code (`{"CNI702": "hint"}`); "off" hides the code altogether."""

    diagnostic_delay_ms: Annotated[int, Field(ge=0, le=5000)] = 150
    """How long to wait after the last keystroke before re-analysing (debounce)."""

    def severity_for(self, code: str, default: Severity) -> Severity | None:
        """The severity to show for `code`: the override if any, None when switched off."""
        override = self.severity_overrides.get(code)
        if override is None:
            return default
        return None if override == "off" else Severity(override)


def parse_settings(raw: Any, base: ServerSettings | None = None) -> ServerSettings:
    """Settings from a raw `cnikit` section laid over `base`; raises ValueError saying what is wrong."""
    base_values = (base or ServerSettings()).model_dump(by_alias=True)
    if raw is None:
        return base or ServerSettings()
    if not isinstance(raw, dict):
        raise ValueError(f"the `cnikit` settings must be an object, found {type(raw).__name__}")
    # VS Code sends every key with its default: "" means unset and must not override the initialization options.
    merged = {**base_values, **{key: value for key, value in raw.items() if value is not None and value != ""}}
    try:
        return ServerSettings.model_validate(merged)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in error.errors()
        )
        raise ValueError(f"invalid cnikit settings ({problems}); keeping the previous settings") from None


async def refresh_settings(ls: CnikitLanguageServer) -> None:
    """Read `workspace/configuration` (when the client supports it) and apply it over the initialization options."""
    workspace = ls.client_capabilities.workspace
    if not (workspace and workspace.configuration):
        return
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
    except Exception as error:  # a client that fails this request must not stop the server
        log.warning("workspace/configuration failed: %s", error)
        return
    apply_settings(ls, result[0] if result else None, base=ls.initial_settings)


def apply_settings(ls: CnikitLanguageServer, raw: Any, base: ServerSettings) -> None:
    """Validate and install settings; on bad input tell the user and keep what was there."""
    try:
        settings = parse_settings(raw, base)
    except ValueError as error:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=str(error)))
        return
    changed = settings != ls.settings
    ls.settings = settings
    if changed:
        ls.settings_changed()


def register(ls: CnikitLanguageServer) -> None:
    """Re-read settings when the client says they changed."""

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: CnikitLanguageServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and SECTION in settings:
            apply_settings(ls, settings[SECTION], base=ls.initial_settings)
        else:
            await refresh_settings(ls)
