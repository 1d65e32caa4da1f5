"""Compare: 2 to 4 marked images side by side, each captioned with only what differs between
them (compare.py: parameters, the prompt word by word against the first, the cost); `b` blinks,
one image full size, flipped in place by `b` again or ← →, so a small difference jumps out.

Pictures go through the preview's machinery (pictures.py): fitted and encoded in threads,
cached per file, size and protocol, so a flip back, or back to side by side, costs no encoding,
and with kitty no transmission either. Every panel's caption takes as many lines as the longest,
so the pictures get boxes of one size; the blink caption is four lines, each cut to the width, so
a flip changes the picture and nothing around it. Captions are Content built from the text, never markup."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static

from imagegen_tui import compare
from imagegen_tui.compare import Item, Span
from imagegen_tui.textsafe import visible
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.keymap import key_shown
from imagegen_tui.ui.pictures import Picture, Rendition
from imagegen_tui.ui.safe import template
from imagegen_tui.ui.widgets.preview import Wanted, cached, prepared
from imagegen_tui.ui.workers import in_thread

# how a prompt's words read: the reference's words the others change, and in the others the
# words taken out of the reference and those put in
PANEL_FRAME = 3  # cells of a side-by-side panel that are not its content: padding, and a border
STYLES = {"same": "", "changed": "bold underline", "removed": "strike $text-error", "added": "bold $text-success"}


class Fitted(Container):
    """One picture fitted to this box: prepared in a thread on the first layout and after a
    resize, shown from the cache when it is there."""

    DEFAULT_CSS = "Fitted { height: 1fr; align: center middle; } Fitted > Static { width: 100%; content-align: center middle; }"

    def __init__(self, graphics: Graphics, path: Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.graphics = graphics
        self.path = path
        self._wanted: Wanted | None = None
        self._picture: Picture | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content(), classes="fitted-message")

    def show(self, path: Path | None) -> None:
        self.path = path
        self._ask()

    def on_resize(self) -> None:
        self._ask()

    def _key(self, path: Path) -> Wanted:
        width, height = self.graphics.pixels(max(1, self.size.width), max(1, self.size.height))
        return str(path), width, height, self.background_colors[1].rgb

    def _ask(self) -> None:
        if self.path is None or not self.size.width or not self.size.height:
            return
        key = self._key(self.path)
        if key == self._wanted:
            return
        self._wanted = key
        path, width, height, background = key
        if self.graphics.protocol == "none":
            self._say(template("$path\n\n(images are off: --graphics none)", path=path))
            return
        found = cached(self.graphics, Path(path), width, height, background)
        if found is not None:
            self._put(found)
        else:
            self._load(key)

    def prepare(self, paths: Sequence[Path]) -> None:
        """Fit and encode these at this box's size ahead of time (the blink's other pictures),
        so flipping to them shows them at once."""
        if self.size.width and self.size.height and self.graphics.protocol != "none":
            self._prepare_all([self._key(p) for p in paths])

    @in_thread(group="compare-prepare")
    def _prepare_all(self, keys: list[Wanted]) -> None:
        for path, width, height, background in keys:
            try:
                prepared(self.graphics, Path(path), width, height, background)
            except Exception:  # the picture's own load says what is wrong, when it is shown
                pass

    @in_thread(exclusive=True, group="compare-load")
    def _load(self, key: Wanted) -> None:
        path, width, height, background = key
        try:
            rendition = prepared(self.graphics, Path(path), width, height, background)
        except Exception as exc:  # a missing or damaged file: said in its box
            self.app.call_from_thread(self._failed, key, exc)
            return
        self.app.call_from_thread(self._loaded, key, rendition)

    def _loaded(self, key: Wanted, rendition: Rendition) -> None:
        if key == self._wanted:  # not when it has been resized or flipped since
            self._put(rendition)

    def _failed(self, key: Wanted, error: Exception) -> None:
        if key == self._wanted:
            self._say(template("[b]Cannot show this image[/b]\n\n$path\n\n$why", path=key[0], why=error))

    def _put(self, rendition: Rendition) -> None:
        self.query_one(".fitted-message", Static).display = False
        if self._picture is None:
            self._picture = Picture(rendition)
            self.mount(self._picture)
        else:
            self._picture.show(rendition)
            self._picture.display = True

    def _say(self, content: Content) -> None:
        if self._picture is not None:
            self._picture.display = False
        message = self.query_one(".fitted-message", Static)
        message.update(content)
        message.display = True


def spans_content(spans: Sequence[Span], reference: bool) -> Content:
    """A prompt diff as Content: each span's text as text, styled by what it is."""
    parts: list[tuple[str, str]] = []
    for span in spans:
        text = visible(span.text, newlines=False)
        words = text.lstrip(" ")
        parts += [(text[: len(text) - len(words)], ""), (words, STYLES["changed" if reference and span.op == "removed" else span.op])]  # the space before unstyled
    return Content.assemble(*parts)


