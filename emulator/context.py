"""The message a Node worker receives for one invocation, built by `worker_message` for its three kinds:
`execute` (a flow run), `lifecycle` (onInstanceDeploy …) and `dataSource` (emulator/node/runner.js reads it).

Every message carries the context — who and where (`identity`: webhook URLs and API keys, customer, instance,
user, integration, flow) plus the invocation's id, start, config variables and memory (`execution_context`) — and
the registry component mocks (`load_component_mocks`). Flows and lifecycle functions also get the state levels
(emulator/state.py) and their limit; a flow run adds its trigger (`trigger_spec`) and payload (`trigger_payload`,
spec/runtime.md §3). Context and payload are encoded for the wire (`emulator.runner.encode`: bytes survive).
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

from cnikit.definition.models import BuiltDefinition, BuiltFlow
from cnikit.project import local_dir
from emulator.instance import LocalInstance, flow_api_keys, webhook_url
from emulator.request import ExecutorError, TriggerRequest
from emulator.runner import encode
from emulator.store import STATE_LIMIT


def worker_message(
    root: Path,
    context: dict[str, Any],
    *,
    state: dict[str, str] | None = None,
    payload: dict[str, Any] | None = None,
    **target: Any,
) -> dict[str, Any]:
    """One worker request body: `target` names what to run (`flowKey`, `event`, `key`, `trigger`, `http` …);
    `state` is every level's JSON text (emulator.state.read_state), left out for data sources, which see none."""
    message: dict[str, Any] = {**target, "context": encode(context)}
    if payload is not None:
        message["payload"] = encode(payload)
    if state is not None:
        message["state"] = state
        message["stateLimit"] = STATE_LIMIT
    message["mocks"] = load_component_mocks(root)
    message["mocksDir"] = str(_mocks_dir(root).relative_to(root))
    return message


def _mocks_dir(root: Path) -> Path:
    return local_dir(root) / "mocks" / "components"


def load_component_mocks(root: Path) -> dict[str, Any]:
    """Local answers of registry components: `mocks/components/<component>/<actions|triggers>/<key>.json`."""
    base = _mocks_dir(root)
    mocks: dict[str, Any] = {}
    if not base.is_dir():
        return mocks
    for file in sorted(base.glob("*/*/*.json")):
        component, kind, key = file.parent.parent.name, file.parent.name, file.stem
        if kind not in ("actions", "triggers"):
            continue
        try:
            value = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ExecutorError(f"{file}: not valid JSON ({error})") from None
        mocks.setdefault(component, {}).setdefault(kind, {})[key] = encode(value)
    return mocks


def identity(flow: BuiltFlow, definition: BuiltDefinition, instance: LocalInstance) -> dict[str, Any]:
    """Who and where, for payload and context alike (all but executionId and startedAt)."""
    webhook_urls = {f.name: webhook_url(instance, f.stable_key or f.key) for f in definition.flows}
    api_keys = {f.name: flow_api_keys(instance, f) for f in definition.flows}
    return {
        "webhookUrls": webhook_urls,
        "webhookApiKeys": api_keys,
        "invokeUrl": webhook_urls[flow.name],
        "customer": instance.customer.model_dump(),
        "instance": {"id": instance.global_id("Instance"), "name": instance.name},
        "user": instance.user.model_dump(),
        "integration": {
            "id": base64.b64encode(f"Integration:{definition.name}".encode()).decode(),
            "name": definition.name,
            "versionSequenceId": "local",
            "externalVersion": definition.version or "",
        },
        "flow": {
            "id": base64.b64encode(f"Flow:{flow.stable_key or flow.key}".encode()).decode(),
            "name": flow.name,
            "stableId": flow.stable_key or "",
        },
    }


def execution_context(
    flow: BuiltFlow,
    identity: dict[str, Any],
    values: dict[str, Any],
    *,
    execution_id: str,
    started_at: str,
    debug: bool,
    memory_mb: int,
) -> dict[str, Any]:
    """The context of a flow's steps and lifecycle functions (spec/runtime.md §5), before the worker adds the
    logger, the state levels and the component invoker."""
    return {
        **identity,
        "executionId": execution_id,
        "startedAt": started_at,
        "configVars": values,
        "stepIds": {"onTrigger": str(uuid.uuid4()), "onExecution": str(uuid.uuid4())},
        "executionFrame": {
            "invokedByExecutionJWT": "",
            "invokedByExecutionStartedAt": "",
            "componentActionKey": f"{flow.key}_onExecution",
            "executionId": execution_id,
            "executionStartedAt": started_at,
            "stepName": "onExecution",
            "loopPath": "",
        },
        "globalDebug": debug,
        "runnerAllocatedMemoryMb": memory_mb,
        "flowSchemas": {},
        "isSimulatedTestExecution": False,
    }


def data_source_context(identity: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any]:
    """The context of a data source: the config values and who and where — but no flow, since it belongs to none."""
    context: dict[str, Any] = {"configVars": values, "globalDebug": False}
    if identity is not None:
        context.update({k: v for k, v in identity.items() if k not in ("flow", "invokeUrl")})
    return context


def trigger_payload(
    request: TriggerRequest,
    body_data: Any,
    content_type: str,
    identity: dict[str, Any],
    *,
    execution_id: str,
    started_at: str,
    debug: bool,
) -> dict[str, Any]:
    """What the flow's trigger receives (spec/runtime.md §3): the request, parsed body, identity and timing."""
    return {
        "headers": dict(request.headers),
        "queryParameters": dict(request.query),
        "rawBody": {"data": request.body, "contentType": content_type},
        "body": {"data": body_data, "contentType": content_type},
        "pathFragment": request.path_fragment,
        **identity,
        "executionId": execution_id,
        "startedAt": started_at,
        "globalDebug": debug,
    }


def trigger_spec(flow: BuiltFlow, values: dict[str, Any]) -> dict[str, Any]:
    """How the worker runs the flow's trigger: the flow's own wrapper, a platform default (webhook, schedule) that
    passes the request through, or a registry component trigger; inputs resolved against the config values."""
    inputs = {name: _input_value(spec, values) for name, spec in flow.trigger_inputs.items()}
    if flow.has_trigger_wrapper:
        return {"kind": "wrapper", "inputs": inputs}
    if flow.default_trigger is not None:
        return {"kind": flow.default_trigger}
    raw_component = ((flow.raw.get("steps") or [{}])[0].get("action") or {}).get("component") or {}
    return {
        "kind": "component",
        "key": flow.trigger.key,
        "component": {
            "key": flow.trigger.component_key,
            "signature": raw_component.get("signature") or "",
            "isPublic": flow.trigger.is_public,
        },
        "inputs": inputs,
    }


def _input_value(spec: Any, values: dict[str, Any]) -> Any:
    if not isinstance(spec, dict):
        return spec
    if spec.get("type") == "configVar":
        return values.get(str(spec.get("value")))
    if spec.get("type") == "complex" and isinstance(spec.get("value"), list):
        return [_input_value(item, values) for item in spec["value"]]
    return spec.get("value")
