"""One timed TUI start, run by bench_tui.py in a fresh process: prints the time from the start
of this script to the first frame painted (bare) or to the history's first page on screen
(ours), then exits."""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before any import: what each app costs from here is compared

import sys  # noqa: E402

mode = sys.argv[1]


def report() -> None:
    print(f"first-frame-ms {(time.perf_counter() - STARTED) * 1000:.1f}", flush=True)

if mode == "bare":
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App[None]):
        def compose(self):
            yield Header()
            yield Static("hello")
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(lambda: (report(), self.exit()))

    Bare().run(headless=True, size=(120, 40))
else:
    from imagegen_tui.config import load_config
    from imagegen_tui.store import HistoryStore
    from imagegen_tui.studio import Studio
    from imagegen_tui.ui import graphics
    from imagegen_tui.ui.app import ImagegenApp, preloaded
    from imagegen_tui.ui.widgets.history import HistoryList

    class Timed(ImagegenApp):
        def on_history_list_highlighted(self, event: HistoryList.Highlighted) -> None:
            self.call_after_refresh(lambda: (report(), self.exit("listed")))  # the first page is on screen

    store = HistoryStore.open_default()
    result = preloaded(Timed, Studio(load_config(), store), graphics.setup("halfcell")).run(headless=True, size=(120, 40))
    store.close()
    if result != "listed":
        raise SystemExit("the app did not reach its first page")
