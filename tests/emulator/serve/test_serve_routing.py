"""Endpoint security and routing: API keys (E7), shared endpoints (E5), preprocess flows (E6)."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import Served


def test_organization_keys_are_checked(serve: Callable[..., Served]) -> None:
    # E7
    served = serve("serve-api-keys")
    url = served.flows["Org Secured"]
    assert served.client.post(url, json={}, headers={"Api-Key": "my-first-key"}).json() == {"ran": True}
    assert served.client.post(url, json={}, headers={"Api-Key": "p@s$W0Rd"}).status_code == 200
    missing = served.client.post(url, json={})
    assert missing.status_code == 401 and "requires an Api-Key header" in missing.json()["error"]
    wrong = served.client.post(url, json={}, headers={"Api-Key": "guess"})
    assert wrong.status_code == 401 and "not one of the keys" in wrong.json()["error"]
    flows = {f["name"]: f for f in served.admin("GET", "flows")["flows"]}
    assert flows["Org Secured"]["apiKeys"] == ["my-first-key", "p@s$W0Rd"]


def test_customer_keys_and_unsecured_flows(serve: Callable[..., Served]) -> None:
    served = serve("serve-api-keys")
    flows = {f["name"]: f for f in served.admin("GET", "flows")["flows"]}
    customer_key = flows["Customer Required"]["apiKeys"][0]
    url = served.flows["Customer Required"]
    assert served.client.post(url, json={}).status_code == 401
    assert served.client.post(url, json={}, headers={"api-key": customer_key}).status_code == 200
    assert served.client.post(served.flows["Open"], json={}, headers={"Api-Key": "anything"}).status_code == 200


def test_a_shared_endpoint_routes_by_header_and_body_fields(serve: Callable[..., Served]) -> None:
    # E5
    served = serve("serve-shared-endpoint")
    shared = served.admin("GET", "flows")["endpoints"]
    assert [e["kind"] for e in shared] == ["shared"]
    url = shared[0]["url"]
    body = {"myCustomerId": "local-customer", "item": "widgets", "quantity": 5}
    response = served.client.post(url, json=body, headers={"MyFlowName": "Update Inventory"})
    assert response.status_code == 200
    record = served.wait(response.json()["executionId"])
    assert record["flow"] == "Update Inventory"
    assert record["result"]["data"]["customer"] == "local-customer"
    other = served.client.post(url, json=body, headers={"myflowname": "Create Order"})
    assert served.wait(other.json()["executionId"])["flow"] == "Create Order"


def test_a_shared_endpoint_refuses_unknown_customers_and_flows(serve: Callable[..., Served]) -> None:
    served = serve("serve-shared-endpoint")
    url = served.admin("GET", "flows")["endpoints"][0]["url"]
    stranger = served.client.post(url, json={"myCustomerId": "abc-123"}, headers={"myflowname": "Update Inventory"})
    assert stranger.status_code == 404 and "customer 'abc-123'" in stranger.json()["error"]
    unknown = served.client.post(url, json={"myCustomerId": "local-customer"}, headers={"myflowname": "Nope"})
    assert unknown.status_code == 404 and "No flow named 'Nope'" in unknown.json()["error"]
    assert "'Update Inventory'" in unknown.json()["error"]


def test_a_preprocess_flow_routes_an_instance_specific_endpoint(serve: Callable[..., Served]) -> None:
    # E6
    served = serve("serve-preprocess")
    url = served.admin("GET", "flows")["endpoints"][0]["url"]
    response = served.client.post(url, json={"type": "opportunity", "amount": 10})
    assert response.status_code == 200
    record = served.wait(response.json()["executionId"])
    assert record["flow"] == "Create Opportunity"
    assert record["result"]["data"]["created"] == {"type": "opportunity", "amount": 10}
    unknown = served.client.post(url, json={"type": "lead"})
    assert unknown.status_code == 404 and "No flow named 'Unknown Thing'" in unknown.json()["error"]
