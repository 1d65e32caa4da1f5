"""Masks: sent as they are when they have transparency, converted from black and white when
they have none (white = change), built from regions, and never resized."""

import io

import pytest
from PIL import Image, ImageDraw

from imagegen_tui.errors import InvalidRequest
from imagegen_tui.masks import MAX_MASK_BYTES, cell_box, ellipse, grid_cells, grid_mask, mask_problem, prepare_mask, rect, region_mask

CHANGE, KEEP = 0, 255  # alpha values


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def alpha_of(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.mode) == ("PNG", "RGBA")
    return image.getchannel("A")


def refused(call, *args) -> str:
    with pytest.raises(InvalidRequest) as info:
        call(*args)
    [(field, message)] = info.value.problems
    assert field == "mask"
    return message


def painted(mode: str, size=(40, 30), fill=255, background=0) -> Image.Image:
    """A black picture with a white rectangle at x 10-19, y 5-14, as a painting tool draws one."""
    image = Image.new(mode, size, background)
    ImageDraw.Draw(image).rectangle((10, 5, 19, 14), fill=fill)
    return image


# --- prepare_mask --------------------------------------------------------------------------------


def test_a_png_with_alpha_is_sent_byte_for_byte():
    mask = Image.new("RGBA", (40, 30), (0, 0, 0, 255))
    mask.putpixel((3, 3), (0, 0, 0, 0))
    data = encode(mask)
    prepared = prepare_mask(data, (40, 30))
    assert prepared.data == data and prepared.note is None


@pytest.mark.parametrize(
    "image",
    [
        painted("L"),
        painted("1", fill=1),
        painted("RGB", fill=(255, 255, 255), background=(0, 0, 0)),
        painted("RGBA", fill=(255, 255, 255, 255), background=(0, 0, 0, 255)),  # alpha in name only
    ],
    ids=["grayscale", "bitmap", "rgb", "opaque-rgba"],
)
def test_black_and_white_becomes_alpha_with_white_to_change(image):
    prepared = prepare_mask(encode(image), (40, 30))
    alpha = alpha_of(prepared.data)
    assert [alpha.getpixel(p) for p in ((10, 5), (19, 14), (15, 10))] == [CHANGE] * 3
    assert [alpha.getpixel(p) for p in ((9, 5), (20, 14), (10, 15), (0, 0), (39, 29))] == [KEEP] * 5
    assert "no transparency" in prepared.note and "white areas were made transparent" in prepared.note


def test_light_grey_counts_as_white_and_dark_grey_as_black():
    image = Image.new("L", (2, 1))
    image.putpixel((0, 0), 128)
    image.putpixel((1, 0), 127)
    alpha = alpha_of(prepare_mask(encode(image), (2, 1)).data)
    assert (alpha.getpixel((0, 0)), alpha.getpixel((1, 0))) == (CHANGE, KEEP)


def test_a_jpeg_mask_is_converted_to_png():
    prepared = prepare_mask(encode(painted("L"), "JPEG", quality=95), (40, 30))
    assert alpha_of(prepared.data).getpixel((15, 10)) == CHANGE
    assert prepared.note.startswith("the mask (JPEG, L) had no transparency")


