"""`cnikit init`: a scaffold like `prism integrations:init` that checks, type-checks and runs offline at once.

The scaffold's npm packages come from the fixtures' one Node install (a `node_modules` symlink, like the emulator
tests' copies): `npm install` needs the registry, the rest needs no network.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnikit.cli import app
from cnikit.scaffold import package_name

FIXTURE_PACKAGES = (Path(__file__).parents[1] / "fixtures" / "node_modules").resolve()
CNIKIT = Path(sys.executable).parent / "cnikit"
EXPECTED = {
    ".gitignore",
    ".spectral/index.ts",
    ".spectral/flows/example-flow/payloads/example.json",
    "assets/icon.png",
    "documentation.md",
    "package.json",
    "src/componentRegistry.ts",
    "src/configPages.ts",
    "src/flows.ts",
    "src/index.ts",
    "src/markdown.d.ts",
    "tsconfig.json",
    "webpack.config.js",
}


def init(*args: str) -> tuple[int, str, str]:
    """`cnikit init …` in process, in the current folder; (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, ["init", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files_below(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_scaffold_checks_type_checks_and_runs_offline(in_tmp: Path) -> None:
    code, out, _ = init("acme", "--name", 'Acme "Sync"')
    assert code == 0
    assert out == (
        'Created Acme "Sync" in acme (13 files). Next:\n'
        "  cd acme\n  npm install\n  cnikit check\n"
        '  cnikit run --flow "Example Flow" --payload example\n'
    )
    root = in_tmp / "acme"
    assert files_below(root) == EXPECTED
    manifest = json.loads((root / "package.json").read_text())
    assert manifest["name"] == "acme-sync"
    assert manifest["dependencies"] == {"@prismatic-io/spectral": "10.31.1"}
    assert manifest["scripts"]["build"] == "webpack"
    assert "node_modules/" in (root / ".gitignore").read_text()

    (root / "node_modules").symlink_to(FIXTURE_PACKAGES)  # what `npm install` would bring
    check = subprocess.run([CNIKIT, "check"], cwd=root, capture_output=True, text=True, check=False)
    assert (check.returncode, check.stdout) == (0, "No problems found in 1 project (4 files).\n"), check.stderr
    tsc = subprocess.run(
        ["node", FIXTURE_PACKAGES / "typescript" / "bin" / "tsc", "--noEmit", "-p", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tsc.returncode == 0, tsc.stdout
    run = subprocess.run(
        [CNIKIT, "run", "--flow", "Example Flow", "--payload", "example", "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    assert "Hello, Ada!" in json.dumps(outcome)


def test_scaffolding_into_the_current_folder_uses_its_name(in_tmp: Path) -> None:
    folder = in_tmp / "billing-sync"
    folder.mkdir()
    (folder / "README.md").write_text("mine\n")  # unrelated files may be there already
    os.chdir(folder)
    code, out, _ = init()
    assert code == 0
    assert out.startswith("Created billing-sync in . (13 files). Next:\n  npm install\n")
    assert '"billing-sync"' in (folder / "src" / "index.ts").read_text()
    assert (folder / "README.md").read_text() == "mine\n"


def test_existing_files_are_never_overwritten(in_tmp: Path) -> None:
    root = in_tmp / "acme"
    (root / "src").mkdir(parents=True)
    (root / "src" / "flows.ts").write_text("// mine\n")
    (root / "package.json").write_text("{}\n")
    code, out, err = init("acme")
    assert code == 2
    assert out == ""
    assert "error: acme already has package.json, src/flows.ts: scaffold into a new or empty folder" in err
    assert files_below(root) == {"src/flows.ts", "package.json"}


def test_an_existing_project_is_refused(in_tmp: Path) -> None:
    (in_tmp / "acme" / ".spectral").mkdir(parents=True)
    code, _, err = init("acme")
    assert code == 2
    assert "acme is already a CNI project (it holds .spectral/)" in err


def _fake_npm(bin_dir: Path, script: str) -> None:
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f"#!/bin/sh\n{script}\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)


def test_install_runs_npm_install_in_the_new_project(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # npm itself needs the registry: a stand-in records how it was called and links the packages.
    _fake_npm(in_tmp / "bin", f'echo "$PWD $*" > ../npm-call && ln -s {FIXTURE_PACKAGES} node_modules')
    monkeypatch.setenv("PATH", f"{in_tmp / 'bin'}{os.pathsep}{os.environ['PATH']}")
    code, out, _ = init("acme", "--install")
    assert code == 0
    assert (in_tmp / "npm-call").read_text() == f"{in_tmp / 'acme'} install --no-audit --no-fund\n"
    assert "npm install" not in out
    assert (in_tmp / "acme" / "node_modules" / "@prismatic-io" / "spectral").is_dir()


def test_a_failed_install_keeps_the_project_and_says_so(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_npm(in_tmp / "bin", "echo 'npm ERR! network' >&2; exit 7")
    monkeypatch.setenv("PATH", f"{in_tmp / 'bin'}{os.pathsep}{os.environ['PATH']}")
    code, out, err = init("acme", "--install")
    assert code == 1
    assert "  npm install\n" in out
    assert f"error: `npm install` failed in {in_tmp / 'acme'} (exit status 7)" in err
    assert (in_tmp / "acme" / "src" / "index.ts").is_file()


@pytest.mark.parametrize(
    ("name", "expected"), [("Acme Sync!", "acme-sync"), ("billing_v2", "billing_v2"), ("???", "integration")]
)
def test_package_names(name: str, expected: str) -> None:
    assert package_name(name) == expected


def test_a_folder_that_cannot_be_created_is_one_line(in_tmp: Path) -> None:
    (in_tmp / "notes.txt").write_text("a file, not a folder\n")
    code, out, err = init("notes.txt/acme")
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: cannot write {in_tmp / 'notes.txt' / 'acme' / '.gitignore'}: ")
    assert "Traceback" not in err
