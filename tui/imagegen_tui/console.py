"""What the headless commands write for people, and what happens when the terminal goes away.

Everything printed passes through `say` (control characters shown as escapes: prompts,
provider messages, file names and metadata are text from outside) or `say_json`. Under
`--json` a command prints exactly one object on stdout, `say_result` or `say_failure`'s; what
is only worth knowing (`note`: notes, the demo notice, progress) goes to stderr unless --quiet.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from typing import Any

from imagegen_tui.errors import Failure
from imagegen_tui.textsafe import dumps, visible

_quiet = False


def say(text: str = "", *, err: bool = False) -> None:
    print(visible(text), file=sys.stderr if err else sys.stdout)


def say_json(value: Any, **options: Any) -> None:
    print(dumps(value, **options))


def say_result(value: dict[str, Any], **options: Any) -> None:
    """A --json command's answer when it succeeded: the same envelope as a failure's."""
    say_json({"ok": True, **value, "exit_code": 0}, **options)


def say_failure(failure: Failure, *, as_json: bool) -> int:
    """The sentence on stderr, whatever is asked (a script's log still shows it); the JSON
    object on stdout under --json. Returns the exit status."""
    say(failure.sentence, err=True)
    if as_json:
        say_json(failure.as_json())
    return failure.exit_code


def be_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


def quiet() -> bool:
    return _quiet


def note(text: str) -> None:
    """What is worth knowing but is no error: said on stderr, unless --quiet."""
    if not _quiet:
        say(text, err=True)


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
