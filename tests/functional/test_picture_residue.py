"""No picture is left behind. Every byte the app writes is replayed into a model of the
terminal's glass (tests/screen_model.py: xterm's Sixel pixels, erased by text written into
their cells; kitty's placeholders, which show their image until overwritten); after each action
the glass must hold exactly the pictures the app says it shows, pixel for pixel, and nothing
of any other: not a streamed partial a finished picture replaced, not a row left, not what a
closed viewer or dialog covered, not the layout before a resize."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest
from PIL import Image

from imagegen_tui.config import load_config
from imagegen_tui.store import HistoryStore
from imagegen_tui.studio import Studio
from imagegen_tui.ui import graphics
from imagegen_tui.ui.app import ImagegenApp
from imagegen_tui.ui.pictures import _placements
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.preview import Preview
from scenes import seed
from screen_model import Screen
from sixel_decode import decode, mean_colour_error
from test_tui import settle, shown_picture, submit


@asynccontextmanager
async def recorded(protocol: str, size: tuple[int, int] = (120, 40), seeded: bool = False):
    """The app with what it writes to its terminal recorded in order: the picture layer's own
    writes, and Textual's frames as sent (after the picture layer took out what it spares)."""
    store = HistoryStore.open_default()
    if seeded:
        seed(store, load_config().output.folder)
    app = ImagegenApp(Studio(load_config(), store), graphics.setup(protocol))
    glass = Glass(*size)
    painter = app.pictures
    painter._write = glass.write
    before, after = painter.before_frame, painter.after_frame
    frame: list = []

    def before_frame(screen, update):
        before(screen, update)
        frame[:] = [update]

    def after_frame():
        if frame and hasattr(frame[0], "render_segments"):
            glass.write(frame[0].render_segments(app.console))
        frame.clear()
        after()

    painter.before_frame, painter.after_frame = before_frame, after_frame
    try:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            app.clear_notifications()
            await settle(pilot)
            yield app, pilot, glass
            await pilot.pause(1.1)  # the prompt's draft timer (1 s) fires before the app goes
    finally:
        store.close()


class Glass:
    """The terminal, fed as the app writes; a resize keeps what is on it, as xterm does."""

    def __init__(self, columns: int, rows: int) -> None:
        self.screen = Screen(columns, rows)
        self.sent: list[str] = []

    def write(self, data: str) -> None:
        self.sent.append(data)
        self.screen.feed(data.encode())

    def resize(self, columns: int, rows: int) -> None:
        old = self.screen
        self.screen = Screen(columns, rows)
        self.screen.pixels.paste(old.pixels, (0, 0))
        self.screen.text = {cell: v for cell, v in old.text.items() if cell[0] < columns and cell[1] < rows}


async def quiet(pilot) -> None:
    """Jobs, loads and Sixel drawings (encoded in the painter's thread) all done."""
    for _ in range(3):
        await settle(pilot)
        await asyncio.wrap_future(pilot.app.pictures._encoder.submit(lambda: None))
        await pilot.pause(0.05)
    await settle(pilot)


def shown(app) -> list:
    """(picture, visible region) for every picture on the current screen, as the painter sees it."""
    return [(picture, visible) for picture, (_region, visible, _covered) in _placements(app.screen).items() if picture.rendition is not None]


def assert_glass_holds_only_the_shown_pictures(app, glass: Glass) -> None:
    screen = glass.screen
    pictures = shown(app)
    boxes = [(v.x, v.y, v.width, v.height) for _, v in pictures]
    if app.graphics.protocol == "sixel":
        assert screen.picture_pixels_outside(*boxes) == 0, "picture pixels left outside the pictures on show"
        cell_width, cell_height = screen.cell
        for picture, visible in pictures:  # the part on show (a thumbnail may be cut by the strip)
            [expected] = decode(picture.rendition.sixel.encode())
            left, top = (visible.x - picture.region.x) * cell_width, (visible.y - picture.region.y) * cell_height
            right = min(expected.image.width, left + visible.width * cell_width)
            bottom = min(expected.image.height, top + visible.height * cell_height)
            part = expected.image.crop((left, top, right, bottom))
            on_glass = screen.picture_at((visible.x, visible.y, visible.width, visible.height)).crop((0, 0, *part.size))
            assert on_glass.getchannel("A").getextrema() == (255, 255), f"holes in the picture at {visible}"
            # a part drawn as a crop was quantized on its own: its colours may differ by a step
            assert mean_colour_error(on_glass.convert("RGB"), part) < 2.0, f"another picture's pixels at {visible}"
    elif app.graphics.protocol == "kitty":
        expected_cells = {}
        for picture, visible in pictures:
            for y in range(visible.y, visible.bottom):
                for x in range(visible.x, visible.right):
                    expected_cells[(x, y)] = picture.rendition.kitty_id
        assert screen.placeholders() == expected_cells


