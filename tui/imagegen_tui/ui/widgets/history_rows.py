"""How one generation reads in the history list: status, favourite, age and prompt, with model,
size and n where there is room, on one line or, in a narrow list, on two (the prompt on a line of
its own, the facts dimmed below it).

The prompt is what a person knows a generation by, so it gets every cell the rest leaves. The
functions here are pure (rich Segments, no Textual) and do only what the visible cells need:
the list's render_line calls them for every line of every frame. Widths are in terminal cells
(CJK and emoji take two) and every line is exactly as wide as asked, however narrow.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style

from imagegen_tui.store import Generation, Listed, query_words
from imagegen_tui.sweep import axes_label
from imagegen_tui.textsafe import one_line

ICONS = {"done": "✓", "failed": "✗", "running": "◐", "queued": "…", "cancelled": "⊘", "interrupted": "⚠"}

AGE = 5  # cells for the age: "now", "59m", "23h", "6d", "11-24", "2025"
HEAD = 4 + AGE + 1  # "●✓★ " (the mark column, status, favourite) + the age, right-aligned + " "
INDENT = 4  # a two-line row: "●✓★ " before the prompt, and as much before the facts under it
MIN_PROMPT = 32  # "auto" turns to two lines where one line would leave the prompt fewer cells
SCROLLBAR = 1  # cells of the list's vertical scrollbar (its CSS is made with it)
TWO_LINES_BELOW = HEAD + MIN_PROMPT + SCROLLBAR  # the list's width, in cells
FACTS_AFTER = 50  # a one-line row adds n, size and model on the right while the prompt keeps this many cells
# the right-hand columns of a wide one-line row, in the order they are given room (the model
# is the first dropped, then the size); their cells
COLUMNS = (("n", 3), ("size", 9), ("model", 12))


def lines_per_row(width: int, mode: str) -> int:
    """Two lines for "two", and for "auto" in a list too narrow to give the prompt MIN_PROMPT
    cells beside the rest."""
    return 2 if mode == "two" or (mode == "auto" and width < TWO_LINES_BELOW) else 1


def age(created_at: float, now: float) -> str:
    """How long ago, in at most AGE cells: "now", "5m", "3h", "2d" for the first week (elapsed
    time, as lazygit counts it), then the local date "11-24", and only the year past a year.
    A time ahead of the clock (another machine's) shows as its date."""
    elapsed = now - created_at
    if -60 < elapsed < 60:
        return "now"
    if 0 < elapsed < 3600:
        return f"{int(elapsed // 60)}m"
    if 0 < elapsed < 86400:
        return f"{int(elapsed // 3600)}h"
    if 0 < elapsed < 7 * 86400:
        return f"{int(elapsed // 86400)}d"
    local = time.localtime(created_at)
    return time.strftime("%m-%d" if abs(elapsed) < 365 * 86400 else "%Y", local)


def as_of(seen: float, now: float) -> str:
    """When a remembered value was heard: its time when that was today ("as of 14:02"), else its
    age as the history's rows say ages ("as of 3d ago", "as of 11-24")."""
    if time.localtime(seen)[:3] == time.localtime(now)[:3]:
        return time.strftime("as of %H:%M", time.localtime(seen))
    ago = age(seen, now)
    return f"as of {ago} ago" if ago[-1] in "mhd" else f"as of {ago}"


@lru_cache(maxsize=4096)
def _base_letter(char: str) -> str:
    """"é" → "e"; a letter that decomposes into more than marks (Hangul) stays whole."""
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0] if len(decomposed) > 1 and all(map(unicodedata.combining, decomposed[1:])) else char


def _fold(text: str) -> str:
    """Accents taken off letter by letter, so "café" matches "cafe" as the search's index does
    (remove_diacritics), and a match's place is the same in the text shown."""
    return text if text.isascii() else "".join(map(_base_letter, text))