@pytest.mark.parametrize("fmt", ["WEBP", "palette PNG"])
def test_other_transparency_is_kept_but_sent_as_an_rgba_png(fmt):
    mask = Image.new("RGBA", (40, 30), (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((10, 5, 19, 14), fill=(0, 0, 0, 0))
    data = encode(mask, "WEBP", lossless=True) if fmt == "WEBP" else encode(mask.convert("P"))
    prepared = prepare_mask(data, (40, 30))
    alpha = alpha_of(prepared.data)
    assert (alpha.getpixel((15, 10)), alpha.getpixel((0, 0))) == (CHANGE, KEEP)
    assert "re-encoded as an RGBA PNG, its transparency kept" in prepared.note


def test_a_mask_of_another_size_is_refused_naming_both_sizes():
    message = refused(prepare_mask, encode(painted("L", size=(64, 32))), (32, 64))
    assert message.startswith("the mask is 64x32 but the first image is 32x64")
    assert "never resized" in message


def test_a_mask_that_marks_nothing_is_refused():
    assert "marks nothing to change" in refused(prepare_mask, encode(Image.new("L", (8, 8), 0)), (8, 8))


def test_a_file_that_is_not_an_image_is_refused():
    assert refused(prepare_mask, b"GIF89a but not really", (8, 8)) == "is not an image Pillow can read"
    assert refused(prepare_mask, encode(painted("L"))[:60], (40, 30)).startswith("is damaged or cut off")


# --- regions -------------------------------------------------------------------------------------


def test_rect_in_pixels_covers_exactly_its_pixels():
    alpha = alpha_of(region_mask((100, 80), [rect("10,20,30,40")]))
    assert alpha.size == (100, 80)
    assert [alpha.getpixel(p) for p in ((10, 20), (39, 59), (25, 40))] == [CHANGE] * 3
    assert [alpha.getpixel(p) for p in ((9, 20), (40, 59), (10, 19), (39, 60), (0, 0))] == [KEEP] * 5


def test_rect_in_percent_is_a_share_of_each_side():
    alpha = alpha_of(region_mask((200, 100), [rect("10%,10%,50%,30%")]))  # x 20-119, y 10-39
    assert [alpha.getpixel(p) for p in ((20, 10), (119, 39))] == [CHANGE] * 2
    assert [alpha.getpixel(p) for p in ((19, 10), (120, 39), (20, 9), (119, 40))] == [KEEP] * 4


def test_pixels_and_percent_mix_and_spaces_are_allowed():
    alpha = alpha_of(region_mask((200, 100), [rect(" 0, 50% ,100%, 10 ")]))
    assert alpha.getpixel((199, 50)) == CHANGE and alpha.getpixel((0, 60)) == KEEP and alpha.getpixel((0, 49)) == KEEP


def test_ellipse_fills_its_box_but_not_the_corners():
    alpha = alpha_of(region_mask((100, 100), [ellipse("0,0,100,100")]))
    assert [alpha.getpixel(p) for p in ((50, 50), (50, 1), (1, 50), (98, 50))] == [CHANGE] * 4
    assert [alpha.getpixel(p) for p in ((0, 0), (99, 0), (0, 99), (99, 99), (10, 10))] == [KEEP] * 5


def test_several_regions_combine():
    alpha = alpha_of(region_mask((100, 100), [rect("0,0,10,10"), ellipse("50%,50%,50%,50%"), rect("90,0,10,10")]))
    assert [alpha.getpixel(p) for p in ((5, 5), (75, 75), (95, 5))] == [CHANGE] * 3
    assert [alpha.getpixel(p) for p in ((50, 5), (5, 50), (51, 51))] == [KEEP] * 3


def test_a_region_running_off_the_image_is_clipped():
    alpha = alpha_of(region_mask((50, 50), [rect("40,40,100,100")]))
    assert alpha.getpixel((49, 49)) == CHANGE and alpha.getpixel((39, 39)) == KEEP


@pytest.mark.parametrize(
    "spec, words",
    [
        ("10,10,10", "expected X,Y,W,H in pixels or percent"),
        ("a,b,c,d", "expected X,Y,W,H"),
        ("-1,0,5,5", "expected X,Y,W,H"),
        ("10.5,0,5,5", "X is a whole number of pixels, or a percentage"),
        ("0,0,150%,10", "W is more than 100%"),
        ("0,0,0,10", "the width and height must be more than 0"),
    ],
)
def test_a_malformed_spec_is_refused_at_once(spec, words):
    message = refused(rect, spec)
    assert message.startswith(f"rect {spec!r}: ") and words in message


def test_a_region_starting_outside_the_image_is_refused_with_the_size():
    assert refused(region_mask, (100, 100), [ellipse("100,0,10,10")]) == "ellipse '100,0,10,10' starts outside the 100x100 image"


def test_no_region_is_refused():
    assert "no region given" in refused(region_mask, (10, 10), [])


# --- mask_problem: what may be sent as it is ----------------------------------------------------


def test_what_may_be_sent():
    good = region_mask((40, 30), [rect("0,0,5,5")])
    assert mask_problem(good, (40, 30)) is None and mask_problem(good, None) is None
    assert mask_problem(good, (30, 40)).startswith("the mask is 40x30 but the first image is 30x40")
    assert mask_problem(encode(painted("RGB")), (40, 30)).startswith("has no alpha channel (its mode is RGB)")
    assert mask_problem(encode(painted("RGB"), "JPEG"), (40, 30)).startswith("must be a PNG with an alpha channel")
    assert mask_problem(good[:60], (40, 30)).startswith("is damaged or cut off")
    big = good + b"\0" * MAX_MASK_BYTES  # bytes after IEND: a PNG still, but too large to send
    assert mask_problem(big, (40, 30)) == "is 4.0 MB; a mask must be under 4 MB"


# --- grid masks: cells painted in the terminal, mapped onto the full image --------------------


def test_a_cell_covers_the_floor_box_and_the_boxes_tile_the_image():
    size, grid = (301, 199), (7, 5)
    assert cell_box((2, 3), size, grid) == (2 * 301 // 7, 3 * 199 // 5, 3 * 301 // 7, 4 * 199 // 5) == (86, 119, 129, 159)
    covered = [0] * (size[0] * size[1])
    for column in range(grid[0]):
        for row in range(grid[1]):
            left, top, right, bottom = cell_box((column, row), size, grid)
            for y in range(top, bottom):
                for x in range(left, right):
                    covered[y * size[0] + x] += 1
    assert set(covered) == {1}  # every pixel in exactly one cell


@pytest.mark.parametrize("size, grid", [((301, 199), (7, 5)), ((1024, 1536), (40, 30)), ((64, 64), (64, 32)), ((50, 30), (50, 30))])
def test_a_grid_mask_is_transparent_exactly_on_the_painted_cells(size, grid):
    cells = {(0, 0), (1, 0), (3, 2), (grid[0] - 1, grid[1] - 1)}
    data = grid_mask(size, cells, grid)
    assert mask_problem(data, size) is None
    alpha = alpha_of(data)
    assert alpha.size == size
    for column in range(grid[0]):
        for row in range(grid[1]):
            left, top, right, bottom = cell_box((column, row), size, grid)
            expected = CHANGE if (column, row) in cells else KEEP
            assert alpha.crop((left, top, right, bottom)).getextrema() == (expected, expected), (column, row)
    assert prepare_mask(data, size).data == data  # sent as it is


def test_a_grid_mask_of_no_cell_is_refused():
    assert "no cell is painted" in refused(grid_mask, (10, 10), set(), (2, 2))


@pytest.mark.parametrize("size, grid", [((301, 199), (7, 5)), ((1024, 1536), (97, 41)), ((64, 64), (64, 32)), ((33, 17), (30, 17))])
def test_grid_cells_read_a_grid_mask_back(size, grid):
    cells = {(c, r) for c in range(grid[0]) for r in range(grid[1]) if (c * 3 + r * 5) % 4 == 0}
    assert grid_cells(grid_mask(size, cells, grid), grid) == cells


def test_grid_cells_count_a_cell_when_most_of_its_pixels_are_transparent():
    mask = Image.new("RGBA", (40, 20), (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((0, 0, 5, 9), fill=(0, 0, 0, 0))  # 6 of cell (0,0)'s 10 columns
    ImageDraw.Draw(mask).rectangle((10, 0, 13, 9), fill=(0, 0, 0, 0))  # 4 of cell (1,0)'s
    ImageDraw.Draw(mask).rectangle((20, 10, 29, 19), fill=(0, 0, 0, 1))  # almost, but not fully, transparent
    assert grid_cells(encode(mask), (4, 2)) == {(0, 0)}
