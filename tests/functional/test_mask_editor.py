"""The mask editor, driven with Pilot in a small host app, on a real image file, with half-cell
graphics: painting shows as tinted cells, and what is saved is a full-size RGBA PNG transparent
exactly on the painted cells."""

from __future__ import annotations

import io
import time
from contextlib import asynccontextmanager
from pathlib import Path

from PIL import Image
from textual.app import App

from imagegen_tui import masks
from imagegen_tui.ui import graphics
from imagegen_tui.ui.pictures import Picture
from imagegen_tui.ui.screens.mask_editor import MaskEditor
from sixel_decode import decode
from test_picture_bytes import app_with, encodings_done

GREY = (128, 128, 128)
SIZE = (300, 200)


class Host(App[None]):
    """Opens the editor at once and keeps what it dismisses with."""

    def __init__(self, path: Path, existing: bytes | None = None, protocol: str = "halfcell") -> None:
        super().__init__()
        self.path, self.existing, self.protocol = path, existing, protocol
        self.results: list[bytes | None] = []

    def on_mount(self) -> None:
        self.push_screen(MaskEditor(graphics.setup(self.protocol), self.path, self.existing), self.results.append)


def grey_image(folder: Path) -> Path:
    path = folder / "grey.png"
    Image.new("RGB", SIZE, GREY).save(path)
    return path


@asynccontextmanager
async def editor(tmp_path: Path, existing: bytes | None = None, size: tuple[int, int] = (60, 24)):
    app = Host(grey_image(tmp_path), existing)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, MaskEditor)
        await drawn(pilot)
        yield app, pilot, screen


async def drawn(pilot) -> None:
    """The picture shows the mask as it is: fitted, tinted and encoded in threads, throttled."""
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.01)
        screen = pilot.app.screen
        if not isinstance(screen, MaskEditor) or screen.settled:
            return
    raise AssertionError("the mask editor never settled")


