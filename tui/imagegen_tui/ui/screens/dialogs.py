"""Small modal screens: confirmations, a name asked for, graphics diagnostics."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from imagegen_tui.ui.safe import line


class ConfirmScreen(ModalScreen[tuple[bool, bool]]):
    """Yes/no, with an optional checkbox; dismisses with (confirmed, checked). The question is
    Content: it may quote a prompt."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel"), Binding("y", "confirm", "Yes", show=False, id="confirm.yes"), Binding("n", "cancel", "No", show=False, id="confirm.no")]

    def __init__(self, question: Content, yes: str = "Yes", checkbox: str | None = None) -> None:
        super().__init__()
        self.question, self.yes, self.checkbox = question, yes, checkbox

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-question")
            if self.checkbox:
                yield Checkbox(self.checkbox, id="confirm-check")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="confirm-yes")
                yield Button("Cancel", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm-yes":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        checked = self.query_one("#confirm-check", Checkbox).value if self.checkbox else False
        self.dismiss((True, checked))

    def action_cancel(self) -> None:
        self.dismiss((False, False))


class NameScreen(ModalScreen[str | None]):
    """A line of text asked for (a preset's name, a sweep's parameters); dismisses with it,
    stripped, or None. Enter answers, escape cancels. `check` says what is wrong with an
    answer (the dialog stays, the sentence under the field), None when it is fine; by default
    an empty answer is not taken."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="name.cancel")]

    def __init__(
        self, question: str, value: str = "", yes: str = "Save", *, placeholder: str = "a name",
        check: Callable[[str], str | None] = lambda text: None if text else "Give it a name first.",
    ) -> None:
        super().__init__()
        self.question, self.value, self.yes, self.placeholder, self.check = question, value, yes, placeholder, check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(line(self.question), classes="dialog-question")
            yield Input(self.value, placeholder=self.placeholder, id="name-input")
            yield Static("", id="name-problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="primary", id="name-yes")
                yield Button("Cancel", id="name-no")

    def on_mount(self) -> None:
        self.query_one("#name-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "name-yes":
            self._answer()
        else:
            self.action_cancel()

    def _answer(self) -> None:
        text = self.query_one("#name-input", Input).value.strip()
        problem = self.check(text)
        if problem is None:
            self.dismiss(text)
        else:
            self.query_one("#name-problem", Static).update(line(problem))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DiagnosticsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f3,q", "app.pop_screen", "Close", id="diagnostics.close")]

    def __init__(self, facts: dict[str, str]) -> None:
        super().__init__()
        self.facts = facts

    def compose(self) -> ComposeResult:
        """Content, not Markdown: the facts include environment values such as TERM."""
        width = max(map(len, self.facts))
        rows = [Content.styled("Graphics\n", "bold")]
        rows += [Content.styled(f"{key:>{width}}  ", "dim") + line(value) + Content("\n") for key, value in self.facts.items()]
        rows.append(Content(
            "\nForce a protocol with imagegen-tui --graphics sixel|kitty|halfcell|unicode|none or "
            "ui.graphics in the config. In tmux, kitty images need `set -g allow-passthrough on`."
        ))
        with VerticalScroll(classes="dialog wide"):
            yield Static(Content().join(rows))
