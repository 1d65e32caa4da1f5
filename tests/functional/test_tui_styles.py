"""Styles and presets in the TUI, driven with Pilot against the embedded demo provider, with a
real SQLite history, real files and a real state file in temporary folders."""

from __future__ import annotations

import json

from conftest import write_config
from imagegen_tui import paths
from imagegen_tui.metadata import read_metadata
from imagegen_tui.store import Provenance
from imagegen_tui.ui.screens.dialogs import ConfirmScreen, NameScreen
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.prompt import PromptArea
from imagegen_tui.ui.widgets.sidebar import ParamSidebar
from imagegen_tui.ui.widgets.style_picker import StylePicker
from test_tui import history_rows, notices, running_app, settle, submit

STYLES = """\
# my styles: the app never rewrites this file
[styles.watercolor]
prompt = "{prompt}, watercolor, soft paper texture"
quality = "low"

[styles.night]
prompt = "at night"
size = "1536x1024"

[styles.print]
quality = "hd"
"""


async def pick(pilot, *names: str) -> None:
    """Tick styles in the sidebar's list with the keyboard, in this order."""
    listing = pilot.app.query_one("#style-list")
    listing.focus()
    order = [str(listing.get_option_at_index(i).value) for i in range(listing.option_count)]
    for name in names:
        listing.highlighted = order.index(name)
        await pilot.press("space")
    await pilot.pause()


async def test_styles_picked_in_the_sidebar_are_applied_in_order_recorded_shown_and_reused(dirs):
    write_config(dirs, STYLES)
    async with running_app(size=(140, 50)) as (app, pilot):
        await pick(pilot, "night", "watercolor")
        assert app.query_one(StylePicker).picked == ["night", "watercolor"]
        assert str(app.query_one("#style-order").render()) == "applied: night → watercolor\nfills in: size 1536x1024 · quality low"
        assert str(app.query_one(PromptArea).border_subtitle) == "styles: night → watercolor"
        app.query_one("#p-quality").value = "medium"  # the user's own value wins over the style's
        await pilot.pause()
        await submit(pilot, "a fox")
        await settle(pilot)

        [row] = history_rows()
        assert row.prompt == "a fox, at night, watercolor, soft paper texture"
        assert row.provenance == Provenance(typed_prompt="a fox", styles=("night", "watercolor"))
        assert (row.size, row.quality) == ("1536x1024", "medium")
        meta = read_metadata(row.images[0].path)
        assert (meta["typed_prompt"], meta["styles"], meta["prompt"]) == ("a fox", ["night", "watercolor"], row.prompt)

        facts = str(app.query_one("#preview-info").render())
        assert "styles: night → watercolor · typed: a fox" in facts

        await pick(pilot, "night", "watercolor")  # ticked off again
        assert app.query_one(StylePicker).picked == []
        app.query_one(PromptArea).load_text("")
        app.query_one(HistoryList).focus()
        await pilot.press("u")
        await pilot.pause()
        assert app.query_one(PromptArea).text == "a fox"  # as typed, not as sent
        assert app.query_one(StylePicker).picked == ["night", "watercolor"]
        assert "with the styles night → watercolor" in notices(app)

        app.query_one(HistoryList).focus()
        await pilot.press("r")
        await settle(pilot)
        rerun = history_rows()[0]
        assert rerun.parent_id == row.id and rerun.prompt == row.prompt and rerun.provenance == row.provenance

    state = json.loads(paths.state_file().read_text())
    assert state["styles"] == ["night", "watercolor"]
    assert dirs.config_file.read_text() == STYLES
    async with running_app(size=(140, 50)) as (app, pilot):  # picked at the next start too
        assert app.query_one(StylePicker).picked == ["night", "watercolor"]
        assert str(app.query_one(PromptArea).border_subtitle) == "styles: night → watercolor"


async def test_a_value_a_style_fills_in_is_checked_and_names_the_style(dirs):
    write_config(dirs, STYLES)
    async with running_app(size=(140, 50)) as (app, pilot):
        await pick(pilot, "print")
        assert "'hd' is not offered for gpt-image-2" in str(app.query_one("#e-quality").render())
        assert "(set by the style 'print')" in str(app.query_one("#e-quality").render())
        await submit(pilot, "a fox")
        await settle(pilot)
        assert history_rows() == [] and "Not sent" in notices(app)
        app.query_one("#p-quality").value = "high"  # the user's value wins: nothing left to refuse
        await pilot.pause()
        await submit(pilot, "a fox")
        await settle(pilot)
        assert [r.quality for r in history_rows()] == ["high"]


