"""The history list: a line-API widget that asks the store only for the pages on screen, so it
opens as fast with 100,000 generations as with ten. Pages load in a thread; a row not loaded yet
shows as a placeholder for the few milliseconds that takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.cells import set_cell_size
from rich.segment import Segment
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from imagegen_tui.store import Filters, Generation
from imagegen_tui.textsafe import one_line
from imagegen_tui.ui.workers import in_thread

PAGE = 100
ICONS = {"done": "✓", "failed": "✗", "running": "◐", "queued": "…", "cancelled": "⊘", "interrupted": "⚠"}

Fetch = Callable[[Filters, int, int], list[Generation]]
Count = Callable[[Filters], int]


class HistoryList(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"history--cursor", "history--failed", "history--dim", "history--placeholder"}
    DEFAULT_CSS = """
    HistoryList > .history--cursor { background: $accent 40%; text-style: bold; }
    HistoryList:focus > .history--cursor { background: $accent; }
    HistoryList > .history--failed { color: $error; }
    HistoryList > .history--dim { color: $text-muted; }
    HistoryList > .history--placeholder { color: $text-disabled; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False, id="history.up"),
        Binding("down", "move(1)", "Down", show=False, id="history.down"),
        Binding("pageup", "page(-1)", show=False, id="history.page_up"),
        Binding("pagedown", "page(1)", show=False, id="history.page_down"),
        Binding("home", "jump(0)", show=False, id="history.first"),
        Binding("end", "jump(-1)", show=False, id="history.last"),
    ]

    cursor: reactive[int] = reactive(0)

    @dataclass
    class Highlighted(Message):
        generation: Generation | None

    def __init__(self, fetch: Fetch, count: Count, first_page: tuple[int, list[Generation]] | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._fetch, self._count = fetch, count
        self.filters = Filters()
        self.total, rows = first_page or (0, [])
        self._pages: dict[int, list[Generation]] = {0: rows} if first_page else {}
        self.preloaded = first_page is not None
        self._loading: set[int] = set()
        self._epoch = 0  # bumped on every reload, so answers to an older query are dropped
        self.wanted_id: int | None = None  # to select at the next reload (one a filter change makes)
        self._keep_id: int | None = None

    # --- data ---------------------------------------------------------------------------------

    def reload(self, filters: Filters | None = None, *, select_id: int | None = None) -> None:
        """Re-query (after a search, a filter, or a change to the history); keeps the selected
        generation selected when it is still listed."""
        if filters is not None:
            self.filters = filters
        current = self.current
        wanted, self.wanted_id = select_id or self.wanted_id, None
        self._keep_id = wanted if wanted is not None else (current.id if current else None)
        self._epoch += 1
        self._load_first(self._epoch, self.filters)

    @in_thread(exclusive=True, group="history-reload")
    def _load_first(self, epoch: int, filters: Filters) -> None:
        total = self._count(filters)
        rows = self._fetch(filters, 0, PAGE)
        self.app.call_from_thread(self._apply_first, epoch, total, rows)

    def _apply_first(self, epoch: int, total: int, rows: list[Generation]) -> None:
        if epoch != self._epoch:
            return
        self.total = total
        self._pages = {0: rows}
        self._loading.clear()
        self.virtual_size = Size(self.size.width, total)
        index = next((i for i, g in enumerate(rows) if g.id == self._keep_id), None)
        if index is None:
            index = min(self.cursor, max(0, total - 1))
        self.cursor = index
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def _loaded(self, index: int) -> Generation | None:
        page = self._pages.get(index // PAGE)
        offset = index % PAGE
        return page[offset] if page and offset < len(page) else None

    def _row(self, index: int) -> Generation | None:
        """The row for drawing; asks for its page when it is not loaded yet."""
        if index // PAGE not in self._pages:
            self._request_page(index // PAGE)
        return self._loaded(index)

    def _request_page(self, page: int) -> None:
        if page in self._loading:
            return
        self._loading.add(page)
        self._load_page(self._epoch, self.filters, page)

    @in_thread(group="history-page")
    def _load_page(self, epoch: int, filters: Filters, page: int) -> None:
        rows = self._fetch(filters, page * PAGE, PAGE)
        self.app.call_from_thread(self._apply_page, epoch, page, rows)

    def _apply_page(self, epoch: int, page: int, rows: list[Generation]) -> None:
        if epoch != self._epoch:
            return
        self._pages[page] = rows
        self._loading.discard(page)
        self.refresh()
        if self.cursor // PAGE == page:
            self.post_message(self.Highlighted(self.current))

    @property
    def current(self) -> Generation | None:
        return self._loaded(self.cursor) if self.total else None

    # --- drawing ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        if index >= self.total:
            return Strip.blank(width, self.rich_style)
        generation = self._row(index)
        base = self.rich_style
        if generation is None:
            style = base + self.get_component_rich_style("history--placeholder")
            return Strip([Segment(" …".ljust(width), style)], width)
        if index == self.cursor:
            style = base + self.get_component_rich_style("history--cursor")
        elif generation.status in ("failed", "interrupted"):
            style = base + self.get_component_rich_style("history--failed")
        elif generation.status != "done":
            style = base + self.get_component_rich_style("history--dim")
        else:
            style = base
        return Strip([Segment(format_row(generation, width), style)], width)

    def on_mount(self) -> None:
        if self.preloaded:  # read before the app started: shown in the very first frame
            self.virtual_size = Size(self.size.width, self.total)
            self.post_message(self.Highlighted(self.current))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.total)

    # --- movement -----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_region_if_needed(new)
        self.refresh()
        if old != new:
            self.post_message(self.Highlighted(self.current))

    def scroll_to_region_if_needed(self, index: int) -> None:
        top, height = self.scroll_offset.y, self.size.height
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif height and index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def action_move(self, step: int) -> None:
        if self.total:
            self.cursor = max(0, min(self.total - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 1))

    def action_jump(self, where: int) -> None:
        if self.total:
            self.cursor = self.total - 1 if where < 0 else 0

    def on_click(self, event: Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < self.total:
            self.cursor = index


def format_row(g: Generation, width: int) -> str:
    """`✓★ 11-24 14:02  a lighthouse at dusk…   gpt-image-2 1536x1024 ×4`"""
    when = datetime.fromtimestamp(g.created_at).strftime("%m-%d %H:%M")
    icon = ICONS.get(g.status, "?")
    star = "★" if g.favourite else " "
    tail = " " + one_line(f"{g.model} {g.size or 'auto'} ×{g.n}")
    head = f"{icon}{star} {when}  "
    prompt = one_line(g.prompt)
    room = width - len(head) - len(tail) - 1
    if room < 12:  # narrow: drop the model details first
        tail = f" ×{g.n}"
        room = width - len(head) - len(tail) - 1
    if len(prompt) > room:
        prompt = prompt[: max(0, room - 1)] + "…"
    return set_cell_size(head + prompt.ljust(max(0, room)) + " " + tail, width)

