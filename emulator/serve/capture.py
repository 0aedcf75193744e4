"""`cnikit serve --capture`: each incoming webhook request saved as an official payload file of its flow.

The file is `.spectral/flows/<stableKey>/payloads/captured-<UTC time>[-n].json` (`{headers, data, contentType}`),
so `cnikit run --payload` and the editor replay it. The official format holds JSON, XML and CSV bodies; other
bodies (binary, multipart, form) cannot be written in it — they are skipped with a reason, and the execution
record still keeps the exact request for `cnikit replay`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cnikit.definition.models import BuiltFlow
from cnikit.payloads import CONTENT_TYPES, Payload, create_payload, payloads_dir
from emulator.request import TriggerRequest

SKIPPED_HEADERS = {"host", "content-length", "connection", "accept-encoding", "user-agent"}


class CaptureSkipped(Exception):
    """The request cannot be written as an official payload file; the message says why."""


def capture_request(root: Path, flow: BuiltFlow, request: TriggerRequest) -> Path:
    """Write `request` as a new payload file of `flow`; returns its path or raises `CaptureSkipped`."""
    content_type = (request.header("content-type") or "application/json").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise CaptureSkipped(
            f"{content_type} bodies cannot be saved in the payload file format ({', '.join(CONTENT_TYPES)})"
        )
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise CaptureSkipped("the body is not UTF-8 text") from None
    data: object = text
    if content_type == "application/json":
        data = json.loads(text) if text.strip() else {}
    headers = {
        k: v for k, v in request.headers.items() if k.lower() not in SKIPPED_HEADERS and k.lower() != "content-type"
    }
    stable_key = flow.stable_key or flow.key
    stamp = datetime.now(UTC).strftime("captured-%Y%m%d-%H%M%S")
    folder = payloads_dir(root, stable_key)
    name, n = stamp, 1
    while (folder / f"{name}.json").exists():
        n += 1
        name = f"{stamp}-{n}"
    return create_payload(root, stable_key, name, Payload(headers=headers, data=data, contentType=content_type))
