"""What every resolver of the Prismatic API works on: the served runtime, its imports and links, the base URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.serve.api.imports import Imports
from emulator.serve.api.links import Links

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

    from emulator.serve.runtime import Runtime


@dataclass
class ApiState:
    """One per server: `runtime` (executor, store, definition), `imports`, `links` and the server's `base_url`."""

    runtime: Runtime
    imports: Imports
    links: Links
    base_url: str


def api(info: GraphQLResolveInfo) -> ApiState:
    """The state of the server answering this GraphQL request."""
    state: Any = info.context["api"]
    return state


def payload_error(field: str, message: str) -> dict[str, Any]:
    """A mutation payload that failed, as the platform answers: `errors: [{field, messages}]` (prism throws it)."""
    return {"errors": [{"field": field, "messages": [message]}]}
