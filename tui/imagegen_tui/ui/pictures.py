"""Pictures in the terminal: encoded once, off the event loop, and sent only when the terminal
does not already show them.

Over SSH bytes are time, so each protocol is used where it is cheap:
- half-cell: the picture is text (two pixels a cell); Textual's compositor draws it like any
  other widget, and only when its cells are repainted.
- kitty: the picture is transmitted once per session under an id; the cells hold Unicode
  placeholders naming that id, so Textual composes them like text (overlays cover them, a row
  move back costs a few KB of placeholders, not the picture).
- Sixel: the cells are blank text, and after each frame the `Painter` draws the picture's pixels
  into exactly the cells that frame repainted, minus those an overlay (a toast, a tooltip, a
  menu) covers. In xterm any text written into a cell erases the Sixel pixels there, so this is
  also what keeps overlays on top and leaves no residue: a cell is either repainted text or
  redrawn picture.

Encoding (Sixel: tens to hundreds of ms; kitty: PNG + base64; half-cell: building strips) runs
in threads: `render()` is called from workers, and the event loop only writes finished bytes.
"""

from __future__ import annotations

import base64
import io
import itertools
import random
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from imagegen_tui.ui.graphics import Graphics, encode_sixel

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from textual.screen import Screen

RGB = tuple[int, int, int]
Cell = tuple[int, int]

HALF_BLOCK = "▀"
KITTY_PLACEHOLDER = "\U0010eeee"
KITTY_CHUNK = 4096
KITTY_BUDGET = 192 * 1024 * 1024  # transmitted bytes kept in the terminal (kitty's own quota is 320 MB)
# Row and column numbers of kitty's placeholder cells, as combining marks (kitty's
# rowcolumn-diacritics.txt); 297 of them, so a picture is at most 297 cells a side.
_DIACRITICS = [int(code, 16) for code in """
0305 030d 030e 0310 0312 033d 033e 033f 0346 034a 034b 034c 0350 0351 0352 0357 035b 0363 0364 0365 0366
0367 0368 0369 036a 036b 036c 036d 036e 036f 0483 0484 0485 0486 0487 0592 0593 0594 0595 0597 0598 0599
059c 059d 059e 059f 05a0 05a1 05a8 05a9 05ab 05ac 05af 05c4 0610 0611 0612 0613 0614 0615 0616 0617 0657
0658 0659 065a 065b 065d 065e 06d6 06d7 06d8 06d9 06da 06db 06dc 06df 06e0 06e1 06e2 06e4 06e7 06e8 06eb
06ec 0730 0732 0733 0735 0736 073a 073d 073f 0740 0741 0743 0745 0747 0749 074a 07eb 07ec 07ed 07ee 07ef
07f0 07f1 07f3 0816 0817 0818 0819 081b 081c 081d 081e 081f 0820 0821 0822 0823 0825 0826 0827 0829 082a
082b 082c 082d 0951 0953 0954 0f82 0f83 0f86 0f87 135d 135e 135f 17dd 193a 1a17 1a75 1a76 1a77 1a78 1a79
1a7a 1a7b 1a7c 1b6b 1b6d 1b6e 1b6f 1b70 1b71 1b72 1b73 1cd0 1cd1 1cd2 1cda 1cdb 1ce0 1dc0 1dc1 1dc3 1dc4
1dc5 1dc6 1dc7 1dc8 1dc9 1dcb 1dcc 1dd1 1dd2 1dd3 1dd4 1dd5 1dd6 1dd7 1dd8 1dd9 1dda 1ddb 1ddc 1ddd 1dde
1ddf 1de0 1de1 1de2 1de3 1de4 1de5 1de6 1dfe 20d0 20d1 20d4 20d5 20d6 20d7 20db 20dc 20e1 20e7 20e9 20f0
2cef 2cf0 2cf1 2de0 2de1 2de2 2de3 2de4 2de5 2de6 2de7 2de8 2de9 2dea 2deb 2dec 2ded 2dee 2def 2df0 2df1
2df2 2df3 2df4 2df5 2df6 2df7 2df8 2df9 2dfa 2dfb 2dfc 2dfd 2dfe 2dff a66f a67c a67d a6f0 a6f1 a8e0 a8e1
a8e2 a8e3 a8e4 a8e5 a8e6 a8e7 a8e8 a8e9 a8ea a8eb a8ec a8ed a8ee a8ef a8f0 a8f1 aab0 aab2 aab3 aab7 aab8
aabe aabf aac1 fe20 fe21 fe22 fe23 fe24 fe25 fe26 10a0f 10a38 1d185 1d186 1d187 1d188 1d189 1d1aa 1d1ab
1d1ac 1d1ad 1d242 1d243 1d244""".split()]
MAX_KITTY_CELLS = len(_DIACRITICS)

