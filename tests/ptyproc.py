"""A program on a real pseudo-terminal, as a person's terminal would run it: its own session with
the pty as controlling terminal (so closing the terminal sends it SIGHUP), a window size, keys
typed, and every byte it writes kept for inspection."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Mapping


class PtyProcess:
    def __init__(self, argv: list[str], *, size: tuple[int, int] = (120, 40), env: Mapping[str, str] | None = None) -> None:
        environ = dict(os.environ if env is None else env)
        environ.setdefault("TERM", "xterm-256color")
        for fixed in ("COLUMNS", "LINES"):  # pytest-xdist's workers set 80x24: the pty's own size rules
            environ.pop(fixed, None)
        fd, terminal = pty.openpty()
        _set_size(fd, *size)  # before the program starts, so it never sees 80x24 first
        # `setsid --ctty` makes it a session leader with the pty as controlling terminal, without
        # forking this (multi-threaded) test process by hand
        self._process = subprocess.Popen(["setsid", "--ctty", *argv], stdin=terminal, stdout=terminal, stderr=terminal, env=environ, close_fds=True)
        os.close(terminal)
        self.pid, self.fd = self._process.pid, fd
        self.output = bytearray()
        self.status: int | None = None

    def resize(self, columns: int, rows: int) -> None:
        _set_size(self.fd, columns, rows)

    def send(self, data: str | bytes) -> None:
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def _read_once(self, timeout: float) -> bool:
        """Read what is there within `timeout`; False when nothing came."""
        if self.fd < 0:
            return False
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:  # EIO: the program closed its side
            chunk = b""
        if not chunk:
            self._close_fd()
            return False
        self.output += chunk
        return True

    def read_until(self, wanted: bytes | Callable[[bytes], bool], timeout: float = 15.0) -> bytes:
        """Everything read so far once `wanted` appears in it; AssertionError on timeout."""
        check = wanted if callable(wanted) else (lambda out: wanted in out)
        deadline = time.monotonic() + timeout
        while not check(bytes(self.output)):
            if time.monotonic() > deadline or (self.fd < 0 and not self.alive()):
                raise AssertionError(f"not seen within {timeout} s: {wanted!r}; last output: {bytes(self.output[-600:])!r}")
            self._read_once(0.05)
        return bytes(self.output)

    def read_quiet(self, quiet: float = 0.5, timeout: float = 15.0) -> bytes:
        """Read until the program has written nothing for `quiet` seconds; returns what came."""
        start = len(self.output)
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last < quiet:
            if self._read_once(0.02):
                last = time.monotonic()
            elif self.fd < 0:
                break
        return bytes(self.output[start:])

    def alive(self) -> bool:
        if self.status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.status = status
        return False

    def wait(self, timeout: float = 30.0) -> int:
        """The exit code (negative: killed by that signal); keeps draining output meanwhile."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s; last output: {bytes(self.output[-600:])!r}")
            if not self._read_once(0.05):
                time.sleep(0.02)
        while self._read_once(0.05):
            pass
        assert self.status is not None
        return os.waitstatus_to_exitcode(self.status)

    def hang_up(self) -> None:
        """The terminal goes away, as when an SSH connection drops or the window is closed: the
        kernel sends SIGHUP to the session."""
        self._close_fd()

    def signal(self, number: int) -> None:
        os.kill(self.pid, number)

    def _close_fd(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def close(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.wait(5)
        self._close_fd()

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def python_argv(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def no_job_running(out: bytes) -> bool:
    """The app's title, as last drawn, counts no running job: what `read_until` waits for before
    ctrl+q, which asks first while a job runs (a job is done in the history a moment before its
    worker has ended)."""
    start = out.rfind(b"imagegen-tui\x1b[0m")  # the title's first segment
    if start < 0:
        return False
    line = re.split(rb"\x1b\[\d+;\d+H", out[start:start + 400])[0]  # up to the next cursor move
    return b"running" not in re.sub(rb"\x1b\[[0-9;]*m", b"", line)
