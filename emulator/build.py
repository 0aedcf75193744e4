"""Build a CNI project for running: esbuild (fast path) or the project's own build script.

The fast path writes `.spectral/local/build/index.js`, a CommonJS bundle for Node, in two layers so an edit
rebuilds in milliseconds:

* `vendor-<hash>.js` bundles every npm package the project imports (spectral, axios, …). It is rebuilt only when
  that set of packages or the project's package.json / lockfile changes.
* `index.js` bundles the project's own sources, with packages left as `require(...)` calls that a two-line
  banner answers from the vendor bundle. Nothing is resolved from node_modules at run time: the build folder is
  self-contained.

A build is skipped when the sources are unchanged (content hash of `src/`, package.json, tsconfig.json and the
lockfile). `--build project` runs the project's `build` script instead (`cnikit.definition`), the path the
official tooling uses. `DEBUG` is stripped from every child environment. Build errors come back as
`file:line:col message`.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cnikit.definition import BuildError, build_with_project_script, missing_dependencies, node_environment
from cnikit.project import local_dir
from emulator import node_setup

BuildMode = Literal["fast", "project"]
NODE_DIR = Path(__file__).parent / "node"
HASH_INPUTS = ("package.json", "tsconfig.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock")
SOURCE_SUFFIXES = {".ts", ".tsx", ".js", ".mjs", ".cjs", ".json", ".mts", ".cts"}
# Files scaffolds import as text (webpack's `asset/source`), e.g. a `documentation.md`.
TEXT_LOADERS = [f"--loader:{suffix}=text" for suffix in (".md", ".txt", ".html", ".graphql", ".gql")]
# Packages are `require`d from the vendor bundle next to index.js (see the module docstring).
BANNER = (
    '"use strict"; const __cnikitVendor = require("./vendor.js"); '
    "require = ((load) => (id) => Object.prototype.hasOwnProperty.call(__cnikitVendor, id) ? "
    "__cnikitVendor[id]() : load(id))(require);"
)
_ERROR = re.compile(r"^\s*✘ \[ERROR\] (?P<message>.+)$")
_LOCATION = re.compile(r"^\s+(?P<file>[^\s].*?):(?P<line>\d+):(?P<col>\d+):\s*$")


@dataclass
class BuildProblem:
    """One error the bundler reported, located in the project's sources when the bundler said where."""

    message: str
    file: str | None = None
    line: int | None = None  # 1-based, as printed
    col: int | None = None  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}" if self.file else self.message


class BuildFailed(Exception):
    """The project does not build; `problems` say where (each `file:line:col message`)."""

    def __init__(self, problems: list[BuildProblem], output: str = "") -> None:
        self.problems = problems
        self.output = output
        super().__init__("\n".join(str(p) for p in problems) or output.strip() or "the build failed")


@dataclass
class BuildResult:
    """What a build produced: the bundle to load, and whether this call actually rebuilt it."""

    bundle: Path
    rebuilt: bool
    seconds: float
    mode: BuildMode = "fast"
    vendor_rebuilt: bool = False
    problems: list[BuildProblem] = field(default_factory=list)


def build_dir(root: Path) -> Path:
    """`.spectral/local/build/` of the project at `root`."""
    return local_dir(root, create=True) / "build"


def esbuild_binary() -> Path:
    """The pinned esbuild binary (emulator/node's, or installed on first use: node_setup); `BuildFailed` if missing."""
    try:
        node_dir = node_setup.node_modules_dir()
    except node_setup.NodeSetupError as error:
        raise BuildFailed([BuildProblem(str(error))]) from None
    for candidate in sorted((node_dir / "node_modules" / "@esbuild").glob("*/bin/esbuild")):
        return candidate
    fallback = node_dir / "node_modules" / ".bin" / "esbuild"
    if fallback.exists():
        return fallback
    raise BuildFailed(
        [BuildProblem(f"esbuild is not installed in {NODE_DIR}: run `make setup` (or `npm ci` in that folder)")]
    )


