"""Instance deploy and remove (spec/runtime.md §4.2, §4.6): lifecycle functions, then deploy/remove flows.

Deploy runs, for every flow, its trigger's `onInstanceDeploy` (spectral runs a referenced component trigger's
first, then the flow's own) and `webhookLifecycleHandlers.create`, then starts every Instance Deploy flow
(`management-triggers`/`instanceDeploy`) — on every deploy, so they must be idempotent. Remove runs
`onInstanceDelete` and `webhookLifecycleHandlers.delete`, starts the Instance Remove flows, drops queued executions
and deletes the instance's flow and cross-flow state (integration state belongs to the integration and stays).
Lifecycle functions see cross-flow state, not flow state; what they return is saved like an execution's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.executor import LifecycleEvent, TriggerRequest
from emulator.serve.queue import Job
from emulator.serve.runtime import Runtime

Action = Literal["deploy", "remove"]
HOOKS: dict[Action, tuple[LifecycleEvent, ...]] = {
    "deploy": ("onInstanceDeploy", "webhookCreate"),
    "remove": ("onInstanceDelete", "webhookDelete"),
}
FLOW_TRIGGERS: dict[Action, str] = {"deploy": "instanceDeploy", "remove": "instanceRemove"}
INVOKE_TYPES: dict[Action, str] = {"deploy": "DEPLOY_FLOW", "remove": "TEAR_DOWN_FLOW"}


@dataclass
class LifecycleReport:
    """What a deploy or remove did."""

    action: Action
    hooks: list[dict[str, Any]] = field(default_factory=list)
    executions: list[str] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """True when no lifecycle function failed."""
        return all(hook.get("error") is None for hook in self.hooks)

    def to_json(self) -> dict[str, Any]:
        """For the admin API and the CLI."""
        return {"action": self.action, "ok": self.ok, "hooks": self.hooks, "executions": self.executions}


def run_lifecycle(runtime: Runtime, action: Action) -> LifecycleReport:
    """Deploy or remove the local instance; blocking (lifecycle functions run now, flows are queued)."""
    report = LifecycleReport(action)
    definition = runtime.definition
    if action == "deploy":
        runtime.deployed = True
    for flow in definition.flows:
        if not flow.has_trigger_wrapper:
            continue
        for event in HOOKS[action]:
            outcome = runtime.executor.run_lifecycle(flow.name, event)
            if not outcome.ran and outcome.error is None:
                continue
            for line in outcome.logs:
                runtime.log(f"[{flow.name} {event}] {line.message}", severity=line.severity)
            if outcome.error:
                runtime.log(f"[{flow.name} {event}] failed: {outcome.error}", severity="error")
            report.hooks.append(
                {"flow": flow.name, "event": event, "error": outcome.error, "stateChanged": outcome.state_changed}
            )
    for flow in definition.flows:
        if flow.trigger.component_key == "management-triggers" and flow.trigger.key == FLOW_TRIGGERS[action]:
            job = runtime.dispatcher.submit(Job(flow, TriggerRequest(), INVOKE_TYPES[action]))
            report.executions.append(job.id)
            report.jobs.append(job)
    if action == "remove":
        for job in report.jobs:  # remove flows still run; then the instance and its data go
            job.future.exception()
        runtime.deployed = False
        store, instance = runtime.executor.store, runtime.instance
        for key, _value in store.list_state():
            if key.scope == instance.id and key.level in ("instanceState", "crossFlowState"):
                store.set_state(key, {})
    runtime.refresh_schedules()
    runtime.emit("lifecycle", **report.to_json())
    return report
