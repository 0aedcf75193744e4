"""Benchmark of the language server (`python -m server`, what `cnikit lsp` runs) driven by a real LSP client.

Figures (medians) are printed; the method and results live in BENCHMARKS.md (section "lsp").

    .venv/bin/python bench/lsp_bench.py [--runs N] [--edits N]

1. initialize → first diagnostics for examples/todo-sync: from sending `initialize` until the start-up analysis of
   the whole workspace has published its diagnostics (the end of its `$/progress`), and the same from spawning the
   process. Target: median < 1 s.
2. didChange → publishDiagnostics with the debounce set to 0 (`diagnosticDelayMs: 0`): each edit toggles a
   misspelt config variable in a flow file, so each one changes what is published. Target: median < 50 ms. Also on
   the generated 50-flow project, to show how it scales.
3. Resident memory (VmRSS) of the server on a generated 50-flow project (200 config variables, 20 files) after the
   start-up analysis, a round of edits, and completion/hover/symbols/code lens requests. Target: < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "todo-sync"
sys.path.insert(0, str(REPO / "bench"))


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DEBUG", None)
    return env


async def start(folder: Path, init_options: dict[str, Any] | None = None) -> tuple[LanguageClient, float, float]:
    """Spawn and initialize a server; return the client and the spawn and initialize times (perf_counter)."""
    spawned = time.perf_counter()
    client = await ClientServerConfig(server_command=[sys.executable, "-m", "server"], server_env=environment()).start()
    assert isinstance(client, LanguageClient)
    initialize = time.perf_counter()
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)],
            initialization_options=init_options,
        )
    )
    return client, spawned, initialize


async def analysed(client: LanguageClient) -> float:
    """Wait for the end of the start-up analysis' progress; return when it arrived."""

    def ended() -> bool:
        for reports in client.progress_reports.values():
            if any(isinstance(r, types.WorkDoneProgressBegin) and "analysing" in r.title for r in reports) and any(
                isinstance(r, types.WorkDoneProgressEnd) for r in reports
            ):
                return True
        return False

    while not ended():
        await client.wait_for_notification(types.PROGRESS)
    return time.perf_counter()


async def stop(client: LanguageClient) -> None:
    await asyncio.wait_for(client.shutdown_session(), 10)
    await client.stop()


async def first_diagnostics(runs: int) -> tuple[list[float], list[float], list[float]]:
    """initialize → workspace diagnostics published, spawn → the same, and the server's CPU time until then."""
    from_initialize, from_spawn, cpu = [], [], []
    for _ in range(runs):
        client, spawned, initialize = await start(EXAMPLE)
        done = await asyncio.wait_for(analysed(client), 30)
        cpu.append(cpu_seconds(server_pid(client)))
        from_initialize.append(done - initialize)
        from_spawn.append(done - spawned)
        await stop(client)
    return from_initialize, from_spawn, cpu


async def change_to_diagnostics(root: Path, edits: int, relative: str, old: str, new: str) -> tuple[list[float], float]:
    """didChange → publishDiagnostics of the edited file, debounce 0: edits alternate between the file as it is and
    the file with `old` replaced by `new` (a misspelt config variable, one more diagnostic)."""
    client, _, _ = await start(root, {"diagnosticDelayMs": 0})
    await asyncio.wait_for(analysed(client), 60)
    flow = root / relative
    uri = flow.as_uri()
    good = flow.read_text()
    bad = good.replace(old, new, 1)
    assert bad != good, f"{old!r} is missing from {flow}"
    baseline = len(client.diagnostics.get(uri, []))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="typescript", version=1, text=good))
    )
    timings = []
    cpu_before = cpu_seconds(server_pid(client))
    for version in range(2, edits + 2):
        text = bad if version % 2 == 0 else good
        expected = baseline + 1 if text is bad else baseline
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        while True:
            params = await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 10)
            if params.uri == uri and params.version == version:
                break
        timings.append(time.perf_counter() - sent)
        assert len(client.diagnostics[uri]) == expected, client.diagnostics[uri]
    cpu_per_edit = (cpu_seconds(server_pid(client)) - cpu_before) / edits
    await stop(client)
    return timings, cpu_per_edit


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid(client: LanguageClient) -> int:
    server = client._server  # the spawned process
    assert server is not None
    return server.pid


def rss_mb(pid: int) -> float:
    """The resident set size of a process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def memory_on_generated(root: Path) -> tuple[float, int]:
    """RSS after start-up analysis, edits and feature requests on the generated 50-flow project."""
    client, _, _ = await start(root, {"diagnosticDelayMs": 0})
    await asyncio.wait_for(analysed(client), 60)
    files = sorted((root / "src").rglob("*.ts"))
    for version, path in enumerate(files, start=1):
        doc = types.TextDocumentIdentifier(uri=path.as_uri())
        text = path.read_text()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "typescript", version, text))
        )
        await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc))
        await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc))
        await client.text_document_hover_async(types.HoverParams(doc, types.Position(0, 0)))
        await client.text_document_completion_async(types.CompletionParams(doc, types.Position(0, 0)))
    value = rss_mb(server_pid(client))
    await stop(client)
    return value, len(files)


def summary(label: str, seconds: list[float], target_ms: float) -> str:
    values = sorted(value * 1000 for value in seconds)
    median = statistics.median(values)
    verdict = "OK" if median < target_ms else "OVER TARGET"
    return (
        f"{label}: median {median:.1f} ms (min {values[0]:.1f}, max {values[-1]:.1f}, n={len(values)}) "
        f"target < {target_ms:.0f} ms {verdict}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="server starts for the first-diagnostics figure")
    parser.add_argument("--edits", type=int, default=40, help="edits for the didChange figure")
    args = parser.parse_args()

    from check_bench import generate_project  # the analyser bench's generated 50-flow project

    with tempfile.TemporaryDirectory(prefix="cnikit-lsp-bench-") as tmp:
        work = Path(tmp)
        example = work / "todo-sync"
        shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("node_modules", "dist", "local"))

        print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
        from_initialize, from_spawn, cpu = await first_diagnostics(args.runs)
        print(summary("initialize → first diagnostics (examples/todo-sync)", from_initialize, 1000))
        print(summary("  process spawn → first diagnostics (same runs)", from_spawn, 1000))
        print(f"  server CPU time until then: median {statistics.median(cpu) * 1000:.0f} ms")

        timings, cpu_per_edit = await change_to_diagnostics(
            example, args.edits, "src/flows/syncTodos.ts", 'configVars["CRM Queue"]', 'configVars["CRM Queeu"]'
        )
        print(summary("didChange → publishDiagnostics (debounce 0, examples/todo-sync)", timings, 50))
        print(f"  server CPU time per edit: mean {cpu_per_edit * 1000:.1f} ms")

        generated = work / "generated"
        generated.mkdir()
        generate_project(generated)
        timings, cpu_per_edit = await change_to_diagnostics(
            generated, args.edits, "src/flows/group0.ts", 'configVars["Setting 0-0"]', 'configVars["Setting 0-0x"]'
        )
        print(summary("didChange → publishDiagnostics (debounce 0, generated 50-flow project)", timings, 50))
        print(f"  server CPU time per edit: mean {cpu_per_edit * 1000:.1f} ms")
        memory, files = await memory_on_generated(generated)
        verdict = "OK" if memory < 150 else "OVER TARGET"
        print(f"resident memory, 50-flow project ({files} files open): {memory:.0f} MB target < 150 MB {verdict}")
        print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
