"""`cnikit mcp --install cursor|claude|vscode`: the editor's project-level MCP config, pointing at this cnikit.

Each editor reads its own file in the project: Cursor `.cursor/mcp.json` and Claude Code `.mcp.json` (both
`{"mcpServers": {…}}`), VS Code `.vscode/mcp.json` (`{"servers": {…}}`). The `cnikit` entry is written (or replaced)
with the absolute path of the running cnikit and of the project; other servers in the file are kept. A file that is
not a JSON object is left alone and reported, never overwritten.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

Editor = Literal["cursor", "claude", "vscode"]
EDITORS: dict[str, tuple[str, str]] = {  # editor → (config file, key of its servers)
    "cursor": (".cursor/mcp.json", "mcpServers"),
    "claude": (".mcp.json", "mcpServers"),
    "vscode": (".vscode/mcp.json", "servers"),
}


class InstallError(Exception):
    """The config cannot be written: the message says which file and why."""


def cnikit_command() -> str:
    """The absolute path of the `cnikit` executable running now (beside this Python, as pip installs it)."""
    beside = Path(sys.executable).with_name("cnikit")
    return str(beside if beside.is_file() else Path(sys.argv[0]).resolve())


def server_entry(editor: str, root: Path) -> dict[str, Any]:
    """The `cnikit` server entry of an editor's config."""
    entry: dict[str, Any] = {"command": cnikit_command(), "args": ["mcp", str(root.resolve())]}
    return {"type": "stdio", **entry} if editor in ("claude", "vscode") else entry


def install(editor: str, root: Path) -> Path:
    """Write (or update) the editor's project-level MCP config; returns the file written."""
    if editor not in EDITORS:
        raise InstallError(f"unknown editor {editor!r}: choose one of {', '.join(EDITORS)}")
    name, key = EDITORS[editor]
    path = root.resolve() / name
    config: Any = {}
    if path.exists():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise InstallError(f"{path} is not valid JSON ({error}); fix or remove it, then run again") from None
        if not isinstance(config, dict) or not isinstance(config.get(key, {}), dict):
            raise InstallError(f'{path} is not an MCP config ({{"{key}": {{…}}}}); fix or remove it, then run again')
    config.setdefault(key, {})["cnikit"] = server_entry(editor, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path
