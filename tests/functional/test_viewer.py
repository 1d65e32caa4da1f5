"""The full-screen viewer: while its picture is prepared (in Sixel most of a second for a large
picture) it says so instead of showing the welcome text, and a picture it prepared once is
shown at once when the viewer opens again."""

from __future__ import annotations

import threading

from imagegen_tui.config import load_config
from imagegen_tui.store import HistoryStore
from imagegen_tui.studio import Studio
from imagegen_tui.ui import graphics
from imagegen_tui.ui.app import ImagegenApp
from imagegen_tui.ui.screens.viewer import PREPARING_AFTER
from imagegen_tui.ui.widgets import preview as preview_module
from imagegen_tui.ui.widgets.history import HistoryList
from scenes import seed
from test_tui import settle, shown_picture


async def test_the_viewer_says_its_picture_is_coming_then_shows_it_and_reopens_at_once(dirs, monkeypatch):
    store = HistoryStore.open_default()
    seed(store, load_config().output.folder)
    app = ImagegenApp(Studio(load_config(), store), graphics.setup("halfcell"))
    release = threading.Event()
    prepared = preview_module.prepared

    def slow(*args):  # as slow as a large Sixel encoding, until the test lets it finish
        release.wait(10)
        return prepared(*args)

    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.query_one(HistoryList).focus()
            await shown_picture(pilot)
            monkeypatch.setattr(preview_module, "prepared", slow)
            await pilot.press("v")
            await pilot.pause(PREPARING_AFTER + 0.2)
            message = app.screen.query_one("#preview-message")
            assert message.display and "Preparing the picture" in str(message.render())
            assert "Write a prompt" not in str(message.render())
            release.set()
            picture = await shown_picture(pilot)
            assert not message.display and picture.rendition is not None
            await pilot.press("escape")
            await settle(pilot)
            release.clear()  # from now on any preparing would hang: the reopened viewer needs none
            await pilot.press("v")
            await pilot.pause()
            again = app.screen.query_one("#preview-image")
            assert again.display and again.rendition is picture.rendition
            release.set()
    finally:
        store.close()
