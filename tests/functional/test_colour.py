"""Colour, as terminal users expect it: headless commands colour only the label of an error or a
warning, only on a terminal, never with NO_COLOR set to a value (https://no-color.org) or a dumb
TERM, and never in a pipe or a file. The TUI (Textual) turns to greys under NO_COLOR. All in
real processes on a real pseudo-terminal."""

from __future__ import annotations

import os
import re
import sys

import pytest

from conftest import run_cli, write_config
from ptyproc import PtyProcess

COMMAND = [sys.executable, "-m", "imagegen_tui"]
RED_ERROR = b"\x1b[1;31merror\x1b[0m: "
YELLOW_WARNING = b"\x1b[33mwarning\x1b[0m: "


def on_terminal(*args: str, **env: str) -> bytes:
    """Everything the command wrote to its terminal (stdout and stderr both), and it ended."""
    with PtyProcess([*COMMAND, *args], env={**os.environ, **env}) as terminal:
        terminal.wait()
        return bytes(terminal.output)


def test_an_error_label_is_red_on_a_terminal(dirs):
    shown = on_terminal("generate", "a fox #fail:401", "--quiet")
    assert RED_ERROR + b"401 from " in shown


def test_text_from_outside_brings_no_escape_codes_with_the_colour(dirs):
    """The provider's message holds ESC and CSI sequences: they arrive as visible escapes, and
    the only codes on the terminal are the label's own."""
    shown = on_terminal("generate", "a fox #fail:evil", "--quiet")
    assert RED_ERROR in shown and b"\\x1b]52" in shown
    assert b"\x1b" not in shown.replace(RED_ERROR, b"") and b"\xc2\x9b" not in shown


def test_a_warning_label_is_yellow_on_a_terminal(dirs):
    write_config(dirs, "[output]\nslug = 'pinyin'\n")
    shown = on_terminal("history", "stats")
    assert YELLOW_WARNING in shown and b"output.slug" in shown


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"NO_COLOR": "false"}, {"TERM": "dumb"}], ids=["NO_COLOR=1", "NO_COLOR=false", "TERM=dumb"])
def test_no_colour_when_asked_or_on_a_dumb_terminal(dirs, env):
    failed = on_terminal("generate", "a fox #fail:401", "--quiet", **env)
    assert b"error: 401 from " in failed and b"\x1b" not in failed
    write_config(dirs, "[output]\nslug = 'pinyin'\n")
    warned = on_terminal("history", "stats", **env)
    assert b"warning: " in warned and b"\x1b" not in warned


def test_an_empty_no_color_is_no_request(dirs):
    """no-color.org: NO_COLOR counts when it is present and not empty."""
    assert RED_ERROR in on_terminal("generate", "a fox #fail:401", "--quiet", NO_COLOR="")


def test_never_colour_in_a_pipe(dirs):
    failed = run_cli("generate", "a fox #fail:401", "--quiet")
    assert failed.returncode == 1 and failed.stderr.startswith("error: 401 from ") and "\x1b" not in failed.stderr
    write_config(dirs, "[output]\nslug = 'pinyin'\n")
    warned = run_cli("history", "stats")
    assert warned.stderr.startswith("warning: ") and "\x1b" not in warned.stderr + warned.stdout


def test_a_refused_command_line_colours_argparse_s_label(dirs):
    shown = on_terminal("generate", "a fox", "-n", "x")
    assert b"imagegen-tui generate: " + RED_ERROR + b"argument -n" in shown


# --- the TUI --------------------------------------------------------------------------------------

TRUECOLOUR = re.compile(rb"\x1b\[[0-9;]*?[34]8;2;(\d+);(\d+);(\d+)")


def tui_colours(**env: str) -> set[tuple[bytes, bytes, bytes]]:
    """The 24-bit colours the TUI paints its first screen with, then it is closed."""
    with PtyProcess([*COMMAND, "--graphics", "halfcell"], env={**os.environ, "COLORTERM": "truecolor", **env}) as terminal:
        terminal.read_until(b"Describe an image", timeout=30)
        terminal.read_quiet(0.5)
        return set(TRUECOLOUR.findall(bytes(terminal.output)))


def test_the_tui_is_grey_under_no_color_and_in_colour_otherwise(dirs):
    """Textual's own NO_COLOR support (a monochrome filter); an empty NO_COLOR leaves the
    colours, as in the headless commands (Textual alone would take it as set)."""
    coloured = tui_colours(NO_COLOR="")
    assert any(len(set(rgb)) > 1 for rgb in coloured)
    grey = tui_colours(NO_COLOR="1")
    assert grey and all(len(set(rgb)) == 1 for rgb in grey)
