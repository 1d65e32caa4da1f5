"""A sweep as the TUI's preview shows it, read from a real history: its contact sheets found by
their names beside its first image (with a third axis, one per value; a file of that name that is
no sheet of this sweep passed over), the planned prompt read from the sheet, counts and cost."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from imagegen_tui.prices import Price
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import Usage
from imagegen_tui.saving import SavedImage
from imagegen_tui.sheet import cells_from_history, make_sheets
from imagegen_tui.store import HistoryStore, Provenance
from imagegen_tui.sweep import Axis
from imagegen_tui.sweep_summary import summarize

AXES = (Axis("{1}", ("red", "blue")), Axis("quality", ("low", "high")), Axis("size", ("1024x1024", "1536x1024")))


def run_sweep(store: HistoryStore, folder: Path) -> list[int]:
    """Eight calls of a three-axis sweep; the last one failed."""
    ids = []
    for colour in AXES[0].values:
        for quality in AXES[1].values:
            for size in AXES[2].values:
                axes = {"{1}": colour, "quality": quality, "size": size}
                gen_id = store.begin(f"u{len(ids)}", ImageRequest(prompt=f"a {colour} fox", model="gpt-image-2", quality=quality, size=size), "demo", "demo",
                                     provenance=Provenance(sweep_id="sw1", sweep_axes=axes))
                if len(ids) == 7:
                    store.fail(gen_id, "server", "500")
                else:
                    path = folder / f"{len(ids)}.png"
                    Image.new("RGB", (32, 32), (200, 40, 40)).save(path)
                    store.complete(gen_id, [SavedImage(path, 1, 32, 32, "png", 100)], Usage(10, 100, 110, 10, 0), elapsed=1.0, request_id=None)
                ids.append(gen_id)
    return ids


def test_the_sheets_are_found_by_name_with_the_planned_prompt(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        run_sweep(store, tmp_path)
        members = store.sweep_members("sw1")
        before = summarize("sw1", members)
        assert before.sheets == () and before.picture == tmp_path / "0.png" and before.prompt == "a red fox"
        sheets = make_sheets("sw1", "a {red|blue} fox", AXES, cells_from_history(members), thumb=32)
        summary = summarize("sw1", members)
        assert summary.sheets == tuple(sheets) and [p.name for p in sheets] == ["sweep-sw1-size=1024x1024.png", "sweep-sw1-size=1536x1024.png"]
        assert summary.picture == sheets[0] and summary.prompt == "a {red|blue} fox"
        assert summary.axes == (("{1}", ("red", "blue")), ("quality", ("low", "high")), ("size", ("1024x1024", "1536x1024")))
        assert summary.counts() == {"done": 7, "failed": 1, "running": 0} and summary.images() == 7
        assert summary.tokens() == 7 * 110
        assert summary.cost({"gpt-image-2": Price(per_image=0.5)}) == 3.5 and summary.cost({}) is None


def test_a_file_of_the_sheet_s_name_that_is_no_sheet_of_this_sweep_is_passed_over(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        run_sweep(store, tmp_path)
        members = store.sweep_members("sw1")
        for name in ("sweep-sw1-size=1024x1024.png", "sweep-sw1-size=1536x1024.png"):
            Image.new("RGB", (8, 8)).save(tmp_path / name)  # a user's own picture
        assert summarize("sw1", members).sheets == ()
        other = make_sheets("other", "x", AXES, cells_from_history(members), thumb=32)
        other[0].replace(tmp_path / "sweep-sw1-size=1024x1024.png")  # another sweep's sheet, renamed
        assert summarize("sw1", members).sheets == () and summarize("other", members).sheets == (other[1],)
