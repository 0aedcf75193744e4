"""The TUI's one handle on a CNI project: its built definition, its local executions, its payload files, its local
instance. Screens go through here, so backends (emulator, platform client) are wired in one place and tests can
point the app at a fixture project."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnikit import payloads

if TYPE_CHECKING:
    from cnikit.definition import BuiltDefinition
    from tui.local_source import LocalSource
    from tui.sources import ExecutionSource


@dataclass(frozen=True)
class FlowInfo:
    """A flow as the screens need it."""

    name: str
    stable_key: str


class Workspace:
    """One CNI project, opened by the TUI."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._definition: BuiltDefinition | None = None
        self._definition_lock = threading.Lock()
        self._local: LocalSource | None = None

    # -- definition --------------------------------------------------------------------------------------------------
    def definition(self, *, rebuild: bool = False) -> BuiltDefinition:
        """The definition as spectral builds it (built once, then cached; `rebuild` builds again). Slow: call from a
        worker. Raises the build's or the loader's error, whose message says what went wrong."""
        with self._definition_lock:
            if self._definition is None or rebuild:
                self._definition = _build_and_load(self.root)
            return self._definition

    def flows(self) -> list[FlowInfo]:
        """The integration's flows, in definition order."""
        return [FlowInfo(flow.name, flow.stable_key or flow.name) for flow in self.definition().flows]

    # -- executions ----------------------------------------------------------------------------------------------------
    @property
    def local(self) -> LocalSource:
        """Local executions (the emulator's store)."""
        if self._local is None:
            from tui.local_source import LocalSource

            self._local = LocalSource(self.root, replayer=self.replay)
        return self._local

    def cloud_source(self) -> ExecutionSource | None:
        """Cloud executions when logged in to Prismatic, else None."""
        return None

    def replay(self, execution_id: str) -> str:
        """Replay a local execution with the emulator; returns the new execution's id."""
        raise NotImplementedError("replay needs emulator.executor (not available yet)")

    def run_flow(self, flow: str, payload: str | None) -> str:
        """Run a flow locally with a payload file (or an empty body); returns the new execution's id."""
        raise NotImplementedError("running needs emulator.executor (not available yet)")

    # -- payloads ------------------------------------------------------------------------------------------------------
    def payload_files(self, flow: FlowInfo) -> list[Path]:
        """The payload files of a flow (official location), sorted."""
        return payloads.list_payloads(self.root).get(flow.stable_key, [])

    def close(self) -> None:
        """Release files and processes."""
        if self._local is not None:
            self._local.close()


def _build_and_load(root: Path) -> BuiltDefinition:
    from cnikit.definition import build_with_project_script, load_definition

    bundle = build_with_project_script(root)
    return load_definition(bundle, cwd=root)
