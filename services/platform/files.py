"""Stores and keys on disk are their owner's alone.

The data directory holds the key vault (every person's data key), the bus, the views and the
archive: another account of the same host that can read one of them reads what the platform
protects. So the process creates files for its owner only (umask 077), the data directory is the
owner's alone (0700), and a store or key that others may read or write is refused at start, as
ssh refuses a loose private key: it may already have been copied, and the operator must know.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

OTHERS = 0o077  # the group's and everyone else's permission bits
_SQLITE = "sqlite:///"


class LooseFile(PermissionError):
    """A store or key that other accounts of the host may read or write."""

    def __init__(self, path: Path, mode: int) -> None:
        self.path = path
        self.mode = mode
        super().__init__(
            f"{path} can be read by other accounts (mode {mode & 0o777:o}); make it the owner's "
            f"alone with `chmod 600 {path}` (or `chmod -R go-rwx {path.parent}`) and start again"
        )

    def __reduce__(self) -> tuple[type[LooseFile], tuple[Path, int], dict[str, Any]]:
        # Raised in a child process (a rebuild, a benchmark), it crosses back pickled: pickle's
        # default rebuilds an exception from its message alone, and ours takes path and mode.
        # Not ``KeepsItsParts``: OSError's constructor would read them as errno and strerror.
        return LooseFile, (self.path, self.mode), vars(self)  # and notes, as KeepsItsParts


def owner_only_process() -> None:
    """Everything this process creates from now on is its owner's alone (and its children's)."""
    os.umask(OTHERS)


def owner_only_dir(path: Path) -> Path:
    """``path`` created (or kept) as a directory its owner alone may enter; every file in it must
    be the owner's alone (``LooseFile`` otherwise)."""
    owner_only_process()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & OTHERS:
        path.chmod(0o700)  # ours: others may not even list what is in it
    refuse_loose(_files_under(path))
    return path


def refuse_loose(paths: Iterable[Path]) -> None:
    """``LooseFile`` for the first existing file among ``paths`` others may read or write."""
    for path in paths:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISREG(mode) and mode & OTHERS:
            raise LooseFile(path, mode)


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for any other database, or one in memory)."""
    if not url.startswith(_SQLITE):
        return None
    name = url[len(_SQLITE) :].split("?")[0]
    return Path(name) if name and name != ":memory:" else None


def _files_under(directory: Path) -> Iterable[Path]:
    for root, _dirs, files in os.walk(directory):
        for name in files:
            yield Path(root) / name
