"""One timed TUI start, run by bench_tui.py in a fresh process: exits as soon as the first
frame is painted (bare) or the history's first page is on screen (ours)."""

from __future__ import annotations

import sys

mode = sys.argv[1]

if mode == "bare":
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App[None]):
        def compose(self):
            yield Header()
            yield Static("hello")
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(self.exit)

    Bare().run(headless=True, size=(120, 40))
else:
    from imagegen_tui.config import load_config
    from imagegen_tui.store import HistoryStore
    from imagegen_tui.studio import Studio
    from imagegen_tui.ui import graphics
    from imagegen_tui.ui.app import ImagegenApp
    from imagegen_tui.ui.widgets.history import HistoryList

    class Timed(ImagegenApp):
        def on_history_list_highlighted(self, event: HistoryList.Highlighted) -> None:
            self.call_after_refresh(self.exit, "listed")  # the first page is on screen (or the list is empty)

    store = HistoryStore.open_default()
    result = Timed(Studio(load_config(), store), graphics.setup("halfcell")).run(headless=True, size=(120, 40))
    store.close()
    if result != "listed":
        raise SystemExit("the app did not reach its first page")
