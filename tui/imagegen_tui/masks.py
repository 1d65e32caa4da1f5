"""Edit masks: the PNG whose fully transparent pixels tell /images/edits where the first image
may change (the rest is kept).

Providers read only the mask's alpha channel, but people paint masks black and white, the area
to change in white, as painting tools and ComfyUI draw them. So a mask that has transparency is
sent as it is, one that has none is converted (white = change = transparent) with a note saying
so, and masks can be built from rectangles and ellipses given in pixels or percent, or from the
cells of a grid painted in the terminal (each cell a block of the image's pixels). A mask is
never resized: stretched onto another size it would mark another area, so a mismatch is refused
naming both sizes. Pure Pillow, for any thread; no UI here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from imagegen_tui.errors import InvalidRequest

if TYPE_CHECKING:
    from PIL import Image

MAX_MASK_BYTES = 4 * 1000 * 1000  # "a valid PNG file, less than 4MB"
WHITE_FROM = 128  # converting: a pixel at least this light (0-255) is "painted white", to change
_ALPHA_MODES = ("RGBA", "LA")  # a real alpha channel, as providers read it
Size = tuple[int, int]
Cell = tuple[int, int]  # (column, row) of a grid laid over the image


@dataclass(frozen=True)
class PreparedMask:
    """A mask ready to send: a PNG with an alpha channel, transparent where the image may
    change. `note` says what was done to the file given, for the person who gave it."""

    data: bytes = field(repr=False)
    note: str | None = None


def size_problem(mask_size: Size, image_size: Size) -> str | None:
    """Why a mask of `mask_size` cannot go with a first image of `image_size`, or None."""
    if tuple(mask_size) == tuple(image_size):
        return None
    return (
        f"the mask is {mask_size[0]}x{mask_size[1]} but the first image is {image_size[0]}x{image_size[1]}; "
        "a mask must be the same size as the image (it is never resized: stretched, it would mark another area)"
    )


def mask_problem(data: bytes, image_size: Size | None) -> str | None:
    """Why `data` cannot be sent as the mask of a first image of `image_size` (None when that
    size is unknown), or None: it must be a PNG under 4 MB with an alpha channel, of that size."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "must be a PNG with an alpha channel (transparent where the image may change)"
    if len(data) >= MAX_MASK_BYTES:
        return f"is {len(data) / 1e6:.1f} MB; a mask must be under {MAX_MASK_BYTES // 1_000_000} MB"
    try:
        with _open(data) as image:
            if image.mode not in _ALPHA_MODES:
                return f"has no alpha channel (its mode is {image.mode}): its transparent pixels must mark where the image may change"
            return size_problem(image.size, image_size) if image_size is not None else None
    except InvalidRequest as exc:
        return exc.problems[0][1]


def prepare_mask(data: bytes, image_size: Size) -> PreparedMask:
    """`data` made into a mask for a first image of `image_size`.

    A PNG with an alpha channel in use is kept byte for byte. Other transparency (a palette's, a
    WebP's) is re-encoded as an RGBA PNG. A mask without transparency (black and white,
    grayscale, RGB, or all opaque) is read as painted: pixels at least mid-grey light become
    transparent, to change; the rest opaque, kept. Raises InvalidRequest on the field "mask" for
    a file that is not an image, has another size than the image, or marks nothing to change."""
    with _open(data) as image:
        if problem := size_problem(image.size, image_size):
            raise InvalidRequest([("mask", problem)])
        described = f"{image.format or 'image'}, {image.mode}"
        if image.has_transparency_data:
            rgba = image.convert("RGBA")
            if rgba.getchannel("A").getextrema()[0] < 255:  # some transparency is really used
                if image.format == "PNG" and image.mode in _ALPHA_MODES:
                    return PreparedMask(data)
                return PreparedMask(_png(rgba), f"the mask ({described}) was re-encoded as an RGBA PNG, its transparency kept")
        alpha = image.convert("L").point(lambda v: 0 if v >= WHITE_FROM else 255)
    if alpha.getextrema()[0] != 0:
        raise InvalidRequest([("mask", "marks nothing to change: it has no transparent pixel and no white area")])
    return PreparedMask(
        _png(_alpha_only(alpha)),
        f"the mask ({described}) had no transparency: its white areas were made transparent, the area the edit may change",
    )