def kitty_ids(glass: Glass, action: str) -> list[int]:
    import re

    return [int(m.group(1)) for chunk in glass.sent for m in re.finditer(rf"a={action},[^;\x1b]*?i=(\d+)", chunk)]


@pytest.mark.parametrize("protocol", ["sixel", "kitty"])
async def test_a_streamed_job_leaves_only_its_final_pictures(dirs, protocol):
    """Partials are fitted to the stage while the job runs (one line of caption under it); the
    finished generation has a strip of thumbnails and more lines of facts, so its picture is
    smaller and elsewhere: every cell the partials covered must be cleared."""
    async with recorded(protocol) as (app, pilot, glass):
        await pilot.press("ctrl+b")  # a wide pane: the picture's height is what the stage allows
        app.query_one("#p-n").value = "2"
        await settle(pilot)
        partials = []
        preview = app.query_one(Preview)
        original = preview.show_partial

        def spy(rendition, caption):
            partials.append(rendition)
            original(rendition, caption)

        preview.show_partial = spy
        await submit(pilot, "a streamed lighthouse #sleep:1")
        await settle(pilot)
        final = await shown_picture(pilot)
        await quiet(pilot)
        assert partials and all(p.cells[1] > final.rendition.cells[1] for p in partials), "the test needs partials taller than the final picture"
        assert len(shown(app)) == 3  # the picture and two thumbnails
        assert_glass_holds_only_the_shown_pictures(app, glass)
        if protocol == "kitty":  # the partials are deleted from the terminal, the pictures kept
            partial_ids = {p.kitty_id for p in partials}
            assert partial_ids <= set(kitty_ids(glass, "t")) and set(kitty_ids(glass, "d")) == partial_ids


@pytest.mark.parametrize("protocol", ["sixel", "kitty"])
async def test_rows_viewer_dialog_and_resize_leave_no_picture_behind(dirs, protocol):
    async with recorded(protocol, seeded=True) as (app, pilot, glass):
        app.query_one(HistoryList).focus()
        await quiet(pilot)
        await shown_picture(pilot)
        assert_glass_holds_only_the_shown_pictures(app, glass)  # n=4: picture and thumbnails
        for key in ("down", "down", "up"):  # a 1536x1024, a failed row (text only), back
            await pilot.press(key)
            await pilot.pause(0.2)
            await quiet(pilot)
            assert_glass_holds_only_the_shown_pictures(app, glass)
        await pilot.press("v")
        await quiet(pilot)
        assert type(app.screen).__name__ == "ViewerScreen" and len(shown(app)) == 1
        assert_glass_holds_only_the_shown_pictures(app, glass)
        await pilot.press("escape")
        await quiet(pilot)
        assert_glass_holds_only_the_shown_pictures(app, glass)
        await pilot.press("f1")
        await quiet(pilot)
        assert shown(app) == [] and glass.screen.picture_pixels_outside() == 0 and not glass.screen.placeholders()
        await pilot.press("escape")
        await quiet(pilot)
        assert shown(app)
        assert_glass_holds_only_the_shown_pictures(app, glass)
        for size in ((100, 32), (140, 44)):
            glass.resize(*size)
            await pilot.resize_terminal(*size)
            await pilot.pause(0.2)
            await quiet(pilot)
            assert_glass_holds_only_the_shown_pictures(app, glass)


def test_the_glass_check_sees_a_picture_left_behind():
    """The model this file relies on: a smaller picture drawn over a bigger one without the
    cells between being written leaves the bigger one's edge on the glass."""
    from imagegen_tui.ui.graphics import encode_sixel

    screen = Screen(40, 12)
    big, small = Image.new("RGB", (200, 200), (200, 0, 0)), Image.new("RGB", (100, 100), (0, 0, 200))
    screen.feed(b"\x1b[2;3H" + encode_sixel(big).encode())
    screen.feed(b"\x1b[2;3H" + encode_sixel(small).encode())
    assert screen.picture_pixels_outside((2, 1, 10, 5)) == 200 * 200 - 100 * 100
    screen.feed(b"\x1b[2;3H" + b" " * 20)  # text over one row of cells erases their pixels
    assert screen.picture_pixels_outside((2, 1, 10, 5)) == 200 * 200 - 100 * 100 - 100 * 20


def test_kitty_placeholders_carry_24_bit_colours_without_colorterm(dirs, monkeypatch):
    """Over SSH COLORTERM is usually not passed on; with TERM=xterm-kitty alone Rich would write
    256 colours, and the nearest palette colour names another image."""
    monkeypatch.setenv("TERM", "xterm-kitty")
    monkeypatch.delenv("COLORTERM", raising=False)
    store = HistoryStore.open_default()
    try:
        kitty = ImagegenApp(Studio(load_config(), store), graphics.Graphics("kitty", "kitty", "test"))
        sixel = ImagegenApp(Studio(load_config(), store), graphics.Graphics("sixel", "sixel", "test"))
        assert kitty.console.color_system == "truecolor"
        assert sixel.console.color_system == "256"  # left as the terminal says
    finally:
        store.close()
