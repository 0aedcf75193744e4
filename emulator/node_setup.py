"""The emulator's Node side for an installed cnikit: esbuild and the runner's packages (`@mswjs/interceptors`) from
the packaged lockfile, installed on first use.

In a checkout, `make setup` runs `npm ci` in `emulator/node/` and this module is not needed. An installed cnikit
(a wheel: pip, the VS Code extension's private environment) carries `node/package.json` and its lockfile as package
data but no `node_modules`; `node_modules_dir()` then installs them once, with `npm ci` from that lockfile, into a
user cache folder keyed on the lockfile's hash (`$XDG_CACHE_HOME/cnikit/node-<hash>/`, `~/Library/Caches/...` on
macOS, `%LOCALAPPDATA%` on Windows), after checking that Node is 20 or newer. Progress goes to the `progress`
callback (by default the log and stderr, which the editor shows in its output channel).

Contract: returns a folder holding `node_modules/` installed exactly from the lockfile, or raises `NodeSetupError`
with a one-line reason and what to do. Concurrent first uses are serialised by an atomic rename.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

NODE_DIR = Path(__file__).parent / "node"
MIN_NODE_MAJOR = 20
_MANIFESTS = ("package.json", "package-lock.json")

log = logging.getLogger(__name__)


class NodeSetupError(RuntimeError):
    """The Node side could not be installed; the message says why and what to do."""


def _say(message: str) -> None:
    log.info(message)
    print(f"cnikit: {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    """The per-user cache folder of cnikit (no platformdirs dependency: three cheap rules)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cnikit"


def check_node() -> str:
    """The `node` executable when it is Node 20 or newer; raises `NodeSetupError` otherwise."""
    node = shutil.which("node")
    if node is None:
        raise NodeSetupError(f"Node.js was not found on PATH; install Node {MIN_NODE_MAJOR} or newer to run flows")
    version = subprocess.run(
        [node, "--version"], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    ).stdout.strip()
    try:
        major = int(version.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < MIN_NODE_MAJOR:
        raise NodeSetupError(f"Node {version or '(unknown version)'} is too old: cnikit needs Node {MIN_NODE_MAJOR}+")
    return node


def _lock_hash() -> str:
    digest = hashlib.sha256()
    for name in _MANIFESTS:
        digest.update((NODE_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Where an installed cnikit keeps its Node side: the cache folder of this lockfile."""
    return cache_root() / f"node-{_lock_hash()}"


def installed_dir() -> Path | None:
    """The folder whose `node_modules/` has the runner's packages, without installing anything: the source tree's,
    else the cache's once installed, else None."""
    if (NODE_DIR / "node_modules").is_dir():
        return NODE_DIR
    target = cache_dir()
    return target if (target / "node_modules" / ".package-lock.json").is_file() else None


def node_modules_dir(progress: Callable[[str], None] = _say) -> Path:
    """The folder whose `node_modules/` has the runner's packages (esbuild): the source tree's, else the cache's
    (installed there on first use)."""
    if (found := installed_dir()) is not None:
        return found
    target = cache_dir()
    check_node()
    npm = shutil.which("npm")
    if npm is None:
        raise NodeSetupError("npm was not found on PATH; it comes with Node.js, which cnikit needs to run flows")
    progress(f"installing the Node side of cnikit (esbuild, the runner's packages) into {target}: first run only")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".node-", dir=target.parent))
    try:
        for name in _MANIFESTS:
            shutil.copyfile(NODE_DIR / name, staging / name)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            stdin=subprocess.DEVNULL,  # under `cnikit lsp` stdin is the LSP stream: npm must not read it
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise NodeSetupError(f"`npm ci` for cnikit's Node side failed in {staging}: {reason}")
        try:
            staging.rename(target)
        except OSError:
            if not (target / "node_modules").is_dir():  # lost a race to another first use: that copy is as good
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress("the Node side of cnikit is installed")
    return target
