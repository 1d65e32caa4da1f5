"""The images marked for comparing: whole generations (space in the history) and single images
(space in the preview), in the order marked. Kept by generation id, apart from the history's
loaded pages, so a mark outlives scrolling, paging, a search and a reload."""

from __future__ import annotations

from collections.abc import Iterator

from imagegen_tui.compare import Pick

WHOLE, IMAGE = "●", "◆"  # the history's mark column: a generation marked, or some of its images


class Marks:
    def __init__(self) -> None:
        self._picks: dict[Pick, None] = {}  # insertion-ordered: compared in the order marked

    def __len__(self) -> int:
        return len(self._picks)

    def __iter__(self) -> Iterator[Pick]:
        return iter(list(self._picks))

    def toggle(self, pick: Pick) -> bool:
        """Marked now? A generation already marked in any way (whole, or some of its images)
        is unmarked altogether by a whole-generation toggle."""
        if pick.index is None and self.glyph(pick.generation_id):
            self.forget(pick.generation_id)
            return False
        if pick in self._picks:
            del self._picks[pick]
            return False
        self._picks[pick] = None
        return True

    def forget(self, generation_id: int) -> None:
        for pick in [p for p in self._picks if p.generation_id == generation_id]:
            del self._picks[pick]

    def clear(self) -> None:
        self._picks.clear()

    def glyph(self, generation_id: int) -> str:
        """What the history's mark column shows for a generation: WHOLE, IMAGE or nothing."""
        if Pick(generation_id) in self._picks:
            return WHOLE
        return IMAGE if any(p.generation_id == generation_id for p in self._picks) else ""
