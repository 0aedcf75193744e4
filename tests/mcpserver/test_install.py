"""`cnikit mcp --install cursor|claude|vscode` writes the editor's project-level config; bad input is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CNIKIT = Path(sys.executable).with_name("cnikit")


def install(project: Path, editor: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CNIKIT), "mcp", str(project), "--install", editor], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("editor", "file", "key", "kind"),
    [
        ("cursor", ".cursor/mcp.json", "mcpServers", None),
        ("claude", ".mcp.json", "mcpServers", "stdio"),
        ("vscode", ".vscode/mcp.json", "servers", "stdio"),
    ],
)
def test_install_writes_the_editor_config(tmp_path: Path, editor: str, file: str, key: str, kind: str | None) -> None:
    project = tmp_path / "p"
    (project / ".spectral").mkdir(parents=True)
    (project / file).parent.mkdir(parents=True, exist_ok=True)
    (project / file).write_text(json.dumps({key: {"other": {"command": "other-server"}}}))
    done = install(project, editor)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {project / file}: the cnikit MCP server for {editor}")
    config = json.loads((project / file).read_text())
    assert config[key]["other"] == {"command": "other-server"}  # other servers are kept
    entry = config[key]["cnikit"]
    assert entry["command"] == str(CNIKIT) and Path(entry["command"]).is_absolute()
    assert entry["args"] == ["mcp", str(project)]
    assert entry.get("type") == kind
    assert install(project, editor).returncode == 0  # again: replaced, not duplicated
    assert list(json.loads((project / file).read_text())[key]) == ["other", "cnikit"]


def test_install_refuses_an_unknown_editor_and_a_broken_config(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / ".spectral").mkdir(parents=True)
    unknown = install(project, "emacs")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "error: unknown editor 'emacs': choose one of cursor, claude, vscode"
    (project / ".mcp.json").write_text("{not json")
    broken = install(project, "claude")
    assert broken.returncode == 2 and len(broken.stderr.strip().splitlines()) == 1
    assert "is not valid JSON" in broken.stderr and "fix or remove it" in broken.stderr
    assert (project / ".mcp.json").read_text() == "{not json"  # left alone
    (project / ".mcp.json").write_text('{"mcpServers": []}')
    assert "is not an MCP config" in install(project, "claude").stderr
