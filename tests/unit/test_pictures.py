"""The picture layer's pure parts: Sixel colours as xterm shows them, kitty's transmission and
placeholders, half-cell strips, and the covering of damaged cells with few rectangles."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image, ImageDraw

from imagegen_tui.demo import artist
from imagegen_tui.ui import graphics
from imagegen_tui.ui.pictures import KITTY_PLACEHOLDER, _rectangles, kitty_row, render
from sixel_decode import decode, mean_colour_error

SIXEL = graphics.Graphics("sixel", "auto", "", (10, 20))
KITTY = graphics.Graphics("kitty", "auto", "", (10, 20))
KITTY_IN_TMUX = graphics.Graphics("kitty", "auto", "", (10, 20), tmux=True)
HALF = graphics.Graphics("halfcell", "auto", "", (10, 20))


def _patches() -> Image.Image:
    """Flat primaries and secondaries, then a grey ramp, each patch 40x40."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255), (255, 255, 255), (0, 0, 0)]
    colours += [(v, v, v) for v in range(0, 256, 32)]
    image = Image.new("RGB", (40 * 8, 80))
    for i, colour in enumerate(colours):
        image.paste(colour, (40 * (i % 8), 40 * (i // 8), 40 * (i % 8) + 40, 40 * (i // 8) + 40))
    return image


def _logo() -> Image.Image:
    """Two colours, like a flat logo."""
    image = Image.new("RGB", (120, 60), (20, 40, 160))
    ImageDraw.Draw(image).ellipse((30, 5, 90, 55), fill=(250, 200, 0))
    return image


def _photo() -> Image.Image:
    return artist.draw("a harbour at dawn, photographed", 160, 120, 0, photo=True).convert("RGB")


def _shown(image: Image.Image) -> Image.Image:
    """What xterm draws for our encoding of `image`."""
    rendition = render(image, SIXEL, (0, 0, 0))
    [picture] = decode(rendition.sixel.encode())
    assert not picture.drew_before_selecting, "a register drawn before selecting: xterm shows it green"
    return picture.image


def test_flat_patches_and_a_grey_ramp_keep_their_colours():
    source = _patches()
    shown = _shown(source)
    for i in range(16):
        box = (40 * (i % 8), 40 * (i // 8), 40 * (i % 8) + 40, 40 * (i // 8) + 40)
        assert mean_colour_error(source, shown, box) < 2.0, (i, source.getpixel(box[:2]), shown.getpixel(box[:2]))


def test_a_flat_red_picture_is_red():
    assert _shown(Image.new("RGB", (64, 64), (255, 0, 0))).getpixel((32, 32)) == (255, 0, 0)


def test_a_two_colour_logo_and_a_photo_keep_their_colours():
    logo = _logo()
    assert mean_colour_error(logo, _shown(logo)) < 2.0
    photo = _photo()
    assert mean_colour_error(photo, _shown(photo)) < 8.0  # 256 colours for a noisy photo


def test_transparent_pixels_take_the_pane_colour():
    image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    rendition = render(image, SIXEL, (30, 60, 90))
    shown = _shown_rendition(rendition).getpixel((10, 10))
    assert all(abs(a - b) <= 2 for a, b in zip(shown, (30, 60, 90)))  # Sixel colours are whole percents


def _shown_rendition(rendition):
    [picture] = decode(rendition.sixel.encode())
    return picture.image


def test_kitty_transmits_the_png_once_with_a_virtual_placement():
    image = _logo()
    rendition = render(image, KITTY, (0, 0, 0))
    commands = re.findall(r"\x1b_G([^;\x1b]*);?([^\x1b]*)\x1b\\", rendition.kitty_transmit)
    first_keys, _ = commands[0]
    assert f"i={rendition.kitty_id}" in first_keys and "a=t" in first_keys and "f=100" in first_keys and "q=2" in first_keys
    data = "".join(payload for keys, payload in commands if "a=p" not in keys)
    assert Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB").tobytes() == image.tobytes()
    placement = commands[-1][0]
    assert "a=p" in placement and "U=1" in placement and f"c={rendition.cells[0]}" in placement and f"r={rendition.cells[1]}" in placement
    assert all(keys.endswith(("m=1", "m=0")) for keys, _ in commands[:-1]) and commands[-2][0].endswith("m=0")


def test_kitty_in_tmux_goes_through_passthrough():
    rendition = render(_logo(), KITTY_IN_TMUX, (0, 0, 0))
    assert rendition.kitty_transmit.startswith("\x1bPtmux;\x1b\x1b_G") and rendition.kitty_transmit.endswith("\x1b\\")


def test_kitty_placeholders_name_the_image_row_and_column():
    strip = kitty_row(0x123456, 2, 3)
    [segment] = list(strip)
    assert segment.style.color.triplet == (0x12, 0x34, 0x56)
    assert segment.text.count(KITTY_PLACEHOLDER) == 3 and strip.cell_length == 3
    assert segment.text == "".join(f"{KITTY_PLACEHOLDER}\u030e{mark}" for mark in ("\u0305", "\u030d", "\u030e"))


def test_half_cells_carry_two_pixels_each():
    image = Image.new("RGB", (2, 3))
    image.putdata([(255, 0, 0), (0, 255, 0), (0, 0, 255), (9, 9, 9), (1, 2, 3), (1, 2, 3)])
    rendition = render(image, HALF, (0, 0, 0))
    assert rendition.cells == (2, 2) and len(rendition.lines) == 2
    top = list(rendition.lines[0])
    assert [(s.style.color.triplet, s.style.bgcolor.triplet) for s in top] == [((255, 0, 0), (0, 0, 255)), ((0, 255, 0), (9, 9, 9))]
    [bottom] = list(rendition.lines[1])  # the last, odd row: one run of two equal cells
    assert bottom.text == "▀▀" and bottom.style.color.triplet == (1, 2, 3)


@pytest.mark.parametrize(
    "cells, expected",
    [
        ({(x, y) for x in range(10) for y in range(5)}, [(0, 0, 10, 5)]),
        # a toast went away at the bottom right: the band it covered
        ({(x, y) for x in range(6, 10) for y in range(3, 5)}, [(6, 3, 4, 2)]),
        # damage around a covered bottom-right corner: two rectangles
        ({(x, y) for x in range(10) for y in range(5)} - {(x, y) for x in range(6, 10) for y in range(3, 5)}, [(0, 0, 10, 3), (0, 3, 6, 2)]),
        (set(), []),
    ],
)
def test_damaged_cells_are_covered_by_few_rectangles(cells, expected):
    rectangles = _rectangles(cells)
    assert rectangles == expected
    assert {(x + dx, y + dy) for x, y, w, h in rectangles for dx in range(w) for dy in range(h)} == cells


def test_the_cache_keeps_the_first_rendition_of_a_picture_prepared_twice_at_once():
    """A prefetch and a load of one picture in two threads: both get the same rendition, so
    kitty is sent it under one id, once."""
    from imagegen_tui.ui.pictures import RenditionCache

    kitty = graphics.setup("kitty")
    cache = RenditionCache()
    first, second = (render(Image.new("RGB", (20, 20), (200, 0, 0)), kitty, (0, 0, 0)) for _ in range(2))
    assert first.kitty_id != second.kitty_id
    assert cache.put(("a.png", 1), first) is first
    assert cache.put(("a.png", 1), second) is first and cache.get(("a.png", 1)) is first
