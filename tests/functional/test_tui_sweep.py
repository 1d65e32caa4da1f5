"""A prompt with variants in the TUI, driven with Pilot against the embedded demo provider: the
plan in a dialog before anything is sent, its cells as jobs of one sweep, a contact sheet when
the last ends; declined, nothing is sent and the prompt comes back."""

from __future__ import annotations

from pathlib import Path

from test_tui import history_rows, notices, running_app, settle, submit

from imagegen_tui.metadata import read_metadata
from imagegen_tui.store import HistoryStore
from imagegen_tui.ui.screens.dialogs import ConfirmScreen
from imagegen_tui.ui.widgets.prompt import PromptArea


def dialog_text(app) -> str:
    assert isinstance(app.screen, ConfirmScreen)
    return str(app.screen.question)


async def test_variants_are_planned_confirmed_run_as_one_sweep_and_sheeted(dirs):
    async with running_app(notifications=True) as (app, pilot):
        await submit(pilot, "a {red|blue} fox in {snow|fog}")
        await pilot.pause()
        text = dialog_text(app)
        assert "4 calls, 4 images on profile demo" in text and "{1}: red, blue" in text and "{2}: snow, fog" in text
        assert "cost: unknown" in text and history_rows() == []  # nothing sent yet
        await pilot.press("y")
        await settle(pilot)
        for _ in range(20):  # the sheet is made in a thread once the last job has ended
            if "Contact sheet of sweep" in notices(app):
                break
            await settle(pilot)
        rows = history_rows()
        assert len(rows) == 4 and {g.status for g in rows} == {"done"}
        [sweep_id] = {g.provenance.sweep_id for g in rows}
        assert sorted(g.prompt for g in rows) == ["a blue fox in fog", "a blue fox in snow", "a red fox in fog", "a red fox in snow"]
        for g in rows:
            axes = g.provenance.sweep_axes
            assert g.prompt == f"a {axes['{1}']} fox in {axes['{2}']}"
        sheet = Path(notices(app).split(f"Contact sheet of sweep {sweep_id}: ", 1)[1].splitlines()[0])
        meta = read_metadata(sheet)
        assert meta["sweep_id"] == sweep_id and meta["columns"] == ["red", "blue"] and meta["rows"] == ["snow", "fog"]
        with HistoryStore.open_default() as store:
            assert {cell["history_id"] for cell in meta["cells"]} == {g.id for g in store.sweep_members(sweep_id)}


async def test_declined_nothing_is_sent_and_the_prompt_comes_back(dirs):
    async with running_app() as (app, pilot):
        await submit(pilot, "a {red|blue} fox")
        await pilot.pause()
        assert "2 calls" in dialog_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert history_rows() == [] and app.query_one(PromptArea).text == "a {red|blue} fox"


async def test_unreadable_braces_are_refused_and_a_plain_prompt_is_not_asked_about(dirs):
    async with running_app(notifications=True) as (app, pilot):
        await submit(pilot, "a {red fox")
        await settle(pilot)
        assert "never closed" in notices(app) and history_rows() == []
        assert app.query_one(PromptArea).text == "a {red fox"
        app.query_one(PromptArea).load_text("")
        await submit(pilot, r"a \{plain\} fox")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        [row] = history_rows()
        assert row.prompt == "a {plain} fox" and row.provenance.sweep_id is None