_kitty_ids = itertools.count(random.randint(1, 1 << 20))  # below 2**24: the id fits the 24-bit colour


@dataclass(eq=False)
class Rendition:
    """One fitted picture, ready for one protocol. `image` is what the pixels are cut from."""

    protocol: str
    image: PILImage.Image
    cells: tuple[int, int]
    sixel: str | None = None  # the whole picture
    kitty_id: int | None = None
    kitty_transmit: str | None = None  # sent once per session, before the first placeholder
    lines: list[Strip] = field(default_factory=list)  # half-cell rows
    transient: bool = False  # shown once and never again (a streamed partial): not kept in the terminal

    @property
    def size(self) -> int:
        """Bytes kept in memory (the pixels, the encoding; for kitty, in the terminal too)."""
        pixels = self.image.width * self.image.height * len(self.image.getbands())
        return pixels + len(self.sixel or "") + len(self.kitty_transmit or "") + 24 * self.cells[0] * len(self.lines)


def render(image: PILImage.Image, graphics: Graphics, background: RGB, transient: bool = False) -> Rendition:
    """`image`, already fitted to the pixels it may take, made ready for the chosen protocol;
    transparency is flattened onto `background`. Slow: call from a worker thread. `transient`:
    it is shown once (a streamed partial), so kitty deletes it from the terminal once replaced."""
    flat = _flatten(image, background)
    cells = graphics.cells(*flat.size)
    if graphics.protocol == "sixel":
        return Rendition("sixel", flat, cells, sixel=encode_sixel(flat), transient=transient)
    if graphics.protocol == "kitty":
        if max(cells) > MAX_KITTY_CELLS:
            flat.thumbnail((MAX_KITTY_CELLS * graphics.cell_size[0], MAX_KITTY_CELLS * graphics.cell_size[1]))
            cells = graphics.cells(*flat.size)
        image_id = next(_kitty_ids) % (1 << 24) or 1
        transmit = _kitty_transmit(flat, image_id, cells, graphics.tmux)
        return Rendition("kitty", flat, cells, kitty_id=image_id, kitty_transmit=transmit, transient=transient)
    return Rendition("halfcell", flat, cells, lines=_half_cell_lines(flat), transient=transient)


