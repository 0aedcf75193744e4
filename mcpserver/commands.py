"""`cnikit mcp [PATH]`: serve the project's tools to an AI assistant over stdio; `--install EDITOR` writes the
editor's MCP config instead. Heavy imports (the MCP SDK, the emulator) stay inside the command."""

from __future__ import annotations

from pathlib import Path

import typer

from emulator.commands import PathArg, _fail, _root


def register(app: typer.Typer) -> None:
    """Add `cnikit mcp` to `app`."""
    app.command("mcp")(mcp)


def mcp(
    path: Path | None = PathArg,
    install: str | None = typer.Option(
        None, "--install", metavar="EDITOR", help="Write the MCP config of cursor, claude or vscode into the project."
    ),
) -> None:
    """Serve the project's tools (check, run flows, executions, state) to an AI assistant over MCP (stdio)."""
    root = _root(path)
    if install is not None:
        from mcpserver.install import InstallError
        from mcpserver.install import install as write_config

        try:
            written = write_config(install, root)
        except InstallError as error:
            _fail(str(error))
        typer.echo(f"wrote {written}: the cnikit MCP server for {install} (restart or reload the editor's MCP servers)")
        return
    from mcpserver.server import build_server

    server, project = build_server(root)
    try:
        server.run("stdio")
    finally:
        project.close()
