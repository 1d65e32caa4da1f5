"""The preview pane: the selected generation's images fitted to the pane, a strip of thumbnails
for n>1 (left/right to move), and a line of facts. A sweep's row shows the whole sweep: its
contact sheet (else its first image) and its facts (calls, axes, how they stand, cost).

Files are read, scaled and encoded for the terminal in threads; the results are cached per
(file, size, protocol), so going back to a generation costs neither disk nor encoding. While the
history cursor moves faster than SETTLE, only the text follows it: the picture of the row where
the cursor rests is the only one sent (over SSH a Sixel picture is a second at 2 Mbit/s).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image as PILImage
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, HorizontalScroll, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Static

from imagegen_tui import imaging
from imagegen_tui.store import Generation, Provenance, StoredImage
from imagegen_tui.sweep_summary import SweepSummary
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.pictures import Picture, Rendition, render, renditions
from imagegen_tui.ui.safe import line, template
from imagegen_tui.ui.widgets.preview_facts import HINTS, generation_facts, likely_facts, sweep_facts
from imagegen_tui.ui.widgets.welcome import NO_MATCH, welcome
from imagegen_tui.ui.workers import in_thread

if TYPE_CHECKING:
    from imagegen_tui.request import AnyRequest
    from imagegen_tui.saving import SavedImage

THUMB_CELLS = (12, 6)  # a thumbnail's box in the strip, border included
SETTLE = 0.12  # seconds: a picture asked for sooner than this after the last one waits until asks stop

RGB = tuple[int, int, int]
Wanted = tuple[str, int, int, RGB]  # the picture the stage asks for: file, pixels, background


class Stage(Container):
    """Where the image goes. Its size changes when the facts below it wrap differently, which
    the Preview must hear about to refit the image."""

    def on_resize(self) -> None:
        parent = self.parent
        if isinstance(parent, Preview):
            parent.stage_resized()


class Thumb(Container):
    """One image of the strip: a click shows it."""

    def __init__(self, index: int, *children: Any, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self.index = index

    def on_click(self) -> None:
        for ancestor in self.ancestors:
            if isinstance(ancestor, Preview):
                ancestor.index = self.index
                break


class Preview(Vertical, can_focus=True):
    BINDINGS = [
        Binding("left", "step(-1)", "Prev image", show=False, id="preview.previous"),
        Binding("right", "step(1)", "Next image", show=False, id="preview.next"),
    ]
    index: reactive[int] = reactive(0)

    def __init__(
        self,
        graphics: Graphics,
        prices: dict[str, Any] | None = None,
        output: Path | None = None,
        thumbnail: Callable[[StoredImage], Path | None] | None = None,
        preparing_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        """`preparing_after`: seconds after which a picture still being prepared is said to be
        coming (the viewer's, most of a second in Sixel); None: the stage stays blank meanwhile,
        as a row move in the history is quick and words there would cost a repaint and bytes."""
        super().__init__(**kwargs)
        self.preparing_after = preparing_after
        self.graphics = graphics
        self.prices = prices or {}
        self.output = output
        self.thumbnail = thumbnail or (lambda image: image.path)
        self._strip_for: int | None = None  # the generation whose thumbnails are in the strip
        self.generation: Generation | None = None
        self._picture: Picture | None = None
        self._shown: Wanted | None = None
        self._wanted: Wanted | None = None  # the newest picture asked for
        self._last_picture = 0.0  # when a picture was last asked for
        self._settle: Timer | None = None
        self._picture_path: Path | None = None  # the file the stage should show, if any
        self._strip_load: object = None  # the thumbnail load whose answer counts
        self._welcome = welcome(demo=False, key_variables=(), keys=(), settings_key=None)
        self._filtered = False  # nothing is selected because the search and filters match nothing
        self.sweep_id: str | None = None  # the sweep shown whole (its row is selected)
        self.sweep: SweepSummary | None = None  # what is known of it (loaded in a thread)

    def compose(self) -> ComposeResult:
        with Stage(id="preview-main"):
            yield Static(Content(), id="preview-message")
        yield HorizontalScroll(id="preview-strip", can_focus=False)
        yield Static("", id="preview-info")

    def show(self, generation: Generation | None, *, filtered: bool = False, sweep_id: str | None = None) -> None:
        """`generation` on show; `filtered`: the list is filtered, so an empty one is a search
        that matched nothing, not an empty history; `sweep_id`: the sweep `generation` stands
        for, shown whole once show_sweep() has its summary."""
        self._filtered = filtered
        same = self.generation is not None and generation is not None and generation.id == self.generation.id
        self.generation = generation
        if sweep_id != self.sweep_id:
            self.sweep_id, self.sweep = sweep_id, None
        if not same and self.index != 0:
            self.index = 0  # its watcher refreshes
        else:
            self._refresh_all()

    def show_sweep(self, summary: SweepSummary) -> None:
        """What is known of the sweep on show (as loaded, or loaded again after its sheet)."""
        if summary.sweep_id == self.sweep_id:
            self.sweep = summary
            self._refresh_all()

    def set_welcome(self, content: Content) -> None:
        """What the preview says while the history is empty."""
        self._welcome = content
        if self.generation is None:
            self._refresh_all()

    def watch_index(self) -> None:
        self._refresh_all()

    def action_step(self, step: int) -> None:
        if self.generation and self.generation.images:
            self.index = (self.index + step) % len(self.generation.images)

    @property
    def current_image(self) -> StoredImage | None:
        """The image of the shown generation that the preview shows (or would)."""
        g = self.generation
        return g.images[min(self.index, len(g.images) - 1)] if g and g.images else None

    def stage_pixels(self, cells: tuple[int, int] | None = None) -> tuple[int, int]:
        """The pixels the image area can show (or would, at `cells`): what images are fitted to."""
        width, height = cells or self.query_one("#preview-main", Container).size
        return self.graphics.pixels(max(1, width), max(1, height))

    def _stage_cells(self, images: int, facts: Content) -> tuple[int, int]:
        """The stage's size once a generation of `images` with these facts is shown: the
        preview less the strip and the facts, as the stylesheet lays them out. Known before the
        layout, so a picture prepared for it goes up in the same frame as the facts."""
        strip, info = self.query_one("#preview-strip"), self.query_one("#preview-info")
        width, height = self.size
        if images > 1 and self.graphics.protocol != "none" and strip.styles.height is not None:
            height -= strip.styles.height.cells or 0
        lines = facts.get_height(info.styles, width) if width > 0 else 0
        cap = info.styles.max_height
        return width, height - (min(lines, int(cap.value)) if cap is not None else lines)

    def background_rgb(self) -> RGB:
        """What transparent pixels are laid on: the stage's own colour."""
        return self.query_one("#preview-main", Container).background_colors[1].rgb

    def _facts(self, g: Generation) -> Content:
        """What is under `g`'s picture on show (preview_facts.py)."""
        return generation_facts(g, self.current_image, self.index, self.prices, self.output)

    def prefetch(self, image: SavedImage, request: AnyRequest, provenance: Provenance) -> None:
        """Start preparing the first image of a job for `request`, saved, before the job has
        even ended, at the stage size its facts will most likely leave: as many lines as they
        take with a typical id, time and cost (a revised prompt or an unusual length costs a
        refit when the result arrives)."""
        facts = likely_facts(image, request, provenance, bool(self.prices), self.output)
        images = request.n
        width, height = self.stage_pixels(self._stage_cells(images, facts))
        self._prefetch(image.path, width, height, self.background_rgb())

    @in_thread(group="preview-prefetch")
    def _prefetch(self, path: Path, width: int, height: int, background: RGB) -> None:
        try:
            prepared(self.graphics, path, width, height, background)
        except Exception:  # the real load will say what is wrong
            pass

    def show_partial(self, rendition: Rendition, caption: str) -> None:
        """A streamed partial image of a running job."""
        self._message(None)
        self._put(rendition)
        self.query_one("#preview-info", Static).update(line(caption))

    def stage_resized(self) -> None:
        self._ask()
        strip = self.query_one("#preview-strip", HorizontalScroll)
        if strip.display and self.index < len(strip.children):  # keep the current one in view
            strip.call_after_refresh(strip.scroll_to_widget, strip.children[self.index], animate=False)

    # --- drawing ------------------------------------------------------------------------------

    def _refresh_all(self) -> None:
        if not self.is_mounted:
            return
        g = self.generation
        self._strip(None if self.sweep_id else g)
        info = self.query_one("#preview-info", Static)
        if g is None:
            self._message(NO_MATCH if self._filtered else self._welcome)
            info.update(Content())
            return
        if self.sweep_id is not None:
            self._show_sweep(info)
            return
        facts = self._facts(g)
        info.update(facts)
        if g.status in ("failed", "cancelled", "interrupted") and not g.images:
            hint = HINTS.get(g.error_kind or g.status, "Retry with r.")
            kind = f" · {g.error_kind}" if g.error_kind and g.error_kind != g.status else ""
            self._message(template("[b]$status[/b]$kind\n\n$error\n\n$hint\n\n[dim]$prompt[/dim]", status=g.status.upper(), kind=kind, error=g.error_message or "No answer was recorded.", hint=hint, prompt=g.prompt))
            return
        if g.status in ("running", "queued"):
            self._message(template("[b]$status…[/b]\n\n[dim]$prompt[/dim]", status=g.status, prompt=g.prompt))
            return
        image = self.current_image
        if image is None:
            self._message(Content("This generation has no images."))
            return
        if image.missing:
            self._message(template("[b]File missing[/b]\n\n$path\n\nIt was moved or deleted. The settings are still here: reuse them with u, or re-run with r.", path=image.path))
            return
        self._show_picture(image.path, len(g.images), facts)

    def _show_sweep(self, info: Static) -> None:
        """The sweep on show: its facts and sheet once loaded; until then (a few milliseconds)
        its id, with the stage left as it is."""
        summary = self.sweep
        if summary is None:
            info.update(line(f"sweep {self.sweep_id} …", "dim"))
            return
        facts = sweep_facts(summary, self.prices, self.output)
        info.update(facts)
        picture = summary.picture
        if picture is None:
            counts = summary.counts()
            waiting = "still running" if counts["running"] else "no images"
            self._message(template("[b]Sweep $id[/b]: $waiting\n\n[dim]$prompt[/dim]", id=summary.sweep_id, waiting=waiting, prompt=summary.prompt))
            return
        self._show_picture(picture, 1, facts)

    def _show_picture(self, path: Path, images: int, facts: Content) -> None:
        """The file at `path` on the stage, prepared in a thread (a cached one at once)."""
        if self.graphics.protocol == "none":
            self._message(template("$path\n\n(images are off: --graphics none)", path=path))
            return
        # after this frame's layout: the facts may wrap differently and change the stage's size,
        # and a picture fitted to the old size would be encoded and sent twice; the old picture
        # goes at once, or the layout change would move it and have it drawn again
        if path != self._picture_path:
            self._hide_picture()
            self.query_one("#preview-message", Static).display = False  # no stale text over the stage
        self._picture_path = path
        if self.graphics.protocol != "sixel" and self.size.width > 0:  # a picture already
            # prepared for the stage these facts leave goes up in this frame; not Sixel, which
            # sends the whole picture each time: a held key's first row would cost one more (bench_bytes)
            self._ask(only_cached=True, cells=self._stage_cells(images, facts))
        self.call_after_refresh(self._ask)

    def _ask(self, *, only_cached: bool = False, cells: tuple[int, int] | None = None) -> None:
        if self._picture_path is None:
            return
        width, height = self.stage_pixels(cells)
        key: Wanted = (str(self._picture_path), width, height, self.background_rgb())
        if key in (self._shown, self._wanted):
            return
        if only_cached and cached(self.graphics, self._picture_path, width, height, key[3]) is None:
            return
        if self._settle is not None:
            self._settle.stop()
            self._settle = None
        now = time.monotonic()
        recent = now - self._last_picture < SETTLE
        self._last_picture = now
        if recent:  # the cursor is moving on: fetch when it rests
            self._hide_picture()
            self._wanted = key
            self._settle = self.set_timer(SETTLE, lambda: self._fetch(key))
        else:
            self._wanted = key
            self._fetch(key)

    def _fetch(self, key: Wanted) -> None:
        if key != self._wanted:
            return
        path, width, height, background = key
        found = cached(self.graphics, Path(path), width, height, background)
        if found is not None:
            self._shown = key
            self._put(found)
            return
        if self.preparing_after is not None:
            self.set_timer(self.preparing_after, lambda: self._preparing(key))
        self._load(key)

    def _preparing(self, key: Wanted) -> None:
        """A picture that takes a while is said to be coming; an old picture on show (after a
        resize) stands in instead."""
        if key == self._wanted and key != self._shown and (self._picture is None or not self._picture.display):
            message = self.query_one("#preview-message", Static)
            message.update(PREPARING)
            message.display = True

    @in_thread(exclusive=True, group="preview-load")
    def _load(self, key: Wanted) -> None:
        path, width, height, background = key
        try:
            rendition = prepared(self.graphics, Path(path), width, height, background)
        except Exception as exc:  # unreadable or damaged file: say so, keep running
            self.app.call_from_thread(self._failed, key, exc)
            return
        self.app.call_from_thread(self._loaded, key, rendition)

    def _failed(self, key: Wanted, error: Exception) -> None:
        if key == self._wanted:  # not when the user has moved on since
            self._message(template("[b]Cannot show this image[/b]\n\n$path\n\n$why", path=key[0], why=error))

    def _loaded(self, key: Wanted, rendition: Rendition) -> None:
        if key != self._wanted:
            return  # the user moved on, or the pane changed size since: a newer load is coming
        self._shown = key
        self._put(rendition)

    def _put(self, rendition: Rendition) -> None:
        self.query_one("#preview-message", Static).display = False
        if self._picture is None:
            self._picture = Picture(rendition, id="preview-image")
            self.query_one("#preview-main", Container).mount(self._picture)
        else:
            self._picture.show(rendition)
            self._picture.display = True

    def _hide_picture(self) -> None:
        self._shown = self._wanted = None
        if self._picture is not None:
            self._picture.display = False

    def _message(self, content: Content | None) -> None:
        self._shown = self._wanted = self._picture_path = None
        message = self.query_one("#preview-message", Static)
        if content is not None:
            message.set_class(content is self._welcome, "welcome")  # paragraphs, not a centred notice
            message.update(content)
            if self._picture is not None:
                self._picture.display = False
        message.display = content is not None

    def _strip(self, g: Generation | None) -> None:
        """Thumbnails of an n>1 generation, the shown one outlined; rebuilt only when the
        generation changes."""
        strip = self.query_one("#preview-strip", HorizontalScroll)
        count = len(g.images) if g and self.graphics.protocol != "none" else 0
        strip.display = count > 1
        if count <= 1:
            self._strip_for = None
            return
        assert g is not None
        if self._strip_for != g.id:
            self._strip_for = g.id
            self._strip_load = object()  # a thread worker runs on when superseded: its answer must not count
            if len(strip.children) != count:  # else the boxes stay, their pictures changed in place
                strip.remove_children()
            width, height = self.graphics.pixels(THUMB_CELLS[0] - 2, THUMB_CELLS[1] - 2)
            self._load_thumbnails(self._strip_load, g, width, height, self.background_rgb())
        for i, box in enumerate(strip.children):
            box.set_class(i == self.index, "current")
            if i == self.index:
                strip.scroll_to_widget(box, animate=False)

    @in_thread(exclusive=True, group="preview-thumbnails")
    def _load_thumbnails(self, load: object, g: Generation, width: int, height: int, background: RGB) -> None:
        thumbs: list[Rendition | None] = []
        for image in g.images:
            try:
                source = self.thumbnail(image) or image.path
                thumbs.append(prepared(self.graphics, source, width, height, background))
            except Exception:  # a missing file: an empty box keeps the numbering
                thumbs.append(None)
        self.app.call_from_thread(self._show_thumbnails, load, thumbs)

    def _show_thumbnails(self, load: object, thumbs: list[Rendition | None]) -> None:
        if load is not self._strip_load:
            return
        strip = self.query_one("#preview-strip", HorizontalScroll)
        if len(strip.children) == len(thumbs):  # as many as the last: no widgets to lay out anew
            for box, thumb in zip(strip.children, thumbs):
                shown = box.query(Picture)
                if shown and thumb:
                    shown.first().show(thumb)
                elif thumb:
                    box.mount(Picture(thumb))
                else:
                    shown.remove()
            return
        boxes = [Thumb(i, *([Picture(thumb)] if thumb else []), classes="thumb" + (" current" if i == self.index else "")) for i, thumb in enumerate(thumbs)]
        strip.mount_all(boxes)
        if boxes:
            strip.call_after_refresh(strip.scroll_to_widget, boxes[min(self.index, len(boxes) - 1)], animate=False)

def prepared(graphics: Graphics, path: Path, width: int, height: int, background: RGB) -> Rendition:
    """The picture at `path` fitted into width x height pixels and encoded for the terminal;
    cached. Slow on a miss: call from a thread. Raises OSError (or PIL's errors) for a missing
    or unreadable file."""
    key = _key(graphics, path, width, height, background)
    found = renditions.get(key)
    if found is None:
        found = renditions.put(key, render(imaging.fit(path, width, height), graphics, background))
    return found


def cached(graphics: Graphics, path: Path, width: int, height: int, background: RGB) -> Rendition | None:
    """The prepared picture if nothing needs doing: lets the UI skip a thread hop."""
    try:
        return renditions.get(_key(graphics, path, width, height, background))
    except OSError:
        return None


def _key(graphics: Graphics, path: Path, width: int, height: int, background: RGB) -> tuple[str, int, int, int, str, RGB]:
    """The rendition cache's key: the file as it is now (mtime), the fit, the protocol."""
    return (str(path), os.stat(path).st_mtime_ns, width, height, graphics.protocol, background)


def render_partial(graphics: Graphics, image: PILImage.Image, width: int, height: int, background: RGB) -> Rendition:
    """A streamed partial image, fitted and encoded (not cached: it is shown once). Thread."""
    image.thumbnail((width, height))
    return render(image, graphics, background, transient=True)


PREPARING = Content.from_markup("[dim]Preparing the picture…[/dim]")
