"""Full-screen viewer for one generation's images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from imagegen_tui.store import Generation
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.widgets.preview import Preview


PREPARING_AFTER = 0.25  # seconds: a full-screen picture not ready by then is said to be coming


class ViewerScreen(Screen[None]):
    BINDINGS = [Binding("escape,q,v", "app.pop_screen", "Close", id="viewer.close")]

    def __init__(self, graphics: Graphics, generation: Generation, index: int = 0, prices: dict | None = None, output: Path | None = None, thumbnail: Any = None) -> None:
        super().__init__()
        self.graphics, self.generation, self.start_index = graphics, generation, index
        self.prices, self.output, self.thumbnail = prices, output, thumbnail

    def compose(self) -> ComposeResult:
        yield Preview(self.graphics, self.prices, self.output, self.thumbnail, preparing_after=PREPARING_AFTER, id="viewer")
        yield Footer()

    def on_mount(self) -> None:
        viewer = self.query_one(Preview)
        viewer.show(self.generation)
        viewer.index = self.start_index
        viewer.focus()
