"""The images an edit will be made from, as chips above the prompt: the first is the one edited,
the others are references, and a mask when one is painted. Clicking a chip (or its ✕) takes
it off. Hidden while empty, so the prompt bar looks as it always did for generations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from imagegen_tui.ui.attachment import Attachment
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.pictures import RGB, Picture
from imagegen_tui.ui.safe import line, template
from imagegen_tui.ui.widgets.preview import prepared
from imagegen_tui.ui.workers import in_thread


THUMB_CELLS = (4, 2)  # a chip's picture, in cells: enough to tell a fox from a lighthouse


class Chip(Horizontal, can_focus=True):
    """One attachment, with its picture where the terminal shows pictures; a click, or Delete
    while it has focus (Tab reaches it), takes it off."""

    BINDINGS = [Binding("delete,backspace,x", "take_off", "Take off", id="attachments.take_off")]

    def __init__(self, position: int | None, text: str, path: Path | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.position = position  # None: the mask
        self.text = text
        self.path = path  # the picture to show in it, if any

    def compose(self) -> ComposeResult:
        if self.path is not None:
            yield Picture()
        yield Static(line(self.text) + template("[b] ✕[/b]"), classes="chip-label")

    def on_mount(self) -> None:
        if self.path is not None:
            self._thumbnail(self.path, self.app.graphics, self.styles.background.rgb)  # type: ignore[attr-defined]

    @in_thread(group="chip-thumbnails")
    def _thumbnail(self, path: Path, graphics: Graphics, background: RGB) -> None:
        try:
            rendition = prepared(graphics, path, *graphics.pixels(*THUMB_CELLS), background)
        except (OSError, ValueError):  # unreadable: the name says enough
            return
        self.app.call_from_thread(self.query_one(Picture).show, rendition)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_take_off()

    def action_take_off(self) -> None:
        self.post_message(Attachments.Remove(self.position))


class Attachments(Horizontal):
    DEFAULT_CSS = """
    Attachments { height: auto; display: none; padding: 0 1; }
    Attachments.-some { display: block; }
    Attachments Chip { width: auto; height: auto; margin-right: 2; background: $boost; color: $text; }
    Attachments Chip .chip-label { width: auto; }
    Attachments Chip Picture { margin-right: 1; }
    Attachments Chip:focus { background: $accent; }
    Attachments Chip.mask { background: $warning 30%; }
    Attachments .hint { width: auto; color: $text-muted; }
    """

    @dataclass
    class Changed(Message):
        """The inputs or the mask changed: the app's edit mode follows it."""

        attachments: Attachments

    @dataclass
    class Remove(Message):
        position: int | None  # None: the mask

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.items: list[Attachment] = []
        self.mask: bytes | None = None

    @property
    def editing(self) -> bool:
        return bool(self.items)

    def add(self, attachment: Attachment) -> None:
        if attachment not in self.items:
            self.items.append(attachment)
            self._changed()

    def replace(self, items: list[Attachment], mask: bytes | None) -> None:
        self.items, self.mask = list(items), mask
        self._changed()

    def set_first(self, attachment: Attachment) -> None:
        """`attachment` as the image edited; the references stay, a mask painted on another goes."""
        if self.items and self.items[0] == attachment:
            return
        self.items = [attachment] + [item for item in self.items[1:] if item != attachment]
        self.mask = None
        self._changed()

    def remove(self, position: int | None) -> None:
        if position is None:
            self.mask = None
        elif 0 <= position < len(self.items):
            del self.items[position]
            if position == 0:
                self.mask = None  # a mask belongs to the image it was painted on
        self._changed()

    def set_mask(self, data: bytes | None) -> None:
        self.mask = data
        self._changed()

    def clear(self) -> None:
        self.items, self.mask = [], None
        self._changed()

    def compose(self) -> ComposeResult:
        yield from self._chips()

    def on_attachments_remove(self, event: Remove) -> None:
        event.stop()
        self.remove(event.position)

    def _chips(self) -> list[Static]:
        chips: list[Static] = []
        for position, item in enumerate(self.items):
            if position == 0:
                size = f" · {item.size[0]}×{item.size[1]}" if item.size else ""
                chips.append(Chip(position, f"edit: {_short(item.label)}{size}", self._picture(item)))
                if self.mask is not None:  # beside its image: a narrow bar must not hide it
                    chips.append(Chip(None, "mask", classes="mask"))
            else:
                chips.append(Chip(position, f"ref: {_short(item.label)}", self._picture(item)))
        if self.items:
            chips.append(Static(template("[dim]Enter edits · ctrl+o adds a file · m paints a mask · Esc takes them off, Delete or a click one[/dim]"), classes="hint"))
        return chips

    def _picture(self, item: Attachment) -> Path | None:
        """Pictures in chips only where the terminal draws pictures (not with --graphics none)."""
        return item.path if self.app.graphics.protocol != "none" else None  # type: ignore[attr-defined]

    def _changed(self) -> None:
        self.set_class(bool(self.items), "-some")
        if self.is_mounted:
            self.call_later(self._rebuild)
        self.post_message(self.Changed(self))

    async def _rebuild(self) -> None:
        async with self.batch():
            await self.remove_children()
            await self.mount_all(self._chips())


def _short(label: str, most: int = 24) -> str:
    """File names can be long; the bar is one line shared by every chip."""
    return label if len(label) <= most else label[: most - 9] + "…" + label[-8:]