def _flatten(image: PILImage.Image, background: RGB) -> PILImage.Image:
    from PIL import Image as PILImage  # not before the first frame: the painter is made with the app

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        base = PILImage.new("RGBA", image.size, (*background, 255))
        return PILImage.alpha_composite(base, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def _half_cell_lines(image: PILImage.Image) -> list[Strip]:
    """One strip per pair of pixel rows: the upper pixel as the glyph's colour, the lower as the
    background; runs of equal cells share one segment."""
    width, height = image.size
    pixels = image.load()
    styles: dict[tuple[RGB, RGB], Style] = {}
    lines = []
    for top in range(0, height, 2):
        segments: list[Segment] = []
        run_style: Style | None = None
        run = 0
        for x in range(width):
            upper = pixels[x, top]
            lower = pixels[x, top + 1] if top + 1 < height else upper
            style = styles.get((upper, lower))
            if style is None:
                style = styles[(upper, lower)] = Style(color=Color.from_rgb(*upper), bgcolor=Color.from_rgb(*lower))
            if style is run_style:
                run += 1
                continue
            if run_style is not None:
                segments.append(Segment(HALF_BLOCK * run, run_style))
            run_style, run = style, 1
        if run_style is not None:
            segments.append(Segment(HALF_BLOCK * run, run_style))
        lines.append(Strip(segments, width))
    return lines


def _kitty_transmit(image: PILImage.Image, image_id: int, cells: tuple[int, int], tmux: bool) -> str:
    """The picture as PNG, in chunks, and one virtual placement of `cells` for its placeholders;
    quiet (q=2), so the terminal sends no answers for Textual to misread as keys."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    data = base64.standard_b64encode(buffer.getvalue()).decode("ascii")
    chunks = [data[i : i + KITTY_CHUNK] for i in range(0, len(data), KITTY_CHUNK)] or [""]
    commands = []
    for number, chunk in enumerate(chunks):
        keys = f"a=t,f=100,t=d,i={image_id},q=2," if number == 0 else ""
        commands.append(f"\x1b_G{keys}m={int(number < len(chunks) - 1)};{chunk}\x1b\\")
    commands.append(f"\x1b_Ga=p,U=1,i={image_id},c={cells[0]},r={cells[1]},q=2\x1b\\")
    return "".join(_tmux_wrap(command) if tmux else command for command in commands)


def _tmux_wrap(sequence: str) -> str:
    """tmux passes an escape sequence through to the outer terminal only inside its own DCS
    (and with `set -g allow-passthrough on`)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def kitty_row(image_id: int, row: int, columns: int) -> Strip:
    """One row of placeholders: the colour names the image, the marks name row and column (every
    cell carries both, so a cell keeps its place when an overlay covers its left neighbour)."""
    style = Style(color=Color.from_rgb((image_id >> 16) & 255, (image_id >> 8) & 255, image_id & 255))
    mark = chr(_DIACRITICS[row])
    text = "".join(f"{KITTY_PLACEHOLDER}{mark}{chr(_DIACRITICS[column])}" for column in range(columns))
    return Strip([Segment(text, style)], columns)


def kitty_delete(image_id: int, tmux: bool) -> str:
    command = f"\x1b_Ga=d,d=I,i={image_id},q=2\x1b\\"
    return _tmux_wrap(command) if tmux else command


class RenditionCache:
    """Finished renditions by (file, mtime, fitted size, protocol, background), least recently
    used dropped past a byte budget: coming back to a picture costs no encoding."""

    def __init__(self, budget: int = 96 * 1024 * 1024) -> None:
        self._items: OrderedDict[tuple[Any, ...], Rendition] = OrderedDict()
        self._budget = budget
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Rendition | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], rendition: Rendition) -> Rendition:
        """The rendition kept for `key`: the first one put. Two threads that prepared the same
        picture at once (a prefetch and a load) get the same one back, so kitty is never sent
        a second copy under another id."""
        with self._lock:
            if (kept := self._items.get(key)) is not None:
                self._items.move_to_end(key)
                return kept
            self._items[key] = rendition
            total = sum(item.size for item in self._items.values())
            while total > self._budget and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                total -= dropped.size
        return rendition


renditions = RenditionCache()


class Picture(Widget):
    """A picture sized in exact cells; see the module's docstring for how each protocol draws."""

    def __init__(self, rendition: Rendition | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rendition: Rendition | None = None
        if rendition is not None:
            self.show(rendition)

    def show(self, rendition: Rendition | None) -> None:
        if rendition is self.rendition:
            return
        previous, self.rendition = self.rendition, rendition
        columns, rows = rendition.cells if rendition else (0, 0)
        self.styles.width, self.styles.height = columns, rows
        painter = _painter(self)
        if painter is not None:
            painter.changed(self, previous)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        rendition = self.rendition
        if rendition is not None:
            if rendition.protocol == "halfcell" and y < len(rendition.lines):
                return rendition.lines[y].crop_extend(0, width, self.rich_style)
            painter = _painter(self)
            if rendition.protocol == "kitty" and painter is not None and painter.sent(rendition) and y < rendition.cells[1]:
                assert rendition.kitty_id is not None
                return kitty_row(rendition.kitty_id, y, rendition.cells[0]).crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)

    def on_mount(self) -> None:
        if (painter := _painter(self)) is not None:
            painter.add(self)

    def on_unmount(self) -> None:
        if (painter := _painter(self)) is not None:
            painter.discard(self)
            painter.drop(self.rendition)


def _painter(widget: Widget) -> Painter | None:
    try:
        return getattr(widget.app, "pictures", None)
    except Exception:  # not attached to an app yet
        return None


