"""The mask editor: paint, on the picture itself, where an edit may change it.

The mask is a grid of the picture's terminal cells, the precision a mouse and a cursor have;
saving maps each cell onto its block of the image's full pixels (masks.cell_box), so the file
has the image's size whatever the terminal's (mask_canvas: what is tinted is what is saved).

The area to change is shown by compositing a tint into the picture's pixels and drawing the
result through the picture layer, so it looks the same in kitty, Sixel and half-cell (where the
cells themselves are tinted). Fitting, tinting, encoding and saving run in threads; while
painting, one drawing is under way at a time and a new one starts at most every THROTTLE
seconds, so the event loop only moves sets of cells.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static

from imagegen_tui import masks
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.masks import Cell, Size
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.pictures import Picture, Rendition, render
from imagegen_tui.ui.safe import template
from imagegen_tui.ui.screens.mask_canvas import RGB, Canvas, disc, fit_canvas, path_between, shape
from imagegen_tui.ui.workers import in_thread

THROTTLE = 0.07  # seconds between the starts of two drawings while painting
UNDO_DEPTH = 100
MAX_RADIUS = 20
TOOLS = {"brush": "brush", "rect": "rectangle", "ellipse": "ellipse"}

HELP = (
    "Tinted = where the edit may change (transparent in the mask); the rest is kept. Painted in "
    "whole cells, each a block of the image's pixels; saved at its full size. Drag paints · "
    "shift- or right-drag erases · ctrl-drag: rectangle · alt-drag: ellipse · arrows, space, "
    "space: rectangle (o: ellipse)"
)


@dataclass
class Stroke:
    """A change under way: a brush drag, or a shape from a corner to where the pointer (or the
    keyboard cursor) is now. A shape is shown before it is applied."""

    tool: str
    erase: bool
    start: Cell
    end: Cell
    before: frozenset[Cell]  # for undo, when it changed something
    by_mouse: bool


class Mark(Widget):
    """One cell over the picture (the cursor, the anchored corner): text, which every protocol
    keeps on top of a picture."""

    def __init__(self, glyph: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.glyph = glyph

    def render(self) -> Content:
        return Content(self.glyph)


class MaskEditor(ModalScreen[bytes | None]):
    """Paints a mask for the image at `image_path`, starting from `existing_mask` (PNG bytes)
    if given. Dismisses with the mask, a full-size RGBA PNG transparent where the edit may
    change, or None when cancelled."""

    ALLOW_SELECT = False  # a drag paints; it must not select text
    BINDINGS = [
        Binding("enter,ctrl+s", "save", "Save", id="mask.save"),
        Binding("escape", "cancel", "Cancel", id="mask.cancel"),
        Binding("b", "tool('brush')", "Brush", id="mask.brush"),
        Binding("r", "tool('rect')", "Rect", id="mask.rect"),
        Binding("o", "tool('ellipse')", "Ellipse", id="mask.ellipse"),
        Binding("x", "toggle_erase", "Erase", id="mask.erase"),
        Binding("left_square_bracket", "radius(-1)", "Size-", key_display="[", id="mask.smaller"),
        Binding("right_square_bracket", "radius(1)", "Size+", key_display="]", id="mask.bigger"),
        Binding("p", "paint", "Paint", id="mask.paint"),
        Binding("space", "corner", "Corner", id="mask.corner"),
        Binding("i", "invert", "Invert", id="mask.invert"),
        Binding("c", "clear", "Clear", id="mask.clear"),
        Binding("u,ctrl+z", "undo", "Undo", id="mask.undo"),
        Binding("up", "move(0, -1)", "Up", show=False, id="mask.up"),
        Binding("down", "move(0, 1)", "Down", show=False, id="mask.down"),
        Binding("left", "move(-1, 0)", "Left", show=False, id="mask.left"),
        Binding("right", "move(1, 0)", "Right", show=False, id="mask.right"),
        Binding("shift+up", "move(0, -5)", "Up 5", show=False, id="mask.up_5"),
        Binding("shift+down", "move(0, 5)", "Down 5", show=False, id="mask.down_5"),
        Binding("shift+left", "move(-5, 0)", "Left 5", show=False, id="mask.left_5"),
        Binding("shift+right", "move(5, 0)", "Right 5", show=False, id="mask.right_5"),
    ]
    DEFAULT_CSS = """
    MaskEditor { background: $background; }
    MaskEditor #mask-title, MaskEditor #mask-status { height: 1; padding: 0 1; }
    MaskEditor #mask-help { color: $text-muted; padding: 0 1; }
    MaskEditor #mask-stage { height: 1fr; align: center middle; }
    MaskEditor #mask-message { width: auto; }
    MaskEditor Mark { position: absolute; width: 1; height: 1; text-style: bold; }
    MaskEditor #mask-cursor { background: $accent; color: $text; }
    MaskEditor #mask-anchor { background: $warning; color: $background; display: none; }
    """

    def __init__(self, graphics: Graphics, image_path: Path, existing_mask: bytes | None = None) -> None:
        super().__init__()
        # painting needs the picture: with images off, half-cell blocks work in any terminal
        self.graphics = graphics if graphics.protocol in ("kitty", "sixel", "halfcell") else replace(graphics, protocol="halfcell")
        self.image_path = image_path
        self.existing_mask = existing_mask
        cell_width, cell_height = self.graphics.pixels(1, 1)
        self.aspect = cell_height / cell_width
        self.canvas: Canvas | None = None
        self.cells: set[Cell] = set()
        self.initial: frozenset[Cell] = frozenset()
        self.undo: list[frozenset[Cell]] = []
        self.tool = "brush"
        self.erase = False
        self.radius = 1
        self.cursor: Cell = (0, 0)
        self.stroke: Stroke | None = None
        self.version = 0  # bumped by every change to what the picture should show
        self.shown_version = -1
        self._fit_for: Size | None = None
        self._fit_token: object = None
        self._timer: Timer | None = None
        self._drawing = False
        self._drawn_at = 0.0
        self._warned = False  # escape was pressed once with unsaved changes
        self._saving = False

    def compose(self) -> ComposeResult:
        yield Static(template("[b]Mask[/b] · $name", name=self.image_path.name), id="mask-title")
        yield Static(HELP, id="mask-help")
        with Container(id="mask-stage"):
            yield Static("Loading…", id="mask-message")
            with Container(id="mask-board"):
                yield Picture(id="mask-picture")
                yield Mark("+", id="mask-cursor")
                yield Mark("*", id="mask-anchor")
        yield Static("", id="mask-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#mask-board").display = False
        self.call_after_refresh(self._refit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    @property
    def settled(self) -> bool:
        """The picture shows the mask as it is now (nothing waiting to be drawn)."""
        return self.canvas is not None and self.shown_version == self.version and not self._drawing and self._timer is None

    # --- fitting the picture to the stage -----------------------------------------------------

    def _refit(self) -> None:
        stage = self.query_one("#mask-stage")
        size = (max(1, stage.size.width), max(1, stage.size.height))
        if size == self._fit_for:
            return
        self._fit_for = size
        self._fit_token = token = object()
        existing = self.existing_mask if self.canvas is None else None
        old_grid = self.canvas.grid if self.canvas else None
        self._fit(token, size, stage.background_colors[1].rgb, existing, old_grid, self._state())

    def _state(self) -> list[frozenset[Cell]]:
        """Everything painted, as the grid holds it: the mask now, as it started, its undo steps."""
        return [frozenset(self.cells), self.initial, *self.undo]

    @in_thread(exclusive=True, group="mask-fit")
    def _fit(self, token: object, stage: Size, background: RGB, existing: bytes | None, old_grid: Size | None, state: list[frozenset[Cell]]) -> None:
        try:
            canvas = fit_canvas(self.graphics, self.image_path, stage, background)
        except Exception as exc:  # unreadable or damaged file: say so, keep the app running
            self.app.call_from_thread(self._unfit, token, exc)
            return
        note = None
        mapped = [canvas.regrid(cells, old_grid) for cells in state] if old_grid and old_grid != canvas.grid else state
        if existing is not None:
            try:
                loaded = frozenset(masks.grid_cells(masks.prepare_mask(existing, canvas.size).data, canvas.grid))
                mapped = [loaded, loaded]
            except InvalidRequest as exc:
                note = f"The mask given was not loaded: {exc}"
        self.app.call_from_thread(self._fitted, token, canvas, state, mapped, note)

    def _unfit(self, token: object, error: Exception) -> None:
        if token is self._fit_token:
            self.query_one("#mask-board").display = False
            message = self.query_one("#mask-message", Static)
            message.update(template("[b]Cannot open this image[/b]\n\n$path\n\n$why", path=self.image_path, why=error))
            message.display = True

    def _fitted(self, token: object, canvas: Canvas, state: list[frozenset[Cell]], mapped: list[frozenset[Cell]], note: str | None) -> None:
        if token is not self._fit_token:
            return
        if self._state() != state:  # painted on the old grid meanwhile: fit again from what is there now
            self._fit_for = None
            self._refit()
            return
        first = self.canvas is None
        self.canvas = canvas
        self.stroke = None  # a shape dragged across a resize is let go
        self._let_go()
        cells, self.initial, *self.undo = mapped
        self.cells = set(cells)
        columns, rows = canvas.grid
        self.cursor = (columns // 2, rows // 2) if first else (min(self.cursor[0], columns - 1), min(self.cursor[1], rows - 1))
        board = self.query_one("#mask-board")
        board.styles.width, board.styles.height = columns, rows
        title = "[b]Mask[/b] · $name · $width×$height px · $columns×$rows cells"
        self.query_one("#mask-title", Static).update(template(title, name=self.image_path.name, width=canvas.size[0], height=canvas.size[1], columns=columns, rows=rows))
        if note:
            self.notify(note, severity="warning", timeout=10)
        self._changed()

    # --- drawing -------------------------------------------------------------------------------

    def shown_cells(self) -> frozenset[Cell]:
        """The mask as the picture shows it: with the shape being drawn, if any."""
        stroke = self.stroke
        if stroke is None or stroke.tool == "brush":
            return frozenset(self.cells)
        area = shape(stroke.tool, stroke.start, stroke.end)
        return frozenset(self.cells - area if stroke.erase else self.cells | area)

    def _changed(self) -> None:
        """What the picture should show changed: draw it now, or as soon as the drawing under
        way is done and THROTTLE has passed since it started."""
        self.version += 1
        self._show_marks()
        self._show_status()
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is None and not self._drawing:
            wait = self._drawn_at + THROTTLE - time.monotonic()
            if wait > 0:
                self._timer = self.set_timer(wait, self._draw)
            else:
                self._draw()

    def _draw(self) -> None:
        self._timer = None
        if self.canvas is None or self._drawing:
            return
        self._drawing = True
        self._drawn_at = time.monotonic()
        self._tint(self.version, self.canvas, self.shown_cells(), self.query_one("#mask-stage").background_colors[1].rgb)

    @in_thread(group="mask-tint")
    def _tint(self, version: int, canvas: Canvas, cells: frozenset[Cell], background: RGB) -> None:
        rendition = None
        try:
            rendition = render(canvas.showing(cells), self.graphics, background)
        finally:  # even after a failure (which the app reports): drawing must go on
            self.app.call_from_thread(self._tinted, version, canvas, rendition)

    def _tinted(self, version: int, canvas: Canvas, rendition: Rendition | None) -> None:
        self._drawing = False
        if rendition is not None and canvas is self.canvas:
            self.query_one("#mask-message").display = False
            self.query_one("#mask-board").display = True
            self.query_one("#mask-picture", Picture).show(rendition)
            self.shown_version = version
        if version != self.version:
            self._schedule()

    def _show_marks(self) -> None:
        self.query_one("#mask-cursor").styles.offset = self.cursor
        anchor = self.query_one("#mask-anchor")
        keyboard = self.stroke is not None and not self.stroke.by_mouse
        anchor.display = keyboard
        if self.stroke is not None and keyboard:
            anchor.styles.offset = self.stroke.start

    def _say(self, warning: str) -> None:
        """In the status line, not a notice: a notice would outlive the editor on the screen
        below; the next change to the mask writes the status over it."""
        self.query_one("#mask-status", Static).update(Content.styled(warning, "bold yellow"))

    def _show_status(self) -> None:
        if self.canvas is None:
            return
        columns, rows = self.canvas.grid
        parts = [
            TOOLS[self.tool],
            "erasing" if self.erase else "painting",
            f"radius {self.radius}",
            f"at {self.cursor[0]},{self.cursor[1]}",
            f"{len(self.cells)}/{columns * rows} cells to change",
        ]
        if self.stroke is not None and not self.stroke.by_mouse:
            parts.append(f"corner {self.stroke.start[0]},{self.stroke.start[1]}: space fills, escape drops")
        self.query_one("#mask-status", Static).update(Content(" · ".join(parts)))

    # --- changing the mask ---------------------------------------------------------------------

    def _commit(self, before: frozenset[Cell]) -> None:
        """One step done: undoable when it changed anything."""
        if self.cells != before:
            self.undo = [*self.undo[-(UNDO_DEPTH - 1) :], before]
            self._warned = False
        self._changed()

    def _brush(self, cell: Cell, erase: bool) -> None:
        assert self.canvas is not None
        area = disc(cell, self.radius, self.aspect, self.canvas.grid)
        if erase:
            self.cells -= area
        else:
            self.cells |= area

    def _finish(self) -> None:
        """The stroke under way applied and committed."""
        stroke, self.stroke = self.stroke, None
        if stroke is None:
            return
        self._let_go()
        if stroke.tool != "brush":
            area = shape(stroke.tool, stroke.start, stroke.end)
            self.cells = self.cells - area if stroke.erase else self.cells | area
        self._commit(stroke.before)

    def _drop(self) -> None:
        """A shape not yet filled is let go; a brush stroke keeps what it painted."""
        if self.stroke is not None:
            if self.stroke.tool == "brush":
                self._finish()
            else:
                self.stroke = None
                self._let_go()
                self._changed()

    def _let_go(self) -> None:
        """A drag ended, however: the mouse goes back to the footer and the rest."""
        self.query_one("#mask-board").release_mouse()

    def action_tool(self, tool: str) -> None:
        self.tool = tool
        if self.stroke is not None and not self.stroke.by_mouse:
            self.stroke.tool = "ellipse" if tool == "ellipse" else "rect"
        self._changed()

    def action_toggle_erase(self) -> None:
        self.erase = not self.erase
        if self.stroke is not None and not self.stroke.by_mouse:
            self.stroke.erase = self.erase
        self._changed()

    def action_radius(self, step: int) -> None:
        self.radius = min(MAX_RADIUS, max(0, self.radius + step))
        self._show_status()

    def action_move(self, dx: int, dy: int) -> None:
        if self.canvas is None:
            return
        columns, rows = self.canvas.grid
        self.cursor = (min(columns - 1, max(0, self.cursor[0] + dx)), min(rows - 1, max(0, self.cursor[1] + dy)))
        if self.stroke is not None and not self.stroke.by_mouse:
            self.stroke.end = self.cursor
            self._changed()
        else:
            self._show_marks()
            self._show_status()

    def action_corner(self) -> None:
        """The first press anchors a corner at the cursor; the second fills the shape."""
        if self.canvas is None:
            return
        if self.stroke is not None and not self.stroke.by_mouse:
            self._finish()
            return
        self._drop()
        tool = "ellipse" if self.tool == "ellipse" else "rect"
        self.stroke = Stroke(tool, self.erase, self.cursor, self.cursor, frozenset(self.cells), by_mouse=False)
        self._changed()

    def action_paint(self) -> None:
        if self.canvas is None:
            return
        self._drop()
        before = frozenset(self.cells)
        self._brush(self.cursor, self.erase)
        self._commit(before)

    def action_invert(self) -> None:
        if self.canvas is None:
            return
        self._drop()
        before = frozenset(self.cells)
        columns, rows = self.canvas.grid
        self.cells = {(x, y) for x in range(columns) for y in range(rows)} - self.cells
        self._commit(before)

    def action_clear(self) -> None:
        self._drop()
        before = frozenset(self.cells)
        self.cells = set()
        self._commit(before)

    def action_undo(self) -> None:
        self._drop()
        if not self.undo:
            self.app.bell()
            return
        self.cells = set(self.undo.pop())
        self._warned = False
        self._changed()

    # --- the mouse -----------------------------------------------------------------------------

    def _cell_at(self, event: events.MouseEvent, clamp: bool) -> Cell | None:
        """The grid cell under the pointer; outside the picture None, or the nearest cell
        when `clamp` (a drag that leaves the picture keeps to its edge)."""
        picture = self.query_one("#mask-picture", Picture)
        if self.canvas is None or picture.rendition is None or picture.rendition.cells != self.canvas.grid:
            return None  # nothing shown yet, or a picture of another fit
        columns, rows = self.canvas.grid
        x, y = event.screen_x - picture.region.x, event.screen_y - picture.region.y
        if clamp:
            return min(columns - 1, max(0, x)), min(rows - 1, max(0, y))
        return (x, y) if 0 <= x < columns and 0 <= y < rows else None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        cell = self._cell_at(event, clamp=False)
        if cell is None:
            return
        event.stop()
        self._drop()
        tool = "rect" if event.ctrl else "ellipse" if event.meta else self.tool
        erase = self.erase or event.shift or event.button == 3
        self.cursor = cell
        self.stroke = Stroke(tool, erase, cell, cell, frozenset(self.cells), by_mouse=True)
        if tool == "brush":
            self._brush(cell, erase)
        self.query_one("#mask-board").capture_mouse()
        self._changed()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.stroke is not None and self.stroke.by_mouse:
            event.stop()
            self._drag_to(event)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self.stroke is not None and self.stroke.by_mouse:
            event.stop()
            self._drag_to(event)
            self._finish()

    def _drag_to(self, event: events.MouseEvent) -> None:
        stroke, cell = self.stroke, self._cell_at(event, clamp=True)
        if stroke is None or cell is None or cell == stroke.end:
            return
        if stroke.tool == "brush":
            for step in path_between(stroke.end, cell):
                self._brush(step, stroke.erase)
        stroke.end = self.cursor = cell
        self._changed()

    # --- leaving -------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.canvas is None or self._saving:
            return
        self._drop()
        if not self.cells:
            self._say("Nothing is painted: paint the area the edit may change, or press escape to leave without a mask.")
            return
        self._saving = True
        self._save(self.canvas, frozenset(self.cells))

    @in_thread(group="mask-save")
    def _save(self, canvas: Canvas, cells: frozenset[Cell]) -> None:
        data = masks.grid_mask(canvas.size, cells, canvas.grid)
        self.app.call_from_thread(self._saved, data)

    def _saved(self, data: bytes) -> None:
        self.dismiss(data)

    def action_cancel(self) -> None:
        """Escape lets go of an anchored corner first; unsaved changes take a second press."""
        if self._saving:
            return
        if self.stroke is not None and not self.stroke.by_mouse:
            self._drop()
            return
        if self.cells != self.initial and not self._warned:
            self._warned = True
            self._say("The mask has unsaved changes: escape again to leave without it, enter to save it.")
            return
        self.dismiss(None)
