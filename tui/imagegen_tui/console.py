"""What the headless commands write for people, and what happens when the terminal goes away.

Everything printed passes through `say` (control characters shown as escapes: prompts,
provider messages, file names and metadata are text from outside) or `say_json`. Under
`--json` a command prints exactly one object on stdout, `say_result` or `say_failure`'s; what
is only worth knowing (`note`: notes, the demo notice, progress) goes to stderr unless --quiet.

On a terminal, the label of an error (`error:`) is red and a warning's (`warning:`, `WARNING:`)
yellow, and nothing else is coloured. Never in a pipe or a file, nor when TERM is dumb or
NO_COLOR is set to anything but the empty string (https://no-color.org).
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import suppress
from typing import Any

from imagegen_tui.errors import Failure
from imagegen_tui.textsafe import dumps, visible

_quiet = False
# a line's label: `error:`, argparse's `imagegen-tui generate: error:`, `warning:`, `WARNING:`
_LABEL = re.compile(r"^((?:imagegen-tui[^:\n]*: )?)(error|warning|WARNING):", re.MULTILINE)
_LABEL_COLOURS = {"error": "\033[1;31m", "warning": "\033[33m", "WARNING": "\033[1;33m"}
_RESET = "\033[0m"


def say(text: str = "", *, err: bool = False) -> None:
    print(visible(text), file=sys.stderr if err else sys.stdout)


def warn(text: str) -> None:
    """A warning (`warning: …`, `WARNING: …`) on stderr, said even under --quiet."""
    _labelled(text)


def say_error(message: str) -> None:
    """`error: message` on stderr, for a refusal that is no Failure: a command without --json."""
    _labelled(f"error: {message}")


def _may_colour(stream: Any) -> bool:
    """Whether `stream` may be coloured: a terminal that is not dumb, and no NO_COLOR."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced by something without a file, or closed
        return False


def _labelled(text: str) -> None:
    """`text` on stderr with its first label coloured when stderr may be. The colour is added
    after the text is made visible, so no escape code in it comes from outside."""
    shown = visible(text)
    if _may_colour(sys.stderr):
        shown = _LABEL.sub(lambda m: f"{m[1]}{_LABEL_COLOURS[m[2]]}{m[2]}{_RESET}:", shown, count=1)
    print(shown, file=sys.stderr)


def say_json(value: Any, **options: Any) -> None:
    print(dumps(value, **options))


def say_result(value: dict[str, Any], **options: Any) -> None:
    """A --json command's answer when it succeeded: the same envelope as a failure's."""
    say_json({"ok": True, **value, "exit_code": 0}, **options)


def say_failure(failure: Failure, *, as_json: bool) -> int:
    """The sentence on stderr, whatever is asked (a script's log still shows it); the JSON
    object on stdout under --json. Returns the exit status."""
    _labelled(failure.sentence)
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
