"""Errors of the platform face. Each message is one line that says what failed and what to do."""

from __future__ import annotations


class PlatformError(Exception):
    """Something the Prismatic platform, the network or the login flow refused; `str()` is the user message."""


class NotLoggedIn(PlatformError):
    """No tokens for this stack and profile."""


class SessionExpired(PlatformError):
    """The refresh token was refused; the stored tokens were cleared."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("Session expired. Please log in again." + (f" ({detail})" if detail else ""))


class LoginError(PlatformError):
    """The browser login did not complete (timeout, cancelled, forged state, refused code)."""


class GraphQLError(PlatformError):
    """The API answered with GraphQL errors or mutation `errors[]`."""


class NeedsConfiguration(PlatformError):
    """The integration's test instance must be configured before a flow can be tested."""

    def __init__(self, config_state: str, wizard_url: str) -> None:
        super().__init__(
            f"The test instance is not fully configured ({config_state}). Complete the config wizard, then run the "
            f"test again: {wizard_url}"
        )
        self.config_state = config_state
        self.wizard_url = wizard_url


class StepOutputError(PlatformError):
    """A step output could not be fetched (expired presigned URL, network)."""