def caption(items: Sequence[Item], position: int, prices: dict[str, Any], *, inline: bool = False) -> Content:
    """What differs for item `position`: its label, the parameters not the same for all, its
    cost, and its prompt against the first's. `inline`: the parameters on one line (blink)."""
    item = items[position]
    differing, _ = compare.parameters(items)
    diffs = compare.prompt_diffs(items)
    head = [(item.label, "bold")]
    if diffs is not None and position == 0:
        head.append(("  reference prompt", "dim"))
    facts = [(name, value[position]) for name, value in differing.items()] + [("cost", compare.cost(item.generation, prices))]
    lines = [Content.assemble(*head)]
    rows = [Content.assemble((f"{name} ", "dim"), visible(value, newlines=False)) for name, value in facts]
    lines += [Content("  ").join(rows)] if inline else rows
    if diffs is not None:
        lines.append(spans_content(compare.elide(diffs[position]), reference=position == 0))
    return Content("\n").join(lines)


class CompareScreen(Screen[None]):
    """`items`: 2 to 4 compare.Items with images, in the order marked."""

    DEFAULT_CSS = """
    CompareScreen #compare-side { height: 1fr; }
    CompareScreen .compare-picture { align: center top; }
    CompareScreen .compare-panel { width: 1fr; height: 1fr; padding: 0 1 0 2; }
    CompareScreen .compare-panel.later { border-left: vkey $foreground 20%; padding: 0 1; }
    CompareScreen .compare-caption { height: auto; color: $text-muted; }
    CompareScreen #compare-blink { height: 1fr; display: none; padding: 0 1; }
    CompareScreen.blinking #compare-side { display: none; }
    CompareScreen.blinking #compare-blink { display: block; }
    CompareScreen #compare-blink-caption { height: 4; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="compare.back"),
        Binding("q", "close", "Close", id="compare.close"),
        Binding("b", "blink", "Blink", id="compare.blink"),
        Binding("left", "flip(-1)", "Previous", show=False, id="compare.flip_previous"),
        Binding("right", "flip(1)", "Next", show=False, id="compare.flip_next"),
    ]

    def __init__(self, graphics: Graphics, items: Sequence[Item], prices: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.graphics = graphics
        self.items = list(items)
        self.prices = prices or {}
        self.shown: int | None = None  # the item the blink shows; None: side by side
        self._captions = [caption(self.items, i, self.prices) for i in range(len(self.items))]
        self._blink_captions: list[Content] = []  # made at mount, with the keys in effect

    def compose(self) -> ComposeResult:
        with Horizontal(id="compare-side"):
            for position, item in enumerate(self.items):
                with Vertical(classes="compare-panel" + (" later" if position else "")):
                    yield Static(self._captions[position], classes="compare-caption")
                    yield Fitted(self.graphics, item.image.path if item.image else None, classes="compare-picture")
        with Vertical(id="compare-blink"):
            yield Static(Content(), id="compare-blink-caption")
            yield Fitted(self.graphics, id="compare-blink-picture")
        yield Footer()

    def on_mount(self) -> None:
        self._blink_captions = [self._blink_caption(i) for i in range(len(self.items))]
        self._even_captions(self.app.size.width)

    def on_resize(self, event: Resize) -> None:
        self._even_captions(event.size.width)

    def _even_captions(self, width: int) -> None:
        """Every caption as tall as the tallest, so every picture gets the same box. Worked out
        from the screen's width before the panels are laid out (a panel's content is its share
        less PANEL_FRAME cells), so no picture is first fitted to a box that then changes."""
        captions = list(self.query(".compare-caption").results(Static))
        room = max(1, width // max(1, len(captions)) - PANEL_FRAME)
        tallest = max(content.get_height(c.styles, room) for content, c in zip(self._captions, captions))
        for c in captions:
            c.styles.height = tallest

    @property
    def _paths(self) -> list[Path]:
        return [item.image.path for item in self.items if item.image is not None]

    def _blink_caption(self, position: int) -> Content:
        count = f"{position + 1}/{len(self.items)}  "
        flips = " or ".join(key for key in (self._key("compare.blink"), " ".join(filter(None, (self._key("compare.flip_previous"), self._key("compare.flip_next"))))) if key)
        back = self._key("compare.back")
        keys = Content.styled(f"   {flips} flips" + (f" · {back}: side by side" if back else ""), "dim") if flips else Content()
        return Content.styled(count, "bold") + caption(self.items, position, self.prices, inline=True) + Content("\n") + keys

    def _key(self, binding_id: str) -> str:
        return key_shown(self, binding_id) or ""

    def action_blink(self) -> None:
        """Into the blink at the first image, then on to the next at each press."""
        self.action_flip(1)

    def action_flip(self, step: int) -> None:
        entering = self.shown is None
        self.shown = 0 if self.shown is None else (self.shown + step) % len(self.items)
        self.add_class("blinking")
        self.query_one("#compare-blink-caption", Static).update(self._blink_captions[self.shown])
        picture = self.query_one("#compare-blink-picture", Fitted)
        item = self.items[self.shown]
        picture.show(item.image.path if item.image else None)
        if entering:
            self.call_after_refresh(picture.prepare, self._paths)

    def action_back(self) -> None:
        """From the blink to side by side; from side by side, away."""
        if self.shown is None:
            self.dismiss()
            return
        self.shown = None
        self.remove_class("blinking")

    def action_close(self) -> None:
        self.dismiss()
