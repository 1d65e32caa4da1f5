"""The Sixel decoder used to see what a terminal shows (tests/sixel_decode.py).

Hand-written sequences pin each feature to what xterm 379 -ti 340 drew for the same bytes
(checked under Xvfb with tests/tools/xterm_sixel_check.py), and a round trip through
textual-image's encoder pins today's real bug: a definition that does not select its register.
"""

from __future__ import annotations

import re

import pytest
from PIL import Image

from imagegen_tui.demo import artist
from sixel_decode import (
    DecodedSixel,
    decode,
    hls_to_rgb,
    mean_colour,
    mean_colour_error,
    percent_to_byte,
    sequences,
    sixel_sequences,
)

ST = b"\x1b\\"
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
VT340_GREEN = (51, 204, 51)  # register 3: 20%, 80%, 20%
VT340_BLUE = (51, 51, 204)  # register 1: 20%, 20%, 80%


def one(stream: bytes, **kwargs) -> DecodedSixel:
    pictures = decode(stream, **kwargs)
    assert len(pictures) == 1, pictures
    return pictures[0]


def sixel(body: bytes, params: bytes = b"0;0;0") -> bytes:
    return b"\x1bP" + params + b"q" + body + ST


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {c for _, c in image.getcolors(1 << 16)}


# --- raster attributes, background, transparency ---------------------------------------------


def test_raster_attributes_set_the_size_and_p2_0_fills_it_with_register_0():
    picture = one(sixel(b'"1;1;20;12#1;2;100;0;0#1!4~'))
    assert picture.declared == (20, 12) and picture.aspect == (1, 1) and picture.image.size == (20, 12)
    assert picture.image.getpixel((0, 0)) == RED and picture.image.getpixel((3, 5)) == RED
    assert picture.image.getpixel((4, 0)) == (0, 0, 0)  # register 0, VT340 black
    assert picture.image.getpixel((19, 11)) == (0, 0, 0)  # the declared area is filled, band 2 too
    assert not picture.transparent


def test_the_background_is_register_0_as_it_ends_up():
    picture = one(sixel(b'"1;1;10;6#1;2;100;0;0#1!2~#0;2;0;0;100'))
    assert picture.image.getpixel((5, 0)) == BLUE  # defined after the fill, and still it shows


@pytest.mark.parametrize("mode", [b"0;0;0", b"0;2;0", b"0", b""])
def test_p2_0_and_2_paint_zero_bits_with_the_background(mode):
    picture = one(sixel(b'"1;1;4;6#1;2;100;0;0#1!4@', params=mode))  # only the top row set
    assert picture.background_mode in (0, 2)
    assert picture.image.getpixel((0, 0)) == RED and picture.image.getpixel((0, 1)) == (0, 0, 0)
    assert picture.mask.getpixel((0, 1)) == 255


def test_p2_1_leaves_zero_bits_transparent():
    picture = one(sixel(b'"1;1;4;6#1;2;100;0;0#1!4@', params=b"0;1;0"), underneath=(9, 8, 7))
    assert picture.background_mode == 1 and picture.transparent
    assert picture.image.getpixel((0, 0)) == RED and picture.mask.getpixel((0, 0)) == 255
    assert picture.image.getpixel((0, 1)) == (9, 8, 7) and picture.mask.getpixel((0, 1)) == 0


def test_without_raster_attributes_the_picture_is_as_large_as_what_was_drawn():
    picture = one(b"\x1bPq#1;2;100;0;0#1!10~-!20N" + ST)
    assert picture.declared is None and picture.aspect == (2, 1)
    assert picture.image.size == (20, 10)  # xterm draws 2:1 pixels 1:1, and grows to the last set bit
    assert picture.mask.getpixel((15, 0)) == 0  # nothing painted, and no declared area to fill


def test_drawing_past_the_declared_size_grows_the_picture():
    picture = one(sixel(b'"1;1;10;6#1;2;100;0;0#1!20~-!5~'))
    assert picture.image.size == (20, 12) and picture.image.getpixel((19, 0)) == RED
    assert picture.mask.getpixel((19, 6)) == 0  # outside the filled (declared) area


# --- colours ----------------------------------------------------------------------------------


def test_rgb_definition_in_percent():
    picture = one(sixel(b'"1;1;2;6#7;2;100;50;0#7!2~'))
    assert picture.image.getpixel((0, 0)) == (255, 127, 0)
    assert percent_to_byte(20) == 51 and percent_to_byte(80) == 204 and percent_to_byte(100) == 255


@pytest.mark.parametrize(
    "hue, expected",
    [(0, BLUE), (59, BLUE), (60, (255, 0, 255)), (120, RED), (150, RED), (180, (255, 255, 0)), (240, GREEN), (300, (0, 255, 255)), (360, BLUE)],
)
def test_hls_definition_follows_dec_hues_snapped_like_xterm(hue, expected):
    picture = one(sixel(b'"1;1;2;6#1;1;%d;50;100#1!2~' % hue))
    assert picture.image.getpixel((0, 0)) == expected


