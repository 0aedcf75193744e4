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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def median_ms(function: Callable[[], object], runs: int, setup: Callable[[], object] | None = None) -> float:
    """The median wall time of `function` in milliseconds (setup, if any, runs untimed before each call)."""
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="runs per in-process figure (default 21)")
    parser.add_argument("--process-runs", type=int, default=7, help="runs per whole-process figure (default 7)")
    args = parser.parse_args()

    from cnikit.analysis import Analyzer
    from cnikit.analysis.checks import load_checks, run_checks

    load_checks()
    results: list[tuple[str, float, float | None]] = []

    # 1. The example, warm.
    analyzer = Analyzer()
    model = analyzer.analyze(EXAMPLE)
    assert model.integration is not None, model.notes
    run_checks(model)
    warm = median_ms(lambda: run_checks(analyzer.analyze(EXAMPLE)), args.runs)
    results.append(("todo-sync: analysis + checks, in process, warm", warm, 30))

    with tempfile.TemporaryDirectory(prefix="cnikit-bench-") as tmp:
        root = Path(tmp) / "generated"
        touched = generate_project(root)
        model = Analyzer().analyze(root)
        assert model.integration is not None
        flows, variables = len(model.integration.flows), len(model.integration.all_config_vars())
        assert (flows, variables) == (50, 200), (flows, variables)
        assert len(model.files) == 20, len(model.files)

        # 2. Cold: a fresh analyser parses all 20 files.
        cold = median_ms(lambda: run_checks(Analyzer().analyze(root)), args.runs)
        results.append(("generated (50 flows, 200 vars, 20 files): cold", cold, 150))

        # 3. One file changed: the same analyser re-parses only that file.
        analyzer = Analyzer()
        run_checks(analyzer.analyze(root))
        original = touched.read_text()
        counter = iter(range(10**6))

        def touch() -> None:
            touched.write_text(original.replace('"Generated flow 15"', f'"Generated flow 15 v{next(counter)}"'))

        before = analyzer.parse_count
        incremental = median_ms(lambda: run_checks(analyzer.analyze(root)), args.runs, setup=touch)
        assert analyzer.parse_count - before == args.runs, "each run should re-parse exactly the changed file"
        results.append(("generated: after one file changed", incremental, 20))

    # 4. The whole process, as a user or CI runs it.
    cnikit = Path(sys.executable).parent / "cnikit"
    command = [str(cnikit), "check", str(EXAMPLE)]
    subprocess.run(command, capture_output=True, check=False)  # warm the OS file cache
    process = median_ms(lambda: subprocess.run(command, capture_output=True, check=False), args.process_runs)
    results.append(("`cnikit check examples/todo-sync`, whole process", process, 1000))

    # 5. tsc --noEmit on the same project, side by side.
    tsc = next(
        (p for p in (EXAMPLE / "node_modules/.bin/tsc", REPO / "tests/fixtures/node_modules/.bin/tsc") if p.exists()),
        None,
    ) or shutil.which("tsc")
    tsc_ms: float | None = None
    if tsc is not None:
        tsc_command = [str(tsc), "--noEmit", "-p", str(EXAMPLE)]
        subprocess.run(tsc_command, capture_output=True, check=False)
        tsc_ms = median_ms(lambda: subprocess.run(tsc_command, capture_output=True, check=False), args.process_runs)
        results.append(("`tsc --noEmit` on examples/todo-sync, whole process", tsc_ms, None))

    width = max(len(label) for label, _, _ in results)
    print(f"{'measure':<{width}}  {'median':>10}  target")
    for label, value, target in results:
        verdict = "" if target is None else (f"< {target} ms  " + ("ok" if value < target else "MISSED"))
        print(f"{label:<{width}}  {value:>7.1f} ms  {verdict}")
    if tsc_ms is not None:
        print(f"tsc --noEmit / cnikit check (whole processes): {tsc_ms / process:.1f}x")


if __name__ == "__main__":
    main()
