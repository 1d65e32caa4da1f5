"""The prompt bar: multi-line, Enter submits, ctrl+j adds a line, up/down at the edges recall
earlier prompts, F4 (or alt+e) writes the prompt in the user's own editor, and a character count
against the model's limit.

The editor key is not ctrl+e, which the issue asked for: in a text box ctrl+e is the end of the
line (readline, emacs, and Textual's TextArea, whose key it stays). alt+e is fish's key for the
same thing; F4 is Edit in Midnight Commander, and works where alt does not (macOS terminals
type é with it unless told otherwise)."""

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

from imagegen_tui.textsafe import visible
from imagegen_tui.ui.commands import Command

PLACEHOLDER = "Describe an image… (Enter generates, ctrl+j adds a line)"
NEWLINE_KEYS = ("ctrl+j", "shift+enter", "alt+enter")  # terminals cannot tell shift+enter from enter; ctrl+j is LF everywhere


class PromptArea(TextArea):
    @dataclass
    class Submitted(Message):
        text: str

    BINDINGS = [
        Binding("ctrl+j", "newline", "New line", show=False, id="prompt.newline"),  # the placeholder says it; at 80 columns the footer needs the room for f1 and f2
        # priority: the key reaches the binding before TextArea, which would type alt+e's "e"
        Binding("f4,alt+e", "open_editor", "Editor", priority=True, id="prompt.open_editor"),
    ]

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
        if not event.is_printable and await self._bound_key(event):
            return
        await super()._on_key(event)

    async def _bound_key(self, event: events.Key) -> bool:
        """Run a bound key's action now, in the box's own turn. Left to Textual, the key would
        bubble up to the app and its action run after the letters typed behind it: ctrl+u then
        "new words" typed ahead while the loop is busy would delete the new words."""
        active = self.app.active_bindings.get(event.key)
        if active is None or not active.enabled:
            return False
        event.stop()
        event.prevent_default()
        await self.app.run_action(active.binding.action, active.node)
        return True

    def put(self, text: str) -> None:
        """`text` in the box, the cursor at its end, ready to edit."""
        self.load_text(text)
        self.move_cursor(self.document.end)

    def action_open_editor(self) -> None:
        """The prompt in $VISUAL / $EDITOR, for a long one; what the editor leaves comes back
        into the box (control characters shown as escapes, as everywhere in the box), as one
        edit that ctrl+z takes back."""
        from imagegen_tui.ui.editor import EditorError, NoTerminal, edit_text

        try:
            text = edit_text(self.app, self.text)
        except NoTerminal as exc:
            self.notify(f"{exc} Edit the prompt here in the box.", severity="warning")
            return
        except EditorError as exc:
            self.notify(f"{exc} The prompt is unchanged.", severity="error")
            return
        text = visible(text)
        if text != self.text:
            self.replace(text, (0, 0), self.document.end)
            self.move_cursor(self.document.end)
        self.focus()

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
        yield "Edit prompt in editor", "Write the prompt in $VISUAL / $EDITOR", self.area.action_open_editor

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
