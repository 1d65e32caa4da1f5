"""Compare in the app: space marks rows of the history (a mark column; marks outlive a search) and
the image on show in the preview; = shows the marked images side by side, each captioned with
what differs; b blinks them one at a time, in place. Real pictures, drawn half-cell."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from imagegen_tui.compare import Pick
from imagegen_tui.config import load_config
from imagegen_tui.studio import Studio
from imagegen_tui.ui import graphics
from imagegen_tui.ui.app import ImagegenApp
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import Usage
from imagegen_tui.saving import SavedImage
from imagegen_tui.store import FinishedGeneration, HistoryStore
from imagegen_tui.ui.pictures import Picture
from imagegen_tui.ui.screens.compare import CompareScreen, Fitted
from imagegen_tui.ui.widgets.history import HistoryList
from conftest import write_config
from records import T0
from test_history_list import list_lines
from test_tui import notices, running_app, settle
from test_tui_keys import help_keys

# newest first in the list: the lighthouse, then the foxes
FOXES = [
    ("a red fox in snow, watercolor", "low", 1, (200, 40, 40)),
    ("a blue fox in snow, at night, watercolor", "high", 1, (40, 40, 200)),
    ("a red fox in fog, watercolor", "high", 2, (150, 150, 150)),
    ("a lighthouse at dusk", "medium", 1, (240, 200, 60)),
]


def fill(folder: Path) -> None:
    """The foxes, each picture a flat colour of its own, in a history of their own."""
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for number, (prompt, quality, n, colour) in enumerate(FOXES, 1):
        images = []
        for index in range(1, n + 1):
            path = folder / f"g{number}-{index}.png"
            Image.new("RGB", (64, 64), colour if index == 1 else (0, 160, 0)).save(path)
            images.append(SavedImage(path, index, 64, 64, "png", path.stat().st_size))
        request = ImageRequest(prompt=prompt, model="gpt-image-2", n=n, quality=quality, size="1024x1024")
        records.append(FinishedGeneration(f"g{number}", T0 + number * 60, "demo", "demo", request, usage=Usage(10, 1000 * number, 1000 * number + 10, 10, 0), images=tuple(images)))
    with HistoryStore.open_default() as store:
        store.add_finished(records)


def row_of(app, prompt: str) -> str:
    return next(line for line in list_lines(app) if prompt in line)


def captions(screen: CompareScreen) -> list[str]:
    return [c.render().plain for c in screen.query(".compare-caption")]


async def pictures_up(pilot, boxes) -> list[Picture]:
    """The pictures of these boxes once prepared (in threads) and laid out."""
    for _ in range(50):
        await settle(pilot)
        shown = [box.query(Picture) for box in boxes]
        if all(found and found.first().display and found.first().rendition is not None for found in shown):
            return [found.first() for found in shown]
    raise AssertionError("the pictures never went up")


def colour(picture: Picture) -> tuple[int, int, int]:
    return picture.rendition.image.getpixel((picture.rendition.image.width // 2, picture.rendition.image.height // 2))


async def test_mark_three_one_after_a_search_compare_them_and_blink(dirs):
    fill(dirs.root / "pictures-in")
    async with running_app() as (app, pilot):
        history = app.query_one(HistoryList)
        history.focus()
        await pilot.press("down", "space", "down", "space")  # the red fox in fog (#3), the blue fox (#2)
        await settle(pilot)
        await pilot.press("ctrl+f", *"snow red")  # the red fox in snow (#1), found by a search
        await settle(pilot)
        assert history.total == 1
        history.focus()
        await pilot.press("space")
        await pilot.press("ctrl+f", *["backspace"] * 8)  # the search cleared: every row again
        await settle(pilot)
        assert history.total == 4
        marks = {prompt: row_of(app, prompt[:25])[0] for prompt, *_ in FOXES}
        assert marks == {FOXES[0][0]: "●", FOXES[1][0]: "●", FOXES[2][0]: "●", FOXES[3][0]: " "}
        assert row_of(app, "a lighthouse")[1] == "✓"  # the status keeps its cell beside the mark column

        history.focus()
        await pilot.press("equals_sign")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        # three generations of 2 + 1 + 1 images come to four: all of them, in the order marked
        assert [item.label for item in screen.items] == ["#3:1", "#3:2", "#2", "#1"]
        shown = captions(screen)
        assert shown[0].startswith("#3:1  reference prompt") and shown[1].startswith("#3:2")
        assert "quality high" in shown[0] and "quality high" in shown[2] and "quality low" in shown[3]
        assert "n 2" in shown[0] and "n 1" in shown[3]
        assert "cost 3,010 tokens for 2 images" in shown[0] and "cost 1,010 tokens" in shown[3]
        assert "model" not in "".join(shown)  # the same for all: not said
        blue_prompt = list(screen.query(".compare-caption").results())[2].render()
        assert "fog" in blue_prompt.plain and "blue" in blue_prompt.plain  # "red … fog" against the reference
        styled = {blue_prompt.plain[span.start:span.end].strip(): str(span.style) for span in blue_prompt.spans if span.end > span.start}
        assert "strike" in styled["red"] and "strike" in styled["fog"] and "bold" in styled["blue"]
        boxes = list(screen.query(".compare-picture").results(Fitted))
        pictures = await pictures_up(pilot, boxes)
        assert [colour(p) for p in pictures] == [(150, 150, 150), (0, 160, 0), (40, 40, 200), (200, 40, 40)]
        widths = [p.rendition.cells[0] for p in pictures]  # same-sized boxes (fr shares differ by a cell at most)
        assert max(widths) - min(widths) <= 1 and len({p.rendition.cells[1] for p in pictures}) == 1

        await pilot.press("b")
        blink = screen.query_one("#compare-blink-picture", Fitted)
        [picture] = await pictures_up(pilot, [blink])
        caption = screen.query_one("#compare-blink-caption").render().plain
        assert caption.startswith("1/4  #3:1") and colour(picture) == (150, 150, 150)
        assert caption.splitlines()[-1].strip() == "b or ← → flips · esc: side by side"  # the keys in effect
        place = picture.region
        for key, label, expected in [("b", "2/4  #3:2", (0, 160, 0)), ("right", "3/4  #2", (40, 40, 200)), ("left", "2/4  #3:2", (0, 160, 0)), ("b", "3/4  #2", (40, 40, 200))]:
            await pilot.press(key)
            await settle(pilot)
            assert screen.query_one("#compare-blink-caption").render().plain.startswith(label)
            assert colour(picture) == expected and picture.region == place  # flipped in place
        await pilot.press("escape")  # back to side by side
        assert app.screen is screen and screen.shown is None
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen


async def test_the_preview_marks_the_image_on_show_and_compare_says_when_it_cannot(dirs):
    fill(dirs.root / "pictures-in")
    async with running_app(notifications=True) as (app, pilot):
        history = app.query_one(HistoryList)
        history.focus()
        await pilot.press("equals_sign")
        await settle(pilot)
        assert "Compare shows 2 to 4 images: nothing marked" in notices(app)
        await pilot.press("down")  # the red fox in fog, two images
        await settle(pilot)
        app.preview.focus()
        await pilot.press("right", "space")
        await settle(pilot)
        assert list(history.marks) == [Pick(3, 2)]
        assert "#3 image 2 marked; 1 marked" in notices(app)
        assert row_of(app, "a red fox in fog")[0] == "◆"  # some of its images
        await pilot.press("equals_sign")
        await settle(pilot)
        assert "1 image marked" in notices(app) and not isinstance(app.screen, CompareScreen)
        app.preview.focus()
        await pilot.press("left", "space")  # and its image 1: two single images of #3
        history.focus()
        await pilot.press("up", "space", "down", "down", "space", "down", "space")  # and #4, #2, #1 whole
        await pilot.press("equals_sign")
        await settle(pilot)
        assert list(history.marks) == [Pick(3, 2), Pick(3, 1), Pick(4), Pick(2), Pick(1)]
        assert "Compare shows 2 to 4 images: 5 images marked; unmark some with space." in notices(app)
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("up", "up", "space")  # space on #3 in the history: every mark of it goes
        await settle(pilot)
        assert list(history.marks) == [Pick(4), Pick(2), Pick(1)] and row_of(app, "a red fox in fog")[0] == " "


async def test_marking_comparing_and_blinking_follow_the_keys_table(dirs):
    """A bare `mark` rebinds it in the history and the preview alike; F1 lists them all."""
    fill(dirs.root / "pictures-in")
    write_config(dirs, '[keys]\nmark = "x"\n"history.compare" = "ctrl+k"\n"compare.blink" = "B"\n')
    async with running_app() as (app, pilot):
        assert "keys" not in notices(app)
        history = app.query_one(HistoryList)
        history.focus()
        await pilot.press("space", "down")
        assert list(history.marks) == []  # space no longer marks
        await pilot.press("x", "down", "x", "equals_sign")
        await settle(pilot)
        assert not isinstance(app.screen, CompareScreen)  # = no longer compares here
        await pilot.press("ctrl+k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen) and [item.label for item in screen.items] == ["#3:1", "#3:2", "#2"]
        await pilot.press("b")
        assert screen.shown is None
        await pilot.press("B")
        assert screen.shown == 0
        assert screen.query_one("#compare-blink-caption").render().plain.splitlines()[-1].strip() == "B or ← → flips · esc: side by side"
        await pilot.press("f1")
        await settle(pilot)
        listed = help_keys(app)
        assert listed["history.mark"] == listed["preview.mark"] == "x" and listed["history.compare"] == "ctrl+k"
        assert listed["compare.blink"] == "B" and listed["compare.flip_next"] == "right" and listed["preview.compare"] == "="


async def test_kitty_sends_each_picture_once_however_often_the_blink_flips(dirs):
    """Side by side, then the blink at its own size, flipped round twice and back: every
    picture reaches the terminal once per size, and flipping back sends placeholders only."""
    fill(dirs.root / "pictures-in")
    with HistoryStore.open_default() as store:
        app = ImagegenApp(Studio(load_config(), store), graphics.setup("kitty"))
        sent: list[str] = []
        app.pictures._write = sent.append

        def transmitted() -> list[str]:
            return [m.group(1) for chunk in sent for m in re.finditer(r"a=t,f=100,t=d,i=(\d+)", chunk)]

        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            history = app.query_one(HistoryList)
            history.focus()
            await pilot.press("down", "down", "space", "down", "space")  # #2 and #1
            await settle(pilot)
            sent.clear()  # what the main screen's preview sent
            await pilot.press("equals_sign")
            await settle(pilot)
            screen = app.screen
            await pictures_up(pilot, list(screen.query(".compare-picture").results(Fitted)))
            await settle(pilot)
            side = transmitted()
            assert len(side) == 2
            await pilot.press("b")
            blink = screen.query_one("#compare-blink-picture", Fitted)
            await pictures_up(pilot, [blink])
            for _ in range(2):
                await pilot.press("b")
                await settle(pilot)
            first_round = transmitted()
            assert len(first_round) == 4 and len(set(first_round)) == 4  # the blink's two, at its size
            for key in ("b", "right", "left", "escape", "b", "b", "escape"):
                await pilot.press(key)
                await settle(pilot)
            assert transmitted() == first_round  # nothing sent again


async def test_a_generation_deleted_since_it_was_marked_is_left_out_and_said(dirs):
    fill(dirs.root / "pictures-in")
    async with running_app(notifications=True) as (app, pilot):
        history = app.query_one(HistoryList)
        history.focus()
        await pilot.press("space", "down", "space", "down", "space")  # #4, #3 (2 images), #2
        await settle(pilot)
        with HistoryStore.open_default() as store:
            store.delete(4)
        await pilot.press("equals_sign")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen) and [item.label for item in app.screen.items] == ["#3:1", "#3:2", "#2"]
        assert "Left out: #4 is no longer in the history." in notices(app)
        assert list(history.marks) == [Pick(3), Pick(2)]


async def test_sixel_draws_each_panel_once_and_the_blink_in_one_place(dirs):
    from sixel_decode import decode
    from test_picture_bytes import encodings_done

    fill(dirs.root / "pictures-in")
    with HistoryStore.open_default() as store:
        app = ImagegenApp(Studio(load_config(), store), graphics.setup("sixel"))
        sent: list[str] = []
        app.pictures._write = sent.append

        async def drawn() -> list:
            await encodings_done(pilot)
            found = decode("".join(sent).encode())
            sent.clear()
            return found

        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.query_one(HistoryList).focus()
            await pilot.press("down", "down", "space", "down", "space")  # #2 and #1
            await settle(pilot)
            await drawn()
            await pilot.press("equals_sign")
            await settle(pilot)
            pictures = await pictures_up(pilot, list(app.screen.query(".compare-picture").results(Fitted)))
            side = await drawn()
            assert sorted(d.cursor for d in side) == sorted((p.region.y + 1, p.region.x + 1) for p in pictures)  # each once, where it is
            await pilot.press("b")
            [picture] = await pictures_up(pilot, [app.screen.query_one("#compare-blink-picture", Fitted)])
            [first] = await drawn()
            await pilot.press("b")
            await settle(pilot)
            [second] = await drawn()
            assert first.cursor == second.cursor == (picture.region.y + 1, picture.region.x + 1)  # in place
            assert first.image.getpixel((5, 5)) != second.image.getpixel((5, 5))


async def test_marks_outlive_pages_that_are_dropped_and_loaded_again(dirs):
    """250 generations, three pages: a mark on the first row and one on the last stay through
    End, Home and a reload that drops every loaded page."""
    from records import finished

    with HistoryStore.open_default() as store:
        store.add_finished([finished(f"p{i}", f"prompt number {i}", t=T0 + i) for i in range(250)])
    async with running_app() as (app, pilot):
        history = app.query_one(HistoryList)
        history.focus()
        await pilot.press("space", "end")
        await settle(pilot)
        await pilot.press("space", "pageup", "pageup", "home")
        await settle(pilot)
        history.reload()
        await settle(pilot)
        assert list_lines(app)[0].startswith("●") and list(history.marks) == [Pick(250), Pick(1)]
        await pilot.press("end")
        await settle(pilot)
        assert row_of(app, "prompt number 0")[0] == "●"
