"""Where the emulator keeps its files in a CNI project: `.spectral/local/` (private helper).

Temporary home until `cnikit.project` offers the same; the folder carries its own `.gitignore` of `*` so nothing in
it is ever committed (secrets never go there anyway).
"""

from __future__ import annotations

from pathlib import Path

LOCAL = Path(".spectral") / "local"


def local_dir(root: Path) -> Path:
    """`<root>/.spectral/local/`, created with its `.gitignore` when missing."""
    folder = root / LOCAL
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return folder
