"""The session check of tests/conftest.py sees what a test would leave in the repository, and nothing else."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import tree_changes


def test_new_changed_and_ignored_files_are_seen_caches_are_not(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text(".spectral/local/\n__pycache__/\n")
    (tmp_path / "kept.txt").write_text("one")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    assert tree_changes(tmp_path) == {}

    (tmp_path / "kept.txt").write_text("two")
    before = tree_changes(tmp_path)
    (tmp_path / "kept.txt").write_text("three")  # already dirty, changed again
    (tmp_path / "fixture/.spectral/local/build").mkdir(parents=True)  # ignored, still written by a test
    (tmp_path / "fixture/.spectral/local/build/index.js").write_text("")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__/m.pyc").write_text("")
    after = tree_changes(tmp_path)
    assert before is not None and after is not None
    assert sorted(path for path, mark in after.items() if before.get(path) != mark) == [
        "fixture/",
        "kept.txt",
    ]


def test_outside_a_checkout_there_is_nothing_to_compare(tmp_path: Path) -> None:
    assert tree_changes(tmp_path) is None
