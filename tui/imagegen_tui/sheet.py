"""A sweep's contact sheet: one PNG with its images in a grid, the first varying axis across
(columns), the second down (rows); each value of any further axes gets a sheet of its own.

A sheet is no generation: nothing was paid for it, so it is never recorded in the history, and
its embedded settings say `kind: contact-sheet` (history import passes over it). It is saved
next to the sweep's first image as `sweep-ID.png` (`sweep-ID-NAME=VALUE.png` for each value of
a third axis), where a person, or the TUI, finds it beside the images it shows. Blocking
(decoding, drawing, writing): run it in a worker thread."""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from imagegen_tui import __version__
from imagegen_tui.metadata import SHEET_KIND, embed_png_json
from imagegen_tui.naming import contained_path
from imagegen_tui.saving import write_new_file
from imagegen_tui.store import Generation
from imagegen_tui.sweep import Axis

THUMB = 256  # pixels: the longer side of each image on the sheet
PAD = 8
FONT_SIZE = 15
FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf")
BACKGROUND, EMPTY, INK, FAINT = (250, 250, 250), (225, 225, 225), (20, 20, 20), (110, 110, 110)


@dataclass(frozen=True)
class SheetCell:
    """One cell of the sweep as it ended: its value on each axis, its history id, and its
    images (none when it failed)."""

    axes: Mapping[str, str]
    paths: tuple[Path, ...]
    history_id: int | None = None


def cells_from_history(members: Sequence[Generation]) -> list[SheetCell]:
    """A sweep's cells as its history rows recorded them; a cell that did not finish, or whose
    files are gone, has no images."""
    return [
        SheetCell(dict(g.provenance.sweep_axes or {}), tuple(i.path for i in g.images if g.status == "done" and not i.missing), g.id)
        for g in members
    ]


def make_sheets(sweep_id: str, prompt: str, axes: Sequence[Axis], cells: Sequence[SheetCell], *, thumb: int = THUMB) -> list[Path]:
    """The sheets of a sweep, saved next to its first image; none when no cell has one."""
    first = next((cell.paths[0] for cell in cells if cell.paths), None)
    if first is None:
        return []
    varying = [axis for axis in axes if len(axis.values) > 1]
    x = varying[0] if varying else None
    y = varying[1] if len(varying) > 1 else None
    z = varying[2:]
    saved = []
    for z_values in itertools.product(*(axis.values for axis in z)):
        where = dict(zip((axis.name for axis in z), z_values, strict=True))
        mine = [cell for cell in cells if all(cell.axes.get(name) == value for name, value in where.items())]
        data = _draw(sweep_id, prompt, x, y, where, mine, thumb)
        saved.append(write_new_file(sheet_path(first.parent, sweep_id, where), data))
    return saved


def sheet_path(folder: Path, sweep_id: str, where: Mapping[str, str]) -> Path:
    """The sheet's name for the values `where` of the axes after the first two: what the TUI
    looks for (sweep_summary.py). A name already taken gets -2, -3 … (write_new_file)."""
    suffix = "".join(f"-{name}={value}" for name, value in where.items())
    return contained_path(folder, _safe(f"sweep-{sweep_id}{suffix}"), "png")


