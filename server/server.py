"""The cnikit language server: a pygls `LanguageServer` holding the workspace's CNI projects and settings.

Each feature lives in its own module and registers its handlers through `register(ls)`; the handlers are thin
wrappers over pure `*_impl` functions. This module only holds shared state and the plumbing every feature
uses: buffers as overlays, span ↔ range conversion, progress, custom notifications and typed commands.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pydantic import BaseModel, ValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from cnikit import __version__
from emulator.store import StoreError
from server.executions import LocalRuns
from server.positions import Locator, path_of, read_lines, uri_of
from server.projects import AnalyzeFunction, CommandError, Projects, ProjectState
from server.protocol import CnikitProtocol, QuietParseErrors, is_parse_error
from server.settings import ServerSettings

log = logging.getLogger(__name__)

ArgsT = TypeVar("ArgsT", bound=BaseModel)
REQUEST_FAILED = int(types.LSPErrorCodes.RequestFailed)


@dataclass
class LoginStatus:
    """Who is logged in to which Prismatic stack, as the status bar shows it."""

    name: str | None = None  # None: nobody is logged in
    email: str | None = None
    organization: str | None = None
    url: str | None = None
    pending: asyncio.Task[Any] | None = field(default=None, repr=False)  # a browser login waiting for its callback


logging.getLogger("pygls.server").addFilter(QuietParseErrors())  # its read loop's traceback of a non-JSON body

LOGGERS = ("cnikit", "emulator", "server")  # our own loggers; pygls' are not forwarded (it logs its own sends)


class ClientLogHandler(logging.Handler):
    """Forwards our log records to the client's output channel (`window/logMessage`), from any thread."""

    LEVELS = (
        (logging.ERROR, types.MessageType.Error),
        (logging.WARNING, types.MessageType.Warning),
        (logging.INFO, types.MessageType.Info),
    )

    def __init__(self, ls: CnikitLanguageServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._ls = ls
        self._loop = loop
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Send one record as `window/logMessage`, hopping onto the server's loop when called from another thread."""
        try:
            message = self.format(record)
        except Exception:
            return
        kind = next((kind for level, kind in self.LEVELS if record.levelno >= level), types.MessageType.Log)
        params = types.LogMessageParams(type=kind, message=message)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        try:
            if running is self._loop:
                self._ls.window_log_message(params)
            elif not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._ls.window_log_message, params)
        except RuntimeError:  # the loop closed meanwhile (shutting down): the record still went to stderr
            pass

    def install(self, level: int) -> None:
        """Attach to our loggers at `level`."""
        self.setLevel(level)
        for name in LOGGERS:
            logger = logging.getLogger(name)
            if self not in logger.handlers:
                logger.addHandler(self)
            logger.setLevel(min(level, logger.level or logging.INFO))


