"""The Prismatic API of `cnikit serve` over HTTP (no prism): auth, the system instance's config state and its
configure page, paging with opaque cursors, and bad input answered in one line (never a 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cnikit.local_token import local_token
from emulator.instance import set_connection_secret
from emulator.serve.api.links import Links
from emulator.serve.app import url_table
from tests.emulator.serve.conftest import Served
from tests.fakes.keyring import MemoryKeyring

SYSTEM_INSTANCE = """
mutation($definition: String!) {
  importIntegration(input: { definition: $definition }) {
    integration { id systemInstance { id configState } }
    errors { field messages }
  }
}
"""


def gql(served: Served, query: str, variables: dict[str, Any] | None = None, *, token: str | None = "") -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token or local_token(served.root)}"}
    answer = served.client.post(
        f"{served.url}/api", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert answer.status_code < 500, answer.text
    return answer


def test_api_needs_the_projects_token_and_auth_meta_answers(serve: Callable[..., Served]) -> None:
    served = serve("serve-webhooks")
    assert gql(served, "{ authenticatedUser { name } }", token=None).status_code == 401
    refused = gql(served, "{ authenticatedUser { name } }", token="guess")
    assert refused.status_code == 401 and "Unauthorized" in refused.json()["errors"][0]["message"]
    assert gql(served, "{ authenticatedUser { name } }").json()["data"]["authenticatedUser"]["name"]
    meta = served.client.get(f"{served.url}/auth/meta").json()
    assert meta["audience"] == served.url and meta["local"] is True
    printed = url_table(served.server).splitlines()  # what `cnikit serve` prints at start
    assert f"  export PRISMATIC_URL={served.url}" in printed
    assert f"  export PRISM_ACCESS_TOKEN={local_token(served.root)}" in printed
    assert (served.root / ".spectral" / "local" / "token").stat().st_mode & 0o777 == 0o600


def test_config_state_follows_the_local_instance_and_the_configure_page_names_the_wizard(
    serve: Callable[..., Served], memory_keyring: MemoryKeyring
) -> None:
    served = serve("emu-config-vars")
    answer = gql(served, SYSTEM_INSTANCE, {"definition": "name: Emulator Config Vars\n"}).json()["data"]
    instance = answer["importIntegration"]["integration"]["systemInstance"]
    assert instance["configState"] == "NEEDS_INSTANCE_CONFIGURATION"  # the connection's password is not set
    page = served.client.get(f"{served.url}/configure-instance/{instance['id']}/", params={"embed": "true"})
    assert page.status_code == 200 and "cnikit tui --screen wizard" in page.text
    set_connection_secret(served.root, "Acme Connection", "password", "s3cret")
    again = gql(served, SYSTEM_INSTANCE, {"definition": "name: Emulator Config Vars\n"}).json()["data"]
    assert again["importIntegration"]["integration"]["id"] == answer["importIntegration"]["integration"]["id"]
    assert again["importIntegration"]["integration"]["systemInstance"]["configState"] == "FULLY_CONFIGURED"


def test_logs_page_with_after_and_never_repeat(serve: Callable[..., Served]) -> None:
    served = serve("serve-webhooks")
    name, url = next(iter(served.flows.items()))
    execution_id = served.client.post(url, json={"n": 1}).headers["prismatic-executionid"]
    served.wait(execution_id)
    query = """query($id: ID!, $after: String) { logs(executionResult: $id, after: $after, first: 1,
      orderBy: { field: TIMESTAMP, direction: ASC }) { edges { node { message } cursor } pageInfo { hasNextPage } } }"""
    seen, after = [], None
    while True:
        page = gql(served, query, {"id": execution_id, "after": after}).json()["data"]["logs"]
        seen += [edge["node"]["message"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["edges"][-1]["cursor"]
    everything = gql(served, query.replace("first: 1", "first: 100"), {"id": execution_id}).json()["data"]["logs"]
    assert seen == [edge["node"]["message"] for edge in everything["edges"]] and len(seen) >= 2, name


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        ('{ logs(executionResult: "x", after: "not-a-cursor") { nodes { message } } }', {}, "is not a cursor"),
        ('{ integration(id: "nope") { id } }', {}, "does not exist"),
        ("{ authenticatedUser { favouriteColour } }", {}, "Cannot query field"),
    ],
)
def test_bad_input_is_one_clear_error(serve: Callable[..., Served], query: str, variables: Any, expected: str) -> None:
    served = serve("serve-webhooks")
    errors = gql(served, query, variables).json()["errors"]
    assert expected in errors[0]["message"]


def test_a_bad_definition_is_a_payload_error(serve: Callable[..., Served]) -> None:
    served = serve("serve-webhooks")
    answer = gql(served, SYSTEM_INSTANCE, {"definition": "name: [unclosed"}).json()["data"]["importIntegration"]
    assert answer["integration"] is None
    assert answer["errors"][0]["field"] == "definition" and "not YAML" in answer["errors"][0]["messages"][0]


def test_links_expire_and_keep_to_their_kind() -> None:
    links = Links("http://127.0.0.1:1")
    token = links.url("result", "x\nonExecution").rsplit("/", 1)[-1]
    assert links.resolve(token, "result") is not None
    assert links.resolve(token, "package") is None  # a result link cannot be used to upload
    expired = Links("http://127.0.0.1:1", ttl=0)
    assert expired.resolve(expired.url("media", "icon.png").rsplit("/", 1)[-1], "media") is None


def test_execution_results_page_one_by_one_without_repeats(serve: Callable[..., Served]) -> None:
    served = serve("serve-webhooks")
    url = next(iter(served.flows.values()))
    ran: list[str] = []
    for n in range(3):  # one after the other: async webhooks may start in any order (the order is the point here)
        ran.append(served.client.post(url, json={"n": n}).headers["prismatic-executionid"])
        served.wait(ran[-1])
    query = """query($after: String) { executionResults(first: 1, after: $after) {
      nodes { id resultType } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = gql(served, query, {"after": after}).json()["data"]["executionResults"]
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(ran))  # newest first, each once
