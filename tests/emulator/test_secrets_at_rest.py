"""No secret at rest (issue 13.11): distinctive secrets set everywhere a user puts them are found nowhere on disk.

Secrets go in the (in-memory) keyring, as an inline and a registry connection's secret fields, and in the
environment as prism tokens. Then flows run (`cnikit run`, live and recorded to a cassette, then replayed),
`cnikit serve` answers a webhook that uses them and has its clock moved, and everything logs at debug level to a
log folder. Afterwards the project folder (store, instance.json, cassettes, build), the settings folder and the
log folder are searched byte by byte: the secrets are nowhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from typer.testing import CliRunner

from cnikit.cli import app
from cnikit.settings import user_file
from emulator.instance import set_connection_secret
from emulator.serve import Server
from tests.fakes.keyring import MemoryKeyring

SECRETS = {
    "inline connection": "inline-field-7d1e2c9a-do-not-store",
    "registry connection": "registry-field-4b8f0e13-do-not-store",
    "PRISM_ACCESS_TOKEN": "env-access-token-93c5a7d2-do-not-store",
    "PRISM_REFRESH_TOKEN": "env-refresh-token-1f6b8e40-do-not-store",
}


@pytest.fixture
def log_folder(tmp_path: Path) -> Iterator[Path]:
    """Every Python logger at debug level, into a file of this folder."""
    folder = tmp_path / "logs"
    folder.mkdir()
    handler = logging.FileHandler(folder / "debug.log")
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield folder
    root.removeHandler(handler)
    root.setLevel(previous)
    handler.close()


def everywhere(folder: Path, secret: str) -> list[str]:
    """The files under `folder` that hold `secret` (as is, or percent-encoded as in a URL)."""
    forms = {secret.encode(), quote(secret, safe="").encode()}
    return [
        str(path)
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink() and any(form in path.read_bytes() for form in forms)
    ]


def test_secrets_are_nowhere_but_the_keyring(
    project: Callable[[str], Path],
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    log_folder: Path,
    key_service: str,
) -> None:
    settings = user_file().parent.parent  # $XDG_CONFIG_HOME: the memory_keyring fixture points it at a test folder
    assert settings.is_dir()
    for name in ("PRISM_ACCESS_TOKEN", "PRISM_REFRESH_TOKEN"):
        monkeypatch.setenv(name, SECRETS[name])
    root = project("emu-secrets")
    payload = json.dumps({"base": key_service})
    cli = CliRunner()

    def run(*args: str) -> None:
        result = cli.invoke(app, ["run", str(root), "--flow", "Call Api", "--payload", "-", "--debug", *args], payload)
        assert result.exit_code == 0, result.output

    set_connection_secret(root, "Acme Connection", "apiKey", SECRETS["inline connection"])
    set_connection_secret(root, "Beta Connection", "apiKey", SECRETS["registry connection"])
    run()
    run("--http", "record")
    run("--http", "replay")

    server = Server(root, port=0, on_event=lambda event: logging.getLogger("serve").debug("%s", event.to_json()))
    server.start()
    try:
        flows = httpx.get(f"{server.url}/__cnikit/flows").json()["flows"]
        started = httpx.post(flows[0]["url"], json={"base": key_service}, timeout=30).json()["executionId"]
        record = httpx.get(f"{server.url}/__cnikit/executions/{started}", params={"wait": 30}, timeout=60).json()
        assert record["status"] == "succeeded" and record["result"]["data"] == {"status": 200, "matched": True}
        moved = cli.invoke(app, ["clock", "advance", "5m", "--url", server.url])
        assert moved.exit_code == 0, moved.output
    finally:
        server.stop()

    kept = {value for value in memory_keyring.entries.values()}
    assert {SECRETS["inline connection"], SECRETS["registry connection"]} <= kept  # they are in the keyring …
    for label, secret in SECRETS.items():  # … and nowhere else
        for folder in (root, settings, log_folder):
            assert everywhere(folder, secret) == [], f"the {label} secret is written in {folder}"
    assert (log_folder / "debug.log").stat().st_size > 0  # the search looked at real logs
