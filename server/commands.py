"""`cnikit lsp`: the language server, on stdio (what editors start) or TCP (for debugging)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `cnikit lsp` to `app`."""

    @app.command("lsp")
    def lsp(
        tcp: int | None = typer.Option(
            None, "--tcp", metavar="PORT", min=0, max=65535, help="Listen on 127.0.0.1:PORT, not stdio."
        ),
        debug: bool = typer.Option(False, "--debug", help="Log at debug level to stderr."),
    ) -> None:
        """Start the cnikit language server (editors start it on stdio)."""
        import logging

        from server.server import create_server

        # stdout carries the protocol: logs go to stderr only.
        logging.basicConfig(
            level=logging.DEBUG if debug else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        if not debug:
            logging.getLogger("pygls").setLevel(logging.WARNING)
        server = create_server()
        if tcp is not None:
            logging.getLogger("pygls.server").setLevel(logging.INFO)  # says "Serving on …" once it listens
            server.start_tcp("127.0.0.1", tcp)
        else:
            server.start_io()
