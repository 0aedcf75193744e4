"""Build a CNI project for running: esbuild (fast path) or the project's own build script.

The fast path writes `.spectral/local/build/index.js`, a CommonJS bundle for Node, in two layers so an edit
rebuilds in milliseconds:

* `vendor.js` bundles every npm package the project imports (spectral, axios, …). It is rebuilt only when that set
  of packages or the project's package.json / lockfile changes. Packages that ship only ESM (an `exports` map with
  no `require` condition) are imported, not required, and handed over as namespaces marked `__esModule`, as webpack
  does.
* `index.js` bundles the project's own sources, with packages left as `require(...)` calls that a two-line
  banner answers from the vendor bundle. Nothing is resolved from node_modules at run time: the build folder is
  self-contained. Files the project's webpack config copies with copy-webpack-plugin (icons, templates) are copied
  next to it, so code reading them from `__dirname` finds them.

esbuild reads tsconfig `paths`/`baseUrl`, JSON imports, `import type`, re-exported types and `export *` itself.
A build is skipped when the sources are unchanged (content hash of `src/`, `assets/`, package.json, tsconfig.json,
webpack.config.js and the lockfile). Build errors come back as `file:line:col message`.

When esbuild cannot resolve or load something the project's own build may handle (a webpack alias or loader), the
build falls back on the project's `build` script, saying so in one progress line; a syntax error in `src/` is
reported at once instead. `--build project` always runs that script (the path the official tooling uses), skipped
when its inputs and `dist/index.js` are unchanged, with progress lines while it runs and a time limit
(`--build-timeout`; `cnikit.definition.build`). `DEBUG` is stripped from every child environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cnikit.definition.build import BUILD_TIMEOUT, BUNDLE, BuildError, missing_dependencies, project_build_command
from cnikit.node import node_environment
from cnikit.private_files import private_dir, tighten_tree
from cnikit.project import local_dir
from emulator import node_setup

BuildMode = Literal["fast", "project"]
Progress = Callable[[str], None]
NODE_DIR = Path(__file__).parent / "node"
HASH_INPUTS = ("package.json", "tsconfig.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock")
BUILD_CONFIGS = ("webpack.config.js", "webpack.config.cjs", "webpack.config.ts", "tsdown.config.ts")
SOURCE_SUFFIXES = {".ts", ".tsx", ".js", ".mjs", ".cjs", ".json", ".mts", ".cts"}
# Files scaffolds import as text (webpack's `asset/source`), e.g. a `documentation.md`.
TEXT_SUFFIXES = (".md", ".txt", ".html", ".graphql", ".gql")
TEXT_LOADERS = [f"--loader:{suffix}=text" for suffix in TEXT_SUFFIXES]
PROGRESS_EVERY = 5.0  # seconds of silence from the project's build before a "still building" line
# Packages are `require`d from the vendor bundle next to index.js (see the module docstring).
BANNER = (
    '"use strict"; const __cnikitVendor = require("./vendor.js"); '
    "require = ((load) => (id) => Object.prototype.hasOwnProperty.call(__cnikitVendor, id) ? "
    "__cnikitVendor[id]() : load(id))(require);"
)
_ERROR = re.compile(r"^\s*✘ \[ERROR\] (?P<message>.+)$")
_LOCATION = re.compile(r"^\s+(?P<file>[^\s].*?):(?P<line>\d+):(?P<col>\d+):\s*$")
# What esbuild cannot bundle but a project's own build may (a webpack alias, loader or resolver setting).
_UNBUNDLABLE = re.compile(r'^(Could not resolve "(?P<path>[^"]+)"|No loader is configured|Do not know how to load)')
_ESM_ONLY = re.compile(r'Could not resolve "(?P<path>[^"]+)"[^✘]*?the "import" condition is supported', re.S)
# Evaluates the project's webpack config with copy-webpack-plugin (and any package that is not installed) stubbed,
# and prints the copy patterns: [{from, to, context}], `context` relative to the project, `from` to the context, `to`
# to the config's output path (relative, so they still hold when the project moves).
_COPY_PATTERNS = r"""
const Module = require("module"), path = require("path");
const patterns = [];
const stub = () => new Proxy(function () {}, { get: (_t, key) => (key === Symbol.toPrimitive ? () => "" : stub()),
  apply: () => stub(), construct: () => stub() });
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === "copy-webpack-plugin") return class CopyPlugin { constructor(options) {
    patterns.push(...((options && options.patterns) || [])); } };
  try { return load.call(this, request, ...rest); } catch { return stub(); }
};
let config = require(path.resolve(process.argv[1]));
config = config && config.default ? config.default : config;
if (typeof config === "function") config = config({}, { mode: "production" });
const first = Array.isArray(config) ? config[0] : config;
const output = path.resolve((first && first.output && first.output.path) || "dist");
const context = (first && first.context) || process.cwd();
process.stdout.write(JSON.stringify(patterns.map((p) => {
  const pattern = typeof p === "string" ? { from: p } : p;
  const to = typeof pattern.to === "string" ? path.resolve(output, pattern.to) : output;
  const base = path.resolve(String(pattern.context || context));
  const from = path.isAbsolute(String(pattern.from)) ? path.relative(base, String(pattern.from)) : String(pattern.from);
  return { from, context: path.relative(process.cwd(), base), to: path.relative(output, to) };
})));
"""


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
    fallback: str | None = None  # why the fast build gave way to the project's build script


def build_dir(root: Path) -> Path:
    """`.spectral/local/build/` of the project at `root` (0700)."""
    return private_dir(local_dir(root, create=True) / "build")


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


def source_hash(root: Path, *, every_file: bool = False) -> str:
    """A content hash of everything the fast build reads from the project (`every_file`: all of `src/`)."""
    digest = hashlib.sha256()
    wanted = SOURCE_SUFFIXES | set(TEXT_SUFFIXES)
    files = [
        path
        for folder in (root / "src", root / "assets")
        if folder.is_dir()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and (every_file or folder.name == "assets" or path.suffix in wanted)
    ]
    for path in [*files, *(root / name for name in (*HASH_INPUTS, *BUILD_CONFIGS))]:
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class BuildLimits:
    """How long the project's build script may run (seconds), and who hears its progress, a line at a time."""

    timeout: float = BUILD_TIMEOUT
    progress: Progress | None = None

    def say(self, line: str) -> None:
        """Pass one progress line on (dropped when nobody listens)."""
        if self.progress is not None:
            self.progress(line)


