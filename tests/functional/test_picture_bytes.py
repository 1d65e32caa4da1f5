"""What the picture layer sends to the terminal, action by action (captured, not timed): a picture
is sent when the terminal does not show it, and only then; overlays keep it covered."""

from __future__ import annotations

import re
import asyncio
from contextlib import asynccontextmanager

from textual.widgets._toast import ToastRack

from imagegen_tui.config import load_config
from imagegen_tui.store import HistoryStore
from imagegen_tui.studio import Studio
from imagegen_tui.ui import graphics
from imagegen_tui.ui.app import ImagegenApp
from imagegen_tui.ui.widgets.history import HistoryList
from scenes import seed
from sixel_decode import decode
from test_tui import settle, shown_picture


@asynccontextmanager
async def app_with(protocol: str):
    store = HistoryStore.open_default()
    seed(store, load_config().output.folder)
    app = ImagegenApp(Studio(load_config(), store, {"MODEL_GO_API_KEY": "k"}), graphics.setup(protocol))
    sent: list[str] = []
    app.pictures._write = sent.append
    app.frames = frames = []  # what Textual writes, after the painter took out what it spares
    original = type(app)._display

    def display(screen, renderable):
        original(app, screen, renderable)
        if renderable is not None and hasattr(renderable, "render_segments"):
            frames.append(renderable.render_segments(app.console))

    app._display = display
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settle(pilot)
            app.clear_notifications()
            await settle(pilot)
            yield app, pilot, sent
    finally:
        store.close()


async def encodings_done(pilot) -> None:
    """Sixel crops are encoded in a thread, one after another: once a no-op queued behind them
    has run, their drawings have been written."""
    await asyncio.wrap_future(pilot.app.pictures._encoder.submit(lambda: None))
    await settle(pilot)


def sixels(sent: list[str]):
    return decode("".join(sent).encode())


async def _select_picture(pilot, sent: list[str]) -> None:
    """From the newest generation (n=4: a picture and its thumbnails) one row down, to a single
    picture; only what that move sent is kept."""
    pilot.app.query_one(HistoryList).focus()
    await settle(pilot)
    sent.clear()
    await pilot.press("down")
    await settle(pilot)
    await pilot.pause(0.2)
    await shown_picture(pilot)
    await settle(pilot)


async def test_sixel_is_sent_once_and_not_again_for_focus_or_a_toast_elsewhere(dirs):
    async with app_with("sixel") as (app, pilot, sent):
        await _select_picture(pilot, sent)
        picture = app.query_one("#preview-image")
        [shown] = sixels(sent)
        region = picture.region
        assert shown.cursor == (region.y + 1, region.x + 1) and shown.image.size == picture.rendition.image.size
        sent.clear()
        for _ in range(5):
            await pilot.press("tab")
            await settle(pilot)
        app.notify("a toast")
        await settle(pilot)
        assert sixels(sent) == []


async def test_a_modal_hides_the_picture_and_closing_it_draws_it_again(dirs):
    async with app_with("sixel") as (app, pilot, sent):
        await _select_picture(pilot, sent)
        sent.clear()
        await pilot.press("f3")
        await settle(pilot)
        assert sixels(sent) == []  # covered: nothing drawn over the dialog
        await pilot.press("escape")
        await settle(pilot)
        [again] = sixels(sent)
        assert again.image.size == app.query_one("#preview-image").rendition.image.size