async def test_a_preset_saved_is_recalled_into_the_sidebar_and_lives_in_the_state_file(dirs):
    write_config(dirs, STYLES)
    before = dirs.config_file.read_bytes()
    async with running_app(size=(140, 50)) as (app, pilot):
        sidebar = app.query_one(ParamSidebar)
        app.query_one("#p-size").value = "1024x1536"
        app.query_one("#p-background").value = "opaque"
        app.query_one("#p-n").value = "3"
        await pick(pilot, "watercolor")
        saved = sidebar.values()

        sidebar.query_one("#p-size").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NameScreen)
        await pilot.press(*"tall paper", "enter")
        await settle(pilot)
        assert "Preset 'tall paper' saved" in notices(app)

        app.query_one("#p-size").value = ""
        app.query_one("#p-background").value = ""
        app.query_one("#p-n").value = "1"
        await pick(pilot, "watercolor", "night")
        assert sidebar.values() != saved and app.query_one(StylePicker).picked == ["night"]

        await pilot.press("ctrl+p")
        await pilot.press(*"recall preset: tall")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert sidebar.values() == saved
        assert app.query_one(StylePicker).picked == ["watercolor"]

        # saving under a name in use asks first; no leaves it as it was
        app.query_one("#p-size").value = "auto"
        sidebar.query_one("#p-size").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press(*"tall paper", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)

    state = json.loads(paths.state_file().read_text())
    preset = state["presets"]["tall paper"]
    assert preset["profile"] == "demo" and preset["styles"] == ["watercolor"]
    assert (preset["params"]["size"], preset["params"]["background"], preset["params"]["n"]) == ("1024x1536", "opaque", 3)
    assert dirs.config_file.read_bytes() == before


async def test_style_and_preset_names_are_shown_as_text(dirs):
    from hostile import HOSTILE, shown_form
    from test_hostile_text import assert_clean

    names = [HOSTILE[3], HOSTILE[4], HOSTILE[7]]
    write_config(dirs, "".join(f'[styles.{json.dumps(name)}]\nprompt = {json.dumps("{prompt}, " + name)}\n' for name in names))
    async with running_app(size=(160, 50), notifications=True) as (app, pilot):
        assert list(app.studio.config.styles) == names  # the file was read: no markup error at start
        await pick(pilot, *names)
        text = assert_clean(app)
        assert shown_form(names[0])[:12] in text  # the picker
        await submit(pilot, "a fox")
        await settle(pilot)
        [row] = history_rows()
        assert row.provenance.styles == tuple(names)
        text = assert_clean(app)
        assert shown_form("styles: " + " → ".join(names))[:40] in " ".join(app.query_one("#preview-info").render().plain.split())
        app.studio.save_preset(names[1], app.profile, {}, names)
        await pilot.press("ctrl+p")
        await pilot.press(*"Recall preset")
        await pilot.pause(0.5)
        assert shown_form(f"Recall preset: {names[1]}") in assert_clean(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one(StylePicker).picked == names
        assert_clean(app)
        assert app.is_running


async def test_the_picker_follows_the_config_when_it_is_reloaded(dirs):
    async with running_app(size=(140, 50)) as (app, pilot):
        picker = app.query_one(StylePicker)
        assert not picker.display  # no styles: the sidebar is as it was
        write_config(dirs, STYLES)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert picker.display
        await pick(pilot, "watercolor", "night")
        write_config(dirs, STYLES.replace("[styles.watercolor]", "[styles.aquarelle]"))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert picker.picked == ["night"]
        assert str(app.query_one(PromptArea).border_subtitle) == "styles: night"

        await pick(pilot, "aquarelle")
        await submit(pilot, "an owl")
        await settle(pilot)
        write_config(dirs, STYLES.replace("[styles.watercolor]", "[styles.gouache]"))
        await pilot.press("ctrl+r")
        await settle(pilot)
        app.query_one(HistoryList).focus()
        await pilot.press("u")  # its style aquarelle is gone: what was sent comes back, no style picked
        await pilot.pause()
        assert app.query_one(PromptArea).text == "an owl, at night, watercolor, soft paper texture"
        assert picker.picked == [] and app.query_one(PromptArea).border_subtitle is None
        assert "loaded as sent, without styles: aquarelle not in config.toml." in notices(app)


async def test_the_estimate_counts_what_the_styles_fill_in(dirs):
    from test_tui_cost import CONFIG, seed, shown

    write_config(dirs, CONFIG + '[styles.rough]\nquality = "low"\n[styles.fine]\nquality = "high"\n')
    seed("low", 1000, 3)  # $0.03 each
    seed("high", 7000, 2)  # $0.21 each
    async with running_app(size=(140, 50)) as (app, pilot):
        app.query_one("#p-size").value = "1024x1024"
        await pick(pilot, "rough")
        await settle(pilot)
        assert shown(app).splitlines()[:2] == ["≈ $0.030 · 1 image", "from 3 of yours"]
        await pick(pilot, "fine")  # the later style's quality
        await settle(pilot)
        assert shown(app).splitlines()[:2] == ["≈ $0.21 · 1 image", "from 2 of yours"]
