"""One input of an edit, as the prompt bar holds it: a value of its own so that the rooms making
attachments need not import the widget that shows them (with its pictures and Pillow) before the
first frame."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Attachment:
    """Its bytes are read when it is sent."""

    path: Path
    label: str  # "#12 image 2", or the file's name
    size: tuple[int, int] | None = None
    generation_id: int | None = None
    index: int | None = None  # 1-based, in that generation
    name: str | None = None  # when `path` is a kept copy of an input: the name it had
