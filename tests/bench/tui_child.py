"""The bare Textual app bench_tui.py measures imagegen-tui's start against: Header, a Static and
Footer, run as a person runs an app (a real terminal driver, on the pseudo-terminal the bench
gives it)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("hello from a bare app")
        yield Footer()


if __name__ == "__main__":
    Bare().run()
