"""The request that invokes a flow, and how its body becomes `payload.body.data` (spec/runtime.md §2.5).

`TriggerRequest` is what a caller sent (headers, body, query, path fragment), stored with each execution so a replay
sends exactly the same. `parse_body` reads the body like the platform: JSON → value, text → str, multipart → parts
keyed by field name, anything else → bytes; JSON is read exactly as Node's `JSON.parse` reads it
(emulator/nodejson.py), and a JSON body that is not JSON raises `MalformedPayload` (the platform's 400) before
anything is recorded. `ExecutorError` is the base of every error raised before an execution starts.
"""

from __future__ import annotations

import base64
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from cnikit.payloads import Payload
from emulator import nodejson

TEXT_TYPES = ("text/", "application/xml", "application/csv", "application/x-www-form-urlencoded", "+xml")


class ExecutorError(Exception):
    """The execution could not start (unknown flow, malformed payload, missing cassette …); nothing was recorded."""


class MalformedPayload(ExecutorError):
    """A JSON request whose body is not JSON: the platform answers 400 `Received malformed JSON payload.`"""

    def __init__(self) -> None:
        super().__init__("Received malformed JSON payload.")


@dataclass
class TriggerRequest:
    """The HTTP request that invokes a flow, stored with the execution so a replay sends exactly the same."""

    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    method: str = "POST"
    query: dict[str, str] = field(default_factory=dict)
    path_fragment: str = ""
    debug: bool = False

    @classmethod
    def from_payload(cls, payload: Payload, *, debug: bool = False) -> TriggerRequest:
        """The request an official payload file stands for (`{headers, data, contentType}`)."""
        headers = dict(payload.headers)
        if not any(k.lower() == "content-type" for k in headers):
            headers["content-type"] = payload.contentType
        return cls(headers=headers, body=payload.body(), debug=debug)

    @classmethod
    def from_body(cls, body: bytes, content_type: str = "application/json", *, debug: bool = False) -> TriggerRequest:
        """A request carrying a raw body of the given content type."""
        return cls(headers={"content-type": content_type}, body=body, debug=debug)

    def header(self, name: str) -> str | None:
        """A header value, looked up case-insensitively."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def to_json(self) -> dict[str, Any]:
        """The stored form (body base64)."""
        return {
            "method": self.method,
            "headers": self.headers,
            "body": base64.b64encode(self.body).decode(),
            "queryParameters": self.query,
            "pathFragment": self.path_fragment,
            "debug": self.debug,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TriggerRequest:
        """Read the stored form back."""
        return cls(
            headers=dict(raw.get("headers") or {}),
            body=base64.b64decode(raw.get("body") or ""),
            method=str(raw.get("method") or "POST"),
            query=dict(raw.get("queryParameters") or {}),
            path_fragment=str(raw.get("pathFragment") or ""),
            debug=bool(raw.get("debug")),
        )


def parse_body(request: TriggerRequest) -> tuple[Any, str]:
    """`body.data` and its content type, parsed like the platform: JSON → value, text → str, else bytes."""
    content_type = request.header("content-type") or ""
    base = content_type.split(";")[0].strip().lower()
    if not request.body:
        return None, content_type
    if base == "application/json" or base.endswith("+json"):
        try:
            return nodejson.parse(request.body), content_type
        except nodejson.TooDeep as deep:
            raise ExecutorError(f"The JSON body is {deep}; cnikit cannot run it.") from None
        except nodejson.MalformedJson:
            raise MalformedPayload() from None
    if base == "multipart/form-data":
        return parse_multipart(request.body, content_type), content_type
    if any(marker in base for marker in TEXT_TYPES):
        try:
            return request.body.decode("utf-8"), content_type
        except UnicodeDecodeError:
            return request.body, content_type
    return request.body, content_type


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Multipart form parts keyed by field name, each `{data, contentType}` (spec/runtime.md §2.5, E3).

    JSON parts are parsed, text parts decoded, files kept as bytes; a body that is not valid multipart gives `{}`.
    """
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"content-type: " + content_type.encode() + b"\r\n\r\n" + body)
    parts: dict[str, Any] = {}
    if not message.is_multipart():
        return parts
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data: Any = part.get_payload(decode=True) or b""
        part_type = part.get_content_type() if part.get("content-type") else "text/plain"
        if part_type == "application/json" or part_type.endswith("+json"):
            with suppress(ValueError):  # a part that only claims to be JSON stays bytes
                data = nodejson.parse(data)
        elif part.get_filename() is None and (part_type.startswith("text/") or not part.get("content-type")):
            data = data.decode("utf-8", "replace")
        parts[name] = {"data": data, "contentType": part_type}
    return parts
