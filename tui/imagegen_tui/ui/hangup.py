"""When the terminal goes away, the calls already sent are paid for: they finish without it.

An SSH connection dropping, the terminal window closed and `tmux kill-session` all close the
pseudo-terminal: the kernel sends SIGHUP, and reads and writes on it fail with EIO. Textual's
Linux driver answers a failed read by making the app panic and exit (running jobs die with it),
and a failed write kills its writer thread, whose queue holds 30 frames: after that the event
loop blocks for good. The driver made here reports instead, and `let_go` is how the app stops
using the terminal: input stopped, the terminal put back as it was when it is still there (a
SIGHUP sent by `kill`), standard streams pointed at /dev/null.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from typing import Any

# what Textual turned on: kitty keyboard, alternate screen, hidden cursor, focus reports, mouse
# reports, bracketed paste, no line wrap
RESTORE = (
    "\x1b[<u\x1b[?1049l\x1b[?25h\x1b[?1004l"
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?7h"
)


class _Sturdy:
    """The driver's output file, telling instead of raising once the terminal is gone."""

    def __init__(self, file: Any, gone: Callable[[], None]) -> None:
        self._file, self._gone = file, gone

    def write(self, text: str) -> None:
        try:
            self._file.write(text)
        except (OSError, ValueError):
            self._gone()

    def flush(self) -> None:
        try:
            self._file.flush()
        except (OSError, ValueError):
            self._gone()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def hangup_aware(base: type, gone: Callable[[], None]) -> type:
    """`base` (Textual's driver for this platform) reporting a vanished terminal to `gone`
    (called from the driver's threads) instead of panicking. Drivers without an input thread
    (headless, Windows) are returned as they are; the web driver is never given here
    (TerminalApp.get_driver_class)."""
    if not hasattr(base, "run_input_thread"):
        return base

    class HangupAwareDriver(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._file = _Sturdy(self._file, gone)

        def run_input_thread(self) -> None:
            try:
                super().run_input_thread()
            except OSError:  # EIO: nothing to read from any more
                gone()

    return HangupAwareDriver


def let_go(driver: Any) -> None:
    """Stop using the terminal. When it still exists, leave it as it was before the app."""
    with suppress(Exception):
        driver.disable_input()
    web = bool(getattr(driver, "is_web", False))  # a browser's page: no terminal to put back
    terminal_out, terminal_in = (None, None) if web else (_dup(_output_fd(driver)), _dup(0))
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):  # what Textual still writes (frames, the exit) goes nowhere
            os.dup2(devnull, fd)
        # cooked first: whoever sees the codes below finds the terminal as it was already
        attributes = getattr(driver, "attrs_before", None)
        if attributes is not None and terminal_in is not None:
            import termios  # POSIX only, as the drivers that set attrs_before

            with suppress(termios.error, OSError):
                termios.tcsetattr(terminal_in, termios.TCSANOW, attributes)
        if terminal_out is not None:
            with suppress(OSError):
                os.write(terminal_out, RESTORE.encode())
    finally:
        for fd in (devnull, terminal_out, terminal_in):
            if fd is not None:
                os.close(fd)


def _output_fd(driver: Any) -> int:
    try:
        return int(driver._file.fileno())
    except (AttributeError, OSError, ValueError):
        return 2


def _dup(fd: int) -> int | None:
    """A copy of `fd` that outlives the redirection, or None when it is already gone."""
    try:
        return os.dup(fd)
    except OSError:
        return None
