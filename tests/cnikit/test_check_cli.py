"""`cnikit check`: exit codes, every output format, --select/--ignore/--list, monorepos, usage errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnikit.cli import app

FIXTURES = (Path(__file__).parents[1] / "fixtures").resolve()
CLEAN = FIXTURES / "check-cli-clean"
BROKEN = FIXTURES / "analysis-syntax-error"  # CNI001 + CNI701 errors, CNI109 warning


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run `cnikit check …` in process; returns (exit code, stdout, stderr)."""
    runner = CliRunner()
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = runner.invoke(app, ["check", *args])
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def test_clean_project_exits_zero_with_a_summary() -> None:
    code, out, _ = run(str(CLEAN))
    assert code == 0
    assert out == "No problems found in 1 project (1 file).\n"


def test_errors_exit_one_with_path_line_col_code_message() -> None:
    code, out, _ = run(".", cwd=BROKEN)
    assert code == 1
    assert out.splitlines() == [
        'src/flows.ts:8:41 CNI701 No config variable is named "Missing Var"; defined: "Real Var".',
        "src/flows.ts:9:16 CNI001 Syntax error: missing `)`",
        "src/index.ts:6:3 CNI109 integration() has no description; customers see it in the marketplace, so describe "
        "what the integration does.",
        "",
        "Found 2 errors and 1 warning in 1 project (3 files).",
    ]


def test_warnings_only_exit_zero() -> None:
    code, out, _ = run(str(BROKEN), "--ignore", "CNI0,CNI7")
    assert code == 0
    assert "CNI109" in out and "CNI001" not in out and "CNI701" not in out
    assert out.splitlines()[-1] == "Found 1 warning in 1 project (3 files)."


def test_select_and_ignore_take_prefixes_comma_separated_or_repeated() -> None:
    _, out, _ = run(str(BROKEN), "--select", "CNI0", "--select", "cni109", "-f", "json")
    assert sorted(d["code"] for d in json.loads(out)["diagnostics"]) == ["CNI001", "CNI109"]
    _, out, _ = run(str(BROKEN), "--select", "CNI0,CNI1", "--ignore", "CNI001", "-f", "json")
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["CNI109"]


def test_colour_only_when_asked_or_on_a_terminal() -> None:
    _, plain, _ = run(str(BROKEN))
    assert "\x1b[" not in plain
    _, coloured, _ = run(str(BROKEN), "--color")
    assert "\x1b[31" in coloured  # errors in red
    assert "\x1b[33" in coloured  # warnings in yellow


def test_json_format() -> None:
    code, out, _ = run(".", "--format", "json", cwd=BROKEN)
    assert code == 1
    document = json.loads(out)
    syntax = next(d for d in document["diagnostics"] if d["code"] == "CNI001")
    assert syntax == {
        "code": "CNI001",
        "severity": "error",
        "message": "Syntax error: missing `)`",
        "file": "src/flows.ts",
        "line": 9,
        "column": 16,
        "endLine": 9,
        "endColumn": 16,
    }
    assert document["summary"] == {
        "projects": ["."],
        "files": 3,
        "errors": 2,
        "warnings": 1,
        "infos": 0,
        "hints": 0,
    }


