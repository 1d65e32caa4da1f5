"""A prompt with variants in the TUI, driven with Pilot against the embedded demo provider: the
plan in a dialog before anything is sent, its cells as jobs of one sweep, a contact sheet when
the last ends; declined, nothing is sent and the prompt comes back."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from conftest import write_config
from test_tui import history_rows, notices, running_app, settle, submit

from imagegen_tui.metadata import read_metadata
from imagegen_tui.store import HistoryStore
from imagegen_tui.ui.screens.dialogs import ConfirmScreen, NameScreen
from imagegen_tui.ui.widgets.prompt import PromptArea


def dialog_text(app) -> str:
    assert isinstance(app.screen, ConfirmScreen)
    return str(app.screen.question)


async def test_variants_are_planned_confirmed_run_as_one_sweep_and_sheeted(dirs):
    async with running_app(notifications=True) as (app, pilot):
        await submit(pilot, "a {red|blue} fox in {snow|fog}")
        await settle(pilot)  # priced in a thread, then asked
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
        assert "4 done" in notices(app) and " done:" not in notices(app)  # the sweep's end tells its cells, once
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


async def test_the_plan_says_its_cost_and_one_that_would_cross_a_budget_is_refused_whole(dirs):
    write_config(dirs, 'profile = "demo"\n[prices."gpt-image-2"]\nper_image = 0.25\n[budget]\ndaily = 0.5\n')
    async with running_app(notifications=True) as (app, pilot):
        await submit(pilot, "a {red|blue} fox")
        await settle(pilot)
        assert "cost: ≈ $0.50 (your price per image)" in dialog_text(app)
        await pilot.press("escape")
        await settle(pilot)
        area = app.query_one(PromptArea)
        area.clear()
        await submit(pilot, "a {red|blue|green} fox")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen) and history_rows() == []
        assert "Not sent: the daily budget would be crossed: spent $0.00 today, these 3 calls ≈ $0.75" in notices(app)
        assert area.text == "a {red|blue|green} fox"  # back in the box to change


async def test_declined_nothing_is_sent_and_the_prompt_comes_back(dirs):
    async with running_app() as (app, pilot):
        await submit(pilot, "a {red|blue} fox")
        await settle(pilot)
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


async def test_a_parameter_sweep_set_with_f5_plans_every_combination_until_cleared(dirs):
    async with running_app(notifications=True) as (app, pilot):
        area = app.query_one(PromptArea)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, NameScreen)
        app.screen.query_one(Input).value = "quality=low,high size=1024x1024,1536x1024,"
        await pilot.press("enter")
        assert isinstance(app.screen, NameScreen) and "empty" in str(app.screen.query_one("#name-problem").render())
        app.screen.query_one(Input).value = "quality=low,high"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, NameScreen)
        assert str(area.border_subtitle) == "sweep: quality=low,high"
        await submit(pilot, "a {red|blue} fox")
        await settle(pilot)
        text = dialog_text(app)
        assert "4 calls, 4 images" in text and "quality: low, high" in text
        await pilot.press("y")
        for _ in range(20):
            await settle(pilot)
            if len(history_rows("done")) == 4:
                break
        rows = history_rows()
        assert sorted((g.prompt, g.quality) for g in rows) == [("a blue fox", "high"), ("a blue fox", "low"), ("a red fox", "high"), ("a red fox", "low")]
        assert len({g.provenance.sweep_id for g in rows}) == 1
        await pilot.press("f5")
        await settle(pilot)
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")  # blank: no sweep
        await settle(pilot)
        assert area.border_subtitle is None
        await submit(pilot, "a green fox")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen) and len(history_rows()) == 5
