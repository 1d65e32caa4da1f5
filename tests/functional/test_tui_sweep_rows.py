"""A sweep in the history list, driven with Pilot against the embedded demo provider: one
folded row for the whole sweep whose preview is its contact sheet; → opens it with its calls
beneath, ← goes back up and closes it; marks and the cursor outlive both; a search lists the
calls flat, so a matching call is never hidden in a folded sweep."""

from __future__ import annotations

from pathlib import Path

from test_tui import notices, running_app, settle, shown_picture, submit

from imagegen_tui.store import HistoryStore
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.preview import Preview, cached


async def run_sweep(app, pilot, prompt: str) -> Path:
    """The sweep sent and ended; its contact sheet's path."""
    await submit(pilot, prompt)
    await settle(pilot)
    await pilot.press("y")
    for _ in range(40):  # the sheet is made in a thread once the last job has ended
        await settle(pilot)
        if "Contact sheet of sweep" in notices(app):
            break
    await settle(pilot)
    return Path(notices(app).split("Contact sheet of sweep ", 1)[1].split(": ", 1)[1].splitlines()[0])


def listed(history: HistoryList) -> list[tuple[int, str]]:
    return [(row.generation.id, "sweep" if row.sweep else "member" if row.member else "row")
            for index in range(history.total) if (row := history._loaded(index)) is not None]


async def test_a_sweep_is_one_row_that_opens_and_shows_its_sheet(dirs):
    async with running_app(notifications=True) as (app, pilot):
        sheet = await run_sweep(app, pilot, "a {red|blue} fox in {snow|fog}")
        history = app.query_one(HistoryList)
        with HistoryStore.open_default() as store:
            [sweep_id] = {g.provenance.sweep_id for g in store.page()}
            members = [g.id for g in store.sweep_members(sweep_id)]
        assert history.total == 1 and listed(history) == [(members[-1], "sweep")]
        row = history.current_row
        assert row.sweep.calls == 4 and row.sweep.done == 4 and not row.expanded

        preview = app.query_one(Preview)
        picture = await shown_picture(pilot)
        assert preview.sweep is not None and preview.sweep.sheets == (sheet,)
        path, width, height, background = preview._shown
        assert Path(path) == sheet and cached(preview.graphics, sheet, width, height, background) is picture.rendition
        facts = str(app.query_one("#preview-info").render())
        assert f"sweep {sweep_id}" in facts and "4 calls" in facts and "4 done" in facts and "a {red|blue} fox in {snow|fog}" in facts

        history.focus()
        await pilot.press("space")  # the sweep's row marks the call that stands for it
        await pilot.press("right")
        await settle(pilot)
        assert history.cursor == 0 and listed(history) == [(members[-1], "sweep"), *[(m, "member") for m in members]]
        await pilot.press("right", "down", "down", "space")  # into the calls (the first, then on); mark the third
        await settle(pilot)
        assert history.cursor == 3 and history.current.id == members[2]
        assert {p.generation_id for p in history.marks} == {members[-1], members[2]}
        assert str(app.query_one(Preview).current_image.path) != str(sheet)  # a call shows itself

        await pilot.press("left")  # up to the sweep's row
        assert history.cursor == 0 and history.total == 5
        await pilot.press("left")  # closed
        await settle(pilot)
        assert history.total == 1 and history.cursor == 0 and history.current_row.sweep is not None
        assert {p.generation_id for p in history.marks} == {members[-1], members[2]}


async def test_a_search_lists_a_sweep_s_calls_flat(dirs):
    async with running_app(notifications=True) as (app, pilot):
        await run_sweep(app, pilot, "a {red|blue} fox in {snow|fog}")
        history = app.query_one(HistoryList)
        assert history.total == 1
        await pilot.press("ctrl+f", *"blue fog")
        await pilot.pause(0.3)
        await settle(pilot)
        assert history.total == 1 and history.current_row.sweep is None and history.current.prompt == "a blue fox in fog"
        await pilot.press("ctrl+f", *(["backspace"] * 8), *"fox")
        await pilot.pause(0.3)
        await settle(pilot)
        assert history.total == 4 and all(kind == "row" for _, kind in listed(history))


async def test_going_to_a_call_of_a_closed_sweep_opens_it_and_a_reload_keeps_the_row(dirs):
    async with running_app(notifications=True) as (app, pilot):
        await run_sweep(app, pilot, "a {red|blue} fox")
        history = app.query_one(HistoryList)
        with HistoryStore.open_default() as store:
            first, newest = [g.id for g in store.page()][::-1]
        app._go_to(first)  # as the lineage's Enter, or a notice, goes to a generation
        await settle(pilot)
        assert listed(history) == [(newest, "sweep"), (first, "member"), (newest, "member")]
        assert history.cursor == 1 and history.current.id == first
        for row in (0, 2):  # the newest call is listed twice: as the sweep's row and beneath it
            history.cursor = row
            history.reload()  # as every job's end does: the same row stays selected
            await settle(pilot)
            assert history.cursor == row and history.current.id == newest