@dataclass(frozen=True)
class Length:
    """One coordinate of a region: pixels, or percent of the image's side."""

    value: float
    percent: bool

    def pixels(self, side: int) -> int:
        return round(self.value * side / 100) if self.percent else int(self.value)


@dataclass(frozen=True)
class Region:
    """A rectangle, or the ellipse inside that rectangle, to change. Its numbers are resolved
    against an image's size only when the mask is made, so one spec fits any image."""

    shape: Literal["rect", "ellipse"]
    x: Length
    y: Length
    width: Length
    height: Length
    spec: str  # as given, for messages

    def box(self, size: Size) -> tuple[int, int, int, int]:
        """The pixels covered, as Pillow's inclusive (left, top, right, bottom)."""
        left, top = self.x.pixels(size[0]), self.y.pixels(size[1])
        return left, top, left + max(1, self.width.pixels(size[0])) - 1, top + max(1, self.height.pixels(size[1])) - 1


_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(%?)")
_SPEC_HELP = "expected X,Y,W,H in pixels or percent of the image (such as 10,10,200,120 or 10%,10%,50%,30%)"


def rect(spec: str) -> Region:
    """A rectangle from "X,Y,W,H": its top-left corner, width and height, each in pixels or
    percent ("10%,10%,50%,30%"; the two may mix). InvalidRequest on "mask" when malformed."""
    return _region("rect", spec)


def ellipse(spec: str) -> Region:
    """The ellipse inside the rectangle "X,Y,W,H" (as for rect)."""
    return _region("ellipse", spec)


def _region(shape: Literal["rect", "ellipse"], spec: str) -> Region:
    parts = [part.strip() for part in spec.split(",")]
    matches = [_NUMBER.fullmatch(part) for part in parts]
    if len(parts) != 4 or not all(matches):
        raise InvalidRequest([("mask", f"{shape} {spec!r}: {_SPEC_HELP}")])
    lengths = [Length(float(m.group(1)), m.group(2) == "%") for m in matches if m]
    for name, length in zip(("X", "Y", "W", "H"), lengths):
        if not length.percent and not length.value.is_integer():
            raise InvalidRequest([("mask", f"{shape} {spec!r}: {name} is a whole number of pixels, or a percentage")])
        if length.percent and length.value > 100:
            raise InvalidRequest([("mask", f"{shape} {spec!r}: {name} is more than 100%")])
    if lengths[2].value == 0 or lengths[3].value == 0:
        raise InvalidRequest([("mask", f"{shape} {spec!r}: the width and height must be more than 0")])
    return Region(shape, *lengths, spec=spec)


def region_mask(size: Size, regions: Iterable[Region]) -> bytes:
    """A full-size mask PNG for an image of `size`: transparent (to change) inside every region,
    opaque (kept) everywhere else. InvalidRequest on "mask" when a region starts outside the
    image or none is given."""
    from PIL import Image, ImageDraw

    regions = list(regions)
    if not regions:
        raise InvalidRequest([("mask", "no region given: name at least one rectangle or ellipse")])
    alpha = Image.new("L", size, 255)
    pen = ImageDraw.Draw(alpha)
    for region in regions:
        box = region.box(size)
        if box[0] >= size[0] or box[1] >= size[1]:
            raise InvalidRequest([("mask", f"{region.shape} {region.spec!r} starts outside the {size[0]}x{size[1]} image")])
        if region.shape == "rect":
            pen.rectangle(box, fill=0)
        else:
            pen.ellipse(box, fill=0)
    return _png(_alpha_only(alpha))


def cell_box(cell: Cell, size: Size, grid: Size) -> tuple[int, int, int, int]:
    """The pixels of an image of `size` that one cell of a columns x rows `grid` covers, as
    (left, top, right, bottom) with right and bottom exclusive: floor(c*W/columns) up to
    floor((c+1)*W/columns). Neighbouring cells share no pixel and leave none out, whatever
    the image's size, so a mask painted on a coarse grid lands on the full image exactly."""
    (column, row), (width, height), (columns, rows) = cell, size, grid
    return column * width // columns, row * height // rows, (column + 1) * width // columns, (row + 1) * height // rows


