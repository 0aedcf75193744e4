"""Diagnostics: the analyser's findings, published for every file of every project while the developer types.

When: the whole workspace after `initialized`; on open and change (debounced per project — the analyser's
per-file cache means only the edited buffer is re-parsed); at once on save and close. Every file of the project
gets its set, payload JSON files included; a file whose problems went away gets an empty set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from cnikit.diagnostics import Diagnostic, Severity
from server.positions import Locator, path_of, uri_of
from server.projects import ProjectState
from server.settings import ServerSettings

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer

log = logging.getLogger(__name__)

SOURCE = "cnikit"
LSP_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


def to_lsp_impl(
    diagnostics: Iterable[Diagnostic], locator: Locator, settings: ServerSettings
) -> list[types.Diagnostic]:
    """LSP diagnostics for one file, severity overrides applied ("off" drops the code)."""
    result: list[types.Diagnostic] = []
    for diagnostic in diagnostics:
        severity = settings.severity_for(diagnostic.code, diagnostic.severity)
        if severity is None:
            continue
        result.append(
            types.Diagnostic(
                range=locator.range(diagnostic.span),
                message=diagnostic.message,
                severity=LSP_SEVERITY[severity],
                code=diagnostic.code,
                source=SOURCE,
            )
        )
    return result


def publish(ls: CnikitLanguageServer, state: ProjectState, *, force: bool = False) -> None:
    """Send the diagnostics of the project's files whose set changed (all with `force`); clear emptied files.

    Unchanged files are skipped: a keystroke in one file of a big project sends one or two notifications, not one
    per file.
    """
    locator = ls.locator()
    for path in sorted(set(state.diagnostics) | set(state.published)):
        found = state.diagnostics.get(path, [])
        if not force and path in state.published and state.published[path] == found:
            continue
        uri = uri_of(path)
        document = ls.workspace.text_documents.get(uri)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                diagnostics=to_lsp_impl(found, locator, ls.settings),
                version=document.version if document is not None else None,
            )
        )
        if found:
            state.published[path] = found
        else:
            state.published.pop(path, None)


def analyze_and_publish(ls: CnikitLanguageServer, state: ProjectState) -> None:
    """Analyse a project with the open buffers and publish the result."""
    started = time.perf_counter()
    ls.projects.analyze(state, ls.overlays(state))
    publish(ls, state)
    if ls.settings.debug:
        log.info("analysed %s in %.1f ms", state.root, (time.perf_counter() - started) * 1000)


def analyze_now(ls: CnikitLanguageServer, state: ProjectState) -> None:
    """Run a pending debounced analysis immediately (a request needs the model of the current buffers)."""
    if state.pending is not None and not state.pending.done():
        state.pending.cancel()
    state.pending = None
    analyze_and_publish(ls, state)


async def analyze_workspace(ls: CnikitLanguageServer) -> None:
    """Find every project in the workspace folders and publish their diagnostics, with progress."""
    async with ls.work_progress("cnikit: analysing the workspace") as report:
        ls.projects.discover(ls.workspace_folders())  # known ones are kept; new folders add theirs
        for state in list(ls.projects.states.values()):
            report(f"{state.root.name}")
            analyze_and_publish(ls, state)
            await asyncio.sleep(0)  # let requests that arrived meanwhile through between projects


async def check_build(ls: CnikitLanguageServer, root: Path) -> None:
    """Compare the local build with the static model (`cnikit check --built` on the emulator's bundle) and show
    what it says — spectral's load errors placed on the source (CNI901), disagreements (CNI91x–94x) — until the
    next edit of the project's sources."""
    from cnikit.analysis.checks.built import check_built
    from emulator.build import build

    state = ls.projects.owner(root)
    if state is None:
        return
    if state.model is None or (state.pending is not None and not state.pending.done()):
        analyze_now(ls, state)
    model, edits = state.model, state.edits

    def work() -> tuple[list[Diagnostic], int] | None:
        bundle = build(state.root).bundle  # the emulator's build, already done: this only finds it
        stamp = bundle.stat().st_mtime_ns
        if stamp == state.built_stamp:
            return None  # this very bundle was checked already
        return check_built(state.root, model=model, bundle=bundle), stamp

    try:
        outcome = await asyncio.to_thread(work)
    except Exception:  # the build check is extra information; its failure must not cost anything else
        log.exception("checking the build of %s failed", state.root)
        return
    if outcome is None or state.edits != edits:
        return  # nothing new, or the sources changed meanwhile and this build no longer describes them
    state.built, state.built_stamp = outcome
    analyze_and_publish(ls, state)


def schedule(ls: CnikitLanguageServer, path: Path, *, delay: float | None = None, edited: bool = False) -> None:
    """Re-analyse the project owning `path` after the debounce delay, replacing a pending run.

    An edit of a TypeScript source (`edited`) also retires what the last build said: it described other code."""
    state = ls.projects.owner(path)
    if state is None:
        return
    if edited and path.suffix in (".ts", ".tsx"):
        state.edits += 1
        state.built, state.built_stamp = [], None
    if state.pending is not None and not state.pending.done():
        state.pending.cancel()
    wait = ls.settings.diagnostic_delay_ms / 1000 if delay is None else delay

    async def run() -> None:
        if wait > 0:
            await asyncio.sleep(wait)
        analyze_and_publish(ls, state)

    state.pending = ls.spawn(run())


WATCHED = ("**/*.{ts,tsx}", "**/.spectral/flows/*/payloads/*.json")


async def watch_files(ls: CnikitLanguageServer) -> None:
    """Ask the client to report changes made on disk (git checkout, generated files, another editor)."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
    )
    registration = types.Registration(
        id="cnikit-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
    )
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as error:  # the editor then only tells us about the files it has open
        log.info("file watching not available: %s", error)


def register(ls: CnikitLanguageServer) -> None:
    """Analyse on open, change, save and close; re-publish when severity overrides change."""

    def changed_document(uri: str, *, delay: float | None = None, edited: bool = False) -> None:
        path = path_of(uri)
        if path is not None:
            schedule(ls, path, delay=delay, edited=edited)

    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CnikitLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        changed_document(params.text_document.uri)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CnikitLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        changed_document(params.text_document.uri, edited=True)

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: CnikitLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        changed_document(params.text_document.uri, delay=0)

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CnikitLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        changed_document(params.text_document.uri, delay=0)  # the file on disk is the truth again

    @ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: CnikitLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            if change.uri in ls.workspace.text_documents:
                continue  # an open buffer is the truth for that file, not the disk
            changed_document(change.uri, edited=True)

    ls.on_initialized.append(lambda: ls.spawn(watch_files(ls)))

    def republish() -> None:
        for state in ls.projects.states.values():
            publish(ls, state, force=True)

    ls.on_settings_changed.append(republish)
