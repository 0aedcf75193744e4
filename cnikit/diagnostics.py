"""Diagnostics: what a check reports, and the fix it may offer. Shared by every face."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from cnikit.model import Span


class Severity(StrEnum):
    """How bad a finding is. `cnikit check` exits 1 when any error is reported."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


class TextEdit(BaseModel):
    """Replace the text at `span` with `new_text` (an empty span inserts)."""

    span: Span
    new_text: str


class Fix(BaseModel):
    """A fix a check offers: a title for the editor's quick-fix menu and the edits that apply it."""

    title: str
    edits: list[TextEdit] = Field(default_factory=list)


class Diagnostic(BaseModel):
    """One finding: a stable code (`CNI301`), severity, exact range, a message and an optional fix."""

    code: str
    severity: Severity
    span: Span
    message: str
    fix: Fix | None = None

    def __str__(self) -> str:
        return f"{self.span} {self.code} {self.message}"
