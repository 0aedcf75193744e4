"""Finding CNI projects the way the official extension does (official-tooling.md A.5)."""

from __future__ import annotations

from pathlib import Path

from cnikit.project import find_project_root, find_projects, local_dir


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