class CnikitLanguageServer(LanguageServer):
    """The language server and the state its features share."""

    def __init__(self, analyze: AnalyzeFunction | None = None) -> None:
        super().__init__(
            "cnikit",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=CnikitProtocol,
        )
        self.protocol: CnikitProtocol
        self.projects = Projects(analyze)
        self.initial_settings = ServerSettings()  # from initializationOptions
        self.settings = ServerSettings()  # initializationOptions overlaid with workspace/configuration
        self.on_settings_changed: list[Callable[[], None]] = []
        self.on_initialized: list[Callable[[], Any]] = []  # after the start-up analysis
        self.on_shutdown: list[Callable[[], Any]] = []
        self.login = LoginStatus()
        self.runs = LocalRuns(self)  # the emulator of each project (stores, warm executors, local servers)
        self.log_handler: ClientLogHandler | None = None
        self.startup_messages: list[str] = []  # problems found before the client listens (bad init options)
        self.tasks: set[asyncio.Task[Any]] = set()  # background tasks, kept so they are not garbage-collected

    # -- files -------------------------------------------------------------------------------------------------

    def lines_of(self, path: Path) -> Sequence[str]:
        """The current lines of a file: the editor's buffer when it is open, the file on disk otherwise."""
        document = self.workspace.text_documents.get(uri_of(path))
        return document.lines if document is not None else read_lines(path)

    def locator(self) -> Locator:
        """A span ↔ range converter reading the current buffers, in the negotiated position encoding."""
        return Locator(self.lines_of, self.workspace.position_codec)

    def overlays(self, state: ProjectState) -> dict[Path, str]:
        """The open buffers inside a project (they may differ from disk)."""
        found: dict[Path, str] = {}
        for uri, document in self.workspace.text_documents.items():
            path = path_of(uri)
            if path is not None and state.contains(path):
                found[path] = document.source
        return found

    def workspace_folders(self) -> list[Path]:
        """The workspace folders as paths (the root URI when the client sent no folders)."""
        folders = [path_of(folder.uri) for folder in self.workspace.folders.values()]
        paths = [folder for folder in folders if folder is not None]
        if not paths and self.workspace.root_uri:
            root = path_of(self.workspace.root_uri)
            paths = [root] if root is not None else []
        return paths

    def forward_logs(self) -> None:
        """Send our logs to the client: warnings and errors always, info and debug too when `debug` is on."""
        if self.log_handler is None:
            self.log_handler = ClientLogHandler(self, asyncio.get_running_loop())
        self.log_handler.install(self._forwarded_level())

    def _forwarded_level(self) -> int:
        return logging.DEBUG if self.settings.debug else logging.WARNING

    def settings_changed(self) -> None:
        """Tell the features that care (diagnostics re-publish with new severities)."""
        if self.log_handler is not None:
            self.log_handler.install(self._forwarded_level())
        for callback in self.on_settings_changed:
            callback()

    # -- client I/O --------------------------------------------------------------------------------------------

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A body that is not JSON is answered -32700 (no "Error in server" box); other errors as pygls does."""
        if is_parse_error(error):
            self.protocol.answer_parse_error(error)  # type: ignore[arg-type]
            return
        super().report_server_error(error, source)

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a custom notification (`cnikit/…`) to the client."""
        self.protocol.notify(method, params)

    def spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run a coroutine in the background; its failure is logged, never fatal."""

        async def guarded() -> Any:
            try:
                return await coroutine
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task failed")
                return None

        task = asyncio.ensure_future(guarded())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def spawn_raw(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run a coroutine in the background; the caller may read its exception, otherwise it is logged."""
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)

        def done(task: asyncio.Task[Any]) -> None:
            self.tasks.discard(task)
            if not task.cancelled() and (error := task.exception()) is not None:
                log.debug("background task ended with %s", error)

        task.add_done_callback(done)
        return task

    @asynccontextmanager
    async def work_progress(self, title: str) -> AsyncIterator[Callable[[str], None]]:
        """Report a long operation with `$/progress` (when the client supports it); yields `report(message)`."""
        window = self.client_capabilities.window
        token = f"cnikit-{uuid.uuid4()}"
        enabled = bool(window and window.work_done_progress)
        if enabled:
            try:
                await self.work_done_progress.create_async(token)
            except Exception as error:  # a client refusing the token must not fail the operation
                log.debug("progress token refused: %s", error)
                enabled = False

        def report(message: str) -> None:
            if enabled:
                self.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

        if enabled:
            self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=False))
        outcome = "done"
        try:
            yield report
        except BaseException:
            outcome = "failed"
            raise
        finally:
            if enabled:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))

    def register_command(
        self,
        name: str,
        args_model: type[ArgsT],
        handler: Callable[[CnikitLanguageServer, ArgsT], Any],
    ) -> None:
        """Register `workspace/executeCommand` `name`: its one argument object is validated by `args_model`.

        Invalid arguments become an InvalidParams error saying what was expected; a `CommandError` (or a
        ValueError/OSError/StoreError from the layers below: an unusable store says so in one line) becomes a
        RequestFailed error carrying its one-line reason.
        """

        async def execute(ls: CnikitLanguageServer, *arguments: Any) -> Any:
            raw = arguments[0] if arguments else {}
            try:
                args = args_model.model_validate(raw or {})
            except ValidationError as error:
                problems = "; ".join(
                    f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
                    for problem in error.errors()
                )
                raise JsonRpcInvalidParams(f"{name}: {problems}") from None
            try:
                result = handler(ls, args)
                if inspect.isawaitable(result):
                    result = await result
            except JsonRpcException:
                raise
            except (CommandError, ValueError, OSError, StoreError) as error:
                raise JsonRpcException(str(error), code=REQUEST_FAILED) from None
            return result

        self.command(name)(execute)


def create_server(analyze: AnalyzeFunction | None = None) -> CnikitLanguageServer:
    """Build the server with every feature registered."""
    from server import (
        code_actions,
        code_lens,
        completion,
        diagnostics,
        hover,
        lifecycle,
        navigation,
        platform_commands,
        project_commands,
        run_commands,
        settings,
        symbols,
    )

    ls = CnikitLanguageServer(analyze)
    for feature in (
        lifecycle,
        settings,
        diagnostics,
        code_actions,
        completion,
        hover,
        navigation,
        symbols,
        code_lens,
        project_commands,
        run_commands,
        platform_commands,
    ):
        feature.register(ls)
    return ls
