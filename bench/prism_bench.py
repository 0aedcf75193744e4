"""The prism CLI's test loop against `cnikit serve`, side by side with `cnikit run` of the same flow.

Works on a temporary copy of tests/fixtures/prism-project (node_modules symlinked to the fixtures' install, which
pins @prismatic-io/prism 10.4.0 and webpack): builds it with its webpack config, starts `cnikit serve --port 0`
(a real process), imports it with `prism integrations:import`, then times, as fresh processes, N runs each of

1. `prism integrations:flows:test -n Echo -p payload.json --tail-logs --tail-results --cni-auto-end --jsonl`
   (trigger, then prism's polling of logs and step results until the execution is complete), and
2. `cnikit run <copy> --flow Echo --payload payload.json` (the same payload file: build if needed, load, run, print).

Also `prism me` (prism's start-up and one API call, for scale). Prints medians and ranges (wall time).

Usage: .venv/bin/python bench/prism_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
NODE_MODULES = FIXTURES / "node_modules"
PRISM = NODE_MODULES / ".bin" / "prism"
CNIKIT = Path(sys.executable).parent / "cnikit"
PAYLOAD = '{"hello": "world"}'


def workspace(scratch: Path) -> Path:
    """A built copy of the fixture (webpack, as `prism integrations:import` needs `dist/`)."""
    if not PRISM.exists():
        sys.exit(f"{PRISM} is missing: run `npm ci` in tests/fixtures first")
    root = scratch / "prism-project"
    shutil.copytree(FIXTURES / "prism-project", root, ignore=shutil.ignore_patterns("local", "dist"))
    (root / "node_modules").symlink_to(NODE_MODULES)
    started = time.perf_counter()
    subprocess.run(["npm", "run", "build"], cwd=root, check=True, capture_output=True)
    print(f"webpack build of the fixture: {time.perf_counter() - started:.1f} s")
    (root / "payload.json").write_text(PAYLOAD)
    return root


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of one run (it must succeed)."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def summary(name: str, seconds: list[float]) -> str:
    """`name: median (min–max) over n runs`."""
    spread = f"{min(seconds):.2f}–{max(seconds):.2f} s, {len(seconds)} runs"
    return f"{name}: median {statistics.median(seconds):.2f} s ({spread})"


def main() -> None:
    """Build, serve, import, then time both loops."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    scratch = Path(tempfile.mkdtemp(prefix="prism-bench-"))
    server: subprocess.Popen[str] | None = None
    try:
        root = workspace(scratch)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISM", "DEBUG"))}
        env["HOME"] = str(scratch)  # prism's profile stays in the scratch folder
        server = subprocess.Popen(
            [str(CNIKIT), "serve", str(root), "--port", "0", "--no-watch"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )  # fmt: skip
        exports: dict[str, str] = {}
        assert server.stdout is not None
        for line in server.stdout:  # the two lines to paste, as a developer would
            found = re.match(r"\s*export (PRISMATIC_URL|PRISM_ACCESS_TOKEN)=(\S+)", line)
            if found:
                exports[found.group(1)] = found.group(2)
            if len(exports) == 2:
                break
        prism_env = {**env, **exports}
        print(f"prism integrations:import: {timed([str(PRISM), 'integrations:import'], root, prism_env):.2f} s")
        test = [str(PRISM), "integrations:flows:test", "-n", "Echo", "-p", "payload.json", "--tail-logs"]
        test += ["--tail-results", "--cni-auto-end", "--timeout", "30", "--jsonl"]
        prism_times = [timed(test, root, prism_env) for _ in range(runs)]
        me_times = [timed([str(PRISM), "me"], root, prism_env) for _ in range(runs)]  # prism's start + one call
        run = [str(CNIKIT), "run", str(root), "--flow", "Echo", "--payload", str(root / "payload.json")]
        timed(run, root, env)  # the first run builds the fast bundle; later ones measure the loop
        cnikit_times = [timed(run, root, env) for _ in range(runs)]
        print(summary("prism integrations:flows:test --cni-auto-end (against cnikit serve)", prism_times))
        print(summary("cnikit run (same flow, same payload)", cnikit_times))
        print(summary("prism me (prism's own start and one API call, for scale)", me_times))
        print(f"ratio: {statistics.median(prism_times) / statistics.median(cnikit_times):.1f}x")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