def grid_area(size: Size, cells: Iterable[Cell], grid: Size) -> Image.Image:
    """An "L" image of `size`, 255 on the pixels of `cells` (see cell_box), 0 elsewhere. Each
    row's runs of neighbouring cells are drawn as one rectangle: a painted area is a few
    rectangles, not thousands."""
    from PIL import Image, ImageDraw

    area = Image.new("L", size, 0)
    pen = ImageDraw.Draw(area)
    by_row: dict[int, list[int]] = {}
    for column, row in cells:
        by_row.setdefault(row, []).append(column)
    for row, columns in by_row.items():
        columns.sort()
        start = previous = columns[0]
        for column in [*columns[1:], None]:
            if column is not None and column == previous + 1:
                previous = column
                continue
            left, top, _, _ = cell_box((start, row), size, grid)
            _, _, right, bottom = cell_box((previous, row), size, grid)
            if left < right and top < bottom:
                pen.rectangle((left, top, right - 1, bottom - 1), fill=255)
            if column is not None:
                start = previous = column
    return area


def area_cells(area: Image.Image, grid: Size) -> set[Cell]:
    """The cells of `grid` more than half of whose pixels (cell_box's exact boxes) are set in
    the "L" image `area`. Averaged band by band in floating point: a plain resize would weigh
    fractional cell edges, and pick a neighbour's cell when cells are one or two pixels wide."""
    from PIL import Image

    columns, rows = grid
    width, height = area.size
    shares = area.convert("F")
    by_column = Image.new("F", (columns, height))
    for column in range(columns):
        left, _, right, _ = cell_box((column, 0), area.size, grid)
        if left < right:
            by_column.paste(shares.crop((left, 0, right, height)).resize((1, height), Image.Resampling.BOX), (column, 0))
    by_cell = Image.new("F", grid)
    for row in range(rows):
        _, top, _, bottom = cell_box((0, row), area.size, grid)
        if top < bottom:
            by_cell.paste(by_column.crop((0, top, columns, bottom)).resize((columns, 1), Image.Resampling.BOX), (0, row))
    means = by_cell.load()
    return {(column, row) for row in range(rows) for column in range(columns) if means[column, row] > 127.5}


def grid_mask(size: Size, cells: Iterable[Cell], grid: Size) -> bytes:
    """A full-size mask PNG for an image of `size`, painted on a columns x rows `grid`:
    transparent (to change) on the pixels of `cells` (see cell_box), opaque (kept) elsewhere.
    InvalidRequest on "mask" when no cell is given: such a mask would change nothing."""
    from PIL import ImageOps

    cells = set(cells)
    if not cells:
        raise InvalidRequest([("mask", "no cell is painted: paint the area the edit may change")])
    return _png(_alpha_only(ImageOps.invert(grid_area(size, cells, grid))))


def grid_cells(data: bytes, grid: Size) -> set[Cell]:
    """The cells of a columns x rows `grid` that a mask marks to change: those most of whose
    pixels are fully transparent. The way back from grid_mask, for loading a mask to paint on.
    InvalidRequest on "mask" when `data` is not an image."""
    with _open(data) as image:
        alpha = image.convert("RGBA").getchannel("A")
    return area_cells(alpha.point(lambda value: 255 if value == 0 else 0), grid)


def _open(data: bytes) -> Image.Image:
    """The image in `data`, fully loaded; InvalidRequest on "mask" when it is not one."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except UnidentifiedImageError:
        raise InvalidRequest([("mask", "is not an image Pillow can read")]) from None
    except Image.DecompressionBombError:
        raise InvalidRequest([("mask", "has too many pixels to open safely")]) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidRequest([("mask", f"is damaged or cut off ({exc})")]) from None
    return image


def _alpha_only(alpha: Image.Image) -> Image.Image:
    """Black pixels carrying `alpha`: the colour of a mask means nothing to a provider."""
    from PIL import Image

    mask = Image.new("RGBA", alpha.size, (0, 0, 0, 255))
    mask.putalpha(alpha)
    return mask


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def white_where_edited(data: bytes) -> bytes:
    """Our mask (fully transparent = change) as the servers that paint masks want it: white
    where the picture changes, black where it is kept (LocalAI's inpainting)."""
    alpha = _open(data).convert("RGBA").getchannel("A")
    return _png(alpha.point(lambda a: 255 if a == 0 else 0).convert("L"))
