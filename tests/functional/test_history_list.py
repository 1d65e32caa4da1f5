"""The history list as it is on screen at 160, 120 and 80 columns: how much of each prompt a row
shows, two-line rows in a narrow list (moving, paging, clicking, resizing, counted in rows), the
[ui] history_rows setting, the search's words marked, and ages that move on by themselves."""

from __future__ import annotations

import re

import pytest

from conftest import write_config
from imagegen_tui.config import load_config
from imagegen_tui.store import HistoryStore
from imagegen_tui.studio import Studio
from imagegen_tui.ui import graphics
from imagegen_tui.ui.app import ImagegenApp
from imagegen_tui.ui.widgets import history as history_module
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.history_rows import HEAD, INDENT
from records import finished
from test_tui import settle

NOW = 1_795_000_000.0
COUNT = 60
SUBJECTS = ["Lighthouse on a cliff at dusk", "robot barista pouring latte art", "koi pond under neon rain", "tiny greenhouse, isometric"]
PROMPTS = {
    i: f"{i:03d} {SUBJECTS[i % 4]}, volumetric light, oil painting, gulls over a storm coming in from the sea, wide angle, 35mm film grain"
    for i in range(COUNT)
}


@pytest.fixture
def store(dirs, monkeypatch):
    """COUNT generations with long prompts, the newest now and each 17 minutes before the next;
    "now" is fixed."""
    monkeypatch.setattr(HistoryList, "clock", staticmethod(lambda: NOW))
    with HistoryStore.open_default() as store:
        store.add_finished([finished(f"g{i}", PROMPTS[i], t=NOW - i * 1020, images=1 + i % 4) for i in range(COUNT)])
        yield store


def make_app(store: HistoryStore) -> ImagegenApp:
    return ImagegenApp(Studio(load_config(), store), graphics.setup("halfcell"))


def list_lines(app: ImagegenApp) -> list[str]:
    """The list's lines as they are on the screen, without its scrollbar."""
    region = app.query_one(HistoryList).scrollable_content_region
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    return [strip.crop(region.x, region.right).text for strip in strips]


def shown_prompts(lines: list[str], per_row: int) -> list[tuple[str, str]]:
    """(prompt, the part of it shown) for each row on screen: a prompt is known by its number."""
    shown = []
    for line in lines[::per_row]:
        part = line[HEAD if per_row == 1 else INDENT :].split("…")[0]
        if number := re.match(r"\d{3} ", part):
            shown.append((PROMPTS[int(number.group().strip())], part))
    return shown


