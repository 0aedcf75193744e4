"""Finding CNI projects the way the official extension does (official-tooling.md A.5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnikit.cli import app
from cnikit.project import find_project_root, find_projects, local_dir, not_found_message, unmarked_project


def make_project(path: Path) -> Path:
    (path / ".spectral").mkdir(parents=True)
    return path.resolve()


def test_the_root_itself_and_several_projects_below_it(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    a = make_project(tmp_path / "integrations" / "a")
    b = make_project(tmp_path / "integrations" / "b")
    assert find_projects(tmp_path) == sorted([root, a, b])


def test_depth_limit_counts_root_entries_as_depth_zero(tmp_path: Path) -> None:
    deepest_found = make_project(tmp_path / "1" / "2" / "3" / "4" / "5")  # .spectral listed at depth 5
    make_project(tmp_path / "x1" / "2" / "3" / "4" / "5" / "6")  # .spectral would be at depth 6
    assert find_projects(tmp_path) == [deepest_found]
    assert find_projects(tmp_path, max_depth=4) == []


def test_dependency_build_and_editor_folders_are_skipped(tmp_path: Path) -> None:
    kept = make_project(tmp_path / "app")
    for skipped in ("node_modules/pkg", "dist/copy", ".git/x", ".vscode/y"):
        make_project(tmp_path / skipped)
    assert find_projects(tmp_path) == [kept]


def test_gitignored_spectral_folder_is_still_found(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text(".spectral/\nintegrations/\n")
    project = make_project(tmp_path / "integrations" / "crm")
    (project / ".gitignore").write_text(".spectral\n")
    assert find_projects(tmp_path) == [project]


def test_no_descent_into_spectral(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    (project / ".spectral" / "inner" / ".spectral").mkdir(parents=True)
    assert find_projects(tmp_path) == [project]


def test_find_project_root_walks_up_from_a_file(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    source = project / "src" / "flows" / "sync.ts"
    source.parent.mkdir(parents=True)
    source.write_text("")
    assert find_project_root(source) == project
    assert find_project_root(project) == project
    assert find_project_root(tmp_path) is None


def test_local_dir_writes_its_own_gitignore_once(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    local = local_dir(project)
    assert not local.exists()
    local = local_dir(project, create=True)
    assert (local / ".gitignore").read_text() == "*\n"
    (local / ".gitignore").write_text("*\n!keep\n")
    local_dir(project, create=True)
    assert (local / ".gitignore").read_text() == "*\n!keep\n"  # the user's edit is kept


def _unmarked(path: Path) -> Path:
    """A CNI project someone forgot to mark: src/index.ts and a spectral dependency, no .spectral/."""
    (path / "src").mkdir(parents=True)
    (path / "src" / "index.ts").write_text("export default {};\n")
    (path / "package.json").write_text('{"dependencies": {"@prismatic-io/spectral": "10.31.1"}}')
    return path.resolve()


def test_an_unmarked_project_is_recognised_from_inside_it(tmp_path: Path) -> None:
    root = _unmarked(tmp_path / "crm")
    assert unmarked_project(root / "src") == root
    message = not_found_message(root / "src")
    assert "has src/index.ts and a @prismatic-io/spectral dependency but no .spectral/ folder" in message
    assert f"`mkdir {root / '.spectral'}`" in message


def test_without_spectral_dependency_it_is_just_no_project(tmp_path: Path) -> None:
    root = _unmarked(tmp_path / "crm")
    (root / "package.json").write_text('{"dependencies": {"left-pad": "1.0.0"}}')
    assert unmarked_project(root) is None
    assert not_found_message(root).startswith(f"No CNI project at or above {root}: expected a folder")


def test_a_marked_project_is_never_called_unmarked(tmp_path: Path) -> None:
    root = _unmarked(tmp_path / "crm")
    (root / ".spectral").mkdir()
    assert unmarked_project(root / "src") is None


@pytest.mark.parametrize("command", [["check"], ["run", "--flow", "x"], ["executions", "list"], ["tui"]])
def test_every_command_says_how_to_mark_an_unmarked_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    root = _unmarked(tmp_path / "crm")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    assert f"mkdir {root / '.spectral'}" in result.stderr
    assert "Traceback" not in result.stderr
