"""An in-memory keyring backend: tests never touch the machine's keyring or write secrets to disk."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Secrets in a dict, keyed by (service, name). Installed with `keyring.set_keyring(MemoryKeyring())`."""

    # Recommended (>= 1) so cnikit.secrets accepts it like an OS keyring.
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise PasswordDeleteError(f"no secret {username!r} for {service!r}")
        del self.entries[(service, username)]


# Out of keyring's automatic detection: only tests that ask for it get it.
KeyringBackend._classes.discard(MemoryKeyring)
