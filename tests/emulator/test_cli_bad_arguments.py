"""Every command of `cnikit --help` given bad arguments: exit 2 and one clear line, never a traceback.

The commands are found from the Typer app (a new command is swept without touching this file), and each gets a
table of bad arguments built from its parameters: none at all when some are required, one too many, an option
without its value, wrong types, NaN, huge and negative numbers, and nonexistent paths, folders and devices where a
path is expected. A few value rules that types cannot express (the payload of `run`) have their own rows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from cnikit.cli import app

BAD_VALUES: dict[Any, list[str]] = {
    int: ["abc", "1.5", "nan", "99999999999999999999", "-1"],
    float: ["abc", "nan", "inf", "1e999", "-1"],
    # Under the test's tmp_path: a missing file, an empty folder, and a link to /dev/null (a device: a command
    # that wrongly writes there replaces the link, never the device).
    Path: ["{missing}/x.json", "{folder}", "{device}"],
}
# Rows that are not mistakes: `init` creates a missing or empty folder, `doctor` reports a missing project as a
# finding of its report.
ACCEPTED = {
    ("init", "{missing}/x.json"),
    ("init", "{folder}"),
    *(("doctor", value) for value in BAD_VALUES[Path]),
}
BAD_PATHS = BAD_VALUES[Path]
FIXTURE = "emu-no-trigger"  # one flow, `Echo`, with a payload `hello`


def leaf_commands() -> Iterator[tuple[list[str], Any]]:
    """(words, command) for every command and subcommand of the app."""

    def walk(command: Any, words: list[str]) -> Iterator[tuple[list[str], Any]]:
        children = getattr(command, "commands", None)
        if children is None:
            yield words, command
            return
        for name, child in children.items():
            yield from walk(child, [*words, name])

    yield from walk(typer.main.get_command(app), [])


def bad_values(parameter: Any) -> list[str]:
    kind = parameter.type_descriptor.annotation
    kind = next((k for k in getattr(kind, "__args__", ()) if k is not type(None)), kind)  # `int | None` → int
    if isinstance(kind, type) and issubclass(kind, Enum):
        return ["bogus"]
    return BAD_VALUES.get(kind, [])


def bad_invocations() -> Iterator[list[str]]:
    for words, command in leaf_commands():
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        options = [p for p in command.params if p.param_type_name == "option" and not p.is_flag and p.name != "help"]
        if any(p.required for p in command.params):
            yield words  # missing arguments
        if all(a.nargs == 1 for a in arguments):  # a variadic argument takes any number
            yield [*words, *["x"] * len(arguments), "surplus"]
        for option in options:
            yield [*words, option.opts[0]]  # no value
            yield from ([*words, option.opts[0], value] for value in bad_values(option))
        for position, argument in enumerate(arguments):
            # Arguments before it get placeholders (a bad execution number, a bad level), which fail first at
            # worst: the row still asserts a clean failure.
            values = [v for v in bad_values(argument) if (" ".join(words), v) not in ACCEPTED]
            yield from ([*words, *["x"] * position, value] for value in values)
    yield from (["run", "--flow", "Echo", "--payload", value] for value in [*BAD_PATHS, "/dev/urandom"])


@pytest.fixture(scope="module")
def project_dir(built_fixture: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One built copy for the whole table: no row may run anything, so none changes it in a way that matters."""
    return Path(shutil.copytree(built_fixture(FIXTURE), tmp_path_factory.mktemp("sweep") / FIXTURE, symlinks=True))


@pytest.mark.parametrize("words", list(bad_invocations()), ids=" ".join)
def test_bad_arguments_exit_2_without_a_traceback(
    words: list[str], project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "device").symlink_to(os.devnull)
    places = {"missing": tmp_path / "missing", "folder": tmp_path / "folder", "device": tmp_path / "device"}
    words = [word.format(**places) for word in words]
    monkeypatch.chdir(project_dir)
    monkeypatch.setenv("NO_COLOR", "1")

    result = CliRunner().invoke(app, words)

    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
