"""The core's Node side: where `loader.js` is, and the environment every Node process of cnikit gets.

`loader.js` is the one loader of a built bundle: `cnikit.definition.loading` runs it as a program, and the
emulator's runner (`emulator/node/runner.js`) requires it. This module imports nothing heavy, so a warm worker can
start before the rest of the emulator is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

LOADER_JS = Path(__file__).parent / "loader.js"


def node_environment() -> dict[str, str]:
    """The environment for every build and Node process: ours without `DEBUG` (spectral prints its YAML then)."""
    return {key: value for key, value in os.environ.items() if key != "DEBUG"}
