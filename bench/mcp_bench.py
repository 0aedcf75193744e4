"""Benchmark of `cnikit mcp`: the assistant loop (check + run_flow) through MCP, beside the same loop as two
`cnikit` processes. Figures (medians) are printed; method and results live in BENCHMARKS.md (section "mcp").

    .venv/bin/python bench/mcp_bench.py [--runs N]

On a scratch copy of examples/todo-sync (bench/run_bench.py's `workspace`), flow Sync Report, payload `report`:

1. warm MCP loop: `cnikit mcp` started once over stdio (the official Python SDK's client), one untimed loop, then
   N loops of `check` + `run_flow`, each timed from the first request to the last answer: target median < 100 ms;
2. the first loop (cold: server start, build, Node start, load) for reference;
3. the same loop as processes: `cnikit check COPY` then `cnikit run COPY --flow … --payload report`, 7 runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from run_bench import CNIKIT, FLOW, ms, timed, workspace

PAYLOAD = "report"


async def mcp_loops(root: Path, runs: int) -> tuple[float, list[float]]:
    """The first (cold) loop's time and the warm loops' times, through one `cnikit mcp` server."""
    server = StdioServerParameters(command=str(CNIKIT), args=["mcp", str(root)])
    async with Client(server) as client:

        async def loop() -> float:
            start = time.perf_counter()
            checked = await client.call_tool("check", {})
            ran = await client.call_tool("run_flow", {"flow": FLOW, "payload": PAYLOAD})
            elapsed = time.perf_counter() - start
            for result in (checked, ran):
                if result.is_error:
                    sys.exit(f"the MCP loop failed: {result.content[0].text}")  # type: ignore[union-attr]
            return elapsed

        cold = await loop()
        await loop()  # untimed: the analyser's and the worker's caches are warm from here on
        return cold, [await loop() for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="warm MCP loops to time")
    args = parser.parse_args()
    root = workspace()
    try:
        cold, warm = anyio.run(mcp_loops, root, args.runs)
        processes = []
        for _ in range(7):
            check = timed([str(CNIKIT), "check", str(root)], root, "check")
            run = timed([str(CNIKIT), "run", str(root), "--flow", FLOW, "--payload", PAYLOAD], root, "run")
            processes.append(check + run)
    finally:
        shutil.rmtree(root.parent)
    median = statistics.median(warm)
    p95 = sorted(warm)[int(len(warm) * 0.95) - 1]
    print(f"warm MCP loop (check + run_flow), {len(warm)} runs: median {ms(median)}, p95 {ms(p95)}  [target < 100 ms]")
    print(f"first MCP loop (server start, build, load): {ms(cold)}")
    print(f"same loop as two processes (cnikit check + cnikit run), 7 runs: median {ms(statistics.median(processes))}")
    print(f"ratio processes / warm MCP: {statistics.median(processes) / median:.0f}×")
    if median >= 0.1:
        sys.exit("the warm MCP loop missed its target")


if __name__ == "__main__":
    main()
