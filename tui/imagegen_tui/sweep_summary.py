"""What the TUI shows of a whole sweep: its calls and how they stand, its axes as the history
recorded them, what it cost, and its contact sheets, found beside its first image by the names
sheet.py gives them (a look at a few exact names, never a listing of the folder, which may hold
thousands of images). Blocking (reads the history and a few file headers): call from a thread."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from imagegen_tui.metadata import SHEET_KIND, MetadataError, read_metadata
from imagegen_tui.prices import Price
from imagegen_tui.sheet import sheet_path
from imagegen_tui.store import ACTIVE, Generation


@dataclass(frozen=True)
class SweepSummary:
    sweep_id: str
    members: tuple[Generation, ...]  # in the order they ran
    axes: tuple[tuple[str, tuple[str, ...]], ...]  # each axis and its values, as the cells recorded them
    sheets: tuple[Path, ...]  # the contact sheets that exist, one per value of a third axis
    prompt: str  # the plan's, braces and all, from the sheet; else the first call's

    @property
    def picture(self) -> Path | None:
        """What the preview shows for the sweep: its (first) sheet, else its first image."""
        if self.sheets:
            return self.sheets[0]
        return next((image.path for g in self.members for image in g.images if not image.missing), None)

    def counts(self) -> dict[str, int]:
        """Calls by how they stand: done, failed (or cut off, or cancelled), running (or queued)."""
        done = sum(g.status == "done" for g in self.members)
        running = sum(g.status in ACTIVE for g in self.members)
        return {"done": done, "failed": len(self.members) - done - running, "running": running}

    def images(self) -> int:
        return sum(len(g.images) for g in self.members)

    def tokens(self) -> int | None:
        """Tokens of the calls that reported them; None when none did."""
        known = [g.total_tokens for g in self.members if g.total_tokens is not None]
        return sum(known) if known else None

    def cost(self, prices: Mapping[str, Price]) -> float | None:
        """What the finished calls cost, when every one of them is priced."""
        parts = [g.cost(prices) for g in self.members if g.status == "done"]
        return sum(p for p in parts if p is not None) if parts and None not in parts else None


def summarize(sweep_id: str, members: Sequence[Generation]) -> SweepSummary:
    axes = recorded_axes(members)
    sheets = tuple(path for path in candidate_sheets(sweep_id, members, axes) if _is_sheet(path, sweep_id))
    prompt = _sheet_prompt(sheets[0]) if sheets else None
    return SweepSummary(sweep_id, tuple(members), axes, sheets, prompt or (members[0].prompt if members else ""))


def recorded_axes(members: Sequence[Generation]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each axis with its values in the order the cells ran (the plan's order)."""
    values: dict[str, dict[str, None]] = {}
    for g in members:
        for name, value in (g.provenance.sweep_axes or {}).items():
            values.setdefault(name, {})[value] = None
    return tuple((name, tuple(found)) for name, found in values.items())


def candidate_sheets(sweep_id: str, members: Sequence[Generation], axes: Sequence[tuple[str, tuple[str, ...]]]) -> list[Path]:
    """Where make_sheets put the sheets: next to the first image of the first call that has
    one, one per combination of the values of the axes after the first two that vary."""
    first = next((image.path for g in members if g.status == "done" for image in g.images), None)
    if first is None:
        return []
    z = [(name, values) for name, values in axes if len(values) > 1][2:]
    return [
        sheet_path(first.parent, sweep_id, dict(zip((name for name, _ in z), combination, strict=True)))
        for combination in itertools.product(*(values for _, values in z))
    ]


def _is_sheet(path: Path, sweep_id: str) -> bool:
    """The file there is this sweep's sheet (and not, say, a user's file of that name)."""
    try:
        meta = read_metadata(path)
    except (OSError, MetadataError):
        return False
    return meta is not None and meta.get("kind") == SHEET_KIND and meta.get("sweep_id") == sweep_id


def _sheet_prompt(path: Path) -> str | None:
    try:
        meta = read_metadata(path) or {}
    except (OSError, MetadataError):
        return None
    prompt = meta.get("prompt")
    return prompt if isinstance(prompt, str) else None
