"""What the mask editor paints on: the picture fitted to the stage in whole cells, and the
shapes a brush, a rectangle and an ellipse cover on its grid. No widgets here; the picture work
(fit_canvas, Canvas.showing) is slow and runs in threads.

The fitted picture is stretched by under one cell so that its cells are exactly the grid's
cells, and a cell of the grid is the block of the image's full pixels that masks.cell_box
names: what is tinted on screen is what a saved mask marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image as PILImage

from imagegen_tui import imaging, masks
from imagegen_tui.masks import Cell, Size
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.pictures import MAX_KITTY_CELLS

RGB = tuple[int, int, int]
TINT: RGB = (255, 40, 170)  # magenta: rare in photographs, seen on light and dark alike
TINT_STRENGTHS = (0.35, 0.65)  # in diagonal stripes: a flat tint could pass for the picture's own colour


@dataclass(frozen=True, eq=False)
class Canvas:
    """The picture fitted to the stage, with its tinted twin to take the masked cells from.
    `base` is exactly `grid` cells of pixels; `size` is the image file's own."""

    base: PILImage.Image
    tinted: PILImage.Image
    grid: Size
    size: Size

    def showing(self, cells: frozenset[Cell]) -> PILImage.Image:
        return PILImage.composite(self.tinted, self.base, masks.grid_area(self.base.size, cells, self.grid))

    def regrid(self, cells: frozenset[Cell], grid: Size) -> frozenset[Cell]:
        """Cells painted on another `grid` (before a resize), moved onto this one."""
        return frozenset(masks.area_cells(masks.grid_area(self.base.size, cells, grid), self.grid))


def fit_canvas(graphics: Graphics, path: Path, stage: Size, background: RGB) -> Canvas:
    """The picture at `path` fitted into `stage` cells, aspect kept but for the under one cell
    of stretch that puts the grid on the terminal's cells. Slow: call from a thread."""
    if graphics.protocol == "kitty":  # kitty's placeholders number at most this many cells a side
        stage = (min(stage[0], MAX_KITTY_CELLS), min(stage[1], MAX_KITTY_CELLS))
    fitted = imaging.fit(path, *graphics.pixels(*stage))
    grid = graphics.cells(*fitted.size)
    base = PILImage.alpha_composite(PILImage.new("RGBA", fitted.size, (*background, 255)), fitted.convert("RGBA")).convert("RGB")
    if base.size != graphics.pixels(*grid):
        base = base.resize(graphics.pixels(*grid), PILImage.Resampling.LANCZOS)
    with PILImage.open(path) as original:
        size = original.size
    solid = PILImage.new("RGB", base.size, TINT)
    light, strong = (PILImage.blend(base, solid, strength) for strength in TINT_STRENGTHS)
    tinted = PILImage.composite(strong, light, stripes(base.size, 2 * max(2, graphics.pixels(1, 1)[0])))
    return Canvas(base, tinted, grid, size)


def stripes(size: Size, period: int) -> PILImage.Image:
    """An "L" image of diagonal stripes, 255 where (x + y) mod `period` is in its first half.
    It repeats every `period` pixels both ways: one band is drawn, then copied along."""
    width, height = size
    band = PILImage.new("L", (width, period), 0)
    for y in range(period):
        for x in range(-y % period - period, width, period):
            band.paste(255, (max(0, x), y, min(x + period // 2, width), y + 1))
    pattern = PILImage.new("L", size, 0)
    for top in range(0, height, period):
        pattern.paste(band, (0, top))
    return pattern


def disc(centre: Cell, radius: int, aspect: float, grid: Size) -> set[Cell]:
    """The brush: cells within `radius` columns of `centre`, a row counting `aspect` columns
    (cells are taller than wide) so that it is round on screen; inside the grid."""
    reach = int((radius + 0.5) / aspect)
    found = set()
    for dy in range(-reach, reach + 1):
        for dx in range(-radius, radius + 1):
            x, y = centre[0] + dx, centre[1] + dy
            if dx * dx + (dy * aspect) ** 2 <= (radius + 0.5) ** 2 and 0 <= x < grid[0] and 0 <= y < grid[1]:
                found.add((x, y))
    return found


def shape(tool: str, a: Cell, b: Cell) -> set[Cell]:
    """The rectangle with corners `a` and `b`, or the ellipse inside it (the cells whose
    centres it holds)."""
    left, right = sorted((a[0], b[0]))
    top, bottom = sorted((a[1], b[1]))
    box = {(x, y) for x in range(left, right + 1) for y in range(top, bottom + 1)}
    if tool != "ellipse":
        return box
    cx, cy = (left + right + 1) / 2, (top + bottom + 1) / 2
    rx, ry = (right - left + 1) / 2, (bottom - top + 1) / 2
    return {(x, y) for x, y in box if ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1}


def path_between(a: Cell, b: Cell) -> list[Cell]:
    """The cells from `a` to `b`: a fast drag reports cells far apart, and a stroke must
    not have gaps."""
    steps = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
    return [(round(a[0] + (b[0] - a[0]) * i / steps), round(a[1] + (b[1] - a[1]) * i / steps)) for i in range(steps + 1)]
