"""The README cannot drift: its shell blocks run, its table of contents matches its sections, what it names exists.

Every fenced `sh` block runs, in order, in one sandbox laid out like a checkout: a copy of `examples/todo-sync`
(its packages linked from the checkout's install), with `cnikit` from this environment on PATH and the cloud
commands pointed at the fake Prismatic stack. A block whose source is preceded by `<!-- not-run -->` is skipped:
keep that for blocks that need a long-lived server, a browser, a terminal UI or the network. The test runs whatever
blocks exist, so new README sections are covered the day they are written.

`npm install` / `npm ci` in a block need the registry; in the sandbox `npm` links the fixtures' packages instead
(every other npm command is the real one).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fakes.prismatic import FakePrismatic

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE = ROOT / "examples" / "todo-sync"
FIXTURE_PACKAGES = ROOT / "tests" / "fixtures" / "node_modules"
NOT_RUN = "<!-- not-run -->"
FENCE = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
BLOCK_TIMEOUT_S = 300


@dataclass(frozen=True)
class Block:
    """One fenced `sh` block: the line its fence opens on, its text, and whether the test runs it."""

    line: int
    body: str
    run: bool


def sh_blocks(text: str) -> list[Block]:
    """The `sh` blocks of a Markdown text; a block is skipped when the line right above its fence is NOT_RUN."""
    found: list[Block] = []
    for match in FENCE.finditer(text):
        above = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        found.append(Block(text.count("\n", 0, match.start()) + 1, match.group(1), above.strip() != NOT_RUN))
    return found


def test_not_run_marks_only_the_block_right_below_it() -> None:
    text = f"a\n\n```sh\necho 1\n```\n{NOT_RUN}\n```sh\nsleep 1d\n```\n{NOT_RUN}\n\nprose\n\n```sh\necho 3\n```\n"
    assert sh_blocks(text) == [
        Block(3, "echo 1\n", True),
        Block(7, "sleep 1d\n", False),
        Block(14, "echo 3\n", True),
    ]


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A folder laid out like a checkout (examples/todo-sync), with a `bin/npm` that links packages offline."""
    target = tmp_path / "examples" / "todo-sync"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("node_modules", "local"), symlinks=True)
    (target / "node_modules").symlink_to(EXAMPLE / "node_modules")
    real_npm = shutil.which("npm")
    assert real_npm, "npm must be installed"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(
        "#!/bin/sh\n"
        "# install/ci: the fixtures' packages instead of the registry; anything else: the real npm\n"
        f'case "$1" in install|ci) ln -sfn "{FIXTURE_PACKAGES}" node_modules ;; *) exec "{real_npm}" "$@" ;; esac\n'
    )
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "home").mkdir()
    return tmp_path


def _environment(sandbox: Path, fake: FakePrismatic) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CNIKIT_", "PRISM", "PYTHON_KEYRING", "DEBUG"))}
    home = sandbox / "home"
    return {
        **keep,
        "PATH": os.pathsep.join([str(sandbox / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]),
        "HOME": str(home),  # nothing a block does reaches the developer's own settings, tokens or prism profile
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "NO_COLOR": "1",
        "PRISMATIC_URL": fake.url,
        "PRISM_ACCESS_TOKEN": fake.issue_access_token(),
    }


def test_every_sh_block_runs(sandbox: Path, fake: FakePrismatic) -> None:
    blocks = [block for block in sh_blocks(README.read_text(encoding="utf-8")) if block.run]
    assert len(blocks) >= 5  # the quick start, check, run, the cloud in CI: a parser gone wrong finds none
    env = _environment(sandbox, fake)
    for block in blocks:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.body],
            cwd=sandbox,
            env=env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_S,
            check=False,
        )
        # Later blocks build on earlier ones (the project `cnikit init` made), so the first failure ends the test.
        assert done.returncode == 0, (
            f"README.md:{block.line}: the block exited {done.returncode}\n{block.body}\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_contents_lists_every_section_with_its_anchor() -> None:
    text = README.read_text(encoding="utf-8")
    contents, _, rest = text.partition("## Contents\n")[2].partition("\n## ")
    listed = re.findall(r"^- \[(.+)\]\(#(.+)\)$", contents, re.MULTILINE)
    headings = re.findall(r"^## (.+)$", "## " + rest, re.MULTILINE)
    assert [title for title, _ in listed] == headings, "## Contents must list every section below it, in order"
    assert [anchor for _, anchor in listed] == [_slug(h) for h in headings]


def test_every_file_the_readme_names_exists() -> None:
    text = re.sub(r"https?://[^\s)]+", "", README.read_text(encoding="utf-8"))
    links = re.findall(r"\]\(([^)#\s]+)\)", text)
    assert "BENCHMARKS.md" in links
    missing = [link for link in links if not (ROOT / link).exists()]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    names = set(tracked) | {Path(path).name for path in tracked}
    missing += [doc for doc in set(re.findall(r"[\w./-]+\.md\b", text)) if doc not in names]
    assert not missing, f"README.md names files that are not in the repository: {sorted(missing)}"