@pytest.mark.parametrize(
    "size, sidebar, per_row, at_least",
    [
        ((160, 50), True, 1, 50),
        ((120, 40), True, 1, 39),  # 40 before the mark column took a cell
        ((120, 40), False, 1, 39),
        ((80, 24), False, 2, 25),
        ((80, 24), True, 2, 25),
    ],
    ids=["160x50", "120x40", "120x40-no-sidebar", "80x24", "80x24-sidebar"],
)
async def test_each_row_shows_most_of_its_prompt(store, size, sidebar, per_row, at_least):
    app = make_app(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if app.query_one("#sidebar").display != sidebar:
            await pilot.press("ctrl+b")
            await settle(pilot)
        assert app.query_one("#sidebar").display == sidebar
        history = app.query_one(HistoryList)
        assert history.lines_per_row == per_row
        lines = list_lines(app)
        rows = shown_prompts(lines, per_row)
        assert len(rows) == -(-len(lines) // per_row)  # every row on screen is a generation's (the last maybe half)
        for prompt, part in rows:
            assert prompt.startswith(part) and len(part) >= at_least, (part, len(part))
        if per_row == 2:
            ages = [line.split(" · ")[0].strip() for line in lines[1::2]]
            assert ages[:4] == ["now", "17m", "34m", "51m"]
        else:
            assert [line[2:HEAD].strip() for line in lines[:4]] == ["now", "17m", "34m", "51m"]


def cursor_lines(app: ImagegenApp) -> list[int]:
    """The list's lines (on screen) drawn in the cursor's colour."""
    history = app.query_one(HistoryList)
    region = history.scrollable_content_region
    cursor = history.get_component_rich_style("history--cursor").bgcolor
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    return [y for y, strip in enumerate(strips) if any(s.style and s.style.bgcolor == cursor for s in strip.crop(region.x, region.right))]


async def test_two_line_rows_move_page_click_and_resize_by_rows(store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        history = app.query_one(HistoryList)
        history.focus()
        await pilot.pause()
        height = history.scrollable_content_region.height
        assert history.lines_per_row == 2 and history.virtual_size.height == 2 * COUNT

        def on_screen(index: int) -> bool:
            top = history.scroll_offset.y
            return top <= 2 * index and 2 * index + 1 < top + height

        for _ in range(height // 2 + 2):  # past the bottom: the list scrolls by whole rows
            await pilot.press("down")
        await settle(pilot)
        assert history.cursor == height // 2 + 2 and on_screen(history.cursor)
        assert cursor_lines(app) == [2 * history.cursor - history.scroll_offset.y + k for k in (0, 1)]
        before = history.cursor
        await pilot.press("pagedown")
        await settle(pilot)
        assert history.cursor == before + height // 2 - 1 and on_screen(history.cursor)
        await pilot.press("end")
        await settle(pilot)
        assert history.cursor == COUNT - 1 and history.scroll_offset.y == 2 * COUNT - height
        assert list_lines(app)[-2][INDENT:].startswith(PROMPTS[COUNT - 1][:20])  # the last row, both its lines
        await pilot.press("home")
        await settle(pilot)
        assert history.cursor == 0 and history.scroll_offset.y == 0
        await pilot.click(HistoryList, offset=(10, 7))  # the second line of the fourth row
        await settle(pilot)
        assert history.cursor == 3 and history.current.prompt == PROMPTS[3]
        await pilot.click(HistoryList, offset=(10, 8))
        await settle(pilot)
        assert history.cursor == 4
        for _ in range(20):
            await pilot.press("down")
        await settle(pilot)
        assert history.cursor == 24 and on_screen(24)
        await pilot.resize_terminal(120, 40)  # wide enough for one line a row: the same rows in view
        await settle(pilot)
        assert history.lines_per_row == 1 and history.virtual_size.height == COUNT
        top = history.scroll_offset.y
        assert top <= 24 < top + history.scrollable_content_region.height
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert history.lines_per_row == 2 and on_screen(24)


@pytest.mark.parametrize("setting, size, per_row", [("two", (160, 50), 2), ("one", (80, 24), 1)])
async def test_the_setting_chooses_the_rows(store, dirs, setting, size, per_row):
    write_config(dirs, f'[ui]\nhistory_rows = "{setting}"\n')
    app = make_app(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        history = app.query_one(HistoryList)
        assert history.lines_per_row == per_row and history.virtual_size.height == per_row * COUNT
        lines = list_lines(app)
        assert len(shown_prompts(lines, per_row)) == -(-len(lines) // per_row)


async def test_a_reloaded_setting_applies_at_once(store, dirs):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        history = app.query_one(HistoryList)
        assert history.lines_per_row == 2
        write_config(dirs, '[ui]\nhistory_rows = "one"\n')
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert history.lines_per_row == 1 and history.virtual_size.height == COUNT
        lines = list_lines(app)
        assert len(shown_prompts(lines, 1)) == len(lines)


async def test_search_words_are_marked_in_the_rows(store):
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"lighthouse DUSK")
        await pilot.pause(0.3)
        await settle(pilot)
        history = app.query_one(HistoryList)
        assert history.total == COUNT // 4
        region = history.scrollable_content_region
        strips = app.screen._compositor.render_strips()[region.y : region.y + history.total]
        for strip in strips:
            marks = [s.text for s in strip.crop(region.x, region.right) if s.style and s.style.underline]
            assert marks == ["Lighthouse", "dusk"], strip.text


async def test_ages_move_on_without_anything_else_happening(store, monkeypatch):
    clock = [NOW]
    monkeypatch.setattr(HistoryList, "clock", staticmethod(lambda: clock[0]))
    monkeypatch.setattr(history_module, "AGES_EVERY", 0.2)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert list_lines(app)[1][2:HEAD].strip() == "17m"
        clock[0] = NOW + 2 * 3600
        await pilot.pause(0.5)
        assert list_lines(app)[1][2:HEAD].strip() == "2h"