@dataclass
class _Shown:
    """What the terminal shows of one picture, in cells relative to its top-left."""

    origin: tuple[int, int, int, int] = (0, 0, 0, 0)  # the visible region the cells refer to
    intact: set[Cell] = field(default_factory=set)  # showing the current picture now
    pending: set[Cell] = field(default_factory=set)  # Sixel: erased by this frame's text, to draw
    drawing: frozenset[Cell] = frozenset()  # the pending cells a drawing in flight was made for
    epoch: int = 0  # bumped whenever drawings in flight may have become wrong

    def reset(self) -> None:
        self.intact.clear()
        self.pending.clear()
        self.drawing = frozenset()
        self.epoch += 1


class Painter:
    """Writes what Textual's compositor cannot: kitty transmissions before a frame, and Sixel
    pixels after it. Before a frame is written it also takes out what would land on cells that
    already show their picture (a focus change or a toast elsewhere makes Textual repaint whole
    panes): the terminal keeps them as they are, in every protocol, and nothing is sent again."""

    def __init__(self, graphics: Graphics, write: Callable[[str], None], call_soon: Callable[..., Any]) -> None:
        self.graphics = graphics
        self._write = write
        self._call_soon = call_soon  # runs a callable on the event loop from a worker thread
        self._pictures: weakref.WeakSet[Picture] = weakref.WeakSet()
        self._shown: weakref.WeakKeyDictionary[Picture, _Shown] = weakref.WeakKeyDictionary()
        self._placed: dict[Picture, tuple[Region, Region, list[Region]]] = {}
        self._sent: OrderedDict[int, int] = OrderedDict()  # kitty ids in the terminal -> bytes
        self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sixel-crop")

    # --- pictures -----------------------------------------------------------------------------

    def add(self, picture: Picture) -> None:
        self._pictures.add(picture)

    def discard(self, picture: Picture) -> None:
        self._pictures.discard(picture)
        self._shown.pop(picture, None)

    def changed(self, picture: Picture, previous: Rendition | None = None) -> None:
        """A new rendition: the old pixels are wrong, and so is any drawing in flight."""
        if picture in self._shown:
            self._shown[picture].reset()
        self.drop(previous)

    def drop(self, rendition: Rendition | None) -> None:
        """A picture went: kitty forgets it when it can never be shown again (a streamed
        partial). Its placeholders are gone from the screen already (Textual writes over
        them); this frees the terminal's memory, which would otherwise fill with partials."""
        if rendition is not None and rendition.transient and rendition.kitty_id in self._sent:
            del self._sent[rendition.kitty_id]
            self._write(kitty_delete(rendition.kitty_id, self.graphics.tmux))

    def forget_screen(self) -> None:
        """The terminal's screen was cleared or replaced (a resize, the app resumed after an
        editor): nothing shown can be trusted."""
        for state in self._shown.values():
            state.reset()

    def sent(self, rendition: Rendition) -> bool:
        return rendition.kitty_id in self._sent

    # --- around each frame ------------------------------------------------------------------

    def before_frame(self, screen: Screen[Any], update: Any) -> None:
        fresh = self._transmit() if self.graphics.protocol == "kitty" else []
        self._spare(screen, update)
        for picture in fresh:  # this frame still writes blanks there: the placeholders come next
            self.changed(picture)

    def _transmit(self) -> list[Picture]:
        """kitty: transmit each picture about to be shown that the terminal does not hold; its
        placeholders render from the next frame on. Returns the pictures sent."""
        fresh = []
        for picture in list(self._pictures):
            rendition = picture.rendition
            if rendition is None or rendition.kitty_id is None:
                continue
            if rendition.kitty_id in self._sent:
                self._sent.move_to_end(rendition.kitty_id)
                continue
            if not picture.is_mounted or not picture.display:
                continue
            assert rendition.kitty_transmit is not None
            self._write(rendition.kitty_transmit)
            self._sent[rendition.kitty_id] = len(rendition.kitty_transmit)
            fresh.append(picture)
            picture.refresh()
            self._forget_oldest(keep=rendition.kitty_id)
        return fresh

    def _forget_oldest(self, keep: int) -> None:
        """Delete pictures from the terminal only when memory asks: over the budget, least
        recently shown first."""
        while sum(self._sent.values()) > KITTY_BUDGET and len(self._sent) > 1:
            image_id, _ = next(iter(self._sent.items()))
            if image_id == keep:
                break
            del self._sent[image_id]
            self._write(kitty_delete(image_id, self.graphics.tmux))

    def _spare(self, screen: Screen[Any], update: Any) -> None:
        """Before the frame is written: for each picture, what the frame would write over cells
        already showing it is taken out. Cells it does write: for Sixel they lose their pixels,
        and those no overlay covers are drawn again after the frame; for the text protocols
        (half-cell, kitty's placeholders) they show the picture from then on."""
        self._placed = _placements(screen)
        for picture in list(self._pictures):
            if picture not in self._placed or picture.rendition is None:
                if picture in self._shown:  # hidden, or under another screen: it was painted over
                    self._shown[picture].reset()
                continue
            sixel = picture.rendition.protocol == "sixel"
            region, visible, covered = self._placed[picture]
            state = self._shown.setdefault(picture, _Shown())
            if state.origin != tuple(visible):
                state.reset()
                state.origin = tuple(visible)
            for chop in _written_chops(screen, update, visible.y, visible.bottom):
                cells = {(x - region.x, chop.y - region.y) for x in range(max(chop.x, visible.x), min(chop.end, visible.right))}
                if not cells:
                    continue
                if any(area.contains(chop.x, chop.y) for area in covered):
                    state.intact -= cells  # the overlay's own text goes there
                elif chop.whole and cells <= state.intact:
                    chop.skip()
                elif sixel:
                    state.intact -= cells
                    state.pending |= cells
                else:
                    state.intact |= cells

    def after_frame(self) -> None:
        """Sixel: draw the cells this frame erased and nothing covers."""
        for picture, (region, _visible, _covered) in self._placed.items():
            state = self._shown.get(picture)
            rendition = picture.rendition
            if state is None or not state.pending or rendition is None or rendition.protocol != "sixel":
                continue
            if state.pending == state.drawing:
                continue  # a frame that erased nothing new (a ticking jobs panel): the drawing stands
            state.epoch += 1
            state.drawing = frozenset(state.pending)
            self._draw(picture, rendition, region, state)
        self._placed = {}

    def _draw(self, picture: Picture, rendition: Rendition, region: Region, state: _Shown) -> None:
        columns, rows = rendition.cells
        if len(state.pending) == columns * rows:  # the whole picture: already encoded
            assert rendition.sixel is not None
            self._write(_at(region.x, region.y, rendition.sixel))
            state.intact |= state.pending
            state.pending.clear()
            state.drawing = frozenset()
            return
        rectangles = _rectangles(state.pending)
        epoch = state.epoch
        origin = region.offset
        cell_width, cell_height = self.graphics.cell_size

        def encode() -> None:
            if state.epoch != epoch:
                return  # superseded while it waited its turn
            drawings = []
            for x, y, width, height in rectangles:
                box = (x * cell_width, y * cell_height, min(rendition.image.width, (x + width) * cell_width), min(rendition.image.height, (y + height) * cell_height))
                if box[0] < box[2] and box[1] < box[3]:
                    drawings.append(_at(origin.x + x, origin.y + y, encode_sixel(rendition.image.crop(box))))
            self._call_soon(finish, drawings)

        def finish(drawings: list[str]) -> None:
            if picture.rendition is not rendition or state.epoch != epoch:
                return  # changed, moved or painted over since: a newer drawing is on its way
            self._write("".join(drawings))
            drawn = {(x + dx, y + dy) for x, y, width, height in rectangles for dx in range(width) for dy in range(height)}
            state.intact |= drawn & state.pending
            state.pending -= drawn
            state.drawing = frozenset()

        self._encoder.submit(encode)

    def close(self) -> None:
        from imagegen_tui.ui import offload

        self._encoder.shutdown(wait=False, cancel_futures=True)
        offload.close()