class Highlight:
    """The search's words where they are in a prompt as the history's full-text search finds
    them: at the start of a word, case- and accent-blind."""

    def __init__(self, query: str) -> None:
        words = sorted({_fold(word) for word in query_words(query)}, key=len, reverse=True)
        # a word starts after anything but a letter or digit (the index splits "sea_shells" too)
        self._pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, words)) + ")", re.IGNORECASE) if words else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the words are in `text`, as (start, end) character offsets."""
        if self._pattern is None:
            return []
        return [match.span() for match in self._pattern.finditer(_fold(text))]


NO_HIGHLIGHT = Highlight("")


@dataclass(frozen=True)
class RowStyle:
    text: Style  # the row's own: the cursor's, a failure's, a waiting job's, or the list's
    match: Style  # added to the search's words in the prompt
    facts: Style  # added to the age, model, size and n


def lead(row: Listed) -> str:
    """What goes before the prompt: a sweep's row says it is one (▸ closed, ▾ open) and how
    many of its calls are done; a call listed under its sweep is indented, with its axes."""
    if row.sweep is not None:
        counts = row.sweep
        done = f"of {counts.calls}" if counts.done == counts.calls else f"{counts.done}/{counts.calls} done"
        return f"{'▾' if row.expanded else '▸'} sweep {done} · "
    if row.member:
        return f"  {'└' if row.last else '├'} {one_line(axes_label(row.generation.provenance.sweep_axes or {}))} · "
    return ""


def row_line(
    g: Generation, width: int, now: float, style: RowStyle, *, lines: int = 1, line: int = 0, highlight: Highlight = NO_HIGHLIGHT,
    marked: str = "", lead: str = "", status: str | None = None,
) -> list[Segment]:
    """Line `line` of `g`'s row, `width` cells wide: ` ✓★   3h a lighthouse at dusk…  ×4`, or
    ` ✓★ a lighthouse at dusk, oil painting…` over `    3h · gpt-image-2 · 1536x1024 · ×4`.
    `marked`: the one-cell glyph of the mark column (ui/marks.py), or "" for none; `lead`: put
    before the prompt (see lead()); `status`: shown instead of g's (a sweep's)."""
    mark = (marked or " ") + ICONS.get(status or g.status, "?") + ("★" if g.favourite else " ") + " "
    if lines == 2 and line == 1:
        facts = _crop(" " * INDENT + _facts(g, now, width - INDENT), width)
        return [Segment(_pad(facts, width), style.text + style.facts)]
    if lines == 2:
        segments = [Segment(mark, style.text), *_prompt(g.prompt, width - INDENT, style, highlight, lead)]
        return segments if width > INDENT else _fit(segments, width, style.text)
    columns = _columns(width)
    tail = "".join(" " + _column(g, name, cells) for name, cells in columns)
    room = width - HEAD - sum(cells + 1 for _, cells in columns)
    head = [Segment(mark, style.text), Segment(age(g.created_at, now).rjust(AGE) + " ", style.text + style.facts)]
    segments = [*head, *_prompt(g.prompt, room, style, highlight, lead), Segment(tail, style.text + style.facts)]
    return segments if room > 0 else _fit(segments, width, style.text)


def _columns(width: int) -> list[tuple[str, int]]:
    """Which right-hand columns fit, by the list's width alone, so they line up row under row."""
    shown: list[tuple[str, int]] = []
    room = width - HEAD
    for name, cells in COLUMNS:
        if room - (cells + 1) < FACTS_AFTER:
            break
        shown.append((name, cells))
        room -= cells + 1
    return shown[::-1]  # shown as model, size, n


def _column(g: Generation, name: str, cells: int) -> str:
    if name == "n":
        return _pad(f"×{g.n}" if g.n > 1 else "", cells, right=True)
    if name == "size":
        return _pad(_shorten(one_line(g.size or "auto"), cells), cells, right=True)
    return _pad(_shorten(one_line(g.model), cells), cells)


def _facts(g: Generation, now: float, room: int) -> str:
    """`3h · gpt-image-2 · 1536x1024 · ×4` in `room` cells: the model is shortened, then left
    out, before the size, and the size before the age and n."""
    n = [f"×{g.n}"] if g.n > 1 else []
    facts = [age(g.created_at, now), *n]
    size = one_line(g.size or "auto")
    if cell_len(" · ".join([*facts, size])) <= room:
        facts.insert(1, size)
        left = room - cell_len(" · ".join(facts)) - 3
        if left >= 4:
            facts.insert(1, _shorten(one_line(g.model), left))
    return " · ".join(facts)


def _prompt(prompt: str, room: int, style: RowStyle, highlight: Highlight, lead: str = "") -> list[Segment]:
    """The prompt on one line in exactly `room` cells, cut with "…", the search's words marked;
    `lead` before it, in the facts' colour, cut first where the room is short."""
    if room <= 0:
        return []
    if lead:
        shown_lead = _crop(lead, room)
        return [Segment(shown_lead, style.text + style.facts), *_prompt(prompt, room - cell_len(shown_lead), style, highlight)]
    limit = 4 * room + 16  # enough to fill the room: no need to fold a 30,000-character prompt
    shown = one_line(prompt[:limit])
    rest = prompt[limit:]
    cut = _crop(shown, room)
    more = "…" if cut != shown or (rest and not rest.isspace()) else ""
    if more:
        cut = _crop(shown, room - 1)
    segments = _marked(cut, highlight.spans(shown), style) if highlight else [Segment(cut, style.text)]
    return [*segments, Segment(more.ljust(room - cell_len(cut)), style.text)]


def _marked(text: str, spans: list[tuple[int, int]], style: RowStyle) -> list[Segment]:
    """`text` with the spans in the match style; a span running past its end is cut there."""
    segments: list[Segment] = []
    done = 0
    for start, end in spans:
        end = min(end, len(text))
        if start >= end:
            break
        if start > done:
            segments.append(Segment(text[done:start], style.text))
        segments.append(Segment(text[start:end], style.text + style.match))
        done = end
    if done < len(text):
        segments.append(Segment(text[done:], style.text))
    return segments


def _shorten(text: str, cells: int) -> str:
    """`text` in at most `cells` cells, cut with "…"."""
    return text if cell_len(text) <= cells else _crop(text, cells - 1) + "…"


def _pad(text: str, cells: int, *, right: bool = False) -> str:
    padding = " " * max(0, cells - cell_len(text))
    return padding + text if right else text + padding


def _crop(text: str, cells: int) -> str:
    """The longest start of `text` that fits in `cells` (a wide character is never halved)."""
    if text.isascii():
        return text[:cells]
    used = 0
    for index, char in enumerate(text):
        used += get_character_cell_size(char)
        if used > cells:
            return text[:index]
    return text


def _fit(segments: list[Segment], width: int, style: Style) -> list[Segment]:
    """Exactly `width` cells, for a list narrower than a row's fixed parts (the other lines
    are made exactly as wide, without counting their cells again)."""
    return Segment.adjust_line_length(segments, width, style)
