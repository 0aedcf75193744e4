"""The project's own build: the fast build's fallback, `--build project` cached with progress and source maps,
and the limits that end a build script or a bundle load that never returns."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.build import BuildFailed, BuildLimits, build
from emulator.executor import Executor
from emulator.serve.watch import _relevant
from tests.emulator.test_cli import cli

Project = Callable[[str], Path]


def test_what_esbuild_cannot_load_falls_back_on_the_project_build_in_one_line(project: Project) -> None:
    root = project("build-fallback")
    lines: list[str] = []

    result = build(root, force=True, limits=BuildLimits(progress=lines.append))

    assert result.mode == "project" and result.bundle == root / "dist/index.js"
    assert result.fallback == 'src/index.ts:2:22: No loader is configured for ".hbs" files: src/welcome.hbs'
    assert [line for line in lines if "fast build" in line] == [
        f"the fast build cannot bundle this project ({result.fallback}); using its `build` script instead"
    ]
    with Executor(root) as executor:
        executor.prepare()
        outcome = executor.run("Check")
    assert outcome.result == {"data": {"template": "Hello {{name}}, welcome aboard."}}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('import template from "./welcome.hbs" +;', 'Expected ";" but found "+"'),
        (
            'import template from "./welcome.hbs";\nimport { gone } from "./missing";\nvoid gone;',
            'Could not resolve "./missing"',
        ),
    ],
)
def test_a_mistake_in_src_is_reported_at_once_never_by_the_fallback(project: Project, line: str, message: str) -> None:
    root = project("build-fallback")
    index = root / "src/index.ts"
    index.write_text(index.read_text().replace('import template from "./welcome.hbs";', line))
    lines: list[str] = []

    with pytest.raises(BuildFailed) as failed:
        build(root, limits=BuildLimits(progress=lines.append))

    assert any(
        str(problem).startswith("src/index.ts:") and message in str(problem) for problem in failed.value.problems
    )
    assert lines == []  # the project's build script never ran


def test_the_project_build_is_skipped_when_its_inputs_are_unchanged_and_prints_progress(project: Project) -> None:
    root = project("build-project-script")
    lines: list[str] = []
    limits = BuildLimits(progress=lines.append)

    first = build(root, "project", limits=limits)
    assert first.rebuilt and first.mode == "project"
    assert lines[0] == "building with 'npm run build' (--build-timeout 600 s)…"
    assert any("esbuild src/index.ts" in line for line in lines)  # the script's own output, as it comes
    assert lines[-1].startswith("'npm run build' finished in ")

    lines.clear()
    assert not build(root, "project", limits=limits).rebuilt
    assert lines == []

    for edit in (root / "src/fail.ts", root / "package.json"):
        edit.write_text(edit.read_text() + "\n")
        assert build(root, "project").rebuilt, edit
    (root / "dist/index.js").write_text("// built by hand meanwhile\n")
    assert build(root, "project").rebuilt  # its output changed: not the bundle this build produced


def test_stack_traces_of_the_project_bundle_are_source_mapped_to_src(project: Project) -> None:
    root = project("build-project-script")
    with Executor(root, build_mode="project") as executor:
        executor.prepare()
        outcome = executor.run("Explodes")

    assert outcome.error == "exploded: on purpose"
    logged = "\n".join(log.message for log in outcome.logs)
    assert f"{root}/src/fail.ts:2:" in logged and "dist/index.js" not in logged


def test_a_build_script_that_never_returns_is_stopped_by_build_timeout(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("emulator.build.PROGRESS_EVERY", 1.0)  # a quiet build says it is still building
    root = project("build-project-script")
    manifest = json.loads((root / "package.json").read_text())
    manifest["scripts"]["build"] = (
        "node -e \"require('fs').writeFileSync('build.pid', String(process.pid)); console.log('compiling');"
        ' setInterval(() => {}, 1000)"'
    )
    (root / "package.json").write_text(json.dumps(manifest))

    # 5 s: time for npm to start the script on a busy machine.
    code, out = cli("run", root, "--flow", "Echo", "--build", "project", "--build-timeout", "5")

    assert code == 2, out
    assert "building with 'npm run build' (--build-timeout 5 s)…" in out and "compiling" in out
    assert "'npm run build' did not finish within the --build-timeout of 5 s and was stopped" in out
    assert "still building (" in out
    stat = Path(f"/proc/{(root / 'build.pid').read_text()}/stat")
    assert not stat.exists() or stat.read_text().split(") ")[1][0] in "ZX"  # the script's node is gone too


def test_a_bundle_that_never_finishes_loading_is_stopped_by_timeout(project: Project) -> None:
    root = project("emu-no-trigger")
    index = root / "src/index.ts"
    index.write_text(index.read_text() + "\nwhile (Date.now() > 0) {\n  // top-level code that never returns\n}\n")

    code, out = cli("run", root, "--flow", "Echo", "--timeout", "2")

    assert code == 2, out
    assert "Loading the bundle exceeded its limit of 2 seconds (--timeout, at most 60 s)" in out


@pytest.mark.parametrize("value", ["0", "nan"])
def test_a_build_timeout_no_build_can_meet_is_refused(project: Project, value: str) -> None:
    code, out = cli("run", project("emu-no-trigger"), "--flow", "Echo", "--build-timeout", value)

    assert code == 2
    assert f"--build-timeout must be at least 1 second, found {value}" in out


def test_hot_reload_watches_what_the_build_reads(tmp_path: Path) -> None:
    accept = _relevant(tmp_path)

    for read in ("src/flows/a.ts", "src/documentation.md", "assets/icon.png", "webpack.config.js", "tsconfig.json"):
        assert accept(None, str(tmp_path / read)), read
    for ignored in ("README.md", "dist/index.js", "src/notes.psd"):
        assert not accept(None, str(tmp_path / ignored)), ignored


def test_a_package_neither_build_resolves_is_placed_on_its_import(project: Project) -> None:
    root = project("emu-no-trigger")
    index = root / "src/index.ts"
    lines = index.read_text().splitlines()
    lines.insert(1, 'import pad from "cnikit-not-installed";\nconsole.log(pad);')
    index.write_text("\n".join(lines) + "\n")

    with pytest.raises(BuildFailed) as failed:
        build(root)

    located, fallback = failed.value.problems
    assert str(located) == 'src/index.ts:2:17: Could not resolve "cnikit-not-installed"'
    assert str(fallback).startswith("'npm run build' failed with exit code 1")
    assert 'Could not resolve "cnikit-not-installed"' in str(fallback)  # the tail of the script's own output