def test_hls_lightness_and_saturation():
    assert hls_to_rgb(120, 30, 60) == (48, 12, 12)  # xterm showed (122, 30, 30)
    assert hls_to_rgb(0, 40, 0) == (40, 40, 40)


def test_a_definition_does_not_select_its_register():
    picture = one(sixel(b'"1;1;4;6#1;2;100;0;0!4~'))
    assert picture.drew_before_selecting
    assert colours(picture.image) == {VT340_GREEN}  # register 3 of the VT340 palette


def test_a_bare_number_selects_and_default_registers_hold_the_vt340_palette():
    picture = one(sixel(b'"1;1;4;6#1!4~'))
    assert not picture.drew_before_selecting
    assert colours(picture.image) == {VT340_BLUE}


def test_a_trailing_semicolon_still_selects():
    assert colours(one(sixel(b'"1;1;4;6#1;2;100;0;0#1;!4~')).image) == {RED}


def test_redefining_a_register_recolours_what_was_drawn_with_it():
    picture = one(sixel(b'"1;1;4;12#1;2;100;0;0#1!4~#1;2;0;0;100-!4~'))
    assert colours(picture.image) == {BLUE}


def test_register_numbers_wrap_at_the_register_count():
    stream = sixel(b'"1;1;4;6#1030;2;100;0;0#6;2;0;100;0#1030!4~')
    assert colours(one(stream).image) == {GREEN}  # 1024 registers: #1030 is #6, redefined green
    sixteen = sixel(b'"1;1;4;6#17;2;100;0;0#1;2;0;100;0#17!4~')
    assert colours(one(sixteen).image) == {RED}
    assert colours(one(sixteen, registers=16).image) == {GREEN}  # a VT340: #17 is #1


# --- moving: repeat, carriage return, next band -------------------------------------------------


def test_repeat_draws_the_next_sixel_n_times():
    picture = one(sixel(b'"1;1;8;6#1;2;100;0;0#1!3~?!2@'))
    row0 = [picture.image.getpixel((x, 0)) for x in range(8)]
    assert row0 == [RED, RED, RED, (0, 0, 0), RED, RED, (0, 0, 0), (0, 0, 0)]
    assert picture.image.getpixel((4, 1)) == (0, 0, 0)  # '@' is bit 0 only


def test_single_sixels_set_the_bits_top_down():
    picture = one(sixel(b'#1;2;100;0;0#1B', params=b"0;1"))  # 'B' = 0x42 - 0x3f = 3: the top two rows
    assert picture.image.size == (1, 2)
    assert picture.image.getpixel((0, 0)) == RED and picture.image.getpixel((0, 1)) == RED


def test_carriage_return_draws_over_the_same_band():
    picture = one(sixel(b'"1;1;4;6#1;2;100;0;0#2;2;0;0;100#1!4~$#2!2@'))
    assert picture.image.getpixel((0, 0)) == BLUE and picture.image.getpixel((1, 0)) == BLUE
    assert picture.image.getpixel((2, 0)) == RED and picture.image.getpixel((0, 1)) == RED  # zero bits keep what was there


def test_next_band_goes_six_rows_down_to_column_0():
    picture = one(sixel(b'"1;1;4;12#1;2;100;0;0#1!3?-@'))
    assert picture.image.getpixel((0, 6)) == RED and picture.image.getpixel((0, 5)) == (0, 0, 0)
    assert picture.mask.getpixel((3, 11)) == 255


# --- what makes xterm stop ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, why",
    [(b"#2;2;101;0;0", "over 100%"), (b"#2;2", "2 numbers"), (b"#2;1;361;50;50", "out of range"), (b"#2;3;0;0;0", "colour space")],
)
def test_a_malformed_colour_stops_the_picture_there(bad, why):
    picture = one(sixel(b'"1;1;4;12#1;2;100;0;0#1!4~-' + bad + b"#1!4~"))
    assert picture.image.getpixel((0, 0)) == RED and picture.image.getpixel((0, 6)) == (0, 0, 0)
    assert any(why in p for p in picture.problems)


def test_a_raster_over_the_graphic_limit_draws_nothing():
    picture = one(sixel(b'"1;1;1001;6#1;2;100;0;0#1!20~'))
    assert picture.image.size == (0, 0) and "limit" in picture.problems[0]


@pytest.mark.parametrize("params", [b"10;1", b"0;0;0;0"])
def test_dcs_parameters_xterm_refuses(params):
    assert decode(sixel(b"#1!4~", params=params)) == []


# --- the stream around the pictures ---------------------------------------------------------------


