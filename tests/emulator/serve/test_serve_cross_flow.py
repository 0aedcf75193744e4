"""`context.invokeFlow` through the server (E11): sync siblings answer, async ones run; executions are linked."""

from __future__ import annotations

from collections.abc import Callable

from emulator.store import Store

from .conftest import Served


def test_invoke_flow_reaches_siblings_and_links_executions(serve: Callable[..., Served]) -> None:
    served = serve("serve-cross-flow")
    response = served.client.post(served.flows["Publish Posts"], json={"posts": ["a", "bb", "ccc", "dddd", "e"]})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["titles"] == ["A", "BB", "CCC", "DDDD", "E"]
    parent_id = response.headers["prismatic-executionid"]
    parent = served.wait(parent_id)
    children = parent["invoked"]
    assert len(children) == 4  # three chunks to the synchronous sibling, one notification
    notify = served.wait(answer["notifyExecutionId"])
    assert notify["flow"] == "Notify" and notify["invokeType"] == "CROSS_FLOW"
    assert notify["result"]["data"] == {"count": 5, "invokeType": "Cross Flow"}
    assert notify["invokedBy"] == parent_id
    for child in children:
        assert served.wait(child)["invokedBy"] == parent_id
    # The link is in the store, for every face (another process reads it from there).
    with Store.open(served.root) as store:
        assert store.get_execution(answer["notifyExecutionId"]).parent_id == parent_id
        assert sorted(r.id for r in store.invoked_by(parent_id)) == sorted(children)
        assert store.get_execution(parent_id).parent_id is None
