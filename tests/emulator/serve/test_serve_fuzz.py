"""Generated requests against a real `cnikit serve`: never a 5xx, never a hang, the server stays up, and every
execution it acknowledged is in the store.

Methods, paths (webhook and admin routes), headers, query parameters (numeric ones included: NaN, infinities,
huge and negative values) and bodies (every content type, invalid UTF-8, deep nesting, sizes around the 6 MB
limit); admin calls go with the project's local token, a wrong one, or none. Each request has a client timeout, so
a hang fails with the request that caused it. Under CI the examples are derandomized (the same ones every run).
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.serve.webhook import MAX_REQUEST_BYTES
from emulator.store import DB_NAME, Store

from .conftest import Served

REQUEST_TIMEOUT = 30.0  # seconds: above any answer on a saturated box (6 MB bodies queue up), below a hang
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=list(HealthCheck),
)

TOKEN_CHARS = string.ascii_letters + string.digits + "=/-_.~%"
header_names = st.text(string.ascii_lowercase + "-", min_size=1, max_size=20).filter(lambda n: not n.startswith("-"))
header_values = st.text(string.printable.strip() + " ", max_size=40).map(str.strip)
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/xml",
    "text/xml",
    "text/plain",
    "text/plain; charset=utf-16",
    "text/csv",
    "text/html",
    "multipart/form-data",
    "multipart/form-data; boundary=xx",
    "multipart/form-data; boundary=",
    "multipart/mixed; boundary=xx",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
    "image/png",
    "application/vnd.api+json",
    "*/*",
    ";;;",
    "",
]
ADMIN_PATHS = [
    "health",
    "flows",
    "executions",
    "executions/1",
    "executions/nope",
    "results/nope",
    "state",
    "clock",
    "instance/deploy",
    "instance/remove",
    "instance/nope",
    "events",
]
QUERY_NAMES = ["wait", "timeout", "after", "limit", "offset", "flow", "status", "cursor"]
QUERY_VALUES = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "-1",
    "1e999",
    "99999999999999999999",
    "abc",
    "",
    "0",
    "0.5",
    "1",
    "1000000",
]
DEEP = 20_000  # levels of nesting: far beyond any parser's recursion limit


def bodies() -> st.SearchStrategy[bytes]:
    """Small random bodies, invalid UTF-8, deeply nested JSON, and bodies just under, at and over the limit."""
    near_limit = st.sampled_from([MAX_REQUEST_BYTES - 1, MAX_REQUEST_BYTES, MAX_REQUEST_BYTES + 1])
    return st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.binary(min_size=1, max_size=50).map(lambda b: b"\xff\xfe\xc3(" + b),  # never valid UTF-8
        st.sampled_from([b"[" * DEEP + b"]" * DEEP, b'{"a":' * DEEP + b"1" + b"}" * DEEP, b"[" * DEEP]),
        st.builds(lambda n, fill: fill * n, near_limit, st.sampled_from([b"x", b"\xff"])),
        near_limit.map(lambda n: b'{"k": "' + b"x" * (n - 9) + b'"}'),
    )


def send(served: Served, method: str, url: str, **request: object) -> httpx.Response | None:
    """The answer to one request, or None when httpx refused to send it; a hang fails naming the request."""
    try:
        return served.client.request(method, url, timeout=REQUEST_TIMEOUT, **request)  # type: ignore[arg-type]
    except (httpx.InvalidURL, httpx.LocalProtocolError):
        return None  # nothing reached the server
    except httpx.TimeoutException:
        raise AssertionError(f"no answer within {REQUEST_TIMEOUT} s: {method} {url} {request.get('params')}") from None


def check_afterwards(served: Served, answered: list[str]) -> None:
    """The server is up and every execution it acknowledged is in the store, finished."""
    health = served.client.get(f"{served.url}/__cnikit/health", timeout=REQUEST_TIMEOUT)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    for execution_id in answered:
        assert served.wait(execution_id)["status"] in ("succeeded", "failed")
    with Store(served.root / ".spectral" / "local" / DB_NAME) as store:  # read the file itself, not the API
        stored = [store.get_execution(execution_id).id for execution_id in answered]  # raises StoreError if missing
    assert stored == answered


def test_generated_requests_never_break_the_server(serve: Callable[..., Served]) -> None:
    served = serve("serve-webhooks")
    flow_urls = list(served.flows.values())
    answered: list[str] = []

    @FUZZ
    @given(
        target=st.one_of(
            st.sampled_from(flow_urls),
            st.builds(lambda u, tail: u + "/" + tail, st.sampled_from(flow_urls), st.text(TOKEN_CHARS, max_size=30)),
            st.builds(lambda t: f"{served.url}/trigger/{t}", st.text(TOKEN_CHARS, max_size=40)),
            st.builds(lambda t: f"{served.url}/__cnikit/{t}", st.text(TOKEN_CHARS, max_size=20)),
        ),
        method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
        headers=st.dictionaries(header_names, header_values, max_size=5),
        content_type=st.sampled_from(CONTENT_TYPES),
        body=bodies(),
        query=st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=8), st.text(max_size=10), max_size=3),
    )
    def throw(target: str, method: str, headers: dict, content_type: str, body: bytes, query: dict) -> None:
        headers = {k: v for k, v in headers.items() if k not in ("content-length", "host", "transfer-encoding")}
        if content_type:
            headers["content-type"] = content_type
        response = send(served, method, target, headers=headers, content=body, params=query)
        if response is None:
            return
        assert response.status_code < 500, (method, target, response.status_code, response.text[:500])
        if "prismatic-executionid" in response.headers:
            answered.append(response.headers["prismatic-executionid"])

    throw()
    check_afterwards(served, answered)


def test_generated_admin_calls_with_and_without_the_token_never_break_the_server(
    serve: Callable[..., Served],
) -> None:
    served = serve("serve-webhooks")
    flow_urls = list(served.flows.values())
    answered: list[str] = []
    tokens = [served.auth["Authorization"], "Bearer wrong", "", "Basic Zm9vOmJhcg=="]

    @FUZZ
    @given(
        path=st.one_of(st.sampled_from(ADMIN_PATHS), st.text(TOKEN_CHARS, max_size=20)),
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS"]),
        authorization=st.sampled_from(tokens),
        origin=st.sampled_from([None, served.url, "http://evil.example", "null"]),
        content_type=st.sampled_from(CONTENT_TYPES),
        body=st.one_of(
            bodies(),
            st.sampled_from([b'{"advance": "99999999999d"}', b'{"set": "9999-12-31T23:59:59Z"}', b'{"advance": 1}']),
            st.sampled_from([b'{"set": null}', b"{}", b"[]", b"null", b'{"advance": "1m"}', b'{"set": "now"}']),
        ),
        query=st.dictionaries(st.sampled_from(QUERY_NAMES), st.sampled_from(QUERY_VALUES), min_size=1, max_size=4),
        webhook_between=st.booleans(),
    )
    def throw(
        path: str,
        method: str,
        authorization: str,
        origin: str | None,
        content_type: str,
        body: bytes,
        query: dict,
        webhook_between: bool,
    ) -> None:
        headers = {"content-type": content_type} if content_type else {}
        if authorization:
            headers["authorization"] = authorization
        if origin:
            headers["origin"] = origin
        response = send(served, method, f"{served.url}/__cnikit/{path}", headers=headers, content=body, params=query)
        if response is not None:
            assert response.status_code < 500, (method, path, query, response.status_code, response.text[:500])
        if webhook_between:  # the webhooks keep being answered whatever the admin API was sent
            hook = send(served, "POST", flow_urls[0], json={"n": 1})
            assert hook is not None and hook.status_code < 500, hook and hook.text
            if "prismatic-executionid" in hook.headers:
                answered.append(hook.headers["prismatic-executionid"])

    throw()
    check_afterwards(served, answered)


def test_generated_long_polls_always_answer_in_time(serve: Callable[..., Served]) -> None:
    served = serve("serve-webhooks")

    @FUZZ
    @given(
        path=st.sampled_from(["events", "executions/nope", "executions/1"]),
        query=st.fixed_dictionaries(
            {}, optional={name: st.sampled_from(QUERY_VALUES) for name in ("wait", "timeout", "after")}
        ),
    )
    def poll(path: str, query: dict) -> None:
        response = send(served, "GET", f"{served.url}/__cnikit/{path}", params=query)
        assert response is not None and response.status_code < 500, (path, query, response and response.text)

    poll()
    check_afterwards(served, [])
