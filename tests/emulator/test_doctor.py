"""`cnikit doctor`: one line per check with its fix; exit 1 only when an essential check (Python, Node, npm) fails.

Tools are found on PATH, so each test builds its own PATH: the real `node` and `npm`, or stand-ins that print an
old version, or nothing at all.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from typer.testing import CliRunner

from cnikit.cli import app

FIXTURE = (Path(__file__).parents[1] / "fixtures" / "check-clean").resolve()


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty PATH folder; settings, prism profiles and keyring choices of the developer do not apply."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("CNIKIT_CONFIG_FILE", str(tmp_path / "cnikit.yml"))
    monkeypatch.setenv("PRISM_CONFIG_FILE", str(tmp_path / "prism.yml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for var in ("PRISMATIC_URL", "PRISM_ACCESS_TOKEN", "PRISM_REFRESH_TOKEN", "CNIKIT_PRISM_PATH", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    for var in ("PYTHON_KEYRING_BACKEND", "CNIKIT_KEYRING_PASSWORD", "CNIKIT_KEYRING_FILE"):
        monkeypatch.delenv(var, raising=False)
    return folder


def real_tools(folder: Path, *names: str) -> None:
    """Link the machine's own `node`, `npm` … into the test's PATH folder (npm is a node script: node comes too)."""
    for name in names:
        found = shutil.which(name, path=os.defpath + os.pathsep + "/usr/local/bin:/usr/bin")
        assert found, f"{name} must be installed for this test"
        (folder / name).symlink_to(Path(found).resolve() if name == "node" else found)


def stand_in(folder: Path, name: str, output: str) -> None:
    script = folder / name
    script.write_text(f"#!/bin/sh\necho '{output}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def doctor(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["doctor", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def checks(*args: str) -> dict[str, dict[str, object]]:
    code, out = doctor("--json", *args)
    document = json.loads(out)
    assert document["ok"] is (code == 0)
    return {c["name"]: c for c in document["checks"]}


def test_a_ready_machine_in_a_project(bin_dir: Path, memory_keyring: object) -> None:
    real_tools(bin_dir, "node", "npm")
    code, out = doctor(str(FIXTURE / "src"))
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[1] for line in lines if line and line[0] in "✔!✘"] == [
        "Python",
        "Node",
        "npm",
        "Node",  # Node side
        "keyring",
        "prism",
        "login",
        "project",
    ]
    assert f"✔ project    {FIXTURE}" in lines
    assert "! prism      prism is not on PATH" in lines
    assert "             → npm install -g @prismatic-io/prism (only `cnikit import` needs it)" in lines
    assert lines[-1] == "Ready: every essential check passed."


def test_no_node_no_npm_fails_with_the_fix(bin_dir: Path, memory_keyring: object) -> None:
    code, out = doctor()
    assert code == 1
    assert "✘ Node       node is not on PATH\n             → install Node.js 20 or newer" in out
    assert "✘ npm        npm is not on PATH\n             → install Node.js, which brings npm" in out
    assert out.endswith("\nNot ready: fix Node, npm.\n")


def test_node_older_than_20_fails(bin_dir: Path, memory_keyring: object) -> None:
    stand_in(bin_dir, "node", "v18.19.0")
    stand_in(bin_dir, "npm", "10.2.3")
    found = checks()
    assert found["Node"]["status"] == "fail"
    assert found["Node"]["detail"] == "v18.19.0: cnikit needs 20 or newer"
    assert found["npm"] == {"name": "npm", "status": "ok", "detail": "10.2.3", "fix": "", "essential": True}


def test_no_keyring_says_how_to_get_one(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        found = checks()
        monkeypatch.setenv("CNIKIT_KEYRING_PASSWORD", "s3cret")
        monkeypatch.setenv("CNIKIT_KEYRING_FILE", str(bin_dir.parent / "secrets.cfg"))
        with_password = checks()
    finally:
        keyring.set_keyring(previous)
    assert found["keyring"]["status"] == "warn"
    assert str(found["keyring"]["fix"]).startswith("set CNIKIT_KEYRING_PASSWORD to keep them in an encrypted file")
    assert with_password["keyring"]["status"] == "ok"
    assert "encrypted file keyring" in str(with_password["keyring"]["detail"])


def test_prism_login_and_an_unmarked_project(
    bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: object
) -> None:
    stand_in(bin_dir, "prism", "@prismatic-io/prism/10.4.0")
    monkeypatch.setenv("PRISMATIC_URL", "https://app.example.test")
    monkeypatch.setenv("PRISM_ACCESS_TOKEN", "not-a-jwt")
    unmarked = tmp_path / "crm"
    (unmarked / "src").mkdir(parents=True)
    (unmarked / "src" / "index.ts").write_text("export default {};\n")
    (unmarked / "package.json").write_text('{"dependencies": {"@prismatic-io/spectral": "10.31.1"}}')
    found = checks(str(unmarked))
    assert found["prism"]["status"] == "ok"
    assert found["prism"]["detail"] == str(bin_dir / "prism")
    assert found["login"]["detail"] == "logged in to https://app.example.test (tokens from environment)"
    assert found["project"]["status"] == "warn"
    assert found["project"]["fix"] == f"mark it: mkdir {unmarked / '.spectral'}"
    assert "not-a-jwt" not in json.dumps(found)


def test_an_installed_cnikit_finds_its_node_side_in_the_cache(
    bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: object
) -> None:
    """A wheel has no emulator/node/node_modules: emulator.node_setup installs it into a cache on first use."""
    import shutil

    from emulator import node_setup

    packaged = tmp_path / "site-packages" / "emulator" / "node"
    packaged.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(node_setup.NODE_DIR / name, packaged / name)
    monkeypatch.setattr(node_setup, "NODE_DIR", packaged)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = node_setup.cache_dir()
    before = checks()["Node side"]
    (cache / "node_modules").mkdir(parents=True)
    (cache / "node_modules" / ".package-lock.json").write_text("{}")  # what `npm ci` leaves when it is done
    after = checks()["Node side"]
    assert (before["status"], before["detail"]) == ("warn", f"not installed yet (it goes to {cache})")
    assert str(before["fix"]).startswith("nothing to do: the first `cnikit run` installs it")
    assert after == {
        "name": "Node side",
        "status": "ok",
        "detail": f"installed in {cache / 'node_modules'}",
        "fix": "",
        "essential": False,
    }
