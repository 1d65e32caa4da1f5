"""Keys typed before the app has a screen.

A person often starts typing the prompt as soon as they press Enter on the command. Until Textual
reads the terminal those keys wait in the terminal's input queue, but the graphics probe
(textual-image, before App.run) reads stdin for the terminal's answers and would take them for
a wrong answer and drop them (and then pick the wrong protocol). So what is already typed is
read first and kept (`kept`), the probe's reads pass keys typed meanwhile to the same place
(`keeping`), and the prompt box gets it all once the app is up. Only text is kept: an Enter
typed before the screen exists does not send a paid call the person has not seen; the text
waits in the box.
"""

from __future__ import annotations

import os
import re
import select
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress


@contextmanager
def kept() -> Iterator[list[str]]:
    """The text typed so far, read before the body runs (a list to read after it)."""
    typed: list[str] = []
    with suppress(OSError, ImportError, ValueError):  # not a terminal, or no termios (Windows)
        typed.append(_drain())
    yield typed


def _drain() -> str:
    import termios
    import tty

    fd = sys.stdin.fileno()
    if not os.isatty(fd):
        return ""
    before = termios.tcgetattr(fd)
    chunks = []
    try:
        tty.setcbreak(fd, termios.TCSANOW)  # a line being typed (no Enter yet) becomes readable
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, before)
    return text_of(b"".join(chunks))


ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|O.|.)?", re.DOTALL)  # CSI, SS3, alt+key


def text_of(data: bytes) -> str:
    """The printable text of what was typed: escape sequences (arrow keys, a terminal's answers)
    and control keys are left out."""
    return "".join(char for char in ESCAPES.sub("", data.decode("utf-8", "replace")) if char.isprintable())


Read = Callable[[int, int, float | None], str]


def keeping(read: Read, typed: list[str]) -> Read:
    """`read` (textual-image's one-character read of the terminal's answer) that sets aside
    what is typed between the answers: an answer starts with ESC and ends with a CSI final
    byte, or ST/BEL for string sequences (kitty's APC)."""
    state = {"in": "", "last": ""}  # the kind of sequence being read: "", "esc", "csi", "str"

    def reading(fd: int, length: int, timeout: float | None = None) -> str:
        while True:
            char = read(fd, length, timeout)
            kind, last = state["in"], state["last"]
            state["last"] = char
            if kind == "":
                if char != "\x1b":
                    typed.append(text_of(char.encode()))
                    continue
                state["in"] = "esc"
            elif kind == "esc":
                state["in"] = "csi" if char == "[" else "str" if char in "_P]" else ""
            elif kind == "csi":
                state["in"] = "" if "@" <= char <= "~" else "csi"
            elif char == "\x07" or (last == "\x1b" and char == "\\"):
                state["in"] = ""
            return char

    return reading
