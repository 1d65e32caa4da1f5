"""Replace a small private file (the config, the state) so that it is never seen half-written
and never readable by others: a temporary file in the same folder, mode 0600, fsynced, then
renamed over the old one. Its folder is created mode 0700.

Modes are POSIX: where os.fchmod does not exist (Windows before Python 3.13) they are left to
the platform, whose files in the user's profile are the user's own."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def set_mode(fd: int, mode: int) -> None:
    """chmod an open file, where the platform has modes."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def write_private(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            set_mode(handle.fileno(), 0o600)
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
