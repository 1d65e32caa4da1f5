"""The graphics module's choices, without a terminal (tests force or cannot detect a protocol)."""

import pytest

from imagegen_tui.ui import graphics


@pytest.mark.parametrize(
    "answer, old",
    [("\x1bP>|kitty(0.26.5)\x1b\\", "0.26.5"), ("\x1bP>|kitty(0.27)\x1b\\", "0.27"), ("\x1bP>|kitty(0.28.0)\x1b\\", None), ("\x1bP>|kitty(0.35.2)\x1b\\", None), ("\x1bP>|XTerm(390)\x1b\\", None), ("", None)],
)
def test_kitty_too_old(answer, old):
    assert graphics.kitty_too_old(answer) == old


@pytest.mark.parametrize("forced", ["kitty", "sixel", "halfcell"])
def test_forced_protocols(forced):
    chosen = graphics.setup(forced)
    assert chosen.protocol == forced and "--graphics" in chosen.reason


def test_unicode_is_drawn_as_half_cells():
    assert graphics.setup("unicode").protocol == "halfcell"


def test_auto_without_a_terminal_falls_back_to_halfcell():
    chosen = graphics.setup("auto")
    assert chosen.protocol == "halfcell" and "not attached to a terminal" in chosen.reason


def test_none_and_web():
    assert graphics.setup("none").protocol == "none"
    web = graphics.for_web(graphics.setup("sixel"))
    assert web.protocol == "halfcell" and "browser" in web.reason


def test_pixels_and_cells_round_trip():
    half = graphics.setup("halfcell")
    assert half.pixels(40, 10) == (40, 20) and half.cells(40, 19) == (40, 10)
    sixel = graphics.Graphics("sixel", "auto", "", (10, 20))
    assert sixel.pixels(40, 10) == (400, 200) and sixel.cells(395, 181) == (40, 10)


def test_tmux_kitty_reason_mentions_passthrough():
    chosen = graphics.setup("kitty", environ={"TMUX": "/tmp/tmux-0/default,1,0"})
    assert "allow-passthrough" in chosen.reason and chosen.tmux
    assert not graphics.setup("kitty", environ={}).tmux


def test_a_forced_halfcell_sends_no_terminal_probe():
    """textual-image probes the terminal when its widget module is imported; tmux without
    passthrough showed the kitty query as the pane's title. Half-cell needs no answer."""
    import subprocess
    import sys

    code = "import sys\nfrom imagegen_tui.ui import graphics\ng = graphics.setup('halfcell')\nprint(g.protocol, 'textual_image.widget' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["halfcell", "False"], out.stderr
