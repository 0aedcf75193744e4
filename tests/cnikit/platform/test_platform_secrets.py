"""cnikit.secrets: secrets go to a safe keyring or nowhere, with a message that says what to do."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail
from keyrings.alt.file import PlaintextKeyring

from cnikit import secrets
from tests.fakes.keyring import MemoryKeyring


def test_round_trip_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    assert secrets.get_secret("cnikit-test", "token") is None
    secrets.set_secret("cnikit-test", "token", "s3cr3t")
    assert secrets.get_secret("cnikit-test", "token") == "s3cr3t"
    assert memory_keyring.entries == {("cnikit-test", "token"): "s3cr3t"}
    secrets.delete_secret("cnikit-test", "token")
    secrets.delete_secret("cnikit-test", "token")  # deleting twice is fine
    assert secrets.get_secret("cnikit-test", "token") is None
    assert "MemoryKeyring" in secrets.keyring_status()


@pytest.mark.parametrize(
    "machine_backend",
    [fail.Keyring(), PlaintextKeyring(), chainer.ChainerBackend()],
    ids=["fail", "plaintext-file", "chainer-of-file-keyrings"],
)
def test_no_os_keyring_refuses_to_write_and_says_what_to_do(
    memory_keyring: MemoryKeyring, machine_backend: keyring.backend.KeyringBackend, tmp_path: Path
) -> None:
    if isinstance(machine_backend, PlaintextKeyring):
        machine_backend.file_path = str(tmp_path / "plain.cfg")
    keyring.set_keyring(machine_backend)
    with pytest.raises(secrets.KeyringUnavailable) as err:
        secrets.set_secret("cnikit-test", "token", "s3cr3t")
    message = str(err.value)
    assert "No OS keyring" in message and "CNIKIT_KEYRING_PASSWORD" in message and "PYTHON_KEYRING_BACKEND" in message
    assert secrets.keyring_status() == message
    # Reading and deleting work (there is nothing), so read-only paths keep running.
    assert secrets.get_secret("cnikit-test", "token") is None
    secrets.delete_secret("cnikit-test", "token")
    assert not list(tmp_path.iterdir())


def test_encrypted_file_fallback(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())
    store = tmp_path / "secrets.cfg"
    monkeypatch.setenv("CNIKIT_KEYRING_FILE", str(store))
    monkeypatch.setenv("CNIKIT_KEYRING_PASSWORD", "correct horse")
    secrets.set_secret("cnikit-test", "token", "s3cr3t-value")
    assert secrets.get_secret("cnikit-test", "token") == "s3cr3t-value"
    assert "s3cr3t-value" not in store.read_text()
    assert str(store) in secrets.keyring_status()

    monkeypatch.setenv("CNIKIT_KEYRING_PASSWORD", "wrong")
    with pytest.raises(secrets.SecretStoreError, match="does not unlock"):
        secrets.get_secret("cnikit-test", "token")
    monkeypatch.setenv("CNIKIT_KEYRING_PASSWORD", "correct horse")
    secrets.delete_secret("cnikit-test", "token")
    assert secrets.get_secret("cnikit-test", "token") is None
