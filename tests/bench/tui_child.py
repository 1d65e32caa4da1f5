"""One timed TUI start, run by bench_tui.py in a fresh process: prints the time from the start
of this script to the first frame the app hands to the terminal (bare), or to the first frame
with the history's first page in it (ours), then exits. The frame is taken where Textual hands it
to the driver (App._display), the same point for both apps."""

from __future__ import annotations

import time

CPU = time.process_time()
STARTED = time.perf_counter()  # before any import: what each app costs from here is compared

import sys  # noqa: E402

mode = sys.argv[1]


def report() -> None:
    print(f"first-frame-ms {(time.perf_counter() - STARTED) * 1000:.1f} cpu-ms {(time.process_time() - CPU) * 1000:.1f}", flush=True)

if mode == "bare":
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App[None]):
        def compose(self):
            yield Header()
            yield Static("hello")
            yield Footer()

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is not None and not self._exit_renderables and self.return_value is None:
                report()
                self.exit("painted")

    Bare().run(headless=True, size=(120, 40))
else:
    from imagegen_tui.config import load_config
    from imagegen_tui.store import HistoryStore
    from imagegen_tui.studio import Studio
    from imagegen_tui.ui import graphics
    from imagegen_tui.ui.app import ImagegenApp, preloaded
    from imagegen_tui.ui.widgets.history import HistoryList

    class Timed(ImagegenApp):
        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            listed = renderable is not None and self.return_value is None and screen.query(HistoryList)
            if listed and listed.first().preloaded:  # its first page, read before the app ran, is in this frame
                report()
                self.exit("listed")

    store = HistoryStore.open_default()
    result = preloaded(Timed, Studio(load_config(), store), graphics.setup("halfcell")).run(headless=True, size=(120, 40))
    store.close()
    if result != "listed":
        raise SystemExit("the app did not reach its first page")
