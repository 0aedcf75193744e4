"""What prism's `integrations:import` leaves on the emulator: published components, their uploaded packages, and
the integrations imported from them.

* `publish(key)` records a component version (prism sends a fresh random key on every import);
  `upload_package(key, zip)` unpacks the zip of `dist/` into `.spectral/local/imported/` and loads its
  `index.js` into the warm worker pool: from then on the server runs the imported bundle, until the next import
  or a restart (which builds from the sources again).
* `import_integration(yaml, id)` answers with a stable integration id: the id sent when it is one of ours, else the
  id of the integration of the same name imported before (prism sends no id on a re-import), else a new one.
  Ids are kept in `.spectral/local/prism-integrations.json`, so they (and `integrations:list`) survive a restart.
"""

from __future__ import annotations

import io
import json
import shutil
import threading
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cnikit.project import local_dir
from emulator.serve.api.ids import global_id, parse_id

if TYPE_CHECKING:
    from emulator.serve.runtime import Runtime

IDS_FILE = "prism-integrations.json"
IMPORTED_DIR = "imported"
MAX_PACKAGE_BYTES = 100 * 1024 * 1024


class ImportFailed(ValueError):
    """An import step cannot be done; the message says why (a payload error for prism, never a 500)."""


@dataclass
class Component:
    """A published component version (prism's component of a code-native integration)."""

    key: str
    version: int
    uploaded: bool = False

    @property
    def id(self) -> str:
        """Its opaque id."""
        return global_id("Component", f"{self.key}:{self.version}")


@dataclass
class Integration:
    """An imported integration: its stable id, name and import count (`versionNumber`)."""

    id: str
    name: str
    description: str | None = None
    version: int = 1


class Imports:
    """The import state of one served project. Thread-safe."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.root = runtime.root
        self._lock = threading.Lock()
        self.components: dict[str, Component] = {}
        self.integrations: dict[str, Integration] = {}  # by id, in import order
        self.serving_import = False
        for name, ident in self._read_ids().items():
            self.integrations[ident] = Integration(ident, name)

    # -- components ------------------------------------------------------------------------------------------------
    def publish(self, key: str) -> Component:
        """Record a new version of component `key`."""
        if not key:
            raise ImportFailed("the component definition has no key")
        with self._lock:
            found = self.components.get(key)
            component = Component(key, found.version + 1 if found else 1)
            self.components[key] = component
            return component

    def component(self, key: str | None, version: int | None) -> Component | None:
        """The uploaded component `key` (at `version` when given), else None (prism polls until there is one)."""
        found = self.components.get(key or "")
        if found is None or not found.uploaded or (version is not None and found.version != version):
            return None
        return found

    def upload_package(self, key: str, body: bytes) -> Path:
        """Unpack the zip of `dist/` and serve its `index.js`; returns the bundle. Raises `ImportFailed`."""
        component = self.components.get(key)
        if component is None:
            raise ImportFailed(f"no component {key!r} was published")
        target = local_dir(self.root, create=True) / IMPORTED_DIR
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                names = archive.namelist()
                if "index.js" not in names:
                    raise ImportFailed(f"the package has no index.js at its top (it has: {', '.join(names[:5])})")
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True)
                for name in names:
                    path = (target / name).resolve()
                    if not path.is_relative_to(target.resolve()):
                        raise ImportFailed(f"the package has a path outside its folder: {name}")
                archive.extractall(target)
        except zipfile.BadZipFile:
            raise ImportFailed("the package is not a zip file") from None
        bundle = target / "index.js"
        self.runtime.executor.load_bundle(bundle)
        with self._lock:
            component.uploaded = True
            self.serving_import = True
        self.runtime.log(
            "serving the imported dist/index.js until the next import or a restart of cnikit serve "
            "(a restart builds from the sources again)"
        )
        self.runtime.emit("reload", ok=True, rebuilt=True, imported=True, seconds=0.0)
        return bundle

    # -- integrations ----------------------------------------------------------------------------------------------
    def import_integration(self, definition: str, integration_id: str | None) -> Integration:
        """Import a CNI definition (YAML); the id is stable (see the module docstring). Raises `ImportFailed`."""
        try:
            parsed: Any = yaml.safe_load(definition)
        except yaml.YAMLError as bad:
            raise ImportFailed(f"the definition is not YAML: {str(bad).splitlines()[0]}") from None
        name = parsed.get("name") if isinstance(parsed, dict) else None
        if not isinstance(name, str) or not name:
            raise ImportFailed("the definition has no name")
        description = parsed.get("description") if isinstance(parsed.get("description"), str) else None
        with self._lock:
            if integration_id:
                found = self.integrations.get(integration_id)
                if found is None:
                    if parse_id(integration_id, "Integration") is None:
                        raise ImportFailed(f"'{integration_id}' is not an integration id")
                    raise ImportFailed(f"no integration with id {integration_id} on this server")
            else:
                found = next((i for i in self.integrations.values() if i.name == name), None)
            if found is None:
                found = Integration(global_id("Integration", str(uuid.uuid4())), name, version=0)
                self.integrations[found.id] = found
            found.name, found.description = name, description
            found.version += 1
            self._write_ids()
            return found

    def listed(self) -> list[Integration]:
        """The integrations imported into this project, in import order."""
        with self._lock:
            return list(self.integrations.values())

    def get(self, integration_id: str) -> Integration | None:
        """An integration imported into this project, by id."""
        return self.integrations.get(integration_id)

    def _ids_path(self) -> Path:
        return local_dir(self.root, create=True) / IDS_FILE

    def _read_ids(self) -> dict[str, str]:
        try:
            data = json.loads(self._ids_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # none yet, or unreadable: new ids are handed out
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_ids(self) -> None:
        data = {i.name: i.id for i in self.integrations.values()}
        self._ids_path().write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
