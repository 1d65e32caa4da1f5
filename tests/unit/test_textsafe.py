"""Outside text is shown with its control characters as visible escapes, and the crash report
keeps the traceback but never the key."""

import json
import stat

import pytest

from imagegen_tui import crashlog
from imagegen_tui.textsafe import dumps, one_line, visible

HOSTILE = [
    "\x1b]52;c;aGVsbG8=\x07",  # OSC 52: writes the clipboard
    "\x1b[2J\x1b[H",  # clears the screen
    "\x9b31m",  # C1 CSI
    "bell\x07 back\x08space \x7f del \r return",
    "\udcff\udcfe",  # undecodable bytes of a command line
]


@pytest.mark.parametrize("text", HOSTILE)
def test_visible_leaves_no_control_character(text):
    shown = visible(text)
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in shown)
    assert "\\x" in shown or "\\u" in shown


def test_visible_keeps_words_emoji_and_lines():
    assert visible("a 🦊 in 雪\nsecond line\ttab") == "a 🦊 in 雪\nsecond line\ttab"
    assert visible("a\nb", newlines=False) == "a\\x0ab"
    assert one_line("  a\n\n fox \x1b[2J ") == "a fox \\x1b[2J"


@pytest.mark.parametrize("text", HOSTILE + ["🦊 é 雪"])
def test_dumps_round_trips_and_leaves_no_raw_control(text):
    encoded = dumps({"prompt": text})
    assert json.loads(encoded)["prompt"] == text
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in encoded)
    if text.startswith("🦊"):
        assert "🦊" in encoded  # readable, not \\ud83e escapes


def test_crash_report_has_the_traceback_not_the_key(dirs):
    key = "sk-fake-not-a-key-abcdef"

    def client_call(api_key: str) -> None:
        raise RuntimeError(f"boom with Bearer {api_key}")

    try:
        client_call(key)
    except RuntimeError as exc:
        path = crashlog.write_report(exc, "running a job", [key])
        line = crashlog.sentence(exc, "running a job", path, [key])
    assert path is not None and path.is_relative_to(dirs.root / "state")
    text = path.read_text()
    assert "client_call" in text and "RuntimeError" in text
    assert key not in text and key not in line
    assert "api_key =" not in text  # no local variables
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in line and "\n" not in line
