"""What one room asks of another.

Rooms never call or import each other: a room posts one of these messages, it bubbles up to the
app (ui/app.py), and the app hands it to the room that does the work. A room added later (a
lineage view, a mask editor) asks for the same things by posting the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.widget import Widget

from imagegen_tui.config import Profile
from imagegen_tui.store import Generation

if TYPE_CHECKING:
    from imagegen_tui.compare import Item


@dataclass
class View(Message):
    """Show this generation's images full screen."""

    generation: Generation


@dataclass
class Reuse(Message):
    """Fill the prompt and the sidebar from this generation, to edit and send again."""

    generation: Generation


@dataclass
class Rerun(Message):
    """Generate this generation again as it was, as a new generation linked to it."""

    generation: Generation


@dataclass
class Recover(Message):
    """Save into the output folder the images a failed save of this generation kept aside."""

    generation: Generation


@dataclass
class Edit(Message):
    """Edit image `index` (1-based; None: the one the preview shows of it, else the first) of
    this generation: it becomes the image edited, or with `reference`, one more reference."""

    generation: Generation
    index: int | None
    reference: bool = False


@dataclass
class ShowLineage(Message):
    """Show the family of this generation (ui/screens/lineage.py)."""

    generation: Generation


@dataclass
class PaintMask(Message):
    """Paint the mask of an edit of image `index` (1-based) of this generation, which becomes
    the image edited if it was not (references stay) (ui/screens/mask_editor.py)."""

    generation: Generation
    index: int


@dataclass
class Mark(Message):
    """Mark or unmark image `index` (1-based) of this generation for comparing."""

    generation: Generation
    index: int


@dataclass
class CompareMarked(Message):
    """Compare the images marked (the history keeps the marks)."""


@dataclass
class ShowCompare(Message):
    """Show these images side by side (ui/screens/compare.py): 2 to 4 of them."""

    items: list[Item]


@dataclass
class ModelsListed(Message):
    """`profile`'s server listed these models (the settings screen's test), now kept in the
    models cache: the model field completes from them without asking again."""

    profile: Profile
    models: tuple[str, ...]


@dataclass
class CopyPath(Message):
    """Copy the path of the image on show."""


@dataclass
class OpenImage(Message):
    """Open the image on show, or its folder, with the system viewer."""

    folder: bool


def selected(room: Widget, generation: Generation | None) -> Generation | None:
    """`generation`, the one a room acts on; when there is none, the user is told so."""
    if generation is None:
        room.notify("Select a generation in the history first.")
    return generation
