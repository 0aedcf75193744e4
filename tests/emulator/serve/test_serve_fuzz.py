"""Generated paths, headers and bodies: never a 5xx, the server stays up, every execution it answered exists."""

from __future__ import annotations

import string
from collections.abc import Callable

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Served

TOKEN_CHARS = string.ascii_letters + string.digits + "=/-_.~%"
header_names = st.text(string.ascii_lowercase + "-", min_size=1, max_size=20).filter(lambda n: not n.startswith("-"))
header_values = st.text(string.printable.strip() + " ", max_size=40).map(str.strip)
CONTENT_TYPES = [
    "application/json",
    "application/xml",
    "text/plain",
    "multipart/form-data",
    "multipart/form-data; boundary=xx",
    "application/x-www-form-urlencoded",
    "image/png",
    "application/json; charset=utf-8",
    "",
]


def test_generated_requests_never_break_the_server(serve: Callable[..., Served]) -> None:
    served = serve("serve-webhooks")
    flow_urls = list(served.flows.values())
    answered: list[str] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        target=st.one_of(
            st.sampled_from(flow_urls),
            st.builds(lambda u, tail: u + "/" + tail, st.sampled_from(flow_urls), st.text(TOKEN_CHARS, max_size=30)),
            st.builds(lambda t: f"{served.url}/trigger/{t}", st.text(TOKEN_CHARS, max_size=40)),
            st.builds(lambda t: f"{served.url}/__cnikit/{t}", st.text(TOKEN_CHARS, max_size=20)),
        ),
        method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        headers=st.dictionaries(header_names, header_values, max_size=5),
        content_type=st.sampled_from(CONTENT_TYPES),
        body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
        query=st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=8), st.text(max_size=10), max_size=3),
    )
    def throw(target: str, method: str, headers: dict, content_type: str, body: bytes, query: dict) -> None:
        headers = {k: v for k, v in headers.items() if k not in ("content-length", "host", "transfer-encoding")}
        if content_type:
            headers["content-type"] = content_type
        try:
            response = served.client.request(method, target, headers=headers, content=body, params=query)
        except (httpx.InvalidURL, httpx.LocalProtocolError):
            return  # httpx refused to send it: nothing reached the server
        assert response.status_code < 500, (response.status_code, response.text)
        if "prismatic-executionid" in response.headers:
            answered.append(response.headers["prismatic-executionid"])

    throw()
    assert served.admin("GET", "health")["status"] == "ok"
    for execution_id in answered:
        assert served.wait(execution_id)["status"] in ("succeeded", "failed")
