"""Files that say "a live process owns me": held under an flock for as long as their owner
works on them, so whatever a killed process left behind can be told from work in progress and
removed by the next run.

The one module that uses fcntl, so that a later port can degrade it in one place.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path


def create_owned(create: Callable[[], tuple[int, Path]]) -> tuple[int, Path]:
    """Create a file with `create` (an open fd and its path) and hold an exclusive lock on it.

    A sweeper in another process may take the lock in the moment between creating and locking
    and remove the file as abandoned; the name then no longer leads to our file, so we start
    again with a new one."""
    while True:
        fd, path = create()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            named = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            named = None
        mine = os.fstat(fd)
        if named is not None and (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino):
            return fd, path
        os.close(fd)


def remove_if_abandoned(path: Path) -> bool:
    """Remove `path` if no live process holds its lock; True when it is gone (or already was)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # a symlink, a FIFO we may not open: not ours to judge
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    try:
        path.unlink(missing_ok=True)  # while holding the lock, so its owner cannot be mid-claim
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def sweep(folder: Path, pattern: str) -> int:
    """Remove the files in `folder` matching `pattern` that no live process owns; how many."""
    try:
        candidates = list(folder.glob(pattern))
    except OSError:
        return 0
    return sum(1 for path in candidates if path.is_file() and remove_if_abandoned(path))