def build(
    root: Path, mode: BuildMode = "fast", *, force: bool = False, limits: BuildLimits | None = None
) -> BuildResult:
    """Build the project at `root` for the emulator; skipped when nothing changed since the last build.

    `limits` bound the project's build script (the `project` mode, or the fast build falling back on it) and
    receive its progress.
    """
    started = time.perf_counter()
    root = root.resolve()
    limits = limits or BuildLimits()
    if mode == "project":
        return _project_build(root, limits, force=force, started=started)
    try:
        return _fast_build(root, force=force, started=started)
    except BuildFailed as failed:
        if not _project_may_bundle(root, failed.problems):
            raise
        reason = failed.problems[0]
        limits.say(f"the fast build cannot bundle this project ({reason}); using its `build` script instead")
        try:
            result = _project_build(root, limits, force=force, started=started)
        except BuildFailed as also:
            raise BuildFailed([*failed.problems, *also.problems], failed.output + also.output) from None
        result.fallback = str(reason)
        return result


def _fast_build(root: Path, *, force: bool, started: float) -> BuildResult:
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
    importers = _external_packages(json.loads(meta.read_text()))
    vendor_rebuilt = _vendor(root, out, importers)
    _copy_assets(root, out)
    tmp_bundle.replace(bundle)
    (out / "index.next.js.map").replace(out / "index.js.map")
    bundle.write_text(bundle.read_text().replace("sourceMappingURL=index.next.js.map", "sourceMappingURL=index.js.map"))
    stamp.write_text(digest)
    tighten_tree(out)  # esbuild and write_text create files 0644: like all of .spectral/local, they are private
    return BuildResult(bundle, True, time.perf_counter() - started, vendor_rebuilt=vendor_rebuilt)


def _project_may_bundle(root: Path, problems: list[BuildProblem]) -> bool:
    """True when every problem is one esbuild alone cannot solve (a package or loader the project's build
    configures) and the project has a build script to try. A syntax error, or a relative import of a file that is
    not there, is the project's own mistake: reported at once, never after a slow build."""
    if not problems:
        return False
    for problem in problems:
        match = _UNBUNDLABLE.match(problem.message)
        if match is None or _is_path(match["path"] or ""):
            return False
    try:
        project_build_command(root)
    except BuildError:
        return False
    return True


