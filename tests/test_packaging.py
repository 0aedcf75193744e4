"""`pipx install <checkout>` / `make install` ship everything the packages read at run time.

An installed cnikit has no checkout next to it: a template, stylesheet or Node file left out of
`[tool.setuptools.package-data]` exists in development and is missing for every user. Installed Node packages
(`node_modules`) are not shipped: they install on first use from the packaged lockfile; nor are the Node
worker's own tests and lint configuration.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = {"node_modules", "__pycache__"}
# Development-only files of the Node worker: its unit tests and lint/type-check configuration (run by `make test`).
DEV_ONLY = {"emulator/node/test", "emulator/node/eslint.config.mjs", "emulator/node/tsconfig.json"}


def _data_files(package: Path) -> set[Path]:
    return {
        path
        for path in package.rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and not NOT_SHIPPED & set(path.parts)
        and not any(path.relative_to(ROOT).as_posix().startswith(dev) for dev in DEV_ONLY)
    }


def test_package_data_covers_every_data_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = config["packages"]["find"]["include"]
    globs: dict[str, list[str]] = config["package-data"]
    for pattern in packages:
        name = pattern.rstrip("*")
        shipped = {path for glob in globs.get(name, []) for path in (ROOT / name).glob(glob) if path.is_file()}
        missing = sorted(str(p.relative_to(ROOT)) for p in _data_files(ROOT / name) - shipped)
        assert not missing, f"add these to [tool.setuptools.package-data] {name}: {missing}"
