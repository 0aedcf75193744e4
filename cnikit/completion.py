"""Shell completion of flow names and payload names (`cnikit --install-completion` installs it for bash, zsh, fish).

Completion runs on every Tab press, so it reads the source (the static analyser, no build) and the payload folders;
any fault completes nothing rather than printing into the user's prompt. The project is the command's path argument
or `--project` when given, else the one around the current folder.
"""

from __future__ import annotations

from pathlib import Path

import typer


def _project(ctx: typer.Context) -> Path | None:
    from cnikit.project import find_project_root

    given = ctx.params.get("path") or ctx.params.get("project")
    # While completing, click may leave the positional path unparsed, in `ctx.args`.
    candidates = [given] if isinstance(given, str | Path) else [arg for arg in ctx.args if Path(arg).exists()]
    return find_project_root(Path(candidates[0] if candidates else Path.cwd()).resolve())


def flow_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """The project's flow names and stable keys starting with `incomplete`."""
    try:
        root = _project(ctx)
        if root is None:
            return []
        from cnikit.analysis import Analyzer

        integration = Analyzer().analyze(root).integration
        flows = integration.flows if integration is not None else []
        names = [value for flow in flows for value in (flow.name, flow.stable_key) if value]
    except Exception:
        return []
    return sorted({name for name in names if name.startswith(incomplete)})


def payload_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Payload names (of the chosen `--flow` when it names a stable key with payloads, else of every flow)."""
    try:
        root = _project(ctx)
        if root is None:
            return []
        from cnikit.payloads import list_payloads

        files = list_payloads(root)
    except Exception:
        return []
    flow = ctx.params.get("flow")
    chosen = files.get(flow) if isinstance(flow, str) and flow in files else None
    paths = chosen if chosen is not None else [path for group in files.values() for path in group]
    return sorted({path.stem for path in paths if path.stem.startswith(incomplete)})