def _is_path(specifier: str) -> bool:
    return specifier.startswith((".", "/")) or bool(re.match(r"^[A-Za-z]:[\\/]", specifier))


def _external_packages(meta: dict[str, object]) -> dict[str, str]:
    """Each npm package the project's sources import → the first source file that imports it."""
    found: dict[str, str] = {}
    inputs = meta.get("inputs")
    for source, info in (inputs or {}).items() if isinstance(inputs, dict) else []:
        for item in info.get("imports", []):
            path = item.get("path", "")
            # A relative or absolute path is never a package: esbuild marks an import it dropped (type-only,
            # `import { Thing } from "../schemas/thing"`) external. Node's own modules may land in the vendor
            # entry: its bundle keeps them as plain `require`s.
            if item.get("external") and not path.startswith("node:") and not _is_path(path):
                found.setdefault(path, source)
    return dict(sorted(found.items()))


def _vendor(root: Path, out: Path, importers: dict[str, str]) -> bool:
    packages = list(importers)
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
    tmp = out / "vendor.next.js"
    try:
        try:
            _bundle_vendor(root, out, packages, esm_only=set(), outfile=tmp)
        except BuildFailed as error:
            # A package that ships only ESM cannot be `require`d; esbuild says so, and it is imported instead.
            esm_only = {match["path"] for match in _ESM_ONLY.finditer(error.output)} & set(packages)
            if not esm_only:
                raise
            _bundle_vendor(root, out, packages, esm_only=esm_only, outfile=tmp)
    except BuildFailed as error:
        # Without node_modules esbuild blames the generated vendor entry; the cause is the missing install.
        missing = missing_dependencies(root)
        if missing:
            raise BuildFailed([BuildProblem(missing)], error.output) from None
        located = [_at_importer(root, problem, importers) for problem in error.problems]
        raise BuildFailed(located, error.output) from None
    tmp.replace(vendor)
    stamp.write_text(digest.hexdigest())
    return True


def _at_importer(root: Path, problem: BuildProblem, importers: dict[str, str]) -> BuildProblem:
    """A package the generated vendor entry cannot resolve, placed on the project's import of it instead."""
    match = _UNBUNDLABLE.match(problem.message)
    package = (match["path"] if match else None) or ""
    source = importers.get(package)
    if source is None or not (root / source).is_file():
        return problem
    lines = (root / source).read_text(errors="replace").splitlines()
    for number, text in enumerate(lines, 1):
        for quoted in (f'"{package}"', f"'{package}'"):
            if quoted in text:
                return BuildProblem(problem.message, source, number, text.index(quoted) + 1)
    return BuildProblem(problem.message, source, 1, 1)


def _bundle_vendor(root: Path, out: Path, packages: list[str], *, esm_only: set[str], outfile: Path) -> None:
    entry, esm_entry = out / "vendor-entry.js", out / "vendor-esm.mjs"
    ordered = sorted(esm_only)
    # webpack hands `require()` of an ES module its namespace marked `__esModule`, so default imports work.
    esm_entry.write_text(
        "".join(f"import * as p{i} from {json.dumps(name)};\n" for i, name in enumerate(ordered))
        + 'const cjs = (ns) => Object.defineProperty({ ...ns }, "__esModule", { value: true });\n'
        + "export const packages = {\n"
        + "".join(f"  {json.dumps(name)}: cjs(p{i}),\n" for i, name in enumerate(ordered))
        + "};\n"
    )
    load = {
        name: f'require("./vendor-esm.mjs").packages[{json.dumps(name)}]'
        if name in esm_only
        else f"require({json.dumps(name)})"
        for name in packages
    }
    entry.write_text(
        "module.exports = {\n" + "".join(f"  {json.dumps(p)}: () => {load[p]},\n" for p in packages) + "};\n"
    )
    try:
        _esbuild(
            root,
            [
                str(entry),
                "--bundle",
                "--platform=node",
                "--target=node18",
                "--format=cjs",
                f"--outfile={outfile}",
                "--log-level=error",
                "--color=false",
            ],
        )
    finally:
        entry.unlink(missing_ok=True)
        esm_entry.unlink(missing_ok=True)


