"""What the headless commands write for people, and what happens when the terminal goes away.

Everything printed passes through `say` (control characters shown as escapes: prompts,
provider messages, file names and metadata are text from outside) or `say_json`.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from typing import Any

from imagegen_tui.textsafe import dumps, visible


def say(text: str = "", *, err: bool = False) -> None:
    print(visible(text), file=sys.stderr if err else sys.stdout)


def say_json(value: Any, **options: Any) -> None:
    print(dumps(value, **options))


def detach() -> None:
    """The terminal is gone (a hangup) or the reader of our output is (a broken pipe): point
    standard output and error at /dev/null, so that whatever is still printed costs nothing and
    raises nothing, and the work under way can finish."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in (sys.stdout, sys.stderr):
            os.dup2(devnull, stream.fileno())
            with suppress(OSError, ValueError):
                stream.flush()  # what was still buffered goes nowhere now
    finally:
        os.close(devnull)
