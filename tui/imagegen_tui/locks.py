"""Files that say "a live process owns me", so that whatever a killed process left behind can be
told from work in progress and removed by the next run.

An owned file is named `{prefix}{pid}-{random}{suffix}`. Where fcntl exists (Linux, macOS) its
owner holds an flock on it for as long as it works on it, and a file whose lock is free is
abandoned. Without fcntl (Windows) the pid in its name is asked instead: a file whose process
no longer runs is abandoned. (A pid reused since can keep a stale file a while longer; a live
process's file is never taken.)

The one module that knows how files are owned.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def create_owned(folder: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new file in `folder` owned by this process: its open fd (read-write, mode 0600) and
    path. Let go of it with `release`.

    With flock, a sweeper in another process may take the lock in the moment between creating
    and locking and remove the file as abandoned; the name then no longer leads to our file, so
    we start again with a new one."""
    while True:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f"{prefix}{os.getpid()}-", suffix=suffix)
        path = Path(name)
        if fcntl is None:
            return fd, path
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            named = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            named = None
        mine = os.fstat(fd)
        if named is not None and (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino):
            return fd, path
        os.close(fd)


def release(fd: int, path: Path) -> None:
    """Close an owned file and remove its name. Closed first: Windows cannot remove an open
    file. A sweeper that takes the name in between only removes it sooner."""
    try:
        os.close(fd)
    finally:
        path.unlink(missing_ok=True)


def remove_if_abandoned(path: Path, prefix: str) -> bool:
    """Remove `path` if no live process owns it; True when it is gone (or already was)."""
    if fcntl is None:
        return _remove_if_owner_gone(path, prefix)
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


def sweep(folder: Path, prefix: str, suffix: str) -> int:
    """Remove the files `{prefix}*{suffix}` in `folder` that no live process owns; how many."""
    try:
        candidates = list(folder.glob(f"{prefix}*{suffix}"))
    except OSError:
        return 0
    return sum(1 for path in candidates if path.is_file() and remove_if_abandoned(path, prefix))


def owner(path: Path, prefix: str) -> int | None:
    """The pid in an owned file's name; None for a name not made by `create_owned`."""
    head = path.name[len(prefix) :].split("-", 1)[0] if path.name.startswith(prefix) else ""
    return int(head) if head.isascii() and head.isdigit() else None


def _remove_if_owner_gone(path: Path, prefix: str) -> bool:
    pid = owner(path, prefix)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False  # a symlink or anything else: not ours to judge
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if pid is None or pid == os.getpid() or process_alive(pid):
        return False
    try:
        path.unlink(missing_ok=True)
        return True
    except OSError:  # still open somewhere after all (Windows): not abandoned
        return False


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (or may: when unsure, yes)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, as somebody else
        return True
    return True


def _windows_process_alive(pid: int) -> bool:  # pragma: no cover - not run on the Linux CI
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # access denied: it exists
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
