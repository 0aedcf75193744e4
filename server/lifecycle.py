"""Start and stop: read the initialization options, find the projects, analyse the workspace, clean up on exit."""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from server.diagnostics import analyze_workspace, publish
from server.positions import path_of
from server.settings import parse_settings, refresh_settings

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)


def register(ls: CnikitLanguageServer) -> None:
    """Handlers for initialize, initialized, workspace folder changes and shutdown."""

    @ls.feature(types.INITIALIZE)
    def initialize(ls: CnikitLanguageServer, params: types.InitializeParams) -> None:
        try:
            ls.initial_settings = parse_settings(params.initialization_options)
        except ValueError as error:
            # The client is not listening for messages yet; remember to tell it once initialized.
            ls.startup_messages.append(str(error))
        ls.settings = ls.initial_settings
        # Find the projects now (a quick directory walk) so commands sent right after initialize have them. What the
        # walk left out is said by the analysis after `initialized`, once the client listens to logs.
        ls.projects.discover(ls.workspace_folders(), report=False)

    @ls.feature(types.INITIALIZED)
    async def initialized(ls: CnikitLanguageServer, params: types.InitializedParams) -> None:
        ls.forward_logs()
        for message in ls.startup_messages:
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
        await refresh_settings(ls)
        await analyze_workspace(ls)
        from server.platform_commands import refresh_status

        ls.spawn(refresh_status(ls))
        for callback in ls.on_initialized:
            callback()

    @ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: CnikitLanguageServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for folder in params.event.removed:
            path = path_of(folder.uri)
            if path is None:
                continue
            for state in [s for s in ls.projects.states.values() if s.root == path or path in s.root.parents]:
                state.diagnostics = {}
                publish(ls, state)  # clear what the client shows for the folder that went away
            ls.projects.forget_under(path)
        if params.event.added:
            ls.spawn(analyze_workspace(ls))

    @ls.feature(types.SHUTDOWN)
    async def shutdown(ls: CnikitLanguageServer, params: None) -> None:
        for task in list(ls.tasks):
            task.cancel()  # watchers and debounced analyses stop before the stores close
        for callback in ls.on_shutdown:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception:  # shutting down must always complete
                log.exception("error while shutting down")
