"""The store file itself: an unusable one (corrupt, truncated, a folder, from a newer cnikit) is one clear line in
every command and is never touched; a store from an earlier version is migrated in place; state is strict JSON."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnikit.cli import app
from emulator.store import (
    DB_NAME,
    INTERRUPTED,
    SCHEMA_VERSION,
    NewExecution,
    StateKey,
    Store,
    StoreError,
    StoreUnreadable,
)

Project = Callable[[str], Path]


def _a_real_store(path: Path, executions: int = 300) -> None:
    with Store(path) as store:  # closing the last connection folds the WAL into the file
        for n in range(executions):
            store.begin_execution(NewExecution(f"e{n}", "i", "f", "F", "WEBHOOK", {"padding": "x" * 500}))
            store.finish_execution(f"e{n}", status="succeeded")


def _damage(path: Path, how: str) -> None:
    if how == "garbage":
        path.write_bytes(os.urandom(8192))
    elif how == "truncated":
        _a_real_store(path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "folder":
        path.mkdir()
        (path / "kept.txt").write_text("mine")
    elif how == "newer":
        _a_real_store(path, executions=1)
        with closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


DAMAGES = {
    "garbage": "not an SQLite database",
    "truncated": "truncated: ",
    "folder": "it is a folder, not a file",
    "newer": f"written by a newer cnikit: schema {SCHEMA_VERSION + 1}",
}


@pytest.mark.parametrize("how", list(DAMAGES))
def test_an_unusable_store_names_the_file_and_what_to_do_and_is_left_alone(tmp_path: Path, how: str) -> None:
    path = tmp_path / DB_NAME
    _damage(path, how)
    before = _snapshot(tmp_path)

    with pytest.raises(StoreUnreadable) as raised:
        Store(path)

    message = str(raised.value)
    assert message.startswith(f"{path} is not a usable cnikit store ({DAMAGES[how]}")
    assert message.endswith(
        "move it aside (with any emulator.sqlite-wal and emulator.sqlite-shm next to it) and"
        " cnikit starts a new one; nothing was changed"
    )
    assert "\n" not in message
    assert _snapshot(tmp_path) == before  # no -wal, no -shm, not a byte changed


@pytest.mark.parametrize("how", ["garbage", "truncated", "folder"])
@pytest.mark.parametrize(
    "command",
    [
        ["run", "{root}", "--flow", "Echo"],
        ["serve", "{root}", "--port", "0", "--no-watch"],
        ["executions", "list", "{root}"],
        ["executions", "show", "1", "{root}"],
    ],
    ids=["run", "serve", "executions-list", "executions-show"],
)
def test_every_command_says_it_in_one_line_and_exits_2(project: Project, how: str, command: list[str]) -> None:
    root = project("emu-no-trigger")
    path = root / ".spectral" / "local" / DB_NAME
    _damage(path, how)

    result = CliRunner().invoke(app, [part.format(root=root) for part in command])

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: {path} is not a usable cnikit store ({DAMAGES[how]}")


def test_a_store_from_before_owners_is_migrated_in_place_and_its_stuck_executions_failed(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    _a_real_store(path, executions=1)
    # What a store of schema 1 looked like: no owners, user_version 0.
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("UPDATE executions SET status='running', ended_at=NULL")
        db.execute("ALTER TABLE executions DROP COLUMN owner_pid")
        db.execute("ALTER TABLE executions DROP COLUMN owner_started")
        db.execute("PRAGMA user_version=0")

    with Store(path) as store:
        record = store.get_execution("e0")
        assert (record.status, record.error) == ("failed", INTERRUPTED)  # no process will ever finish it
        store.begin_execution(NewExecution("e1", "i", "f", "F", "WEBHOOK", {}))
        assert store.get_execution("e1").status == "running"
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("SELECT owner_pid FROM executions WHERE id='e1'").fetchone()[0] == os.getpid()


def test_state_must_be_strict_json(tmp_path: Path) -> None:
    key = StateKey("crossFlowState", "inst")
    with Store(tmp_path / DB_NAME) as store:
        store.set_state(key, {"kept": 1})
        for bad in (float("nan"), float("inf")):
            with pytest.raises(StoreError, match="crossFlowState must be strict JSON: NaN and Infinity are not"):
                store.set_state(key, {"k": bad})
            with pytest.raises(StoreError):
                store.replace_all_state([(key, {"k": [bad]})])
        assert store.get_state(key) == {"kept": 1}


@pytest.mark.parametrize("value", ["NaN", "Infinity", "[-Infinity]", '{"a": NaN}'])
def test_state_set_refuses_values_that_are_not_json(project: Project, value: str) -> None:
    root = project("emu-state")

    result = CliRunner().invoke(app, ["state", "set", "cross-flow", "k", value, str(root)])

    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line == "error: crossFlowState must be strict JSON: NaN and Infinity are not JSON values"
    shown = CliRunner().invoke(app, ["state", "show", str(root), "--json"])
    assert json.loads(shown.output) == []
