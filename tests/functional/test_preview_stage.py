"""The preview knows the size its picture will get before Textual lays it out, so a prepared
picture goes up in the frame that shows the facts (a cached row: one frame, not three), and
a job's result is prepared, before the job ends, at the size it will be shown at."""

from __future__ import annotations

import pytest

from conftest import write_config
from imagegen_tui.ui.widgets.preview import Preview
from test_tui import history_rows, running_app, settle, shown_picture, submit


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_stage_size_is_known_before_layout(dirs, size):
    async with running_app(size) as (app, pilot):
        for n in ("1", "3"):
            app.query_one("#p-n").value = n
            await submit(pilot, f"a lighthouse on a cliff at dusk, {n} of them, in a long enough prompt")
            await settle(pilot)
        preview = app.query_one(Preview)
        history = app.query_one("#history")
        history.focus()
        for row in range(history.total):
            history.cursor = row
            await settle(pilot)
            await shown_picture(pilot)
            g = preview.generation
            assert preview._stage_cells(len(g.images), preview._facts(g)) == tuple(app.query_one("#preview-main").size)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
@pytest.mark.parametrize("n", ["1", "3"])
async def test_a_result_is_prepared_at_the_size_it_is_shown(dirs, monkeypatch, size, n):
    asked: list[tuple[int, int]] = []
    real = Preview._prefetch
    monkeypatch.setattr(Preview, "_prefetch", lambda self, path, width, height, background: (asked.append((width, height)), real(self, path, width, height, background))[1])
    async with running_app(size) as (app, pilot):
        app.query_one("#p-n").value = n
        await submit(pilot, "a lighthouse on a cliff at dusk")
        await settle(pilot)
        await shown_picture(pilot)
        assert history_rows()[0].status == "done"
        assert asked == [app.query_one(Preview)._shown[1:3]]


async def test_a_styled_result_is_prepared_at_the_size_its_extra_facts_line_leaves(dirs, monkeypatch):
    write_config(dirs, 'profile = "demo"\n[styles.night]\nprompt = "{prompt}, at night under a full moon"\n')
    asked: list[tuple[int, int]] = []
    real = Preview._prefetch
    monkeypatch.setattr(Preview, "_prefetch", lambda self, path, width, height, background: (asked.append((width, height)), real(self, path, width, height, background))[1])
    async with running_app((200, 50)) as (app, pilot):  # wide: the facts take few lines, so one more counts
        app.composer.set_styles(["night"])
        await submit(pilot, "a lighthouse on a cliff at dusk")
        await settle(pilot)
        await shown_picture(pilot)
        assert history_rows()[0].provenance.styles == ("night",)
        assert asked == [app.query_one(Preview)._shown[1:3]]
