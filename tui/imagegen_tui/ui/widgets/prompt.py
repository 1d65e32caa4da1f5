"""The prompt bar: multi-line, Enter submits, ctrl+j adds a line, up/down at the edges recall
earlier prompts, and a character count against the model's limit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from imagegen_tui.ui.commands import Command

PLACEHOLDER = "Describe an image… (Enter generates, ctrl+j adds a line)"
NEWLINE_KEYS = ("ctrl+j", "shift+enter", "alt+enter")  # terminals cannot tell shift+enter from enter; ctrl+j is LF everywhere


class PromptArea(TextArea):
    @dataclass
    class Submitted(Message):
        text: str

    BINDINGS = [Binding("ctrl+j", "newline", "New line", id="prompt.newline")]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)  # type: ignore[arg-type]
        self.recall: list[str] = []  # earlier prompts, newest first
        self._recall_index = -1
        self._draft = ""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if self.text.strip():  # cleared now, not when the app gets to it: what is typed
                text = self.text  # next (type-ahead) goes into an empty box
                self.remember(text)
                self.load_text("")
                self.post_message(self.Submitted(text))
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        if event.key == "up" and self.cursor_at_first_line and self._recall(+1):
            event.stop()
            event.prevent_default()
            return
        if event.key == "down" and self.cursor_at_last_line and self._recall(-1):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def put(self, text: str) -> None:
        """`text` in the box, the cursor at its end, ready to edit."""
        self.load_text(text)
        self.move_cursor(self.document.end)

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end)

    def remember(self, text: str) -> None:
        if text in self.recall:
            self.recall.remove(text)
        self.recall.insert(0, text)
        self._recall_index = -1

    def _recall(self, step: int) -> bool:
        """Older (+1) or newer (-1) prompt; the text being written is kept as the newest."""
        target = self._recall_index + step
        if target < -1 or target >= len(self.recall):
            return False
        if self._recall_index == -1:
            self._draft = self.text
        self._recall_index = target
        self.load_text(self._draft if target == -1 else self.recall[target])
        self.move_cursor(self.document.end if step < 0 else (0, 0))
        return True


class PromptBar(Horizontal):
    limit: reactive[int] = reactive(32000)

    def compose(self) -> ComposeResult:
        yield PromptArea(id="prompt-input", placeholder=PLACEHOLDER)
        yield Static("0", id="prompt-count")

    @property
    def area(self) -> PromptArea:
        return self.query_one(PromptArea)

    def commands(self) -> Iterator[Command]:
        """This room's entries in the command palette."""
        yield "Generate", "Send the prompt with the sidebar's parameters", self.generate

    def generate(self) -> None:
        """The palette's Generate: what is in the box is sent and, unlike after Enter, stays there."""
        area = self.area
        if area.text.strip():
            area.post_message(PromptArea.Submitted(area.text))
        else:
            area.focus()
            self.notify("Write a prompt first.")

    def on_mount(self) -> None:
        self.call_after_refresh(self._count)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._count()

    def watch_limit(self) -> None:
        self._count()

    def _count(self) -> None:
        if not self.is_mounted:
            return
        length = len(self.area.text)
        counter = self.query_one("#prompt-count", Static)
        counter.update(f"{length:,}/{self.limit:,}")
        counter.set_class(length > self.limit, "over")
        lines = self.area.document.line_count + sum(len(line) // max(1, self.area.size.width or 80) for line in self.area.text.split("\n"))
        self.area.styles.height = min(6, max(1, lines)) + 2
