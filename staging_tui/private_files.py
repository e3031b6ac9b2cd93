"""Files the console writes for the user (exported results, saved logs): created 0600
in a directory only the user can enter, and named in full in the message.

A bare file name goes into the profile's export directory (`export_dir`, default
`$XDG_DATA_HOME/staging-tui/exports`); a path with a directory part is used as given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO


def export_path(directory: Path, name: str | Path) -> Path:
    """Where `name` is written: in `directory` when it is a bare file name."""
    path = Path(name).expanduser()
    if path.parent == Path("."):
        path = directory.expanduser() / path
    return path.absolute()


def open_private(path: Path) -> TextIO:
    """`path` opened for writing, created (or truncated) with mode 0600; a missing
    parent directory is created 0700."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)        # an existing file keeps its mode through O_CREAT
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "w", newline="", encoding="utf-8")
