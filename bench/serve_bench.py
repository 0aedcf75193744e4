"""`cnikit serve` speed, measured against a real server process on 127.0.0.1 (bounded load, loopback only).

The server runs as `cnikit serve --port 0` (its own process, like a developer runs it) on a temporary copy of a
fixture; the load generator is this process (httpx). Every figure is printed; medians of several runs.

1. synchronous webhook → completed execution, trivial flow, warm (tests/fixtures/serve-webhooks "Answer"):
   p50 and p99 over 400 sequential keep-alive requests, median of 3 runs (targets: p50 < 10 ms, p99 < 50 ms);
2. asynchronous webhooks, state persisted by each execution ("Echo" writes flow state): 3,000 requests over
   16 keep-alive connections (a bare asyncio HTTP client, so the load generator leaves the CPU to the server),
   executions per second from the first request to the last execution finished (read from the store), median
   of 3 runs (target >= 300/s on 2 cores);
3. save a source file → new code serving (tests/fixtures/serve-reload, `--watch`): from writing greeting.ts to the
   first response carrying the new text, 7 saves 2 s apart, median (target < 1 s).

Usage: .venv/bin/python bench/serve_bench.py [--quick] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
CNIKIT = REPO / ".venv" / "bin" / "cnikit"
MAX_SECONDS = 120  # every load loop stops by itself


def copy_fixture(name: str, into: Path) -> Path:
    target = into / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("local"))
    (target / "node_modules").symlink_to(FIXTURES / "node_modules")
    return target


@contextmanager
def server(root: Path, *args: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A `cnikit serve` process; yields its base URL and flow name → URL."""
    process = subprocess.Popen(
        [str(CNIKIT), "serve", str(root), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip())
            if line.startswith("admin API:"):
                break
        match = re.search(r"(http://127\.0\.0\.1:\d+)", lines[-1])
        assert match, lines
        base = match.group(1)
        flows = httpx.get(f"{base}/__cnikit/flows").json()["flows"]
        yield base, {flow["name"]: flow["url"] for flow in flows}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_sync(workdir: Path, runs: int, requests: int, workers: int) -> tuple[float, float]:
    root = copy_fixture("serve-webhooks", workdir / "sync")
    p50s, p99s = [], []
    with server(root, "--no-watch", "--workers", str(workers)) as (_base, flows), httpx.Client() as client:
        url = flows["Answer"]
        for _ in range(50):  # warm: workers loaded, connections open
            client.post(url, json={"reply": "warm"})
        for run in range(runs):
            times = []
            deadline = time.monotonic() + MAX_SECONDS
            for n in range(requests):
                started = time.perf_counter()
                response = client.post(url, json={"reply": n})
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and response.json() == n
                if time.monotonic() > deadline:
                    break
            p50s.append(percentile(times, 50))
            p99s.append(percentile(times, 99))
            print(f"  sync run {run + 1}: p50 {p50s[-1]:.2f} ms, p99 {p99s[-1]:.2f} ms ({len(times)} requests)")
    return statistics.median(p50s), statistics.median(p99s)


def finished_count(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM executions WHERE status != 'running'").fetchone()[0]


async def _connection(host: str, port: int, path: str, numbers: list[int]) -> None:
    # A bare HTTP/1.1 keep-alive client: httpx's async client costs the CPU the server needs (2 cores, shared).
    reader, writer = await asyncio.open_connection(host, port)
    for n in numbers:
        body = json.dumps({"n": n}).encode()
        head = f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
        writer.write(head.encode() + b"\r\n\r\n" + body)
        response = await reader.readuntil(b"\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 200"), response
        length = next(
            int(line.split(b":")[1]) for line in response.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
    writer.close()


async def _fire(url: str, total: int, concurrency: int) -> None:
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1" and parts.port is not None  # loopback only
    chunks = [list(range(i, total, concurrency)) for i in range(concurrency)]
    await asyncio.gather(*(_connection(parts.hostname, parts.port, parts.path, chunk) for chunk in chunks))


def bench_async(workdir: Path, runs: int, total: int, workers: int) -> float:
    rates = []
    for run in range(runs):
        root = copy_fixture("serve-webhooks", workdir / f"async-{run}")
        with server(root, "--no-watch", "--workers", str(workers)) as (_base, flows):
            url = flows["Echo"]
            db = root / ".spectral" / "local" / "emulator.sqlite"
            asyncio.run(_fire(url, 100, 8))  # warm the workers
            deadline = time.monotonic() + MAX_SECONDS
            while finished_count(db) < 100 and time.monotonic() < deadline:
                time.sleep(0.01)
            started = time.perf_counter()
            asyncio.run(_fire(url, total, 16))
            accepted = time.perf_counter() - started
            while finished_count(db) < total + 100 and time.monotonic() < deadline:
                time.sleep(0.005)
            elapsed = time.perf_counter() - started
            done = finished_count(db) - 100
            rates.append(done / elapsed)
            calls = sqlite3.connect(db).execute("SELECT data FROM state WHERE level='instanceState'").fetchone()[0]
            print(
                f"  async run {run + 1}: {done} executions in {elapsed:.2f} s = {rates[-1]:.0f}/s "
                f"(requests accepted in {accepted:.2f} s; flow state now {calls})"
            )
    return statistics.median(rates)


def bench_reload(workdir: Path, saves: int) -> float:
    root = copy_fixture("serve-reload", workdir / "reload")
    greeting = root / "src" / "greeting.ts"
    times = []
    with server(root, "--watch") as (_base, flows), httpx.Client() as client:
        url = flows["Greet"]
        for n in range(saves):
            time.sleep(2)  # a developer's pace between saves (the server readies a spare worker meanwhile)
            text = f"version {n + 2}"
            started = time.perf_counter()
            greeting.write_text(f'export const GREETING = "{text}";\n')
            deadline = time.monotonic() + 30
            while client.post(url, json={}).text != text:  # the first response with the new code
                if time.monotonic() > deadline:
                    raise SystemExit(f"the new code was not served within 30 s (save {n + 1})")
            times.append(time.perf_counter() - started)
            print(f"  save {n + 1}: new code serving after {times[-1] * 1000:.0f} ms")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        workdir = Path(tmp)
        print(f"cnikit serve bench ({os.cpu_count()} cores, {args.workers} workers)")
        p50, p99 = bench_sync(workdir, runs, 400, args.workers)
        print(f"sync webhook → completed execution: p50 {p50:.2f} ms (target < 10), p99 {p99:.2f} ms (target < 50)")
        rate = bench_async(workdir, runs, 1000 if args.quick else 3000, args.workers)
        print(f"async webhooks, state persisted: {rate:.0f} executions/s (target >= 300)")
        reload = bench_reload(workdir, 3 if args.quick else 7)
        print(f"save → new code serving: median {reload * 1000:.0f} ms (target < 1000)")


if __name__ == "__main__":
    main()
