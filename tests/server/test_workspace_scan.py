"""Finding the workspace's projects stays bounded: never the file system root or the home folder, no hidden or
system folders, at most 2 s and 50 projects — and one log line says what was left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from server import projects
from server.projects import SCAN_PROJECTS, Projects, scan
from tests.server.conftest import StartSession, copy_fixture


def _project(path: Path) -> Path:
    (path / ".spectral").mkdir(parents=True)
    return path


def test_the_root_and_the_home_folder_are_never_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    _project(home / "work" / "integration")
    monkeypatch.setenv("HOME", str(home))

    assert scan(Path("/")).roots == []
    assert scan(Path("/")).summary() == "not scanned (the file system root): open a project folder instead"
    at_home = scan(home)
    assert at_home.roots == []
    assert at_home.summary() == "not scanned (the home folder): open a project folder instead"
    assert scan(home / "work").roots == [home / "work" / "integration"]  # a folder of the home folder is fine
    _project(home)
    assert scan(home).roots == [home]  # the home folder as a project of its own still counts


def test_hidden_and_system_folders_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    found = _project(tmp_path / "code" / "shown")
    _project(tmp_path / "code" / ".cache" / "hidden")
    _project(tmp_path / "code" / "Library" / "kept")  # only the home folder's Library is a system folder
    monkeypatch.setattr(projects, "HOME_SYSTEM_FOLDERS", ("code/snap",))
    _project(tmp_path / "code" / "snap" / "app")

    result = scan(tmp_path / "code")

    assert result.roots == [tmp_path / "code" / "Library" / "kept", found]
    assert result.cut == ""
    assert result.summary() == "skipped 2 hidden or system folders (.cache, snap)"


def test_a_scan_stops_at_50_projects(tmp_path: Path) -> None:
    for n in range(SCAN_PROJECTS + 5):
        _project(tmp_path / f"p{n:02d}")

    result = scan(tmp_path)

    assert len(result.roots) == SCAN_PROJECTS
    assert result.summary() == f"stopped at {SCAN_PROJECTS} projects"


def test_a_scan_stops_at_its_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path / "deep" / "er" / "project")
    monkeypatch.setattr(projects, "SCAN_SECONDS", 0.0)  # the limit is already reached when the walk starts

    result = scan(tmp_path)

    assert result.roots == []
    assert result.summary() == "stopped after 0 s (0 projects found)"


def test_what_was_left_out_is_logged_once_per_folder(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for n in range(SCAN_PROJECTS + 1):
        _project(tmp_path / f"p{n:02d}")
    found = Projects()

    with caplog.at_level("INFO", logger="server.projects"):
        found.discover([tmp_path], report=False)
        found.discover([tmp_path])
        found.discover([tmp_path])

    assert len(found.states) == SCAN_PROJECTS
    assert [r.getMessage() for r in caplog.records] == [
        f"looking for CNI projects in {tmp_path}: stopped at {SCAN_PROJECTS} projects"
    ]


async def test_a_workspace_at_the_home_folder_publishes_nothing_and_says_why(
    start_session: StartSession, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    project = copy_fixture("lsp-diagnostics", home / "work")

    session = await start_session([home], env={"HOME": str(home)})
    await session.analysed()

    assert session.client.diagnostics == {}
    said = [m for m in session.client.log_messages if "looking for CNI projects" in m.message]
    assert [m.type for m in said] == [types.MessageType.Warning]
    assert f"in {home}: not scanned (the home folder): open a project folder instead" in said[0].message
    index = project / "src" / "index.ts"
    session.open(index)  # a file the developer opens still finds its project
    assert await session.diagnostics(index)
