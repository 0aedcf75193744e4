"""The project's local token and private files: one random JWT-shaped token per project, 0600 in a 0700 folder."""

from __future__ import annotations

import base64
import json
import stat
import threading
from pathlib import Path

from cnikit.local_token import EXPIRES, local_token, matches, read_token, token_path
from cnikit.private_files import write_private
from cnikit.project import local_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_the_token_is_created_once_private_and_shaped_as_a_long_lived_jwt(tmp_path: Path) -> None:
    assert read_token(tmp_path) is None
    token = local_token(tmp_path)
    assert local_token(tmp_path) == token == read_token(tmp_path)
    assert mode(token_path(tmp_path)) == 0o600 and mode(local_dir(tmp_path)) == 0o700
    assert claims(token)["exp"] == EXPIRES and len(str(claims(token)["jti"])) >= 43  # 256 random bits
    assert local_token(tmp_path / "other") != token  # one per project
    assert matches(token, token) and not matches(token, token[:-1] + "x") and not matches(token, None)


def test_processes_asking_at_once_agree_on_one_token(tmp_path: Path) -> None:
    found: list[str] = []
    threads = [threading.Thread(target=lambda: found.append(local_token(tmp_path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and found[0] == token_path(tmp_path).read_text().strip()
    assert [p.name for p in local_dir(tmp_path).iterdir() if p.name.startswith(".token")] == []


def test_existing_loose_files_and_folders_are_tightened_in_place(tmp_path: Path) -> None:
    folder = local_dir(tmp_path)
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    token = local_token(tmp_path)
    token_path(tmp_path).chmod(0o644)
    assert read_token(tmp_path) == token and mode(token_path(tmp_path)) == 0o600
    local_dir(tmp_path, create=True)
    assert mode(folder) == 0o700 and mode(folder / ".gitignore") == 0o600


def test_private_writes_are_atomic_and_0600(tmp_path: Path) -> None:
    path = write_private(tmp_path / "secret.json", "{}")
    assert path.read_text() == "{}" and mode(path) == 0o600 and [p.name for p in tmp_path.iterdir()] == ["secret.json"]
