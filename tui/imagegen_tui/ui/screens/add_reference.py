"""Asking for an image file to add to an edit: a path input that completes file and folder names
as a shell does (→ or End takes the suggestion), checked before it is accepted."""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label, Static

from imagegen_tui.request import EDIT_MIMES, sniff_mime
from imagegen_tui.ui.safe import text

SNIFF_BYTES = 16  # enough of a file's start to tell PNG, JPEG and WebP apart


class PathSuggester(Suggester):
    """The first name in the folder being typed that starts with what follows its last `/`;
    folders get a trailing `/` so completion can go on into them."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        head, slash, start = value.rpartition("/")
        folder = Path(os.path.expanduser(head + slash)) if slash else Path(".")
        try:
            names = sorted(entry.name + ("/" if entry.is_dir() else "") for entry in os.scandir(folder) if not entry.name.startswith("."))
        except OSError:
            return None
        match = next((name for name in names if name.startswith(start) and name != start), None)
        return value[: len(value) - len(start)] + match if match else None


def image_file_problem(path: Path) -> str | None:
    """Why `path` cannot be an input of an edit, or None (its content, not its name, decides)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except IsADirectoryError:
        return f"{path} is a folder"
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    if sniff_mime(head) not in EDIT_MIMES:
        return f"{path.name} is not a PNG, WebP or JPEG file"
    return None


class AddReference(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    AddReference { align: center middle; }
    AddReference > Vertical { width: 80; height: auto; border: round $accent; background: $surface; padding: 1 2; }
    AddReference #reference-problem { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="add_reference.cancel")]

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add an image to the edit (PNG, WebP or JPEG): type a path, → completes, Enter adds")
            yield Input(value=f"{self.start}/" if self.start else "", placeholder="~/Pictures/photo.png", suggester=PathSuggester(), id="reference-path")
            yield Static(id="reference-problem")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(os.path.expanduser(event.value.strip()))
        if problem := image_file_problem(path):
            self.query_one("#reference-problem", Static).update(text(problem))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
