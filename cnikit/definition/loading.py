"""Load a built bundle's definition: run `cnikit/node/loader.js` in Node and parse what it describes.

`load_definition` is how `cnikit check --built` and the platform importer read a bundle without the emulator (the
emulator's warm workers require the same loader.js). The loader `require`s the bundle with `DEBUG` stripped from the
environment and prints its answer after a marker, so console output of the bundle's own top-level code cannot be
mistaken for it. Every failure is a `DefinitionError`: `missing` (no bundle, or no definition in it), `node` (no
Node, a hang, a crash) or `load` (spectral's own error, with the Node stack).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from cnikit.definition.models import BuiltDefinition, DefinitionError, parse_definition_yaml
from cnikit.node import LOADER_JS, node_environment

LOAD_TIMEOUT = 60.0  # seconds; loading a bundle takes well under one, a hang means top-level code never returns
_MARKER = "\n@@cnikit-definition@@"


def load_definition(bundle: Path, cwd: Path | None = None) -> BuiltDefinition:
    """`require` the built bundle in Node and parse its `default.codeNativeIntegrationYAML`, with what the YAML
    leaves out taken from the same export: the inline connections' inputs (labels, types, comments …) and the
    inline data sources' types (see `parse_definition_yaml`).

    `cwd` defaults to the bundle's folder (spectral reads `../.spectral/metadata.json` relative to it, as when prism
    runs from `dist/`). An error thrown while loading raises `DefinitionError` with spectral's message and the Node
    stack.
    """
    bundle = bundle.resolve()
    if not bundle.is_file():
        raise DefinitionError(f"no built bundle at {bundle}: build the project first", kind="missing", bundle=bundle)
    node = shutil.which("node")
    if node is None:
        raise DefinitionError("Node.js was not found on PATH; install Node 20 or newer", kind="node", bundle=bundle)
    try:
        completed = subprocess.run(
            [node, str(LOADER_JS), str(bundle), _MARKER],
            cwd=cwd or bundle.parent,
            env=node_environment(),
            capture_output=True,
            text=True,
            timeout=LOAD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise DefinitionError(
            f"loading {bundle} did not finish within {LOAD_TIMEOUT:.0f} s (top-level code that never returns?)",
            kind="node",
            bundle=bundle,
        ) from None
    _, found, tail = completed.stdout.rpartition(_MARKER)
    if not found:
        detail = (completed.stderr or completed.stdout).strip()
        raise DefinitionError(
            f"Node exited with code {completed.returncode} while loading {bundle}" + (f":\n{detail}" if detail else ""),
            kind="node",
            bundle=bundle,
        )
    result = json.loads(tail)
    if result.get("missing"):
        raise DefinitionError(
            f"{bundle} has no default export with codeNativeIntegrationYAML; "
            "expected `export default integration({...})` in src/index.ts",
            kind="missing",
            bundle=bundle,
        )
    if not result["ok"]:
        raise DefinitionError(result["message"], kind="load", stack=result["stack"], bundle=bundle)
    return parse_definition_yaml(result["yaml"], exports=result)
