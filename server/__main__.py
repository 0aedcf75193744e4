"""`python -m server`: the language server on stdio, without the CLI's start-up (what the tests launch)."""

from __future__ import annotations

import logging
import sys

from server.server import create_server

if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pygls").setLevel(logging.WARNING)
    create_server().start_io()