def test_sarif_format_is_sarif_2_1_0_with_rules_and_regions() -> None:
    code, out, _ = run(".", "--format", "sarif", cwd=BROKEN)
    assert code == 1
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    (run_,) = document["runs"]
    rules = run_["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert "CNI001" in ids and "CNI701" in ids
    results = {result["ruleId"]: result for result in run_["results"]}
    syntax = results["CNI001"]
    assert syntax["level"] == "error"
    assert rules[syntax["ruleIndex"]]["id"] == "CNI001"
    location = syntax["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/flows.ts", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 9, "startColumn": 16, "endLine": 9, "endColumn": 16}
    assert results["CNI109"]["level"] == "warning"
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == BROKEN.as_uri() + "/"


def test_github_format_writes_workflow_commands() -> None:
    code, out, _ = run(".", "--format", "github", cwd=BROKEN)
    assert code == 1
    lines = out.splitlines()
    assert (
        "::error file=src/flows.ts,line=9,col=16,endLine=9,endColumn=16,title=CNI001::Syntax error: missing `)`"
        in lines
    )
    assert any(line.startswith("::warning file=src/index.ts,line=6,col=3,") for line in lines)
    assert all(line.startswith("::") for line in lines)


def test_a_file_argument_reports_on_that_file_only() -> None:
    code, out, _ = run(str(BROKEN / "src" / "index.ts"), "-f", "json")
    assert code == 0
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["CNI109"]


def test_a_folder_inside_a_project_checks_that_project() -> None:
    code, out, _ = run(str(BROKEN / "src"))
    assert code == 1
    assert "CNI001" in out


def test_monorepo_checks_every_project_below_the_folder(tmp_path: Path) -> None:
    shutil.copytree(CLEAN, tmp_path / "integrations" / "clean")
    shutil.copytree(BROKEN, tmp_path / "integrations" / "broken")
    shutil.copytree(CLEAN, tmp_path / "node_modules" / "ignored")
    code, out, _ = run(".", cwd=tmp_path)
    assert code == 1
    assert "integrations/broken/src/flows.ts:9:16 CNI001" in out
    assert "node_modules" not in out
    assert out.splitlines()[-1] == "Found 2 errors and 1 warning in 2 projects (4 files)."


def test_list_prints_the_catalogue() -> None:
    code, out, _ = run("--list")
    assert code == 0
    lines = out.splitlines()
    assert re.fullmatch(r"CNI001  error\s+TypeScript syntax error", lines[0])
    assert any(line.startswith("CNI701  ") for line in lines)
    assert lines[-1].endswith(" checks.")
    code, out, _ = run("--list", "--select", "CNI0", "-f", "json")
    catalogue = json.loads(out)
    assert [entry["code"] for entry in catalogue] == ["CNI001", "CNI002", "CNI003", "CNI004", "CNI005", "CNI006"]
    assert catalogue[1] == {"code": "CNI002", "severity": "error", "summary": "no src/index.ts"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/folder"], "no such file or folder: /no/such/folder"),
        (["--select", "XYZ"], 'no check code starts with "XYZ"'),
        (["--format", "xml"], "'xml' is not one of"),
    ],
)
def test_usage_errors_exit_two(args: list[str], message: str) -> None:
    code, out, err = run(*args, cwd=CLEAN)
    assert code == 2
    assert message in err
    assert out == ""


def test_no_project_found_exits_two(tmp_path: Path) -> None:
    (tmp_path / "just-a-folder").mkdir()
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert "no CNI project found at or below" in err
    assert ".spectral/" in err


def test_whole_process_exit_status_and_output() -> None:
    """The console script, as CI runs it."""
    cnikit = Path(sys.executable).parent / "cnikit"
    result = subprocess.run(
        [str(cnikit), "check", str(BROKEN), "--format", "github"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "title=CNI001::Syntax error" in result.stdout
    result = subprocess.run([str(cnikit), "check", str(CLEAN)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, "No problems found in 1 project (1 file).\n")


def test_sarif_locations_outside_the_current_folder_are_file_uris(tmp_path: Path) -> None:
    _, out, _ = run(str(BROKEN), "--format", "sarif", cwd=tmp_path)
    (result,) = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "CNI001"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (BROKEN / "src" / "flows.ts").as_uri()}


def test_starting_the_cli_loads_no_heavy_package() -> None:
    """`cnikit check` must start fast: every face's commands module defers its heavy imports to its commands."""
    heavy = ("asyncio", "httpx", "pydantic", "textual", "pygls", "starlette", "uvicorn", "tree_sitter", "msgpack")
    probe = f"import sys, cnikit.cli\nprint(sorted({{name.split('.')[0] for name in sys.modules}} & set({heavy!r})))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_built_says_what_it_builds_on_stderr_and_keeps_stdout_the_report() -> None:
    code, out, err = run(str(FIXTURES / "definition-multi-file"), "--built", "--format", "json")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == "building definition-multi-file with 'npm run build'…"
    assert re.fullmatch(r"'npm run build' finished in \d+\.\d s", lines[-1])
    assert not any(d["code"].startswith("CNI9") for d in json.loads(out)["diagnostics"])  # built, and agrees
