"""Small modal screens: confirmations, help, graphics diagnostics."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Markdown, Static

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


HELP = """\
# imagegen-tui keys

| where | key | what |
|---|---|---|
| prompt | **Enter** | generate with the sidebar's parameters |
| prompt | **ctrl+j** | new line (works in every terminal; shift+enter where the terminal tells it apart) |
| prompt | **↑ / ↓** at the first / last line | earlier prompts |
| prompt | **Enter** with images attached | edit them (the first is the image edited, the others references) |
| prompt | **Esc** with images attached | take the images off: Enter generates again |
| anywhere | **ctrl+o** | add an image file to the edit (paths complete with →) |
| anywhere | **ctrl+b** | show or hide the parameter sidebar |
| anywhere | **ctrl+f** | search the history |
| anywhere | **ctrl+g** | cancel the newest running job |
| anywhere | **ctrl+p** | command palette: every action by name |
| anywhere | **F1** / **F2** / **F3** | this help / settings / graphics diagnostics |
| anywhere | **tab** | next pane |
| anywhere | **ctrl+q** | quit (asks first while jobs run) |
| history | **↑ ↓ PgUp PgDn Home End** | move; the preview follows |
| history | **Enter** or **v** | full-screen viewer |
| history | **u** | reuse: fill the prompt and sidebar from it |
| history | **r** | re-run it (a new generation linked to it) |
| history, preview | **e** | edit this image: it goes above the prompt; write what to change, Enter |
| history, preview | **+** | add this image as a reference to the edit being written |
| preview | **m** | paint the mask on this image: where the edit may change (whole cells) |
| history, preview | **t** | lineage: what it was made from and what was made from it; Enter goes there |
| history | **f** | favourite on/off |
| history | **c** / **y** | copy the prompt / the file path (OSC 52: works over SSH) |
| history | **o** / **O** | open the file / its folder (needs a local display) |
| history | **Delete** | delete (asks; files optional) |
| preview, viewer | **← →** | previous / next image of the generation |
| mask editor | **drag** / **right-drag** | paint / erase (brush size **[ ]**; **x** erase mode) |
| mask editor | **r** / **o**, then drag or **space** twice | rectangle / ellipse (ctrl-drag, alt-drag too) |
| mask editor | **i** **c** **u** | invert, clear, undo; **Enter** saves, **Esc** cancels |

Images are saved with their settings embedded; see the README for where they go.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "app.pop_screen", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Markdown(HELP)


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
