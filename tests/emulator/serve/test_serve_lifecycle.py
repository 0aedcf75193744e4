"""Instance deploy and remove (spec/runtime.md §4.2, §4.6)."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import Served


def cross_flow_state(served: Served) -> dict:
    state = served.admin("GET", "state")["state"]
    return next((s["value"] for s in state if s["level"] == "crossFlowState"), {})


def test_deploy_runs_lifecycle_functions_then_deploy_flows(serve: Callable[..., Served]) -> None:
    served = serve("serve-lifecycle")
    report = served.admin("POST", "instance/deploy")
    assert report["ok"]
    assert [(h["flow"], h["event"]) for h in report["hooks"]] == [
        ("Hooked Events", "onInstanceDeploy"),
        ("Hooked Events", "webhookCreate"),
    ]
    assert cross_flow_state(served) == {
        "Hooked Events-webhook-id": "hook-1",
        "Hooked Events-deploys": 1,
        "Hooked Events-created": True,
    }
    (deploy_execution,) = report["executions"]
    record = served.wait(deploy_execution)
    assert record["flow"] == "On Deploy" and record["invokeType"] == "DEPLOY_FLOW"
    assert record["result"]["data"]["urls"] == ["Hooked Events", "On Deploy", "On Remove"]
    messages = [e.data.get("message", "") for e in served.events if e.kind == "log"]
    assert any("registering http://127.0.0.1" in m for m in messages)
    assert any("flow state seen: {}" in m for m in messages)
    assert any("changed instanceState" in m and "not saved" in m for m in messages)
    state = served.admin("GET", "state")["state"]
    assert not any(s["level"] == "instanceState" and s["flow"] == "hooked-events" for s in state)
    served.wait(served.admin("POST", "instance/deploy")["executions"][0])  # every deploy runs them again
    assert cross_flow_state(served)["Hooked Events-deploys"] == 2


def test_remove_runs_delete_handlers_and_takes_the_instance_down(serve: Callable[..., Served]) -> None:
    served = serve("serve-lifecycle")
    served.admin("POST", "instance/deploy")
    report = served.admin("POST", "instance/remove")
    assert [h["event"] for h in report["hooks"]] == ["onInstanceDelete", "webhookDelete"]
    assert served.wait(report["executions"][0])["flow"] == "On Remove"
    assert cross_flow_state(served) == {}  # the instance's state goes with it
    down = served.client.post(served.flows["Hooked Events"], json={})
    assert down.status_code == 404 and "cnikit instance deploy" in down.json()["error"]
    served.admin("POST", "instance/deploy")
    assert served.client.post(served.flows["Hooked Events"], json={}).status_code == 200
