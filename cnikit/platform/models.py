"""Typed results of the platform operations (pydantic at the API boundary)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class _Named(BaseModel):
    name: str | None = None


class User(BaseModel):
    """`authenticatedUser`, plus where it was asked (`endpoint_url`)."""

    name: str | None = None
    email: str | None = None
    tenantId: str | None = None
    org: _Named | None = None
    customer: _Named | None = None
    endpoint_url: str = ""

    @property
    def organization(self) -> str:
        """The organization's name, else the customer's, else empty (as the extension shows it)."""
        return (self.org.name if self.org else None) or (self.customer.name if self.customer else None) or ""


class Tenant(BaseModel):
    """One entry of `listUserTenants`."""

    tenantId: str
    url: str | None = None
    orgName: str | None = None
    awsRegion: str | None = None


class Flow(BaseModel):
    """A flow of the imported integration."""

    id: str
    name: str
    stableKey: str | None = None
    isSynchronous: bool | None = None
    usesFifoQueue: bool | None = None
    endpointSecurityType: str | None = None
    testUrl: str | None = None


class ConfigVariable(BaseModel):
    """A config variable of the test instance (raw nodes of GetIntegration, kept as they come)."""

    id: str
    status: str | None = None
    authorizeUrl: str | None = None
    requiredConfigVariable: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        """The config variable's key."""
        return str((self.requiredConfigVariable or {}).get("key") or self.id)

    @property
    def is_connection(self) -> bool:
        """True for connection config variables."""
        return (self.requiredConfigVariable or {}).get("dataType") == "connection"


class Integration(BaseModel):
    """An imported integration: its test (system) instance and its flows."""

    id: str
    system_instance_id: str | None = None
    config_state: str | None = None
    config_variables: list[ConfigVariable] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)

    def find_flow(self, ref: str) -> Flow | None:
        """The flow whose stable key, name or id is `ref`."""
        for flow in self.flows:
            if ref in (flow.stableKey, flow.name, flow.id):
                return flow
        return None


class StepResult(BaseModel):
    """One step of an execution (onTrigger, onExecution)."""

    id: str
    startedAt: datetime | None = None
    endedAt: datetime | None = None
    stepName: str | None = None
    displayStepName: str | None = None
    hasError: bool = False
    resultsMetadataUrl: str | None = None
    resultsUrl: str | None = None

    @property
    def label(self) -> str:
        """What to call the step."""
        return self.displayStepName or self.stepName or self.id


class Execution(BaseModel):
    """One execution result of a flow."""

    id: str
    invokeType: str | None = None
    startedAt: datetime | None = None
    endedAt: datetime | None = None
    resultType: str | None = None
    error: str | None = None
    steps: list[StepResult] = Field(default_factory=list)

    @property
    def running(self) -> bool:
        """Not finished yet (terminal ⇔ `endedAt` is set)."""
        return self.endedAt is None

    @property
    def failed(self) -> bool:
        """Finished with an error."""
        return bool(self.error) or self.resultType == "ERROR"

    @property
    def duration_ms(self) -> float | None:
        """Milliseconds from start to end, when both are known."""
        if self.startedAt and self.endedAt:
            return (self.endedAt - self.startedAt).total_seconds() * 1000
        return None


class LogLine(BaseModel):
    """One execution log line."""

    message: str
    severity: str
    stepName: str | None = None
    timestamp: str


class LogPage(BaseModel):
    """Logs fetched so far and where to continue from."""

    lines: list[LogLine]
    cursor: str | None


class StepOutput(BaseModel):
    """A decoded step output: `data` (JSON-ready) and an optional note (placeholder reason, size cap)."""

    data: Any = None
    message: str | None = None