@dataclass
class _Chop:
    """One run of cells a frame writes on a line, as the compositor cut it: cut points include
    every widget's edges, so a chop lies wholly inside or outside any one widget."""

    y: int
    x: int
    end: int
    whole: bool  # a span covers all of it (else it is written anyway, from segment edges)
    skip: Callable[[], None]


def _written_chops(screen: Screen[Any], update: Any, top: int, bottom: int) -> list[_Chop]:
    """The chops of lines top..bottom that `update` writes; `skip()` takes one out."""
    from textual._compositor import ChopsUpdate, LayoutUpdate

    chops: list[_Chop] = []
    if isinstance(update, LayoutUpdate):
        cuts = screen._compositor.cuts
        for y in range(max(top, update.region.y), min(bottom, update.region.bottom)):
            row = y - update.region.y
            line = update.strips[row] = list(update.strips[row])
            for i, (x, end) in enumerate(zip(cuts[y], cuts[y][1:])):
                chops.append(_Chop(y, x, end, True, lambda line=line, i=i, width=end - x: line.__setitem__(i, _skip_strip(width))))
    elif isinstance(update, ChopsUpdate):
        # a chop the update's spans only cross is written from the start of its segment that
        # holds the span's first cell to the end of the one holding its last: for a picture's
        # rows (one long segment) that is up to the whole chop, so all of it counts as written
        spans: dict[int, list[tuple[int, int]]] = {}
        for y, x1, x2 in update.spans:
            spans.setdefault(y, []).append((x1, x2))
        for y in range(top, bottom):
            line = update.chops[y]
            for end, (x, strip) in zip(update.chop_ends[y], list(line.items())):
                crossed = [(x1, x2) for x1, x2 in spans.get(y, ()) if x < x2 and end > x1]
                if strip is not None and crossed:
                    whole = any(x1 <= x and end <= x2 for x1, x2 in crossed)
                    chops.append(_Chop(y, x, end, whole, lambda line=line, x=x: line.__setitem__(x, None)))
    else:  # an update of another kind: assume it writes everything
        chops = [_Chop(y, 0, screen.size.width, False, lambda: None) for y in range(top, bottom)]
    return chops