def test_cursor_cell_from_the_cup_right_before_the_picture():
    red = sixel(b'"1;1;2;6#1;2;100;0;0#1!2~')
    stream = b"\x1b[?25l\x1b[5;7H\x1b[0m" + red + b"\x1b[12;1Hsome text" + red + b"\x1b7\x1b[3;4H" + red + b"\x1b8\x1b[2J" + red
    pictures = decode(stream)
    assert [p.cursor for p in pictures] == [(5, 7), None, (3, 4), None]
    assert pictures[0].start == stream.index(b"\x1bP") and pictures[0].size == len(red)
    assert decode(b"\x1b[H" + red)[0].cursor == (1, 1)
    assert decode(b"\x1b[4;9H\x1b7text\x1b8" + red)[0].cursor == (4, 9)


def test_other_strings_and_an_unfinished_picture_are_not_pictures():
    red = sixel(b'"1;1;2;6#1;2;100;0;0#1!2~')
    stream = b"\x1bP>|XTerm(379)" + ST + b"\x1b]52;c;aGk=\x07\x1b_Ga=q,i=1;AAAA" + ST + red + b"\x1bP0;0;0q#1!4~"
    assert len(decode(stream)) == 1
    assert len(sixel_sequences(stream)) == 1
    kinds = [s.kind for s in sequences(stream)]
    assert kinds == ["dcs", "osc", "apc", "dcs", "dcs"]
    assert [s.complete for s in sequences(stream)] == [True, True, True, True, False]


def test_sequences_split_text_controls_and_csi():
    stream = b"ab\r\n\x1b[1;2H\x1b7\x1b[38;2;1;2;3mz"
    assert [(s.kind, stream[s.start:s.end]) for s in sequences(stream)] == [
        ("text", b"ab"), ("c0", b"\r"), ("c0", b"\n"), ("csi", b"\x1b[1;2H"), ("esc", b"\x1b7"), ("csi", b"\x1b[38;2;1;2;3m"), ("text", b"z"),
    ]


# --- round trips through textual-image's encoder ---------------------------------------------------


def _encode(image: Image.Image) -> bytes:
    from textual_image._sixel import image_to_sixels

    return image_to_sixels(image).encode("ascii")


def _select_after_each_definition(stream: bytes) -> bytes:
    """What a fixed encoder would send: `#N` right after each `#N;2;r;g;b`."""
    return re.sub(rb"#(\d+);2;\d+;\d+;\d+", lambda m: m.group(0) + b"#" + m.group(1), stream)


def _lazy_encoder() -> bool:
    """textual-image 0.12 (the last for Python 3.11) defines a colour where it is first used;
    0.13+ defines the palette up front and selects explicitly."""
    from textual_image._sixel import SixelOptions

    return not hasattr(SixelOptions, "lazy_color_palette")


def test_textual_image_s_encoder_as_xterm_draws_it():
    """textual-image 0.12's real bug: the first use of a colour only defines it, so xterm draws
    it in register 3 (green); 0.13+ draws red."""
    red = Image.new("RGB", (60, 60), RED)
    picture = one(_encode(red))
    if _lazy_encoder():
        assert picture.drew_before_selecting
        assert colours(picture.image) == {VT340_GREEN}
        assert mean_colour_error(picture.image, red) == pytest.approx(153.0)
    else:
        assert not picture.drew_before_selecting and colours(picture.image) == {RED}


def test_selecting_after_each_definition_gives_red_back():
    red = Image.new("RGB", (60, 60), RED)
    picture = one(_select_after_each_definition(_encode(red)))
    assert not picture.drew_before_selecting
    assert colours(picture.image) == {RED} and mean_colour_error(picture.image, red) == 0


def test_a_many_coloured_picture_round_trips_once_colours_are_selected():
    art = artist.draw("a lighthouse on a cliff at dusk", 120, 80, 0).convert("RGB")
    fixed = one(_select_after_each_definition(_encode(art)))
    assert fixed.image.size == art.size and mean_colour_error(fixed.image, art) < 6  # quantising only
    if _lazy_encoder():
        broken = one(_encode(art))
        assert mean_colour_error(broken.image, art) > 3 * mean_colour_error(fixed.image, art)


# --- comparing --------------------------------------------------------------------------------------


def test_mean_colour_error_and_mean_colour():
    a = Image.new("RGB", (10, 10), (100, 100, 100))
    b = a.copy()
    b.paste((110, 90, 100), (0, 0, 5, 10))
    assert mean_colour_error(a, a) == 0
    assert mean_colour_error(a, b) == pytest.approx((5 + 5 + 0) / 3)
    assert mean_colour_error(a, b, (5, 0, 10, 10)) == 0
    assert mean_colour(b, (0, 0, 5, 10)) == (110, 90, 100)
    with pytest.raises(ValueError):
        mean_colour_error(a, Image.new("RGB", (5, 5)))
