"""Text from outside made safe to show: prompts, revised prompts, provider messages, file names,
metadata read from files.

A terminal obeys the control characters it is sent: `ESC ]52` writes the clipboard, `ESC [2J`
clears the screen, and C1 characters (U+009B is CSI) do the same in some terminals. Everything
shown to a person goes through `visible`, which turns each such character into a visible escape
(`\\x1b`); stored data stays byte-exact. `dumps` does the same for JSON, whose encoder escapes C0
characters but leaves DEL and C1 raw.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 but tab and newline, DEL, C1, and lone surrogates (undecodable bytes of a command line)
_CONTROLS_KEEP_NEWLINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_JSON_RAW = re.compile("[\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, newlines: bool = True) -> str:
    """`text` with every control character shown as an escape; with `newlines=False` line
    breaks and tabs are escaped too, for places that show one line."""
    return (_CONTROLS_KEEP_NEWLINES if newlines else _CONTROLS).sub(_escape, text)


def one_line(text: str) -> str:
    """Whitespace runs (line breaks included) folded to one space, then made visible."""
    return visible(" ".join(text.split()), newlines=False)


def dumps(value: Any, **options: Any) -> str:
    """json.dumps that keeps non-ASCII text readable but escapes DEL, C1 and lone surrogates."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
