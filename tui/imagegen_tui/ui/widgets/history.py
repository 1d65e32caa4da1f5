"""The history list: a line-API widget that asks the store only for the pages on screen, so it
opens as fast with 100,000 generations as with ten. Pages load in a thread; a row not loaded yet
shows as a placeholder for the few milliseconds that takes. A row is one line or two (see
history_rows): the list's lines are its rows times that, and every move, click and scroll counts
in rows.

Unfiltered, a sweep is one row (▸); → or l opens it, its calls listed beneath it, ← or h goes
back up to it and closes it. A search or filter lists every match flat (store.listing)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from imagegen_tui.store import Filters, Generation, Listed
from imagegen_tui.ui.widgets.history_rows import NO_HIGHLIGHT, SCROLLBAR, Highlight, RowStyle, lead, lines_per_row, row_line
from imagegen_tui.ui.marks import Marks
from imagegen_tui.ui.workers import in_thread

PAGE = 100
AGES_EVERY = 60.0  # seconds between repaints of the rows on screen, so "5m" does not stay "5m"

Fetch = Callable[[Filters, frozenset[str], int, int], list[Listed]]
Count = Callable[[Filters, frozenset[str]], int]
SweepOf = Callable[[int], str | None]  # the sweep a generation is a call of, if any


class HistoryList(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"history--cursor", "history--failed", "history--dim", "history--placeholder", "history--match", "history--facts"}
    DEFAULT_CSS = f"HistoryList {{ scrollbar-size-vertical: {SCROLLBAR}; overflow-x: hidden; }}" + """
    HistoryList > .history--cursor { background: $accent 40%; text-style: bold; }
    HistoryList:focus > .history--cursor { background: $accent; }
    HistoryList > .history--failed { color: $error; }
    HistoryList > .history--dim { color: $text-muted; }
    HistoryList > .history--placeholder { color: $text-disabled; }
    HistoryList > .history--match { text-style: bold underline; }
    HistoryList > .history--facts { color: $text-muted; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False, id="history.up"),
        Binding("down", "move(1)", "Down", show=False, id="history.down"),
        Binding("pageup", "page(-1)", show=False, id="history.page_up"),
        Binding("pagedown", "page(1)", show=False, id="history.page_down"),
        Binding("home", "jump(0)", show=False, id="history.first"),
        Binding("end", "jump(-1)", show=False, id="history.last"),
        Binding("right,l", "open_sweep", "Open sweep", show=False, id="history.open_sweep"),
        Binding("left,h", "close_sweep", "Close sweep", show=False, id="history.close_sweep"),
    ]

    cursor: reactive[int] = reactive(0)
    clock: Callable[[], float] = staticmethod(time.time)  # what "now" is for the ages; fixed in snapshots

    @dataclass
    class Highlighted(Message):
        generation: Generation | None
        row: Listed | None = None  # how it is listed: a sweep's row stands for the whole sweep

    def __init__(
        self, fetch: Fetch, count: Count, first_page: tuple[int, list[Listed]] | None = None, *, row_mode: str = "auto",
        sweep_of: SweepOf | None = None, **kwargs: object,
    ) -> None:
        """`row_mode`: "one", "two" or "auto" lines a row ([ui] history_rows); `sweep_of`: lets
        a generation gone to (wanted_id) that is a call of a closed sweep open it."""
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._fetch, self._count, self._sweep_of = fetch, count, sweep_of
        self.row_mode = row_mode
        self.filters = Filters()
        self._highlight = NO_HIGHLIGHT
        self._lines = 1  # per row, as the list was last laid out
        self.total, rows = first_page or (0, [])
        self._pages: dict[int, list[Listed]] = {0: rows} if first_page else {}
        self.preloaded = first_page is not None
        self._loading: set[int] = set()
        self._epoch = 0  # bumped on every reload, so answers to an older query are dropped
        self.wanted_id: int | None = None  # to select at the next reload (one a filter change makes)
        self._keep_id: int | None = None
        self._keep_sweep_row = False  # the row kept is a sweep's (else the generation's own)
        self._keep_index: int | None = None  # the row to select at the next reload, when known
        self.expanded: set[str] = set()  # the sweeps listed open, by sweep id
        self.marks = Marks()  # by generation id, apart from the pages: they outlive a reload

    # --- data ---------------------------------------------------------------------------------

    def reload(self, filters: Filters | None = None, *, select_id: int | None = None, select_index: int | None = None) -> None:
        """Re-query (after a search, a filter, or a change to the history); keeps the selected
        generation selected when it is still listed. `select_index`: the row to select
        instead (a sweep opened or closed: the rows above it are the same)."""
        if filters is not None:
            self.filters = filters
            self._highlight = Highlight(filters.text or "")
        current = self.current_row
        gone_to, self.wanted_id = self.wanted_id, None
        wanted = select_id or gone_to
        self._keep_id = wanted if wanted is not None else (current.generation.id if current else None)
        # an open sweep lists its newest call twice: as the sweep's row and beneath it
        self._keep_sweep_row = wanted is None and current is not None and current.sweep is not None
        self._keep_index = select_index
        self._epoch += 1
        self._load_first(self._epoch, self.filters, frozenset(self.expanded), gone_to)

    @in_thread(exclusive=True, group="history-reload")
    def _load_first(self, epoch: int, filters: Filters, expanded: frozenset[str], gone_to: int | None) -> None:
        """`gone_to`: a generation asked for by id; a call of a closed sweep opens it."""
        total = self._count(filters, expanded)
        rows = self._fetch(filters, expanded, 0, PAGE)
        if gone_to is not None and self._sweep_of is not None and not any(row.generation.id == gone_to for row in rows):
            sweep_id = self._sweep_of(gone_to)
            if sweep_id is not None and sweep_id not in expanded and filters == Filters():
                expanded |= {sweep_id}
                total = self._count(filters, expanded)
                rows = self._fetch(filters, expanded, 0, PAGE)
        self.app.call_from_thread(self._apply_first, epoch, total, rows, expanded)

    def _apply_first(self, epoch: int, total: int, rows: list[Listed], expanded: frozenset[str]) -> None:
        if epoch != self._epoch:
            return
        self.expanded = set(expanded)
        self.total = total
        self._pages = {0: rows}
        self._loading.clear()
        self._set_virtual_size()
        index = self._keep_index if self._keep_index is not None and self._keep_index < total else None
        if index is None:
            kept = [i for i, row in enumerate(rows) if row.generation.id == self._keep_id]
            index = next((i for i in kept if (rows[i].sweep is not None) == self._keep_sweep_row), kept[0] if kept else None)
        if index is None:
            index = min(self.cursor, max(0, total - 1))
        self.cursor = index
        self.refresh()
        self._tell()

    def _loaded(self, index: int) -> Listed | None:
        page = self._pages.get(index // PAGE)
        offset = index % PAGE
        return page[offset] if page and offset < len(page) else None

    def _row(self, index: int) -> Listed | None:
        """The row for drawing; asks for its page when it is not loaded yet."""
        if index // PAGE not in self._pages:
            self._request_page(index // PAGE)
        return self._loaded(index)

    def _request_page(self, page: int) -> None:
        if page in self._loading:
            return
        self._loading.add(page)
        self._load_page(self._epoch, self.filters, frozenset(self.expanded), page)

    @in_thread(group="history-page")
    def _load_page(self, epoch: int, filters: Filters, expanded: frozenset[str], page: int) -> None:
        rows = self._fetch(filters, expanded, page * PAGE, PAGE)
        self.app.call_from_thread(self._apply_page, epoch, page, rows)

    def _apply_page(self, epoch: int, page: int, rows: list[Listed]) -> None:
        if epoch != self._epoch:
            return
        self._pages[page] = rows
        self._loading.discard(page)
        self.refresh()
        if self.cursor // PAGE == page:
            self._tell()

    @property
    def current(self) -> Generation | None:
        """The generation of the selected row (a sweep's row: its newest call)."""
        row = self.current_row
        return row.generation if row else None

    @property
    def current_row(self) -> Listed | None:
        return self._loaded(self.cursor) if self.total else None

    # --- drawing ------------------------------------------------------------------------------

    @property
    def lines_per_row(self) -> int:
        """As the list was last laid out (its width decides it, see history_rows)."""
        return self._lines

    def render_line(self, y: int) -> Strip:
        index, line = divmod(self.scroll_offset.y + y, self._lines)
        width = self.scrollable_content_region.width
        if index >= self.total:
            return Strip.blank(width, self.rich_style)
        row = self._row(index)
        base = self.rich_style
        if row is None:
            style = base + self.get_component_rich_style("history--placeholder")
            return Strip([Segment((" …" if line == 0 else "")[:width].ljust(width), style)], width)
        generation = row.generation
        status = row.sweep.status if row.sweep else generation.status
        facts = Style.from_color(self.get_component_rich_style("history--facts").color)
        if index == self.cursor:  # one colour, the cursor's, across the whole row
            base += self.get_component_rich_style("history--cursor")
            facts = Style()
        elif status in ("failed", "interrupted"):
            base += self.get_component_rich_style("history--failed")
        elif status != "done":
            base += self.get_component_rich_style("history--dim")
        style = RowStyle(base, self.get_component_rich_style("history--match", partial=True), facts)
        marked = self.marks.glyph(generation.id) if line == 0 else ""
        return Strip(row_line(generation, width, self.clock(), style, lines=self._lines, line=line, highlight=self._highlight, marked=marked,
                              lead=lead(row), status=status), width)

    def on_mount(self) -> None:
        self.set_interval(AGES_EVERY, self.refresh)
        if self.preloaded:  # read before the app started: shown in the very first frame
            self._set_virtual_size()
            self._tell()

    def on_resize(self) -> None:
        self._lay_out()

    def set_row_mode(self, row_mode: str) -> None:
        """The setting as the config file now says (after a reload)."""
        self.row_mode = row_mode
        self._lay_out()
        self.refresh()

    def _lay_out(self) -> None:
        """A width or a setting that changes the lines per row keeps the same rows in view."""
        before, top = self._lines, self.scroll_offset.y
        self._set_virtual_size()
        if self._lines != before:
            self.scroll_to(y=top // before * self._lines, animate=False, immediate=True)
            self.scroll_to_region_if_needed(self.cursor)

    def _set_virtual_size(self) -> None:
        self._lines = lines_per_row(self.size.width, self.row_mode)
        self.virtual_size = Size(self.size.width, self.total * self._lines)

    # --- movement -----------------------------------------------------------------------------

    def _tell(self) -> None:
        """Posted to the app, its only reader, not bubbled: a bubbled message passes the
        screen, which goes idle and paints the moved cursor a frame before the preview follows
        (46 ms, where one frame is 16: bench_tui.py)."""
        row = self.current_row
        self.app.post_message(self.Highlighted(row.generation if row else None, row))

    def watch_cursor(self, old: int, new: int) -> None:
        if old != new:
            self._tell()
        self.scroll_to_region_if_needed(new)
        self.refresh()

    def scroll_to_region_if_needed(self, index: int) -> None:
        """Scroll just enough to show every line of row `index`."""
        lines = self._lines
        first, top, height = index * lines, self.scroll_offset.y, self.scrollable_content_region.height
        if first < top:
            self.scroll_to(y=first, animate=False)
        elif height and first + lines > top + height:
            self.scroll_to(y=first + lines - height, animate=False)

    def action_move(self, step: int) -> None:
        if self.total:
            self.cursor = max(0, min(self.total - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        """A screenful of rows less one, so the row at the edge stays in view."""
        self.action_move(direction * max(1, self.scrollable_content_region.height // self._lines - 1))

    def action_jump(self, where: int) -> None:
        if self.total:
            self.cursor = self.total - 1 if where < 0 else 0

    def action_open_sweep(self) -> None:
        """A sweep's row: opened, or, open already, the cursor to its first call."""
        row = self.current_row
        if row is None or row.sweep is None:
            return
        sweep_id = row.generation.provenance.sweep_id
        if row.expanded:
            self.action_move(1)
        elif sweep_id:
            self.expanded.add(sweep_id)
            self.reload(select_index=self.cursor)

    def action_close_sweep(self) -> None:
        """An open sweep's row: closed; one of its calls: the cursor up to its row."""
        row = self.current_row
        if row is None:
            return
        if row.member:
            self.cursor = self._sweep_row(self.cursor)
        elif row.expanded and (sweep_id := row.generation.provenance.sweep_id):
            self.expanded.discard(sweep_id)
            self.reload(select_index=self.cursor)

    def _sweep_row(self, index: int) -> int:
        """The row of the sweep whose call is listed at `index` (above it, among loaded rows)."""
        while index > 0:
            index -= 1
            row = self._loaded(index)
            if row is None or not row.member:
                return index
        return index

    def on_click(self, event: Click) -> None:
        index = (self.scroll_offset.y + event.y) // self._lines
        if 0 <= index < self.total:
            self.cursor = index

