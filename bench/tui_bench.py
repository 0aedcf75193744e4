"""TUI speed: start to first paint, and with 10,000 executions in the store, opening the results screen and a key
press to repaint. Prints the figures (median of several runs) and the targets.

    .venv/bin/python bench/tui_bench.py [--runs N]

Method
- start → first paint: a fresh `python` process that imports the app and runs it headless on a project with 10,000
  executions; the process prints a marker from the first screen's first `call_after_refresh` (its first frame is
  composed and laid out). Measured by the parent from spawning the process to reading the marker.
- opening the results screen: in one process, the app headless on the same project; time from `push_screen` of a
  fresh results screen to the first frame Textual writes that contains it (`App._display` is wrapped to timestamp
  frames): mount, the COUNT(*) and first page query, layout, render of the visible rows.
- key press → repaint: from handing the key to the app (`pilot.press`) to the first frame written after it, for
  down / pagedown / end / home on the same 10,000 rows. Textual draws at most 60 frames a second, so up to ~17 ms
  of it is waiting for the next frame.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.tui.seed import NOW, seed  # noqa: E402

COUNT = 10_000
TARGETS = {"first paint": 1000.0, "open results": 300.0, "key press": 50.0}

CHILD = r"""
import sys, time
started = float(sys.argv[2])
from pathlib import Path
from tui.app import CnikitApp
from tui.workspace import Workspace

class Timed(CnikitApp):
    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self.call_after_refresh(self._done)

    def _done(self) -> None:
        print("painted", flush=True)
        self.exit()

Timed(Workspace(Path(sys.argv[1]))).run(headless=True)
"""

# The same measurement for an empty Textual app: the floor this machine sets (Python + Textual start-up).
BARE = r"""
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

    def on_mount(self) -> None:
        self.call_after_refresh(lambda: self.call_after_refresh(self._done))

    def _done(self) -> None:
        print("painted", flush=True)
        self.exit()

Bare().run(headless=True)
"""


def first_paint(root: Path, program: str = CHILD) -> float:
    """Milliseconds from spawning `python` to the first painted screen."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", program, str(root), str(started)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("painted"):
            elapsed = (time.perf_counter() - started) * 1000
            break
    else:
        raise RuntimeError("the TUI never painted")
    process.wait(timeout=30)
    return elapsed


async def in_process(root: Path, runs: int) -> tuple[list[float], dict[str, list[float]]]:
    """(open-results timings, key-press timings by key), milliseconds."""
    from tui.app import CnikitApp
    from tui.screens.results import ResultsScreen
    from tui.workspace import Workspace

    opens: list[float] = []
    keys: dict[str, list[float]] = {"down": [], "pagedown": [], "end": [], "home": []}
    app = CnikitApp(Workspace(root), now=lambda: NOW)
    frames: list[float] = []
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            frames.append(time.perf_counter())
        display(screen, renderable)

    app._display = timed_display  # type: ignore[method-assign]

    def first_frame_after(started: float) -> float:
        return (min(t for t in frames if t > started) - started) * 1000

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for _ in range(runs):
            screen = ResultsScreen()
            started = time.perf_counter()
            await app.push_screen(screen)
            await pilot.pause()
            opens.append(first_frame_after(started))
            assert screen.table.row_count == COUNT
            for _ in range(5):
                for key in keys:
                    started = time.perf_counter()
                    await pilot.press(key)
                    await pilot.pause()
                    keys[key].append(first_frame_after(started))
            app.pop_screen()
            await pilot.pause()
    return opens, keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / ".spectral").mkdir()
        seeded = time.perf_counter()
        seed(root, COUNT)
        print(f"seeded {COUNT:,} executions in {time.perf_counter() - seeded:.1f} s")
        paints, bare = [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            paints.append(first_paint(root))
            bare.append(first_paint(root, BARE))
        opens, keys = asyncio.run(in_process(root, args.runs))
    rows = [("first paint", paints), ("(bare Textual app)", bare), ("open results", opens)]
    rows += [(f"key press ({key})", values) for key, values in keys.items()]
    print(f"{'measure':<24}{'median ms':>10}{'min':>8}{'max':>8}{'target':>8}  n")
    for name, values in rows:
        target = TARGETS.get("key press" if name.startswith("key press") else name, TARGETS["first paint"])
        verdict = "ok" if statistics.median(values) < target else "SLOW"
        print(
            f"{name:<24}{statistics.median(values):>10.1f}{min(values):>8.1f}{max(values):>8.1f}"
            f"{target:>8.0f}  {len(values)} {verdict}"
        )


if __name__ == "__main__":
    main()
