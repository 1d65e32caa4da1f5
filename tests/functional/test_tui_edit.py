"""Editing in the TUI as a user does it (Pilot, the demo server, a real SQLite history): `e` on
a result, a reference file added with ctrl+o, a mask painted with the mouse, Enter sending an
edit; the new row's sources, its preview line, the lineage view and its jump."""

from __future__ import annotations

from PIL import Image
from textual.widgets import Input, Tree

from imagegen_tui.ui.screens.add_reference import AddReference
from imagegen_tui.ui.screens.lineage import LineageScreen
from imagegen_tui.ui.screens.mask_editor import MaskEditor
from imagegen_tui.ui.widgets.attachments import Attachments
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.prompt import PromptArea
from test_mask_editor import drawn
from test_tui import history_rows, notices, running_app, settle, submit


async def test_edit_a_result_with_a_reference_and_a_painted_mask(dirs, tmp_path):
    reference = tmp_path / "hat.png"
    Image.new("RGB", (64, 64), (10, 160, 40)).save(reference)
    async with running_app() as (app, pilot):
        await submit(pilot, "a fox in the snow")
        await settle(pilot)
        [first] = history_rows()
        sidebar = app.query_one("#sidebar")
        assert sidebar.query_one("#p-moderation").display and not sidebar.query_one("#p-input_fidelity").display

        app.query_one(HistoryList).focus()
        await pilot.press("e")
        await pilot.pause()
        attachments = app.query_one(Attachments)
        assert [a.label for a in attachments.items] == [f"#{first.id} image 1"]
        await settle(pilot)
        [thumb] = attachments.query("Chip Picture")
        assert thumb.rendition is not None and thumb.rendition.cells == (4, 2)  # its picture, in the chip
        assert sidebar.query_one("#p-input_fidelity").display and not sidebar.query_one("#p-moderation").display

        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, AddReference)
        app.screen.query_one(Input).value = str(reference)
        await pilot.press("enter")
        await pilot.pause()
        assert [a.label for a in attachments.items] == [f"#{first.id} image 1", "hat.png"]

        app.query_one("#preview").focus()
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MaskEditor)
        await drawn(pilot)
        picture = app.screen.query_one("#mask-picture")
        await pilot.mouse_down(picture, offset=(1, 1))
        await pilot.hover(picture, offset=(8, 2))
        await pilot.mouse_up(picture, offset=(8, 2))
        await drawn(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert attachments.mask is not None

        app.query_one(PromptArea).focus()
        await pilot.press(*"a red hat")
        await pilot.press("enter")
        await settle(pilot)
        edited, _ = history_rows()
        assert (edited.kind, edited.status, edited.prompt) == ("edit", "done", "a red hat")
        assert [(s.role, s.generation_id, s.name) for s in edited.sources][:2] == [("image", first.id, first.images[0].path.name), ("image", None, "hat.png")]
        assert edited.sources[2].role == "mask"
        info = " ".join(app.query_one("#preview-info").render().plain.split())
        assert f"edited from #{first.id} image 1 + 1 reference, with a mask" in info
        assert len(attachments.items) == 2  # kept for another try
        [reference_chip] = [chip for chip in attachments.query("Chip") if chip.text.startswith("ref:")]
        reference_chip.focus()
        await pilot.press("delete")  # one chip off by keyboard
        await pilot.pause()
        assert [a.label for a in attachments.items] == [f"#{first.id} image 1"] and attachments.mask is not None

        app.query_one(PromptArea).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert attachments.items == [] and not sidebar.query_one("#p-input_fidelity").display

        history = app.query_one(HistoryList)
        history.focus()
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, LineageScreen)
        tree = app.screen.query_one(Tree)
        assert tree.cursor_node.data == edited.id
        await pilot.press("up", "enter")  # to the picture it was made from
        await settle(pilot)
        assert history.current.id == first.id


async def test_e_on_a_generation_without_images_says_so(dirs):
    async with running_app() as (app, pilot):
        await submit(pilot, "a broken call #fail:500")
        await settle(pilot)
        app.query_one(HistoryList).focus()
        await pilot.press("e")
        await pilot.pause()
        assert app.query_one(Attachments).items == []
        assert "cannot be edited: it has no images" in notices(app)


async def test_reuse_of_an_edit_attaches_its_inputs_and_mask_again(dirs, tmp_path):
    from conftest import run_cli

    base = tmp_path / "base.png"
    Image.new("RGB", (256, 256), (90, 90, 90)).save(base)
    made = run_cli("edit", "a blue door", "--image", str(base), "--mask-rect", "25%,25%,50%,50%")
    assert made.returncode == 0, made.stderr
    base.unlink()  # reuse works from the kept copies
    async with running_app() as (app, pilot):
        await settle(pilot)
        app.query_one(HistoryList).focus()
        await pilot.press("u")
        await settle(pilot)
        attachments = app.query_one(Attachments)
        assert [a.label for a in attachments.items] == ["base.png"] and attachments.mask is not None
        assert app.query_one(PromptArea).text == "a blue door"
        app.query_one(PromptArea).focus()
        await pilot.press("enter")
        await settle(pilot)
    again, first = history_rows()
    assert again.kind == "edit" and [s.sha256 for s in again.sources] == [s.sha256 for s in first.sources]
    assert again.sources[0].name == "base.png"
