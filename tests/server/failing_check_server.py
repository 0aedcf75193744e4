"""The language server with one extra check that always raises (CNI998), registered only for the test."""

from __future__ import annotations

from collections.abc import Iterator

from cnikit.analysis.checks import CheckContext, check, load_checks
from cnikit.diagnostics import Diagnostic, Severity
from server.server import create_server


@check("CNI998", Severity.ERROR, "a check that always fails (test only)")
def always_fails(ctx: CheckContext) -> Iterator[Diagnostic]:
    raise RuntimeError("this check is broken on purpose")
    yield  # pragma: no cover - makes this a generator like the real checks


if __name__ == "__main__":
    load_checks()
    create_server().start_io()
