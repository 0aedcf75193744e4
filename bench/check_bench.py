"""Benchmark of `cnikit check`: analysis + every check, in process and as a whole process, next to `tsc --noEmit`.

Figures (medians) are printed; the method and results live in BENCHMARKS.md (section "check").

    .venv/bin/python bench/check_bench.py [--runs N]

1. examples/todo-sync, in process, warm analyser (nothing changed since the last run): target < 30 ms.
2. A generated project — 50 flows and 200 config variables over 20 files — with a fresh analyser: < 150 ms.
3. The same project after one file changed (the analyser re-parses that one file): < 20 ms.
4. `cnikit check examples/todo-sync` as a whole process (interpreter start-up included): < 1 s.
5. `tsc --noEmit -p examples/todo-sync` (the TypeScript compiler the project uses), for the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "todo-sync"

FLOW_FILES = 10  # 5 flows each → 50 flows
PAGE_FILES = 8  # 25 config variables each → 200 config variables
FLOWS_PER_FILE = 5
VARS_PER_PAGE = 25


def generate_project(root: Path) -> Path:
    """Write a CNI project of 50 flows and 200 config variables over 20 files; return the file to touch."""
    src = root / "src"
    (src / "flows").mkdir(parents=True)
    (src / "pages").mkdir()
    (root / ".spectral").mkdir()
    (root / "package.json").write_text('{ "name": "generated", "private": true }\n')
    var_names = [f"Setting {page}-{index}" for page in range(PAGE_FILES) for index in range(VARS_PER_PAGE)]
    for page in range(PAGE_FILES):
        lines = ['import { configPage, configVar } from "@prismatic-io/spectral";', ""]
        lines.append(f'const PREFIX = "page-{page}";')
        lines.append(f"export const page{page} = configPage({{")
        lines.append(f'  tagline: "Settings group {page}",')
        lines.append("  elements: {")
        lines.append(f'    "<h2>Group {page}</h2>": "<h2>Group {page}</h2>",')
        for index in range(VARS_PER_PAGE):
            name = f"Setting {page}-{index}"
            kind = ("string", "boolean", "picklist", "number", "code")[index % 5]
            extra = {
                "string": 'defaultValue: "value"',
                "boolean": "defaultValue: true",
                "picklist": 'pickList: ["a", "b", "c"], defaultValue: "a"',
                "number": "defaultValue: 3",
                "code": 'codeLanguage: "json", defaultValue: "{}"',
            }[kind]
            lines.append(
                f'    "{name}": configVar({{ stableKey: `${{PREFIX}}-{index}`, dataType: "{kind}", {extra}, '
                f'description: "Setting number {index}" }}),'
            )
        lines.append("  },")
        lines.append("});")
        (src / "pages" / f"page{page}.ts").write_text("\n".join(lines) + "\n")
    page_imports = "".join(f'import {{ page{p} }} from "./pages/page{p}";\n' for p in range(PAGE_FILES))
    pages_object = "export const configPages = {\n" + "".join(f'  "Group {p}": page{p},\n' for p in range(PAGE_FILES))
    flow_names: list[str] = []
    for file in range(FLOW_FILES):
        lines = ['import { flow } from "@prismatic-io/spectral";', ""]
        exported = []
        for index in range(FLOWS_PER_FILE):
            number = file * FLOWS_PER_FILE + index
            name = f"Flow {number}"
            flow_names.append(name)
            var = var_names[(number * 4) % len(var_names)]
            other = f"Flow {(number + 1) % (FLOW_FILES * FLOWS_PER_FILE)}"
            schedule = '  schedule: { value: "*/15 * * * *", timezone: "America/Chicago" },\n' if index == 0 else ""
            lines.append(
                f"export const flow{number} = flow({{\n"
                f'  name: "{name}",\n'
                f'  stableKey: "flow-{number}",\n'
                f'  description: "Generated flow {number}",\n'
                f"{schedule}"
                f"  onExecution: async (context, params) => {{\n"
                f'    const setting = context.configVars["{var}"];\n'
                f"    const {{ configVars }} = context;\n"
                f'    context.logger.info(`running {name}`, configVars["{var_names[number]}"]);\n'
                f'    await context.invokeFlow("{other}", {{ setting }});\n'
                f"    return {{ data: params.onTrigger.results }};\n"
                f"  }},\n"
                f"}});\n"
            )
            exported.append(f"flow{number}")
        lines.append(f"export const group{file} = [{', '.join(exported)}];")
        (src / "flows" / f"group{file}.ts").write_text("\n".join(lines) + "\n")
    (src / "flows" / "index.ts").write_text(
        "".join(f'import {{ group{f} }} from "./group{f}";\n' for f in range(FLOW_FILES))
        + "\nexport default ["
        + ", ".join(f"...group{f}" for f in range(FLOW_FILES))
        + "];\n"
    )
    (src / "index.ts").write_text(
        'import { integration } from "@prismatic-io/spectral";\n'
        'import flows from "./flows";\n' + page_imports + "\n" + pages_object + "};\n\n"
        "export default integration({\n"
        '  name: "Generated",\n'
        '  description: "A generated integration for benchmarks",\n'
        "  flows,\n"
        "  configPages,\n"
        "});\n"
    )
    files = sorted(src.rglob("*.ts"))
    assert len(files) == 1 + PAGE_FILES + FLOW_FILES + 1, len(files)  # index, pages, flow groups, flows/index
    return src / "flows" / "group3.ts"


@dataclass
class Figure:
    """Medians of one measure: wall-clock time, and CPU time (what the work costs when the machine is shared)."""

    label: str
    wall: float
    cpu: float
    target: float | None = None


def measure(
    label: str,
    function: Callable[[], object],
    runs: int,
    *,
    setup: Callable[[], object] | None = None,
    target: float | None = None,
    children: bool = False,
) -> Figure:
    """Run `function` `runs` times (setup, if any, untimed before each); medians in ms. With `children`, CPU time
    is that of the child processes `function` waited for."""
    walls, cpus = [], []
    for _ in range(runs):
        if setup is not None:
            setup()
        cpu_start = _cpu(children)
        start = time.perf_counter()
        function()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((_cpu(children) - cpu_start) * 1000)
    return Figure(label, statistics.median(walls), statistics.median(cpus), target)


def _cpu(children: bool) -> float:
    if children:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    return time.process_time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="runs per in-process figure (default 21)")
    parser.add_argument("--process-runs", type=int, default=7, help="runs per whole-process figure (default 7)")
    args = parser.parse_args()

    from cnikit.analysis import Analyzer
    from cnikit.analysis.checks import load_checks, run_checks

    load_checks()
    results: list[Figure] = []
    load_before = os.getloadavg()[0]

    # 1. The example, warm.
    analyzer = Analyzer()
    model = analyzer.analyze(EXAMPLE)
    assert model.integration is not None, model.notes
    run_checks(model)
    label = "todo-sync: analysis + checks, in process, warm"
    results.append(measure(label, lambda: run_checks(analyzer.analyze(EXAMPLE)), args.runs, target=30))

    with tempfile.TemporaryDirectory(prefix="cnikit-bench-") as tmp:
        root = Path(tmp) / "generated"
        touched = generate_project(root)
        model = Analyzer().analyze(root)
        assert model.integration is not None
        flows, variables = len(model.integration.flows), len(model.integration.all_config_vars())
        assert (flows, variables) == (50, 200), (flows, variables)
        assert len(model.files) == 20, len(model.files)

        # 2. Cold: a fresh analyser parses all 20 files.
        label = "generated (50 flows, 200 vars, 20 files): cold"
        results.append(measure(label, lambda: run_checks(Analyzer().analyze(root)), args.runs, target=150))

        # 3. One file changed: the same analyser re-parses only that file.
        analyzer = Analyzer()
        run_checks(analyzer.analyze(root))
        original = touched.read_text()
        counter = iter(range(10**6))

        def touch() -> None:
            touched.write_text(original.replace('"Generated flow 15"', f'"Generated flow 15 v{next(counter)}"'))

        before = analyzer.parse_count
        label = "generated: after one file changed"
        results.append(measure(label, lambda: run_checks(analyzer.analyze(root)), args.runs, setup=touch, target=20))
        assert analyzer.parse_count - before == args.runs, "each run should re-parse exactly the changed file"

    # 4. The whole process, as a user or CI runs it.
    cnikit = Path(sys.executable).parent / "cnikit"
    command = [str(cnikit), "check", str(EXAMPLE)]
    subprocess.run(command, capture_output=True, check=False)  # warm the OS file cache
    label = "`cnikit check examples/todo-sync`, whole process"
    process = measure(
        label,
        lambda: subprocess.run(command, capture_output=True, check=False),
        args.process_runs,
        target=1000,
        children=True,
    )
    results.append(process)

    # 5. tsc --noEmit on the same project, side by side.
    tsc = next(
        (p for p in (EXAMPLE / "node_modules/.bin/tsc", REPO / "tests/fixtures/node_modules/.bin/tsc") if p.exists()),
        None,
    ) or shutil.which("tsc")
    tsc_figure: Figure | None = None
    if tsc is not None:
        tsc_command = [str(tsc), "--noEmit", "-p", str(EXAMPLE)]
        subprocess.run(tsc_command, capture_output=True, check=False)
        label = "`tsc --noEmit -p examples/todo-sync`, whole process"
        tsc_figure = measure(
            label,
            lambda: subprocess.run(tsc_command, capture_output=True, check=False),
            args.process_runs,
            children=True,
        )
        results.append(tsc_figure)

    width = max(len(figure.label) for figure in results)
    print(f"load average (1 min) before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'measure':<{width}}  {'wall':>10}  {'cpu':>10}  target (wall)")
    for figure in results:
        verdict = ""
        if figure.target is not None:
            verdict = f"< {figure.target:.0f} ms  " + ("ok" if figure.wall < figure.target else "MISSED")
        print(f"{figure.label:<{width}}  {figure.wall:>7.1f} ms  {figure.cpu:>7.1f} ms  {verdict}")
    if tsc_figure is not None:
        print(
            f"tsc --noEmit / cnikit check (whole processes): {tsc_figure.wall / process.wall:.1f}x wall, "
            f"{tsc_figure.cpu / process.cpu:.1f}x cpu"
        )


if __name__ == "__main__":
    main()
