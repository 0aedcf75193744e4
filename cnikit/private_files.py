"""Files only their owner may read: everything cnikit writes under a project's `.spectral/local/`.

That folder holds the local token, the store (request headers, step results), instance.json and HTTP cassettes,
so other accounts on the machine must not read it. Folders are made 0700 and files 0600 from the start (never
readable by others for an instant), and ones that already exist with looser modes are tightened in place when
cnikit opens them:

    private_dir(path)              create (or tighten) a folder, 0700
    write_private(path, text)      write a file atomically, 0600
    tighten(path)                  an existing file (or folder) loses every group/other permission
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def tighten(path: Path) -> Path:
    """Drop group and other permissions from `path` when it exists (a no-op when it does not or already is)."""
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)
    return path


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents, with ordinary modes) as a 0700 folder, or tighten it when it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=DIR_MODE)
    return tighten(path)


def write_private(path: Path, data: str | bytes) -> Path:
    """Write `data` to `path` atomically (a 0600 temporary file renamed over it); the folder must exist."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # O_EXCL|0600: the content is never, even briefly, in a file others could open.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(payload)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def tighten_tree(folder: Path) -> Path:
    """Tighten `folder` and everything beneath it (files 0600-like, folders 0700-like); for output of other tools."""
    tighten(folder)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            tighten(path)
    return folder
