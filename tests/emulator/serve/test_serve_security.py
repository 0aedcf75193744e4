"""The admin API's door (issue 13.3) and its query parameters and long polls (13.2).

A web page in the developer's browser can send cross-site requests to 127.0.0.1 and rebind its own name to it;
the admin API must refuse both, and want the project's local token for anything that changes state. Webhooks stay
open. Numeric query parameters are finite and bounded; long polls never take the threads webhooks need.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from .conftest import Served


@pytest.fixture
def hooks(serve: Callable[..., Served]) -> Served:
    return serve("serve-webhooks")


def test_a_cross_site_text_plain_post_cannot_remove_the_instance(hooks: Served) -> None:
    remove = f"{hooks.url}/__cnikit/instance/remove"
    page = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    assert hooks.client.post(remove, content="x", headers=page).status_code == 403
    assert hooks.client.post(remove, content="x", headers={**page, **hooks.auth}).status_code == 403
    no_token = hooks.client.post(remove, content="x", headers={"Content-Type": "text/plain"})
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"].startswith("Bearer")
    assert "needs the project's local token" in no_token.json()["error"]
    wrong = hooks.client.post(remove, headers={"Authorization": "Bearer " + "x" * 20})
    assert wrong.status_code == 401
    assert hooks.admin("GET", "health")["deployed"] is True  # nothing was removed
    assert hooks.admin("POST", "instance/remove")["ok"] is True  # the project's token opens the door


def test_a_rebound_host_name_is_refused_and_loopback_names_are_not(hooks: Served) -> None:
    port = hooks.server.port
    rebound = hooks.client.get(f"{hooks.url}/__cnikit/state", headers={"Host": f"evil.example:{port}"})
    assert rebound.status_code == 403 and "answers only loopback hosts" in rebound.json()["error"]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert hooks.client.get(f"{hooks.url}/__cnikit/state", headers={"Host": host}).status_code == 200
    own = hooks.client.get(f"{hooks.url}/__cnikit/state", headers={"Origin": f"http://localhost:{port}"})
    assert own.status_code == 200
    for origin in (
        "null",
        f"http://localhost:{port + 1}",
        f"https://127.0.0.1:{port}",
        "http://127.0.0.1.evil.example",
    ):
        answer = hooks.client.get(f"{hooks.url}/__cnikit/state", headers={"Origin": origin})
        assert answer.status_code == 403, origin


def test_webhooks_and_result_urls_stay_open_to_any_host_and_origin(hooks: Served) -> None:
    foreign = {"Host": "tunnel.example", "Origin": "https://partner.example"}
    answer = hooks.client.post(hooks.flows["Answer"], json={"reply": {"ok": 1}}, headers=foreign)
    assert answer.status_code == 200 and answer.json() == {"ok": 1}
    echo = hooks.client.post(hooks.flows["Echo"], json={}, headers=foreign)
    assert echo.status_code == 200
    execution_id = echo.json()["executionId"]
    hooks.wait(execution_id)
    result = hooks.client.get(f"{hooks.url}/__cnikit/results/{execution_id}", headers=foreign)
    assert result.status_code == 200


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("events?timeout=nan", "timeout must be a number of seconds from 0 to 60, found 'nan'"),
        ("events?timeout=inf", "timeout must be a number of seconds from 0 to 60, found 'inf'"),
        ("events?timeout=-1", "timeout must be a number of seconds from 0 to 60, found '-1'"),
        ("events?timeout=61", "timeout must be a number of seconds from 0 to 60, found '61'"),
        ("events?after=1.5", "after must be an integer from 0 to"),
        ("events?after=-3", "after must be an integer from 0 to"),
        ("events?after=" + "9" * 5000, "after must be an integer from 0 to"),
        ("executions/x?wait=nan", "wait must be a number of seconds from 0 to 120, found 'nan'"),
        ("executions/x?wait=1e309", "wait must be a number of seconds from 0 to 120, found '1e309'"),
        ("executions/x?wait=soon", "wait must be a number of seconds from 0 to 120, found 'soon'"),
        ("executions?limit=0", "limit must be an integer from 1 to 1000, found '0'"),
        ("executions?limit=NaN", "limit must be an integer from 1 to 1000, found 'NaN'"),
        ("executions?limit=100000", "limit must be an integer from 1 to 1000, found '100000'"),
    ],
)
def test_numeric_query_parameters_must_be_finite_and_bounded(hooks: Served, path: str, error: str) -> None:
    answer = hooks.client.get(f"{hooks.url}/__cnikit/{path}", timeout=5)
    assert answer.status_code == 400 and error in answer.json()["error"]


def test_many_long_polls_do_not_stop_a_synchronous_webhook_from_being_answered(hooks: Served) -> None:
    polls = 24  # the default thread pool of a 2-core machine has 6 threads
    runtime = hooks.server.runtime
    waiting = threading.Semaphore(0)
    subscribe = runtime.subscribe

    def counted(callback: Any) -> Callable[[], None]:  # each waiting long poll subscribes once
        waiting.release()
        return subscribe(callback)

    runtime.subscribe = counted  # type: ignore[method-assign]
    with ThreadPoolExecutor(polls) as pool, httpx.Client(timeout=60, limits=httpx.Limits(max_connections=polls)) as c:
        pending: list[Future[httpx.Response]] = [
            pool.submit(c.get, f"{hooks.url}/__cnikit/executions/never-{n}", params={"wait": 30}) for n in range(polls)
        ]
        for _ in range(polls):
            assert waiting.acquire(timeout=30), "the long polls did not all arrive"
        answer = httpx.post(hooks.flows["Answer"], json={"reply": {"ok": 1}}, timeout=10)
        assert answer.status_code == 200 and answer.json() == {"ok": 1}
        assert not any(poll.done() for poll in pending)  # answered while every long poll was still waiting
        runtime.subscribe = subscribe  # type: ignore[method-assign]
        hooks.server.stop()  # ends the polls: the test need not wait 30 s
        for poll in pending:
            poll.exception()


def test_long_polls_return_as_soon_as_what_they_wait_for_happens(hooks: Served) -> None:
    started = hooks.client.post(hooks.flows["Echo"], json={"n": 1}).json()["executionId"]
    record = hooks.admin("GET", f"executions/{started}", params={"wait": 25})
    assert record["status"] == "succeeded"
    with ThreadPoolExecutor(1) as pool:
        poll = pool.submit(hooks.admin, "GET", "events", params={"timeout": 25})
        hooks.admin("POST", "instance/deploy")  # emits a lifecycle event
        assert [event["kind"] for event in poll.result()["events"]] == ["lifecycle"]


def test_the_admin_api_shows_a_webhooks_credential_headers_masked(hooks: Served) -> None:
    sent = {"Authorization": "Bearer caller-secret-1234", "Cookie": "sid=caller-cookie-5678"}
    started = hooks.client.post(hooks.flows["Echo"], json={}, headers=sent).json()["executionId"]
    record = hooks.wait(started)
    trigger = next(step for step in record["steps"] if step["name"] == "onTrigger")
    assert trigger["output"]["headers"]["authorization"] == "[masked]"
    assert trigger["output"]["headers"]["cookie"] == "[masked]"
    assert "caller-secret-1234" not in json.dumps(record)
