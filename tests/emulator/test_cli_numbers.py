"""The command line's execution numbers (`#N`), `executions list` as a table, `executions prune`, `cnikit flows`,
`--no-color`/`NO_COLOR` and shell completion — on real projects, real Node runs and the real store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from cnikit.cli import app
from emulator.store import ID_PREFIX, Store

Project = Callable[[str], Path]
runner = CliRunner()
ANSI = "\x1b["


def cli(*args: str | Path, color: bool = False, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], color=color, env=env)
    return result.exit_code, result.output


def test_every_execution_is_shown_and_found_by_its_number_or_a_short_id(project: Project) -> None:
    root = project("emu-no-trigger")
    code, out = cli("run", root, "--flow", "Echo", "--payload", "hello")
    assert code == 0 and re.search(r"✔ Echo succeeded · #1 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", out), out
    cli("run", root, "--flow", "Echo", "--payload", "hello")

    code, out = cli("executions", "list", root)
    header, newest, oldest = out.splitlines()
    assert header.split() == ["#", "STARTED", "(UTC)", "STATUS", "TIME", "INVOKE", "FLOW", "ID"]
    assert newest.split()[:1] == ["#2"] and oldest.split()[:1] == ["#1"]
    assert newest.index("test") == header.index("INVOKE") and newest.index("Echo") == header.index("FLOW")
    short = oldest.split()[-1]  # the id after the constant `InstanceExecutionResult:` part, as listed
    with Store.open(root) as store:
        first = store.get_execution("1")
    assert not short.startswith(ID_PREFIX[:8]) and first.id == ID_PREFIX + first.short_id
    assert first.short_id.startswith(short)

    for ref in ("1", "#1", short, first.id):
        code, out = cli("executions", "show", ref, root)
        assert code == 0 and out.startswith("execution #1 · "), (ref, out)
    code, out = cli("replay", short, root, "--json")
    assert code == 0 and json.loads(out)["replayOf"] == first.id and json.loads(out)["seq"] == 3


def test_prune_keeps_the_newest_or_the_recent_and_leaves_state_alone(project: Project) -> None:
    root = project("emu-state")
    for _ in range(3):
        assert cli("run", root, "--flow", "Count")[0] == 0
    state_before = cli("state", "show", root, "--json")[1]

    code, out = cli("executions", "prune", root, "--older-than", "7d")
    assert code == 0 and out.strip() == "deleted 0 executions; 3 left"
    code, out = cli("executions", "prune", root, "--keep", "1")
    assert code == 0 and out.strip() == "deleted 2 executions; 1 left"
    assert [e["seq"] for e in json.loads(cli("executions", "list", root, "--json")[1])] == [3]
    assert cli("state", "show", root, "--json")[1] == state_before

    assert cli("executions", "prune", root)[0] == 2
    code, out = cli("executions", "prune", root, "--older-than", "7 days")
    assert code == 2 and "--older-than takes a number and a unit" in out


def test_the_store_keeps_the_retention_of_cnikit_yml(project: Project) -> None:
    root = project("emu-state")
    (root / ".spectral" / "cnikit.yml").write_text("retention: 2\n", encoding="utf-8")
    for _ in range(3):
        assert cli("run", root, "--flow", "Count")[0] == 0
    assert [e["seq"] for e in json.loads(cli("executions", "list", root, "--json")[1])] == [3, 2]


def test_flows_lists_name_key_trigger_and_payloads(project: Project) -> None:
    root = project("emu-custom-trigger")
    code, out = cli("flows", root, "--url", "http://127.0.0.1:9")  # nothing serves there: the project is built
    assert code == 0, out
    assert "Challenge Echo" in out and "stable key  challenge-echo" in out and "endpoint    -" in out

    code, out = cli("flows", root, "--json", "--url", "http://127.0.0.1:9")
    views = json.loads(out)
    echo = next(view for view in views if view["name"] == "Challenge Echo")
    assert echo["stableKey"] == "challenge-echo" and echo["version"] == 1 and echo["url"] is None


def test_no_color_and_NO_COLOR_reach_every_command(project: Project) -> None:
    root = project("emu-no-trigger")
    assert ANSI in cli("run", root, "--flow", "Echo", color=True)[1]  # colour when wanted …
    assert ANSI not in cli("run", root, "--flow", "Echo", "--no-color", color=True)[1]  # … not after the command
    assert ANSI not in cli("--no-color", "executions", "show", "1", root, color=True)[1]  # … nor before it
    assert ANSI not in cli("run", root, "--flow", "Echo", color=True, env={"NO_COLOR": "1"})[1]


def test_help_shows_choices_and_no_bool_metavars() -> None:
    code, out = cli("run", "--help", env={"COLUMNS": "200"})
    assert code == 0 and "<live|record|replay>" in out and "<fast|project>" in out and "<bool>" not in out
    code, out = cli("run", "--http", "nope", ".", env={"COLUMNS": "200"})
    assert code == 2 and "'nope' is not one of 'live', 'record', 'replay'" in out


def test_installed_bash_completion_completes_flow_and_payload_names(project: Project, tmp_path: Path) -> None:
    root = project("emu-no-trigger")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    installed = subprocess.run(
        ["bash", "-c", "cnikit --install-completion"], env=env, capture_output=True, text=True, timeout=60
    )
    assert installed.returncode == 0 and "bash completion installed" in installed.stdout, installed
    script = (home / ".bashrc").read_text()

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{word}'" for word in words)
        shell = f"{script}\ncd '{root}'; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _cnikit_completion cnikit"
        done = subprocess.run(
            ["bash", "-c", shell + '; printf "%s\\n" "${COMPREPLY[@]}"'],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.split()

    assert complete("cnikit", "run", "--flow", "") == ["Echo", "echo"]
    assert complete("cnikit", "run", "--flow", "echo", "-p", "h") == ["hello"]