def cell_colours(screen: MaskEditor, cell: tuple[int, int]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The upper and lower half-cell colours the picture draws at `cell`."""
    x, y = cell
    strip = screen.query_one("#mask-picture", Picture).rendition.lines[y]
    for segment in strip:
        if x < len(segment.text):
            return tuple(segment.style.color.triplet), tuple(segment.style.bgcolor.triplet)
        x -= len(segment.text)
    raise AssertionError(f"no cell {cell}")


def tinted(screen: MaskEditor, cell: tuple[int, int]) -> bool:
    upper, lower = cell_colours(screen, cell)
    assert (upper == GREY) == (lower == GREY)  # a cell is tinted whole (in stripes of two strengths)
    return upper != GREY


def everywhere(screen: MaskEditor) -> set[tuple[int, int]]:
    columns, rows = screen.canvas.grid
    return {(x, y) for x in range(columns) for y in range(rows)}


async def drag(pilot, start, end, **modifiers) -> None:
    picture = pilot.app.screen.query_one("#mask-picture")
    await pilot.mouse_down(picture, offset=start, **modifiers)
    await pilot.hover(picture, offset=end)
    await pilot.mouse_up(picture, offset=end, **modifiers)
    await drawn(pilot)


async def test_the_picture_fills_the_stage_in_whole_cells(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        picture = screen.query_one("#mask-picture", Picture)
        stage = screen.query_one("#mask-stage")
        columns, rows = screen.canvas.grid
        assert picture.rendition.cells == (columns, rows) and picture.rendition.image.size == (columns, rows * 2)
        assert stage.region.contains_region(picture.region)
        assert columns == stage.size.width or rows == stage.size.height  # as large as the stage allows
        assert abs(columns / (rows * 2) - SIZE[0] / SIZE[1]) < 0.05  # aspect kept
        assert not any(tinted(screen, cell) for cell in everywhere(screen))
        status = str(screen.query_one("#mask-status").render())
        assert "brush" in status and f"0/{columns * rows} cells" in status
        help_line = str(screen.query_one("#mask-help").render())
        assert "where the edit may change" in help_line and "whole cells" in help_line


async def test_a_drag_paints_undo_takes_it_back(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await drag(pilot, (3, 4), (9, 4))
        # radius 1 on cells twice as tall as wide: a row three cells wider than the drag
        assert screen.cells == {(x, 4) for x in range(2, 11)}
        assert tinted(screen, (6, 4)) and tinted(screen, (2, 4)) and not tinted(screen, (6, 5)) and not tinted(screen, (11, 4))
        await pilot.press("u")
        await drawn(pilot)
        assert screen.cells == set() and not tinted(screen, (6, 4))
        await pilot.press("u")  # nothing more to undo: the mask stays as it is
        await drawn(pilot)
        assert screen.cells == set()


async def test_shift_and_the_right_button_erase_and_x_erases_everything_after(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await drag(pilot, (2, 3), (12, 3))
        await drag(pilot, (5, 3), (6, 3), shift=True)
        assert (5, 3) not in screen.cells and (6, 3) not in screen.cells and (2, 3) in screen.cells
        assert not tinted(screen, (5, 3)) and tinted(screen, (2, 3))
        picture = screen.query_one("#mask-picture")
        await pilot.click(picture, offset=(9, 3), button=3)
        await drawn(pilot)
        assert (9, 3) not in screen.cells
        await pilot.press("x")
        await drag(pilot, (2, 3), (2, 3))
        assert (2, 3) not in screen.cells and "erasing" in str(screen.query_one("#mask-status").render())


async def test_ctrl_drag_makes_a_rectangle_and_alt_drag_an_ellipse(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await drag(pilot, (2, 2), (9, 6), control=True)
        assert screen.cells == {(x, y) for x in range(2, 10) for y in range(2, 7)}
        assert tinted(screen, (9, 6)) and not tinted(screen, (10, 6))
        await pilot.press("c")
        await drawn(pilot)
        assert screen.cells == set() and not tinted(screen, (9, 6))
        await drag(pilot, (2, 2), (12, 8), meta=True)
        assert (7, 5) in screen.cells and (2, 2) not in screen.cells and (12, 8) not in screen.cells
        assert {(2, 5), (12, 5), (7, 2), (7, 8)} <= screen.cells  # it touches the box's four sides


async def test_a_rectangle_by_keyboard_is_shown_before_it_is_filled(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        x, y = screen.cursor
        await pilot.press("space", "right", "right", "right", "down", "down")
        await drawn(pilot)
        box = {(x + dx, y + dy) for dx in range(4) for dy in range(3)}
        assert screen.cells == set() and all(tinted(screen, cell) for cell in box)  # shown, not applied
        assert screen.query_one("#mask-anchor").display and "space fills" in str(screen.query_one("#mask-status").render())
        await pilot.press("space")
        await drawn(pilot)
        assert screen.cells == box and not screen.query_one("#mask-anchor").display
        await pilot.press("u")
        await drawn(pilot)
        assert screen.cells == set()
        await pilot.press("space", "left", "escape")  # escape lets go of the corner, not of the editor
        await drawn(pilot)
        assert screen.cells == set() and app.screen is screen and not any(tinted(screen, cell) for cell in box)


async def test_an_ellipse_by_keyboard_and_the_brush_size(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        x, y = screen.cursor
        await pilot.press("o", "space", *["right"] * 8, *["down"] * 4, "space")
        await drawn(pilot)
        assert (x + 4, y + 2) in screen.cells and (x, y) not in screen.cells and (x + 8, y + 4) not in screen.cells
        await pilot.press("c", "b", "p")
        small = set(screen.cells)
        await pilot.press("c", "right_square_bracket", "right_square_bracket", "p")
        await drawn(pilot)
        assert len(screen.cells) > 2 * len(small) and small < screen.cells
        assert "radius 3" in str(screen.query_one("#mask-status").render())
        assert all(tinted(screen, cell) for cell in screen.cells)
        await pilot.press(*["left_square_bracket"] * 5, "c", "p")
        assert screen.cells == {screen.cursor}  # radius 0: one cell


async def test_invert_and_clear(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await drag(pilot, (1, 1), (3, 1))
        painted = set(screen.cells)
        await pilot.press("i")
        await drawn(pilot)
        assert screen.cells == everywhere(screen) - painted
        assert not tinted(screen, (2, 1)) and tinted(screen, (20, 10))
        await pilot.press("c")
        await drawn(pilot)
        assert screen.cells == set() and not tinted(screen, (20, 10))
        await pilot.press("u", "u")
        assert screen.cells == painted


async def test_saving_gives_a_full_size_mask_transparent_exactly_where_painted(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await drag(pilot, (2, 2), (8, 5), control=True)
        await drag(pilot, (20, 9), (24, 9))
        painted, grid = set(screen.cells), screen.canvas.grid
        await pilot.press("enter")
        await drawn(pilot)
        [data] = app.results
        assert masks.mask_problem(data, SIZE) is None
        mask = Image.open(io.BytesIO(data))
        assert (mask.format, mask.mode, mask.size) == ("PNG", "RGBA", SIZE)
        alpha = mask.getchannel("A")
        for cell in everywhere(screen):
            left, top, right, bottom = masks.cell_box(cell, SIZE, grid)
            centre = ((left + right) // 2, (top + bottom) // 2)
            assert alpha.getpixel(centre) == (0 if cell in painted else 255), cell
        assert alpha.crop(masks.cell_box((2, 2), SIZE, grid)).getextrema() == (0, 0)  # the whole block


async def test_nothing_painted_is_not_saved(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await pilot.press("ctrl+s")
        await drawn(pilot)
        assert app.results == [] and app.screen is screen
        assert "Nothing is painted" in str(screen.query_one("#mask-status").render())


async def test_escape_cancels_at_once_when_unchanged(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_escape_after_painting_asks_for_a_second_press(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await drag(pilot, (2, 2), (4, 2))
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [] and "unsaved changes" in str(screen.query_one("#mask-status").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
        assert not any("unsaved" in n.message for n in app._notifications)  # nothing left behind on the screen below


async def test_an_existing_mask_is_loaded_into_the_grid(tmp_path):
    existing = masks.region_mask(SIZE, [masks.rect("0,0,50%,100%")])  # the left half to change
    async with editor(tmp_path, existing) as (app, pilot, screen):
        grid = screen.canvas.grid
        for cell in everywhere(screen):
            left, _, right, _ = masks.cell_box(cell, SIZE, grid)
            if right <= SIZE[0] // 2:
                assert cell in screen.cells and tinted(screen, cell)
            elif left >= SIZE[0] // 2:
                assert cell not in screen.cells and not tinted(screen, cell)
        await pilot.press("escape")  # loaded, not changed: leaves at once
        await pilot.pause()
        assert app.results == [None]


async def test_a_mask_of_another_size_is_not_loaded_and_says_why(tmp_path):
    existing = masks.region_mask((30, 20), [masks.rect("0,0,10,10")])
    async with editor(tmp_path, existing) as (app, pilot, screen):
        assert screen.cells == set()
        assert "the mask is 30x20 but the first image is 300x200" in "".join(n.message for n in app._notifications)


async def test_a_resize_keeps_the_painted_area(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        await drag(pilot, (0, 0), (9, 5), control=True)
        old_grid = screen.canvas.grid
        await pilot.resize_terminal(100, 34)
        await drawn(pilot)
        assert screen.canvas.grid != old_grid
        # the same area of the image as before, to a cell of the new grid
        now = masks.grid_area(SIZE, screen.cells, screen.canvas.grid).getbbox()
        before = masks.grid_area(SIZE, {(x, y) for x in range(10) for y in range(6)}, old_grid).getbbox()
        cell = (SIZE[0] / screen.canvas.grid[0], SIZE[1] / screen.canvas.grid[1])
        assert all(abs(a - b) <= cell[i % 2] for i, (a, b) in enumerate(zip(now, before))), (now, before)
        await pilot.press("u")  # the undo steps were moved onto the new grid too
        assert screen.cells == set()


async def test_an_unreadable_image_says_so(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"not a picture")
    app = Host(path)
    async with app.run_test(size=(60, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "Cannot open this image" in str(app.screen.query_one("#mask-message").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


def sixel_colour_at(sent: list[str], screen_cell: tuple[int, int], cell_size: tuple[int, int]) -> tuple[int, int, int]:
    """The colour the terminal shows at the centre of a screen cell, from the last Sixel
    drawing (a whole picture or a crop) that covers it."""
    colour = None
    for drawing in decode("".join(sent).encode()):
        row, column = drawing.cursor
        x = (screen_cell[0] - (column - 1)) * cell_size[0] + cell_size[0] // 2
        y = (screen_cell[1] - (row - 1)) * cell_size[1] + cell_size[1] // 2
        if 0 <= x < drawing.image.width and 0 <= y < drawing.image.height:
            colour = drawing.image.getpixel((x, y))
    assert colour is not None, f"nothing drawn at {screen_cell}"
    return colour


def near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return max(abs(p - q) for p, q in zip(a, b)) <= 8


async def test_with_sixel_the_picture_and_the_tint_are_drawn_as_sixel(dirs, tmp_path):
    """In the real app, with its picture layer: the editor's picture reaches the terminal as
    Sixel, around the cursor's text cell, and painting sends the tinted cells."""
    async with app_with("sixel") as (app, pilot, sent):
        results: list[bytes | None] = []
        sent.clear()
        app.push_screen(MaskEditor(app.graphics, grey_image(tmp_path)), results.append)
        await drawn(pilot)
        await encodings_done(pilot)
        screen = app.screen
        picture = screen.query_one("#mask-picture", Picture)
        assert picture.rendition.protocol == "sixel" and picture.rendition.cells == screen.canvas.grid
        origin = picture.region.offset

        def at(cell: tuple[int, int]) -> tuple[int, int, int]:
            return sixel_colour_at(sent, (origin.x + cell[0], origin.y + cell[1]), app.graphics.cell_size)

        assert near(at((3, 2)), GREY) and near(at((3, 5)), GREY)
        await drag(pilot, (2, 2), (5, 3), control=True)
        await encodings_done(pilot)
        assert not near(at((3, 2)), GREY) and near(at((3, 5)), GREY)
        await pilot.press("enter")
        await drawn(pilot)
        assert len(results) == 1 and masks.mask_problem(results[0], SIZE) is None


async def test_with_kitty_each_drawing_is_transmitted_and_placed(dirs, tmp_path):
    async with app_with("kitty") as (app, pilot, sent):
        app.push_screen(MaskEditor(app.graphics, grey_image(tmp_path)))
        await drawn(pilot)
        await pilot.pause()
        screen = app.screen
        picture = screen.query_one("#mask-picture", Picture)
        first = picture.rendition
        assert first.protocol == "kitty" and first.cells == screen.canvas.grid
        await drag(pilot, (2, 2), (5, 3), control=True)
        await pilot.pause()
        second = picture.rendition
        assert second is not first
        for rendition in (first, second):
            assert any(f"i={rendition.kitty_id}," in chunk for chunk in sent)
        assert picture.render_line(0).text.startswith("\U0010eeee")


async def test_with_images_off_the_editor_still_shows_the_picture_in_half_cells(tmp_path):
    app = Host(grey_image(tmp_path), protocol="none")
    async with app.run_test(size=(60, 24)) as pilot:
        await drawn(pilot)
        assert app.screen.query_one("#mask-picture", Picture).rendition.protocol == "halfcell"


async def test_escape_while_the_picture_loads_leaves_at_once(tmp_path, monkeypatch):
    """Closing the screen cancels its workers: the late picture is dropped, nothing fails."""
    from imagegen_tui.ui.screens import mask_editor

    slow = mask_editor.fit_canvas

    def fit_slowly(*args):
        time.sleep(0.3)
        return slow(*args)

    monkeypatch.setattr(mask_editor, "fit_canvas", fit_slowly)
    app = Host(grey_image(tmp_path))
    async with app.run_test(size=(60, 24)) as pilot:
        await pilot.pause(0.1)
        await pilot.press("escape")
        await pilot.pause(0.5)
        assert app.results == [None] and app.screen is not None and not isinstance(app.screen, MaskEditor)


async def test_a_key_pressed_mid_drag_ends_the_drag_and_frees_the_mouse(tmp_path):
    async with editor(tmp_path) as (app, pilot, screen):
        picture = screen.query_one("#mask-picture")
        await pilot.mouse_down(picture, offset=(2, 2), control=True)
        await pilot.hover(picture, offset=(6, 4))
        assert app.mouse_captured is screen.query_one("#mask-board")
        await pilot.press("i")  # the rectangle not yet released is let go, then the rest inverted
        await drawn(pilot)
        assert app.mouse_captured is None and screen.stroke is None
        assert screen.cells == everywhere(screen)
