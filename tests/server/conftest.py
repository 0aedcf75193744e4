"""End-to-end harness: a real pytest-lsp client (VS Code's capabilities) driving `python -m server` over stdio.

Fixture projects are copied to a temporary folder (next to a link to the shared `tests/fixtures/node_modules`, so
builds resolve spectral) — the tests edit, run and write payloads without touching the repository.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 45.0  # a safety net only: tests wait on events, and the shared CI box can be saturated


def copy_fixture(name: str, destination: Path) -> Path:
    """Copy `tests/fixtures/<name>` under `destination` (with the shared node_modules linked beside it)."""
    target = destination / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("node_modules", "local"))
    modules = destination / "node_modules"
    if not modules.exists():
        modules.symlink_to(FIXTURES / "node_modules", target_is_directory=True)
    return target


def uri(path: Path) -> str:
    """The file URI of a path."""
    return path.as_uri()


class PublishHistory(dict[str, Sequence[types.Diagnostic]]):
    """`client.diagnostics` that also remembers every publication, in order, as (uri, diagnostics)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: list[tuple[str, Sequence[types.Diagnostic]]] = []

    def __setitem__(self, uri: str, diagnostics: Sequence[types.Diagnostic]) -> None:
        self.history.append((uri, diagnostics))
        super().__setitem__(uri, diagnostics)


class Session:
    """A client connected to a running server, with helpers that wait on notifications (never sleep)."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.published = PublishHistory()
        client.diagnostics = self.published
        self.notifications: dict[str, list[Any]] = {}
        self.versions: dict[str, int] = {}
        for method in ("cnikit/executionUpdated", "cnikit/executionLog", "cnikit/status"):
            self._record(method)
        self.code_lens_refreshes = 0

        @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
        def code_lens_refresh(params: None) -> None:
            self.code_lens_refreshes += 1

        self.registrations: list[types.Registration] = []
        self.registered = asyncio.Event()  # set by the first client/registerCapability request

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register_capability(params: types.RegistrationParams) -> None:
            self.registrations.extend(params.registrations)
            self.registered.set()

    def _record(self, method: str) -> None:
        store = self.notifications.setdefault(method, [])

        @self.client.feature(method)
        def handler(params: Any) -> None:
            store.append(params)

    async def wait_for(self, method: str, ready: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
        """Wait until `ready()` is truthy, re-checking after each `method` notification; returns its value."""

        async def loop() -> Any:
            while not (value := ready()):
                await self.client.wait_for_notification(method)
            return value

        return await asyncio.wait_for(loop(), timeout)

    async def diagnostics(
        self, path: Path, ready: Callable[[Sequence[types.Diagnostic]], bool] | None = None
    ) -> Sequence[types.Diagnostic]:
        """The diagnostics of `path` once published (and once `ready` accepts them)."""
        key = uri(path)

        def check() -> tuple[Sequence[types.Diagnostic]] | None:
            if key not in self.client.diagnostics:
                return None
            found = self.client.diagnostics[key]
            return (found,) if ready is None or ready(found) else None

        (found,) = await self.wait_for(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, check)
        return found

    async def analysed(self) -> None:
        """Wait until the workspace analysis at start-up has ended (its `$/progress` end)."""

        def ended() -> bool:
            for reports in self.client.progress_reports.values():
                titles = [r.title for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
                if any("analysing the workspace" in title for title in titles) and any(
                    isinstance(r, types.WorkDoneProgressEnd) for r in reports
                ):
                    return True
            return False

        await self.wait_for(types.PROGRESS, ended)

    async def notification(self, method: str, ready: Callable[[Any], bool]) -> Any:
        """The first `method` notification accepted by `ready` (including ones that already arrived)."""
        seen = self.notifications[method]

        def find() -> Any:
            return next((params for params in seen if ready(params)), None)

        return await self.wait_for(method, find)

    def open(self, path: Path, text: str | None = None, language: str = "typescript") -> None:
        """didOpen `path` with its text on disk (or `text`)."""
        key = uri(path)
        self.versions[key] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=key, language_id=language, version=1, text=text if text is not None else path.read_text()
                )
            )
        )

    def replace_all(self, path: Path, text: str) -> None:
        """didChange: the whole buffer becomes `text`."""
        key = uri(path)
        self.versions[key] = self.versions.get(key, 1) + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=key, version=self.versions[key]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def disk_changed(self, path: Path, kind: types.FileChangeType = types.FileChangeType.Changed) -> None:
        """Tell the server a file changed on disk (what the editor's file watcher does)."""
        self.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri(path), type=kind)])
        )

    def close(self, path: Path) -> None:
        """didClose `path` (the file on disk is the truth again)."""
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
        )

    async def command(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """workspace/executeCommand with one argument object."""
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[args] if args is not None else [])
        )


StartSession = Callable[..., Awaitable[Session]]


async def launch(
    folders: Sequence[Path],
    *,
    config_file: Path,
    init_options: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
    server_command: list[str] | None = None,
    env: dict[str, str | None] | None = None,
) -> Session:
    """Start a server on workspace folders and initialize it like VS Code does."""
    # Hermetic: no token, stack or prism login of the developer's own environment reaches the server.
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CNIKIT_CONFIG_FILE": str(config_file),
        "PRISM_CONFIG_FILE": str(config_file.with_name("prism-config.yml")),
    }
    for name in ("DEBUG", "PRISM_ACCESS_TOKEN", "PRISM_REFRESH_TOKEN", "PRISMATIC_URL", "PRISMATIC_TENANT_ID"):
        environment.pop(name, None)
    for name in ("PRISM_PROFILE", "CNIKIT_PROFILE", "CNIKIT_KEYRING_PASSWORD"):
        environment.pop(name, None)
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    config = ClientServerConfig(
        server_command=server_command or [sys.executable, "-m", "server"], server_env=environment
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    session = Session(client)
    if configuration is not None:
        client.set_configuration(configuration, section="cnikit")
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=uri(folder), name=folder.name) for folder in folders],
            root_uri=uri(folders[0]) if folders else None,
            initialization_options=init_options,
        )
    )
    return session


async def close(session: Session) -> None:
    """Shut the server down (shutdown, exit) and stop the client."""
    try:
        await asyncio.wait_for(session.client.shutdown_session(), 10)
    finally:
        await session.client.stop()


@pytest_asyncio.fixture
async def start_session(tmp_path: Path) -> AsyncIterator[StartSession]:
    """Start servers on workspace folders: `await start_session([folder, …], init_options=…)`."""
    sessions: list[Session] = []

    async def start(folders: Sequence[Path], **options: Any) -> Session:
        session = await launch(folders, config_file=tmp_path / "config.yml", **options)
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        await close(session)


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture project into the test's temporary folder and return its root."""
    return lambda name: copy_fixture(name, tmp_path)
