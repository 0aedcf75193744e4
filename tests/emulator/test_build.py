"""The fast build: content-hash skip, vendor layer reuse, errors as file:line:col, previous bundle kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.build import BuildFailed, build
from emulator.executor import Executor

Project = Callable[[str], Path]


def test_unchanged_sources_are_not_rebuilt_and_an_edit_reuses_the_vendor_layer(project: Project) -> None:
    root = project("emu-no-trigger")
    assert not build(root).rebuilt

    index = root / "src/index.ts"
    index.write_text(index.read_text().replace("run ${runs}", "edited run ${runs}"))
    result = build(root)

    assert result.rebuilt and not result.vendor_rebuilt
    assert "edited run" in result.bundle.read_text()


def test_a_syntax_error_is_reported_where_it_is_and_the_last_bundle_stays(project: Project) -> None:
    root = project("emu-no-trigger")
    bundle = root / ".spectral/local/build/index.js"
    before = bundle.read_text()
    index = root / "src/index.ts"
    lines = index.read_text().splitlines()
    lines[9] = "    const runs = = 1;"
    index.write_text("\n".join(lines) + "\n")

    with pytest.raises(BuildFailed) as caught:
        build(root)

    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("src/index.ts", 10)
    assert str(problem).startswith("src/index.ts:10:")
    assert bundle.read_text() == before


def test_an_edited_flow_runs_the_new_code_in_a_fresh_worker(project: Project) -> None:
    root = project("emu-no-trigger")
    with Executor(root) as executor:
        executor.prepare()
        assert executor.run("Echo").logs[1].message == "run 1"
        index = root / "src/index.ts"
        index.write_text(index.read_text().replace("run ${runs}", "edited run ${runs}"))
        assert executor.prepare().rebuilt
        assert executor.run("Echo").logs[1].message == "edited run 2"