def _copy_assets(root: Path, out: Path) -> None:
    """Copy what the project's webpack config copies with copy-webpack-plugin into the build folder."""
    for pattern in _copy_patterns(root, out):
        context = root / pattern["context"]
        target = (out / pattern["to"]).resolve()
        if not target.is_relative_to(out.resolve()):
            continue  # only into the build folder, never elsewhere on disk
        for source, relative in _pattern_files(context, pattern["from"]):
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def _copy_patterns(root: Path, out: Path) -> list[dict[str, str]]:
    # Evaluating the config costs a Node start: its patterns are kept until the config changes.
    config = next((root / name for name in BUILD_CONFIGS[:3] if (root / name).is_file()), None)
    node = shutil.which("node")
    if config is None or config.suffix == ".ts" or node is None:
        return []
    cache = out / "copy-patterns.json"
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    try:
        cached = json.loads(cache.read_text())
        if cached["config"] == digest:
            return list(cached["patterns"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        completed = subprocess.run(
            [node, "-e", _COPY_PATTERNS, str(config)],
            cwd=root,
            env=node_environment(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        patterns = json.loads(completed.stdout) if completed.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired, ValueError):
        patterns = []  # a config we cannot evaluate copies nothing; the project's own build still would
    cache.write_text(json.dumps({"config": digest, "patterns": patterns}))
    return list(patterns)


def _pattern_files(context: Path, pattern: str) -> Iterable[tuple[Path, Path]]:
    # copy-webpack-plugin: a folder copies its contents, a file itself, a glob what it matches.
    base = context / pattern
    if base.is_dir():
        return ((path, path.relative_to(base)) for path in base.rglob("*") if path.is_file())
    if base.is_file():
        return [(base, Path(base.name))]
    return ((path, path.relative_to(context)) for path in context.glob(pattern) if path.is_file())


def _project_build(root: Path, limits: BuildLimits, *, force: bool, started: float) -> BuildResult:
    """`npm run build` (or the project's package manager), skipped when its inputs and output are unchanged."""
    bundle = root / BUNDLE
    stamp = build_dir(root) / "project.sha256"

    def fingerprint() -> str:
        return source_hash(root, every_file=True) + " " + hashlib.sha256(bundle.read_bytes()).hexdigest()

    if not force and bundle.is_file() and stamp.is_file() and stamp.read_text() == fingerprint():
        return BuildResult(bundle, False, time.perf_counter() - started, "project")
    try:
        manager, command = project_build_command(root)
    except BuildError as error:
        raise BuildFailed([BuildProblem(error.message)]) from None
    output = _run_build_script(root, manager, command, limits)
    if not bundle.is_file():
        message = f"'{manager} run build' succeeded but did not write {BUNDLE}; it must bundle src/index.ts there"
        raise BuildFailed([BuildProblem(message)], output)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint())
    seconds = time.perf_counter() - started
    limits.say(f"'{manager} run build' finished in {seconds:.1f} s")
    return BuildResult(bundle, True, seconds, "project")


def _run_build_script(root: Path, manager: str, command: list[str], limits: BuildLimits) -> str:
    """Run the build script, passing its output on as progress; stopped (with its children) after the limit."""
    name, timeout = f"'{manager} run build'", limits.timeout
    limits.say(f"building with {name} (--build-timeout {timeout:g} s)…")
    try:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=node_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group: a timeout stops webpack too, not only npm
        )
    except OSError as error:
        raise BuildFailed([BuildProblem(f"{name} could not start: {error}")]) from None
    lines: queue.Queue[str | None] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
    reader.start()
    output: list[str] = []
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < timeout:
            try:
                line = lines.get(timeout=min(PROGRESS_EVERY, timeout - elapsed))
            except queue.Empty:
                limits.say(f"still building ({time.monotonic() - started:.0f} s of {timeout:g} s)…")
                continue
            if line is None:
                break
            output.append(line)
            if line.strip():
                limits.say(f"  {line.rstrip()}")
        else:
            message = f"{name} did not finish within the --build-timeout of {timeout:g} s and was stopped"
            raise BuildFailed([BuildProblem(message)], "".join(output))
        code = process.wait()
    finally:
        if process.returncode is None:  # the limit, or Ctrl-C: stop the script and what it started
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = "".join(output)
    if code != 0:
        missing = missing_dependencies(root)
        hint = f" ({missing})" if missing else ""
        tail = [line for line in text.strip().splitlines() if line.strip()][-15:]
        message = f"{name} failed with exit code {code}{hint}" + "".join(f"\n    {line}" for line in tail)
        raise BuildFailed([BuildProblem(message)], text)
    return text


def _pump(stream: Iterable[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


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