def _draw(sweep_id: str, prompt: str, x: Axis | None, y: Axis | None, where: Mapping[str, str], cells: Sequence[SheetCell], thumb: int) -> bytes:
    from PIL import Image, ImageDraw

    font = _font()
    columns = x.values if x else ("",)
    rows = y.values if y else ("",)
    per_cell = max((len(cell.paths) for cell in cells), default=1) or 1
    cell_w, cell_h = thumb * per_cell + PAD * (per_cell - 1), thumb
    line = FONT_SIZE + PAD
    title = [f"sweep {sweep_id}: {prompt}"] + [_label(name, value) for name, value in where.items()]
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    row_labels = [_label(y.name, value) if y else "" for value in rows]
    left = PAD + (math.ceil(max(measure.textlength(text, font=font) for text in row_labels)) + PAD if y else 0)
    left = min(left, thumb + PAD)  # a long label is cut, not the grid pushed aside
    top = PAD + line * len(title) + (line if x else 0)
    width = left + len(columns) * (cell_w + PAD)
    height = top + len(rows) * (cell_h + PAD)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for number, text in enumerate(title):
        draw.text((PAD, PAD + number * line), _fit(draw, text, width - 2 * PAD, font), fill=INK, font=font)
    placed: list[dict[str, Any]] = []
    for col, value in enumerate(columns):
        if x:
            draw.text((left + col * (cell_w + PAD), top - line), _fit(draw, _label(x.name, value), cell_w, font), fill=INK, font=font)
    for row, value in enumerate(rows):
        if y:
            draw.text((PAD, top + row * (cell_h + PAD) + thumb // 2 - FONT_SIZE // 2), _fit(draw, _label(y.name, value), left - 2 * PAD, font), fill=INK, font=font)
        for col, column in enumerate(columns):
            at = (left + col * (cell_w + PAD), top + row * (cell_h + PAD))
            cell = next((c for c in cells if (not x or c.axes.get(x.name) == column) and (not y or c.axes.get(y.name) == value)), None)
            _paste(sheet, draw, cell, at, thumb, font)
            if cell is not None:
                placed.append({"column": col, "row": row, "axes": dict(cell.axes), "history_id": cell.history_id, "paths": [str(p) for p in cell.paths]})
    meta = {
        "app": "imagegen-tui", "version": __version__, "kind": SHEET_KIND, "sweep_id": sweep_id, "prompt": prompt,
        "x": x.name if x else None, "y": y.name if y else None, "z": dict(where),
        "columns": list(columns) if x else [], "rows": list(rows) if y else [],
        "origin": [left, top], "cell": [cell_w, cell_h], "gap": PAD, "cells": placed,
    }
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=False)
    return embed_png_json(out.getvalue(), meta)


def _paste(sheet: Any, draw: Any, cell: SheetCell | None, at: tuple[int, int], thumb: int, font: Any) -> None:
    """The cell's images side by side, each fitted into a thumb-sized square; a cell without
    images (it failed, or its files are gone) is a grey square saying so."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    left, top = at
    paths = cell.paths if cell else ()
    if not paths:
        draw.rectangle((left, top, left + thumb - 1, top + thumb - 1), fill=EMPTY)
        draw.text((left + PAD, top + thumb // 2 - FONT_SIZE // 2), "failed" if cell else "not run", fill=FAINT, font=font)
        return
    for number, path in enumerate(paths):
        x = left + number * (thumb + PAD)
        try:
            with Image.open(path) as image:
                image.draft("RGB", (thumb, thumb))  # JPEG: decode at a fraction of full size
                small = ImageOps.contain(image.convert("RGBA"), (thumb, thumb))
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
            draw.rectangle((x, top, x + thumb - 1, top + thumb - 1), fill=EMPTY)
            draw.text((x + PAD, top + thumb // 2 - FONT_SIZE // 2), "unreadable", fill=FAINT, font=font)
            continue
        offset = (x + (thumb - small.width) // 2, top + (thumb - small.height) // 2)
        sheet.paste(small, offset, small)


def _label(name: str, value: str) -> str:
    return f"{name}: {value if value else '(none)'}"


def _fit(draw: Any, text: str, width: int, font: Any) -> str:
    """`text` on one line, cut with an ellipsis to fit `width` pixels."""
    text = " ".join(text.split())
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _safe(stem: str) -> str:
    """A file name from axis values, which may hold anything a prompt does."""
    kept = "".join(char if char.isalnum() or char in "-_=.x" else "_" for char in stem)
    return kept[:120].strip(".") or "sweep"


@lru_cache(maxsize=1)
def _font() -> Any:
    from PIL import ImageFont

    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, FONT_SIZE)
        except OSError:
            continue
    return ImageFont.load_default(FONT_SIZE)
