"""The one home for secrets: tokens, connection passwords, client secrets.

Secrets live in a keyring, never in logs or plain files. Which keyring, in this order:

1. The user's explicit keyring choice: ``PYTHON_KEYRING_BACKEND`` or keyring's own ``keyringrc.cfg``.
2. ``CNIKIT_KEYRING_PASSWORD`` set: an encrypted file keyring (keyrings.alt ``EncryptedKeyring``, AES with a
   PBKDF2 key from that password) at ``CNIKIT_KEYRING_FILE`` (default ``~/.local/share/cnikit/secrets.cfg``).
   This is the documented choice for headless machines and CI.
3. The OS keyring that `keyring` detects (macOS Keychain, Windows Credential Locker, Secret Service, KWallet).

Keyring would otherwise fall back to keyrings.alt's file backends on a machine without an OS keyring: a plain-text
file, or an encrypted one that prompts for a password on the terminal. cnikit refuses both unless chosen explicitly:
writing a secret then raises `KeyringUnavailable`, whose message says what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import keyring.core
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.errors import KeyringError, PasswordDeleteError

PASSWORD_ENV = "CNIKIT_KEYRING_PASSWORD"
FILE_ENV = "CNIKIT_KEYRING_FILE"


class SecretStoreError(RuntimeError):
    """A secret could not be read, written or deleted; the message says why and what to do."""


class KeyringUnavailable(SecretStoreError):
    """No keyring that keeps secrets safe is available on this machine."""


def _help() -> str:
    return (
        "cnikit keeps secrets only in a keyring and never writes them in plain text. Either install an OS keyring "
        "(macOS Keychain, Windows Credential Locker, GNOME Keyring/KWallet via Secret Service), or set "
        f"{PASSWORD_ENV} to use an encrypted file keyring at {default_file()} (override the path with {FILE_ENV}), "
        "or set PYTHON_KEYRING_BACKEND to a keyring backend of your choice."
    )


def default_file() -> Path:
    """Where the encrypted file keyring lives: ``CNIKIT_KEYRING_FILE``, else ``<data dir>/cnikit/secrets.cfg``."""
    explicit = os.environ.get(FILE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    from keyring.util import platform_

    return Path(platform_.data_root()).parent / "cnikit" / "secrets.cfg"


def _is_secure(backend: KeyringBackend) -> bool:
    # keyring calls priority >= 1 "recommended"; keyrings.alt file backends (0.5, 0.6) and fail (0) are not.
    try:
        return keyring.core.recommended(backend) and not isinstance(backend, fail.Keyring)
    except Exception:
        return False


def _encrypted_file_keyring(password: str, path: Path) -> KeyringBackend:
    try:
        from keyrings.alt.file import EncryptedKeyring
    except ImportError as exc:  # pragma: no cover - keyrings.alt is a dependency
        raise SecretStoreError(f"{PASSWORD_ENV} is set but keyrings.alt is not installed: {exc}") from exc

    class _PasswordFromEnv(EncryptedKeyring):
        """EncryptedKeyring whose password comes from the environment instead of a terminal prompt."""

        file_path = str(path)

        def _get_new_password(self) -> str:
            return password

        def _unlock(self) -> None:
            self.keyring_key = password
            try:
                ok = self.get_password("keyring-setting", "password reference") == "password reference value"
            except Exception:
                ok = False
            if not ok:
                self._lock()
                raise SecretStoreError(
                    f"{PASSWORD_ENV} does not unlock the encrypted keyring {path}: use the password it was created "
                    f"with, or point {FILE_ENV} at another file."
                )

    try:
        _PasswordFromEnv._get_crypto_impl()
    except ImportError as exc:
        raise SecretStoreError(
            f"{PASSWORD_ENV} is set but the encrypted file keyring needs pycryptodomex: pip install pycryptodomex"
        ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    return _PasswordFromEnv()


def _explicit_choice() -> KeyringBackend | None:
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return keyring.get_keyring()
    try:
        return keyring.core.load_config()
    except Exception:
        return None


def backend() -> KeyringBackend:
    """The keyring cnikit uses now; raise `KeyringUnavailable` (with what to do) when there is none."""
    explicit = _explicit_choice()
    if explicit is not None:
        return explicit
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return _encrypted_file_keyring(password, default_file())
    current = keyring.get_keyring()
    if isinstance(current, chainer.ChainerBackend):
        usable = [b for b in current.backends if _is_secure(b)]
        if usable:
            return max(usable, key=lambda b: b.priority)
    elif _is_secure(current):
        return current
    raise KeyringUnavailable(f"No OS keyring is available on this machine ({_describe(current)}). {_help()}")


def _describe(b: KeyringBackend) -> str:
    if isinstance(b, chainer.ChainerBackend):
        inner = ", ".join(_describe(x) for x in b.backends) or "none"
        return f"only insecure file keyrings: {inner}"
    cls = type(b)
    return f"{cls.__module__}.{cls.__qualname__}"


def keyring_status() -> str:
    """One line describing where secrets go, or why they cannot be stored and what to do."""
    try:
        b = backend()
    except KeyringUnavailable as exc:
        return str(exc)
    except SecretStoreError as exc:
        return str(exc)
    if os.environ.get(PASSWORD_ENV) and not _explicit_choice():
        return f"Secrets are stored in the encrypted file keyring {default_file()} (password from {PASSWORD_ENV})."
    return f"Secrets are stored in the keyring {_describe(b)}."


def get_secret(service: str, name: str) -> str | None:
    """The secret stored under (`service`, `name`), or None when there is none.

    Without any usable keyring there can be no stored secret, so this returns None rather than failing: callers
    that only read (e.g. a token from the environment is enough) keep working on a headless machine.
    """
    try:
        b = backend()
    except KeyringUnavailable:
        return None
    try:
        return b.get_password(service, name)
    except SecretStoreError:
        raise
    except (KeyringError, Exception) as exc:
        raise SecretStoreError(f"Could not read secret {name!r} of {service!r} from {_describe(b)}: {exc}") from exc


def set_secret(service: str, name: str, value: str) -> None:
    """Store `value` under (`service`, `name`); raise `KeyringUnavailable` when no safe keyring exists."""
    b = backend()
    try:
        b.set_password(service, name, value)
    except SecretStoreError:
        raise
    except (KeyringError, Exception) as exc:
        raise SecretStoreError(f"Could not store secret {name!r} of {service!r} in {_describe(b)}: {exc}") from exc


def delete_secret(service: str, name: str) -> None:
    """Forget the secret under (`service`, `name`); nothing happens when there is none (or no keyring at all)."""
    try:
        b = backend()
    except KeyringUnavailable:
        return
    try:
        if b.get_password(service, name) is None:
            return
        b.delete_password(service, name)
    except PasswordDeleteError:
        return
    except SecretStoreError:
        raise
    except (KeyringError, Exception) as exc:
        raise SecretStoreError(f"Could not delete secret {name!r} of {service!r} from {_describe(b)}: {exc}") from exc
