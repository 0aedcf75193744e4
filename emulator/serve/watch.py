"""Hot reload for `cnikit serve`: watch the project's sources, rebuild, swap workers only after a clean build.

`Watcher(runtime).start()` watches `src/`, `assets/`, `package.json`, `tsconfig.json` and the webpack config
(watchfiles, debounced): what the build reads. On a
change it calls `Executor.prepare()`: the build is content-hashed (a save that changes nothing rebuilds nothing);
a new worker pool loads and warms the new bundle before it replaces the old one, so executions in flight finish on
the old workers. A build error, or a bundle spectral refuses to load, keeps the old code serving (the previous
bundle is put back so the old pool's next worker loads it too) and reports the error. Every reload is a log line
with its duration and a `reload` runtime event: `{ok, seconds, rebuilt, error?, problems?}`.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

from emulator import build
from emulator.build import BUILD_CONFIGS, BuildFailed, build_dir
from emulator.runner import RunnerError, WorkerFault
from emulator.serve.runtime import Runtime

WATCHED_FILES = ("package.json", "tsconfig.json", *BUILD_CONFIGS)
SOURCE_SUFFIXES = frozenset({*build.SOURCE_SUFFIXES, *build.TEXT_SUFFIXES})  # what the fast build reads in src/
DEBOUNCE_MS = 80  # editors write a file in several steps; one reload per save


def _relevant(root: Path) -> Any:
    src, assets = root / "src", root / "assets"

    def accept(_change: Any, path: str) -> bool:
        candidate = Path(path)
        if candidate.parent == root:
            return candidate.name in WATCHED_FILES
        return candidate.is_relative_to(assets) or (
            candidate.is_relative_to(src) and candidate.suffix in SOURCE_SUFFIXES
        )

    return accept


class Watcher:
    """Watches one served project and reloads it on change (on its own thread)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.root = runtime.root
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start watching."""
        self.runtime.executor.prespawn()
        self._thread = threading.Thread(target=self._watch, name="cnikit-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (a reload in progress finishes)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        from watchfiles import watch

        folders = (self.root / "src", self.root / "assets")
        paths = [p for p in (*folders, *(self.root / name for name in WATCHED_FILES)) if p.exists()]
        for changes in watch(
            *paths,
            watch_filter=_relevant(self.root),
            debounce=DEBOUNCE_MS,
            step=20,
            stop_event=self._stop,
            rust_timeout=500,
            yield_on_timeout=False,
        ):
            if changes:
                self.reload(sorted({Path(path).name for _change, path in changes}))

    def reload(self, changed: list[str] | None = None) -> dict[str, Any]:
        """Rebuild and swap now; returns (and emits) the `reload` event's data."""
        with self._lock:
            return self._reload(changed or [])

    def _reload(self, changed: list[str]) -> dict[str, Any]:
        started = time.perf_counter()
        backup = _snapshot(build_dir(self.root))
        data: dict[str, Any] = {"changed": changed}
        try:
            result = self.runtime.executor.prepare()
        except BuildFailed as failed:
            data.update(ok=False, error="the project does not build", problems=[str(p) for p in failed.problems])
        except RunnerError as failed:
            _restore(backup, build_dir(self.root))
            data.update(ok=False, error=f"the new bundle does not load: {failed.message}", problems=[])
        except WorkerFault as failed:
            _restore(backup, build_dir(self.root))
            data.update(ok=False, error=str(failed), problems=[])
        else:
            data.update(ok=True, rebuilt=result.rebuilt)
            self.runtime.refresh_schedules()
        finally:
            shutil.rmtree(backup, ignore_errors=True)
            self.runtime.executor.prespawn()  # the next reload starts from a worker with the packages loaded
        seconds = time.perf_counter() - started
        data["seconds"] = round(seconds, 4)
        if data["ok"]:
            what = "reloaded" if data.get("rebuilt") else "no change to reload"
            self.runtime.log(f"{what} in {seconds * 1000:.0f} ms ({', '.join(changed) or 'manual'})")
        else:
            details = "".join(f"\n  {p}" for p in data["problems"])
            self.runtime.log(
                f"reload failed after {seconds * 1000:.0f} ms, old code still serves: {data['error']}{details}",
                severity="error",
            )
        self.runtime.emit("reload", **data)
        return data


def _snapshot(folder: Path) -> Path:
    backup = folder.parent / "build.last-good"
    shutil.rmtree(backup, ignore_errors=True)
    if folder.is_dir():
        shutil.copytree(folder, backup)
    return backup


def _restore(backup: Path, folder: Path) -> None:
    # The old pool may start another worker: it must load the old bundle, not the one that failed.
    if not backup.is_dir():
        return
    for item in backup.iterdir():
        if item.is_file():
            shutil.copy2(item, folder / item.name)
    (folder / "source.sha256").unlink(missing_ok=True)  # the sources differ from this bundle: rebuild next time
