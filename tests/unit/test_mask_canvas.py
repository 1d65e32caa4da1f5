"""The mask editor's shapes on a grid of cells, and its canvas: the picture in whole cells,
tinted exactly on the cells painted."""

from PIL import Image

from imagegen_tui.masks import cell_box
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.screens.mask_canvas import TINT, disc, fit_canvas, path_between, shape, stripes

GRID = (40, 20)


def test_the_brush_is_round_on_screen_where_cells_are_twice_as_tall_as_wide():
    assert disc((10, 10), 0, 2.0, GRID) == {(10, 10)}
    assert disc((10, 10), 1, 2.0, GRID) == {(9, 10), (10, 10), (11, 10)}
    wide = disc((10, 10), 4, 2.0, GRID)
    columns = {x for x, _ in wide}
    rows = {y for _, y in wide}
    assert columns == set(range(6, 15)) and rows == set(range(8, 13))  # 9 columns, 5 rows: round
    assert disc((0, 0), 3, 2.0, GRID) <= {(x, y) for x in range(4) for y in range(2)}  # clipped to the grid


def test_a_rectangle_is_its_box_from_any_corner_and_an_ellipse_fits_inside():
    box = {(x, y) for x in range(2, 7) for y in range(3, 6)}
    assert shape("rect", (2, 3), (6, 5)) == shape("rect", (6, 5), (2, 3)) == box
    oval = shape("ellipse", (6, 5), (2, 3))
    assert oval < box and {(2, 4), (6, 4), (4, 3), (4, 5)} <= oval and (2, 3) not in oval
    assert shape("ellipse", (4, 4), (4, 4)) == {(4, 4)}


def test_a_fast_drag_leaves_no_gap():
    cells = path_between((0, 0), (9, 3))
    assert cells[0] == (0, 0) and cells[-1] == (9, 3)
    assert all(max(abs(a[0] - b[0]), abs(a[1] - b[1])) == 1 for a, b in zip(cells, cells[1:]))
    assert path_between((5, 5), (5, 5)) == [(5, 5), (5, 5)]


def test_the_canvas_is_whole_cells_and_tints_exactly_the_cells_given(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (1000, 300), (20, 20, 20)).save(path)
    sixel = Graphics("sixel", "sixel", "test", cell_size=(10, 20))
    canvas = fit_canvas(sixel, path, (50, 30), (0, 0, 0))
    assert canvas.size == (1000, 300) and canvas.grid == (50, 8)  # 500x150 px: 50 x 7.5 cells, stretched to 8
    assert canvas.base.size == (500, 160)
    shown = canvas.showing(frozenset({(3, 2)}))
    left, top, right, bottom = cell_box((3, 2), canvas.base.size, canvas.grid)
    assert (left, top, right, bottom) == (30, 40, 40, 60)  # on the terminal's cell, to the pixel
    cell = (left, top, right, bottom)
    assert shown.crop(cell).tobytes() == canvas.tinted.crop(cell).tobytes()
    assert shown.getpixel((left - 1, top)) == (20, 20, 20) and shown.getpixel((left, bottom)) == (20, 20, 20)
    assert len(canvas.tinted.crop(cell).getcolors()) == 2  # striped: no flat colour the picture could have
    assert all(red > TINT[0] // 3 for (red, _, _) in (colour for _, colour in canvas.tinted.crop(cell).getcolors()))


def test_stripes_run_diagonally_and_repeat():
    pattern = stripes((9, 6), 4)
    assert all((pattern.getpixel((x, y)) == 255) == ((x + y) % 4 < 2) for x in range(9) for y in range(6))
