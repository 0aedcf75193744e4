"""The core imports no face (DESIGN.md): no module under cnikit/ imports emulator, server or tui, even lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import cnikit
from cnikit.cli import COMMANDS_GROUP, app

CORE = Path(cnikit.__file__).parent
FACES = {"emulator", "server", "tui", "mcpserver"}


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):  # every level: an import inside a function counts too
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            called = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if called in ("__import__", "import_module") and node.args and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value))
    return names


def test_no_module_under_cnikit_imports_a_face() -> None:
    offenders = {
        f"{path.relative_to(CORE.parent)}: {name}"
        for path in CORE.rglob("*.py")
        for name in _imported(ast.parse(path.read_text(encoding="utf-8")))
        if name.split(".")[0] in FACES
    }
    assert offenders == set()


def test_the_probe_sees_a_lazy_import() -> None:
    """The check above cannot pass vacuously: it finds an import hidden in a function and a dynamic one."""
    source = "def f():\n    from emulator.store import Store\n    __import__('tui.app')\n"
    assert _imported(ast.parse(source)) == {"emulator.store", "tui.app"}


def test_every_face_registers_its_commands_through_the_entry_point_group() -> None:
    from importlib.metadata import distribution

    registrations = distribution("cnikit").entry_points.select(group=COMMANDS_GROUP)
    faces = {registration.value.split(".")[0] for registration in registrations}
    assert faces == {"cnikit", *FACES}
    commands = {command.name for command in app.registered_commands} | {g.name for g in app.registered_groups}
    assert {"check", "run", "serve", "login", "lsp", "tui", "executions", "clock", "mcp"} <= commands
