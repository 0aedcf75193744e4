"""Step outputs: HEAD the metadata URL, GET the results URL (presigned, no auth), msgpack-decode, make JSON-ready.

As the official extension: a 403 means the presigned URL expired; outputs over 1 MiB are not downloaded; binary values
become `data:` URIs for images and `<data (N bytes)>` otherwise; dates become ISO strings; a top-level `data` key is
unwrapped.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx
import msgpack

from cnikit.platform.errors import StepOutputError
from cnikit.platform.models import StepOutput, StepResult

PREVIEW_LIMIT = 1_048_576
PLACEHOLDER = "<Unable to load preview>"
EXPIRED = (
    "Access to step outputs is forbidden (403): the presigned link has expired. Fetch the execution results again "
    "for fresh links."
)


def transform(value: Any, content_type: str | None = None) -> Any:
    """A decoded msgpack value made JSON-ready (bytes, dates and msgpack timestamps handled, recursively)."""
    if isinstance(value, bytes | bytearray):
        if content_type and content_type.startswith("image/"):
            return f"data:{content_type};base64,{base64.b64encode(bytes(value)).decode()}"
        return f"<data ({len(value)} bytes)>"
    if isinstance(value, msgpack.Timestamp):
        value = value.to_datetime()
    if isinstance(value, dt.datetime):
        # As JavaScript's Date.toISOString(), which the extension shows.
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [transform(v, content_type) for v in value]
    if isinstance(value, dict):
        ct = value.get("contentType") if isinstance(value.get("contentType"), str) else content_type
        return {str(k): transform(v, ct) for k, v in value.items()}
    return value


def decode(blob: bytes) -> Any:
    """msgpack → JSON-ready value with a top-level `data` key unwrapped; JSON data stored as a JSON string (as
    prism reads it, and as `cnikit serve` stores it) is parsed."""
    value = transform(msgpack.unpackb(blob, raw=False, timestamp=3, strict_map_key=False))
    if isinstance(value, dict) and "data" in value:
        data = value["data"]
        if isinstance(data, str) and "json" in str(value.get("contentType") or ""):
            try:
                return json.loads(data)
            except ValueError:
                return data  # not JSON after all: shown as the string it is
        return data
    return value


async def _reach(http: httpx.AsyncClient, method: str, url: str, step: StepResult) -> httpx.Response:
    """The response to `method url`; `StepOutputError` when unreachable or expired (403: the signed link aged out)."""
    try:
        response = await http.request(method, url)
    except httpx.HTTPError as exc:
        raise StepOutputError(f"Could not reach the step output of {step.label}: {exc}") from None
    if response.status_code == 403:
        raise StepOutputError(EXPIRED)
    return response


async def fetch_step_output(http: httpx.AsyncClient, step: StepResult) -> StepOutput:
    """The output of `step`; raises `StepOutputError` for an expired link, a placeholder for other failures."""
    if not step.resultsUrl:
        return StepOutput(data=None, message="Step output is not yet available.")
    if step.resultsMetadataUrl:
        head = await _reach(http, "HEAD", step.resultsMetadataUrl, step)
        if head.status_code >= 400:
            return StepOutput(data=PLACEHOLDER, message=f"HEAD request failed ({head.status_code})")
        length_header = head.headers.get("content-length")
        try:
            length = int(length_header or "0")
        except ValueError:
            length = 0
        if length <= 0:
            return StepOutput(data=PLACEHOLDER, message=f"Invalid content-length header: {length_header}")
        if length > PREVIEW_LIMIT:
            return StepOutput(
                data=f"<data ({length} bytes)>",
                message=f"Output exceeds {PREVIEW_LIMIT} byte preview limit ({length} bytes)",
            )
    response = await _reach(http, "GET", step.resultsUrl, step)
    if response.status_code >= 400:
        return StepOutput(data=PLACEHOLDER, message=f"GET request failed ({response.status_code})")
    try:
        return StepOutput(data=decode(response.content))
    except (ValueError, msgpack.UnpackException) as exc:
        return StepOutput(data=PLACEHOLDER, message=f"The step output is not valid msgpack: {exc}")
