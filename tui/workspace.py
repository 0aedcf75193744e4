"""The TUI's one handle on a CNI project: its built definition, its local executions, its payload files, its local
instance. Screens go through here, so backends (emulator, platform client) are wired in one place and tests can
point the app at a fixture project."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnikit.definition.models import BuiltDefinition
    from cnikit.platform.client import PrismaticClient
    from emulator.cloud_source import CloudSource
    from emulator.executor import ExecutionUpdate, Executor
    from emulator.instance import LocalInstance
    from emulator.session import Session
    from emulator.sources import ExecutionSource, LocalSource
    from tui.wizard_form import ConnectionMeta, FieldSpec, PageSpec


@dataclass(frozen=True)
class FlowInfo:
    """A flow as the screens need it."""

    name: str
    stable_key: str


@dataclass
class WizardData:
    """What the wizard shows: pages and the local instance's current values (secrets read from the keyring)."""

    pages: list[PageSpec]
    values: dict[str, Any]
    redirect_uri: str = ""


@dataclass
class InstancePreview:
    """What saving will write: the file's exact text, and the secrets that go to the keyring instead."""

    path: Path
    text: str
    secrets: list[str] = field(default_factory=list)
    keyring: str = ""


@dataclass
class Loaded:
    """The built project: its definition and what the bundle exports about connections."""

    definition: BuiltDefinition
    connections: list[dict[str, Any]]


