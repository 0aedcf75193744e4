"""cnikit's settings: environment > project file > user file > defaults.

- Environment: the prism CLI's own variables (`PRISMATIC_URL`, `PRISM_ACCESS_TOKEN`, `PRISM_REFRESH_TOKEN`,
  `PRISMATIC_TENANT_ID`, `PRISM_PROFILE`, `PRISM_CONFIG_FILE`) plus `CNIKIT_*`. Empty values count as unset.
- Project file: `<project>/.spectral/cnikit.yml` (shared with the team, so never a secret).
- User file: `~/.config/cnikit/config.yml` (or `CNIKIT_CONFIG_FILE`); `cnikit url SET` writes `prismatic_url` here.

Tokens come only from the environment or the keyring: a token found in a settings file is refused with an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_URL = "https://app.prismatic.io"
PROJECT_FILE = Path(".spectral") / "cnikit.yml"
DEFAULT_RETENTION = 10_000  # executions the local store keeps per project
_SECRET_KEYS = {"access_token", "refresh_token", "prism_access_token", "prism_refresh_token"}


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and what is wrong."""


def user_file() -> Path:
    """The user's settings file: `CNIKIT_CONFIG_FILE`, else `$XDG_CONFIG_HOME/cnikit/config.yml`."""
    explicit = os.environ.get("CNIKIT_CONFIG_FILE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cnikit" / "config.yml"


class Settings(BaseSettings):
    """Everything cnikit's platform face needs to know about where and as whom to talk to Prismatic."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True)

    prismatic_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PRISMATIC_URL", "prismatic_url"),
        description="The Prismatic stack, e.g. https://app.eu-west-1.prismatic.io. Unset: the prism profile's URL, "
        "else https://app.prismatic.io.",
    )
    access_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("PRISM_ACCESS_TOKEN"),
        description="An access token for CI (environment only). Used as is and never stored.",
    )
    refresh_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("PRISM_REFRESH_TOKEN"),
        description="A refresh token for CI (environment only, from `prism me:token --type refresh`); access tokens "
        "are minted from it in memory and never stored.",
    )
    tenant_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PRISMATIC_TENANT_ID", "tenant_id"),
        description="The tenant to refresh tokens for when the environment supplies the tokens.",
    )
    profile: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CNIKIT_PROFILE", "PRISM_PROFILE", "profile"),
        description="Named login, like prism's profiles: tokens are kept per stack URL and profile. Unset: the prism "
        "config's defaultProfile, else `default`.",
    )
    prism_config_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("PRISM_CONFIG_FILE", "prism_config_file"),
        description="The prism CLI's token file, read (never written) so a prism login works here too. Default "
        "~/.config/prism/config.yml.",
    )
    prism_path: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CNIKIT_PRISM_PATH", "prism_path"),
        description="The prism executable used by `cnikit import` (like the extension's prismatic.prismCliPath). "
        "Unset: `prism` on PATH, else `npx @prismatic-io/prism` when installed.",
    )
    retention: int = Field(
        default=DEFAULT_RETENTION,
        ge=1,
        validation_alias=AliasChoices("CNIKIT_RETENTION", "retention"),
        description="How many executions the local store keeps per project (the newest; older ones, with their "
        "steps and logs, are deleted as new ones finish). `cnikit executions prune` trims it by hand.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read only the environment and the init values, skipping pydantic's own .env and secret-file sources."""
        # The environment beats the files, which arrive as init values (see `load_settings`).
        return (env_settings, init_settings)

    def prism_config_path(self) -> Path:
        """Where the prism CLI keeps its profiles."""
        return (self.prism_config_file or Path.home() / ".config" / "prism" / "config.yml").expanduser()


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        # Say where: the first line of str(exc) is only the context ("while parsing a flow node").
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SettingsError(f"{path}: not readable YAML{where} ({exc.problem or exc.context})") from None
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"{path}: not readable YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings (key: value), found {type(data).__name__}")
    secrets = sorted(k for k in data if str(k).lower() in _SECRET_KEYS)
    if secrets:
        raise SettingsError(
            f"{path}: {', '.join(secrets)} must not be in a settings file; tokens live in the keyring "
            "(`cnikit login`) or in the environment (PRISM_ACCESS_TOKEN / PRISM_REFRESH_TOKEN)"
        )
    return {str(k): v for k, v in data.items()}


def load_settings(project: Path | None = None) -> Settings:
    """Settings for `project` (a CNI project root, optional): environment > project file > user file."""
    merged = _read_file(user_file())
    if project is not None:
        merged.update(_read_file(project / PROJECT_FILE))
    try:
        return Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(f"setting {where}: {first['msg']}") from None


def save_user_setting(key: str, value: str | None) -> Path:
    """Set (or with None remove) one key in the user settings file, keeping the others; return the file."""
    if key.lower() in _SECRET_KEYS:
        raise SettingsError(f"{key} is a secret and is never written to a settings file")
    path = user_file()
    data = _read_file(path)
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
    return path
