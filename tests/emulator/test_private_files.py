"""Everything cnikit writes under `.spectral/local/` is 0600 (folders 0700), and older loose files are tightened."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from cnikit.project import local_dir
from emulator.build import build, build_dir
from emulator.instance import LocalInstance, instance_path, load_instance, save_instance
from emulator.store import DB_NAME, Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_its_wal_are_private(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.list_executions()
        files = [p for p in local_dir(tmp_path).iterdir() if p.name.startswith(DB_NAME)]
        assert {p.name for p in files} >= {DB_NAME, f"{DB_NAME}-wal"}
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert mode(local_dir(tmp_path)) == 0o700


def test_an_old_world_readable_store_is_tightened_when_opened(tmp_path: Path) -> None:
    with Store.open(tmp_path):
        pass
    db = local_dir(tmp_path) / DB_NAME
    db.chmod(0o644)
    local_dir(tmp_path).chmod(0o755)
    with Store.open(tmp_path) as store:
        assert store.count_executions() == 0  # same store, nothing lost
    assert mode(db) == 0o600 and mode(local_dir(tmp_path)) == 0o700


def test_instance_json_is_written_private_and_tightened_when_read(tmp_path: Path) -> None:
    path = save_instance(tmp_path, LocalInstance(name="Mine"))
    assert path == instance_path(tmp_path) and mode(path) == 0o600
    path.chmod(0o664)
    assert load_instance(tmp_path).name == "Mine" and mode(path) == 0o600


def test_a_build_is_private(project: Callable[[str], Path]) -> None:
    root = project("emu-http")
    build(root, force=True)
    out = build_dir(root)
    assert mode(out) == 0o700
    assert {p.name: mode(p) for p in out.iterdir()} == {p.name: 0o600 for p in out.iterdir()}