def source_hash(root: Path) -> str:
    """A content hash of everything the fast build reads from the project."""
    digest = hashlib.sha256()
    src = root / "src"
    files = sorted(p for p in src.rglob("*") if p.is_file() and p.suffix in SOURCE_SUFFIXES) if src.is_dir() else []
    for path in [*files, *(root / name for name in HASH_INPUTS)]:
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def build(root: Path, mode: BuildMode = "fast", *, force: bool = False) -> BuildResult:
    """Build the project at `root` for the emulator; skipped when nothing changed since the last build."""
    started = time.perf_counter()
    root = root.resolve()
    if mode == "project":
        try:
            bundle = build_with_project_script(root)
        except BuildError as error:
            raise BuildFailed([BuildProblem(error.message)], error.output) from None
        return BuildResult(bundle, True, time.perf_counter() - started, mode)
    entry = root / "src" / "index.ts"
    if not entry.is_file():
        raise BuildFailed([BuildProblem(f"no {entry.relative_to(root)} in {root}: the fast build bundles that file")])
    out = build_dir(root)
    bundle = out / "index.js"
    stamp = out / "source.sha256"
    digest = source_hash(root)
    if not force and bundle.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return BuildResult(bundle, False, time.perf_counter() - started)
    out.mkdir(parents=True, exist_ok=True)
    # Build into a temporary name and rename: a failed build leaves the previous bundle in place.
    tmp_bundle = out / "index.next.js"
    meta = out / "meta.json"
    _esbuild(
        root,
        [
            "src/index.ts",
            "--bundle",
            "--platform=node",
            "--target=node18",
            "--format=cjs",
            "--packages=external",
            "--sourcemap",
            f"--metafile={meta}",
            f"--outfile={tmp_bundle}",
            f"--banner:js={BANNER}",
            *TEXT_LOADERS,
            "--log-level=error",
            "--color=false",
        ],
    )
    packages = _external_packages(json.loads(meta.read_text()))
    vendor_rebuilt = _vendor(root, out, packages)
    tmp_bundle.replace(bundle)
    (out / "index.next.js.map").replace(out / "index.js.map")
    bundle.write_text(bundle.read_text().replace("sourceMappingURL=index.next.js.map", "sourceMappingURL=index.js.map"))
    stamp.write_text(digest)
    return BuildResult(bundle, True, time.perf_counter() - started, vendor_rebuilt=vendor_rebuilt)


def _external_packages(meta: dict[str, object]) -> list[str]:
    found: set[str] = set()
    inputs = meta.get("inputs")
    for info in (inputs or {}).values() if isinstance(inputs, dict) else []:
        for item in info.get("imports", []):
            path = item.get("path", "")
            # Node's own modules may land in the vendor entry too: its bundle keeps them as plain `require`s.
            if item.get("external") and not path.startswith("node:"):
                found.add(path)
    return sorted(found)


def _vendor(root: Path, out: Path, packages: list[str]) -> bool:
    digest = hashlib.sha256(json.dumps(packages).encode())
    for name in HASH_INPUTS[2:]:  # lockfiles; of package.json only the dependencies matter
        if (root / name).is_file():
            digest.update((root / name).read_bytes())
    try:
        manifest = json.loads((root / "package.json").read_text())
        digest.update(json.dumps([manifest.get("dependencies"), manifest.get("devDependencies")]).encode())
    except (OSError, ValueError, AttributeError):
        pass
    vendor, stamp = out / "vendor.js", out / "vendor.sha256"
    if vendor.is_file() and stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return False
    entry = out / "vendor-entry.js"
    entry.write_text(
        "module.exports = {\n"
        + "".join(f"  {json.dumps(p)}: () => require({json.dumps(p)}),\n" for p in packages)
        + "};\n"
    )
    tmp = out / "vendor.next.js"
    try:
        _esbuild(
            root,
            [
                str(entry),
                "--bundle",
                "--platform=node",
                "--target=node18",
                "--format=cjs",
                f"--outfile={tmp}",
                "--log-level=error",
                "--color=false",
            ],
        )
    except BuildFailed as error:
        # Without node_modules esbuild blames the generated vendor entry; the cause is the missing install.
        missing = missing_dependencies(root)
        if missing:
            raise BuildFailed([BuildProblem(missing)], error.output) from None
        raise
    tmp.replace(vendor)
    entry.unlink()
    stamp.write_text(digest.hexdigest())
    return True


def _esbuild(root: Path, args: list[str]) -> None:
    try:
        completed = subprocess.run(
            [str(esbuild_binary()), *args],
            cwd=root,
            env=node_environment(),
            capture_output=True,
            text=True,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildFailed([BuildProblem(f"esbuild could not run: {error}")]) from None
    if completed.returncode != 0:
        raise BuildFailed(parse_esbuild_errors(completed.stderr, root), completed.stderr)


def parse_esbuild_errors(output: str, root: Path) -> list[BuildProblem]:
    """esbuild's error report as `BuildProblem`s (`file:line:col message`), paths relative to `root`."""
    problems: list[BuildProblem] = []
    lines = output.splitlines()
    for index, line in enumerate(lines):
        match = _ERROR.match(line)
        if not match:
            continue
        problem = BuildProblem(match["message"].strip())
        for following in lines[index + 1 : index + 4]:
            location = _LOCATION.match(following)
            if location:
                problem.file, problem.line, problem.col = location["file"], int(location["line"]), int(location["col"])
                # esbuild prints 0-based columns in this header line; editors count from 1.
                problem.col += 1
                break
        problems.append(problem)
    return problems or [BuildProblem(output.strip() or "esbuild failed without a message")]


def clean(root: Path) -> None:
    """Remove the build folder (the next build starts from scratch)."""
    shutil.rmtree(build_dir(root), ignore_errors=True)