class Workspace:
    """One CNI project, opened by the TUI."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._loaded: Loaded | None = None
        self._lock = threading.Lock()
        self._session_lock = threading.Lock()
        self._local: LocalSource | None = None
        self._new_instance: LocalInstance | None = None
        self._session: Session | None = None
        self._cloud: CloudSource | None = None
        # How a URL is shown to the user in a browser (login, OAuth authorize); tests put a scripted browser here.
        self.open_browser: Callable[[str], Awaitable[None] | None] = _open_in_browser

    # -- definition --------------------------------------------------------------------------------------------------
    def loaded(self, *, rebuild: bool = False) -> Loaded:
        """Build with the emulator's fast build and load the bundle in a warm Node worker (cached; `rebuild` builds
        again). Slow: call from a worker. Raises the build's or the loader's error, which says what went wrong."""
        with self._lock:
            if self._loaded is None or rebuild:
                from cnikit.definition.models import parse_definition_yaml
                from emulator.build import build
                from emulator.runner import WorkerPool

                result = build(self.root)
                # Only what the bundle exports is needed; the worker stops right after (running flows is the
                # executor's job, and it seeds the instance — merely looking must not write it).
                pool = WorkerPool(result.bundle, cwd=self.root)
                try:
                    info = pool.warm()
                finally:
                    pool.close()
                definition = parse_definition_yaml(str(info.get("yaml", "")), exports=info)
                self._loaded = Loaded(definition, list(info.get("connections") or []))
            return self._loaded

    def definition(self) -> BuiltDefinition:
        """The definition as spectral builds it."""
        return self.loaded().definition

    def flows(self) -> list[FlowInfo]:
        """The integration's flows, in definition order."""
        return [FlowInfo(flow.name, flow.stable_key or flow.name) for flow in self.definition().flows]

    # -- executions ----------------------------------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        """The emulator session of this project (its warm executor and store), made on first use: merely browsing
        must not create files in the project."""
        with self._session_lock:
            if self._session is None:
                from emulator.session import Session

                self._session = Session(self.root)
                self.local.attach(self._session.store)  # executions it records (and their log lines) show at once
                self._session.subscribe(self._on_update)
            return self._session

    @property
    def local(self) -> LocalSource:
        """Local executions (the emulator's store)."""
        if self._local is None:
            from emulator.sources import LocalSource

            self._local = LocalSource(self.root, replayer=self.replay)
        return self._local

    def cloud_source(self) -> ExecutionSource | None:
        """Cloud executions of the imported integration (`.spectral/prism.json`) when logged in, else None."""
        from emulator.session import Session

        found = Session(self.root).cloud_source(self.platform_client)  # looks at files and tokens only
        if found is None:
            return None
        if self._cloud is None or self._cloud.integration_id != found.integration_id:
            self._cloud = found
        return self._cloud

    @property
    def executor(self) -> Executor:
        """The session's executor."""
        return self.session.executor

    def _on_update(self, update: ExecutionUpdate) -> None:
        if update.kind == "log" and update.log is not None:
            self.local.live_log(update.execution_id, update.log)
        elif update.kind == "finished":
            self.local.forget_live(update.execution_id)

    def replay(self, execution_id: str) -> str:
        """Replay a local execution with the emulator (same request, same cassette); returns the new id. Raises
        `SessionError` saying why it could not."""
        return self.session.replay(execution_id).execution_id

    def run_flow(self, flow: str, payload: str | None) -> str:
        """Run a flow locally with a payload reference (a payload name or file, absolute or relative to the
        project; see `emulator.session`) or an empty body; returns the new execution's id. Raises `SessionError`
        saying what is wrong (an invalid payload file: where)."""
        return self.session.run(flow, payload).execution_id

    # -- Prismatic ---------------------------------------------------------------------------------------------------
    def platform_client(self) -> PrismaticClient:
        """A client of the Prismatic stack configured for this project (use it as an async context manager)."""
        from cnikit.platform.client import PrismaticClient

        return PrismaticClient.from_settings(self.root)

    # -- config wizard -------------------------------------------------------------------------------------------------
    def wizard_data(self) -> WizardData:
        """Pages of the built definition and the local instance's values, shaped for the wizard's fields."""
        from emulator.instance import SECRET_SERVICE, default_value, webhook_url
        from tui.wizard_form import wizard_pages

        loaded = self.loaded()
        instance = self._instance()
        values: dict[str, Any] = {}
        for var in loaded.definition.required_config_vars:
            if var.is_connection:
                stored = instance.connections.get(var.key)
                if stored is None:
                    continue
                inputs = dict(stored.fields)
                for name in stored.secretFields:
                    inputs[name] = _secret(SECRET_SERVICE, instance.secret_name(var.key, name)) or ""
                values[var.key] = {"inputs": inputs}
            elif var.key in instance.configVars:
                values[var.key] = instance.configVars[var.key]
            elif var.data_type != "htmlElement":
                values[var.key] = default_value(var)
        pages = wizard_pages(loaded.definition, _connection_meta(loaded.connections))
        redirect = webhook_url(instance, "oauth2").rsplit("/trigger/", 1)[0] + "/oauth2/callback"
        return WizardData(pages, values, redirect)

    def _instance(self) -> LocalInstance:
        """The local instance on disk; before the file exists, one fresh instance per session, so its id (which
        names the keyring entries) is the same in the preview and in what is saved."""
        from emulator.instance import instance_path, load_instance

        if instance_path(self.root).exists():
            return load_instance(self.root)
        if self._new_instance is None:
            self._new_instance = load_instance(self.root)
        return self._new_instance.model_copy(deep=True)

    def _apply(self, pages: list[PageSpec], values: dict[str, Any]) -> tuple[LocalInstance, dict[str, str]]:
        """The instance as it will be saved, and the secrets (keyring entry name → value) that go with it."""
        from emulator.instance import ConnectionValue

        instance = self._instance()
        secrets: dict[str, str] = {}
        for page in pages:
            for spec in page.fields:
                if spec.key not in values:
                    continue
                value = values[spec.key]
                if spec.is_connection:
                    previous = instance.connections.get(spec.key, ConnectionValue())
                    stored = ConnectionValue(token=previous.token, context=previous.context)
                    inputs = value.get("inputs", {}) if isinstance(value, dict) else {}
                    secret_keys = {item.key for item in spec.inputs if item.secret}
                    for name, item in inputs.items():
                        if name in secret_keys:
                            stored.secretFields.append(name)
                            secrets[instance.secret_name(spec.key, name)] = str(item)
                        else:
                            stored.fields[name] = item
                    instance.connections[spec.key] = stored
                else:
                    instance.configVars[spec.key] = value
        return instance, secrets

    def instance_preview(self, pages: list[PageSpec], values: dict[str, Any]) -> InstancePreview:
        """Exactly what `save_instance` would write, without writing anything."""
        from cnikit.secrets import keyring_status
        from emulator.instance import instance_path

        instance, secrets = self._apply(pages, values)
        text = json.dumps(instance.model_dump(), indent=2) + "\n"
        return InstancePreview(instance_path(self.root), text, sorted(secrets), keyring_status())

    def save_instance(self, pages: list[PageSpec], values: dict[str, Any]) -> Path:
        """Write the wizard's values: secrets to the keyring first (a keyring failure writes nothing), then
        instance.json atomically. Returns the file's path."""
        from cnikit.secrets import delete_secret, set_secret
        from emulator.instance import SECRET_SERVICE, save_instance

        instance, secrets = self._apply(pages, values)
        for name, secret in secrets.items():
            if secret:
                set_secret(SECRET_SERVICE, name, secret)
            else:
                delete_secret(SECRET_SERVICE, name)
        return save_instance(self.root, instance)

    def run_data_source(self, spec: FieldSpec, values: dict[str, Any]) -> Any:
        """Run a data-source config variable's data source locally (the emulator's warm worker) with the values
        entered so far (the wizard's shapes, by config variable key); returns its result. Raises with the data
        source's own message, and where in the project it threw, when it throws."""
        from emulator.executor import DataSourceError

        definition = self.definition()
        config: dict[str, Any] = {}
        for var in definition.required_config_vars:
            if var.key not in values:
                continue
            value = values[var.key]
            if var.is_connection:  # spectral's Connection shape
                inputs = value.get("inputs", {}) if isinstance(value, dict) else {}
                value = {"key": var.connection_key or var.key, "configVarKey": var.key, "fields": dict(inputs)}
            config[var.key] = value
        self.session.prepare()
        try:
            return self.executor.run_data_source(spec.key, config).result
        except DataSourceError as error:
            where = error.location
            if where and where.startswith(str(self.root) + "/"):
                where = where[len(str(self.root)) + 1 :]
            raise DataSourceError(f"{error.message} ({where})" if where else error.message, error.stack) from None

    # -- payloads ------------------------------------------------------------------------------------------------------
    def payload_files(self, flow: FlowInfo) -> list[Path]:
        """The payload files of a flow (official location), sorted."""
        from cnikit import payloads

        return payloads.list_payloads(self.root).get(flow.stable_key, [])

    def close(self) -> None:
        """Release files and processes."""
        if self._session is not None:
            self._session.close()
        if self._local is not None:
            self._local.close()


def _open_in_browser(url: str) -> None:
    import webbrowser

    webbrowser.open(url)


def _secret(service: str, name: str) -> str | None:
    from cnikit.secrets import SecretStoreError, get_secret

    try:
        return get_secret(service, name)
    except SecretStoreError:
        return None


def _connection_meta(connections: list[dict[str, Any]]) -> list[ConnectionMeta]:
    from tui.wizard_form import ConnectionMeta

    return [
        ConnectionMeta(str(c.get("key", "")), str(c.get("label", "")), list(c.get("inputs") or []))
        for c in connections
        if isinstance(c, dict)
    ]