async def test_a_toast_over_the_picture_keeps_it_covered_then_only_that_part_is_redrawn(dirs):
    async with app_with("sixel") as (app, pilot, sent):
        await _select_picture(pilot, sent)
        picture = app.query_one("#preview-image")
        full = picture.rendition.image.size
        sent.clear()
        toast_rack = app.screen.get_child_by_type(ToastRack)
        toast_rack.styles.dock = "top"  # make the toast land on the picture for this test
        toast_rack.styles.margin = (picture.region.y, 0, 0, 0)
        app.notify("a long notice that covers part of the picture\n" * 3, timeout=30)
        await settle(pilot)
        [toast] = app.screen.query("Toast")
        covered = toast.region.intersection(picture.region)
        assert covered, f"the test needs the toast on the picture: {toast.region} {picture.region}"
        assert sixels(sent) == []  # nothing drawn over the toast
        app.clear_notifications()
        await settle(pilot)
        await encodings_done(pilot)
        drawn = sixels(sent)
        assert drawn and all(d.image.size[0] * d.image.size[1] < full[0] * full[1] for d in drawn), [(d.cursor, d.image.size) for d in drawn]
        # the rows the toast covered (the compositor rewrites whole runs of a row), nothing else
        rows = {row for d in drawn for row in range(d.cursor[0] - 1, d.cursor[0] - 1 + -(-d.image.size[1] // 20))}
        assert rows == set(range(covered.y, covered.bottom)), (rows, covered)


def halfcell_rows(sent_frames: list[str]) -> int:
    return sum(frame.count("▀") for frame in sent_frames)


async def test_half_cell_pictures_are_not_rewritten_for_a_focus_change(dirs):
    """Half-cell pictures are text: the frames themselves carry them."""
    async with app_with("halfcell") as (app, pilot, _sent):
        frames = app.frames
        await _select_picture(pilot, [])
        picture = app.query_one("#preview-image")
        cells = picture.rendition.cells[0] * picture.rendition.cells[1]
        assert halfcell_rows(frames) >= cells  # the new picture was written
        frames.clear()
        for _ in range(5):
            await pilot.press("tab")
            await settle(pilot)
        assert frames and halfcell_rows(frames) == 0  # focus moved five times, the picture stayed


async def test_a_toast_to_the_right_of_the_picture_s_left_edge_leaves_no_black_cells(dirs):
    """With the sidebar hidden, a notice (bottom right) covers the picture's lower right. The
    partial update that takes it away writes the picture's blank rows from their left edge
    (whole segments), not from the notice's: every erased cell is drawn again."""
    async with app_with("sixel") as (app, pilot, sent):
        await pilot.press("ctrl+b")
        await _select_picture(pilot, sent)
        picture = app.query_one("#preview-image")
        app.notify("a long notice, line after line\n" * 14, timeout=1.5)
        await settle(pilot)
        [toast] = app.screen.query("Toast")
        covered = toast.region.intersection(picture.region)
        assert covered and covered.x > picture.region.x, (toast.region, picture.region)
        sent.clear()
        await pilot.pause(1.6)  # it expires: only its own cells are repainted
        await settle(pilot)
        await encodings_done(pilot)
        drawn = sixels(sent)
        assert drawn and min(d.cursor[1] - 1 for d in drawn) == picture.region.x  # from the picture's left edge
        rows = {row for d in drawn for row in range(d.cursor[0] - 1, d.cursor[0] - 1 + -(-d.image.size[1] // 20))}
        assert set(range(covered.y, covered.bottom)) <= rows


async def test_kitty_transmits_each_picture_once_per_session(dirs):
    async with app_with("kitty") as (app, pilot, sent):
        await _select_picture(pilot, sent)

        def transmitted() -> list[str]:
            return [m.group(1) for chunk in sent for m in re.finditer(r"a=t,f=100,t=d,i=(\d+)", chunk)]

        picture = app.query_one("#preview-image")
        assert str(picture.rendition.kitty_id) in transmitted()
        await pilot.press("down")  # a new generation (n=2): its picture and two thumbnails
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        after_new = transmitted()
        assert str(picture.rendition.kitty_id) in after_new
        for _ in range(2):  # back over rows the terminal holds: placeholders only
            await pilot.press("up")
            await settle(pilot)
            await pilot.pause(0.2)
            await settle(pilot)
        assert transmitted() == after_new, sent
        assert len(after_new) == len(set(after_new))  # no picture twice
        assert picture.render_line(0).text.startswith("\U0010eeee")


async def test_kitty_placeholders_reach_the_terminal_the_first_time(dirs):
    """The frame drawn while a picture is transmitted still holds blanks: the next one must
    write the placeholders, not spare them as if the terminal showed them."""
    async with app_with("kitty") as (app, pilot, _sent):
        app.frames.clear()
        await _select_picture(pilot, [])
        picture = app.query_one("#preview-image")
        cells = picture.rendition.cells[0] * picture.rendition.cells[1]
        assert sum(frame.count("\U0010eeee") for frame in app.frames) >= cells
        app.frames.clear()
        for _ in range(3):
            await pilot.press("tab")
            await settle(pilot)
        assert sum(frame.count("\U0010eeee") for frame in app.frames) == 0  # and then not again


async def test_clicking_a_thumbnail_shows_that_image(dirs):
    async with app_with("halfcell") as (app, pilot, _sent):
        preview = app.query_one("#preview")
        assert len(preview.generation.images) == 4 and preview.index == 0
        thumbs = list(app.query("Thumb"))
        await pilot.click(thumbs[2])
        await settle(pilot)
        assert preview.index == 2 and "image 3/4" in preview.query_one("#preview-info").render().plain