@lru_cache(maxsize=512)
def _skip_strip(width: int) -> Strip:
    """Moves the cursor across `width` cells without writing them: their pixels stay. One per
    width, made once: a frame that spares a whole picture needs one per row, on the loop."""
    return Strip([Segment(f"\x1b[{width}C")], width)


def _placements(screen: Screen[Any]) -> dict[Picture, tuple[Region, Region, list[Region]]]:
    """For each picture on `screen`: its region, the part of it on screen, and the parts covered
    by widgets in front of it that paint (a transparent container such as the toast rack does
    not count; a toast, a tooltip or a menu does)."""
    found: dict[Picture, tuple[Region, Region, list[Region]]] = {}
    in_front: list[Region] = []
    for widget, (region, clip) in screen._compositor.visible_widgets.items():  # front first
        visible = region.intersection(clip)
        if isinstance(widget, Picture):
            covered = [area for front in in_front if (area := front.intersection(visible))]
            found[widget] = (region, visible, covered)
        elif widget.styles.background.a > 0 or not widget.children:
            in_front.append(visible)
    return found


def _rectangles(cells: set[Cell]) -> list[tuple[int, int, int, int]]:
    """Cover `cells` with few rectangles (x, y, width, height): the runs of each row, grown
    downwards while the next row has the same run."""
    columns: dict[int, list[int]] = {}
    for x, y in cells:
        columns.setdefault(y, []).append(x)
    rectangles: list[list[int]] = []
    growing: dict[tuple[int, int], list[int]] = {}
    for y in sorted(columns):
        still: dict[tuple[int, int], list[int]] = {}
        for run in _runs(sorted(columns[y])):
            box = growing.get(run)
            if box is not None and box[1] + box[3] == y:
                box[3] += 1
            else:
                box = [run[0], y, run[1] - run[0], 1]
                rectangles.append(box)
            still[run] = box
        growing = still
    return [(x, y, width, height) for x, y, width, height in rectangles]


def _runs(xs: list[int]) -> list[tuple[int, int]]:
    """Sorted columns as [start, end) runs."""
    runs: list[tuple[int, int]] = []
    for x in xs:
        if runs and runs[-1][1] == x:
            runs[-1] = (runs[-1][0], x + 1)
        else:
            runs.append((x, x + 1))
    return runs


def _at(column: int, row: int, sixel: str) -> str:
    """Draw at a cell and put the cursor back where Textual left it."""
    return f"\x1b7\x1b[{row + 1};{column + 1}H{sixel}\x1b8"
