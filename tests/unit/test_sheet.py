"""Contact sheets: the grid's geometry, a sheet per value of a third axis, failed cells shown as
such, and labels that never push the grid aside."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from imagegen_tui.metadata import read_metadata
from imagegen_tui.sheet import EMPTY, SheetCell, make_sheets
from imagegen_tui.sweep import Axis

COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220)}


def picture(folder: Path, name: str, colour: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> Path:
    path = folder / f"{name}.png"
    Image.new("RGB", size, colour).save(path)
    return path


def test_three_axes_make_a_sheet_per_third_axis_value_with_failed_cells_grey(tmp_path):
    axes = (Axis("{1}", ("red", "blue")), Axis("quality", ("low", "high")), Axis("size", ("1024x1024", "1536x1024")))
    cells = []
    for colour in ("red", "blue"):
        for quality in ("low", "high"):
            for size in ("1024x1024", "1536x1024"):
                failed = (colour, quality, size) == ("blue", "high", "1536x1024")
                paths = () if failed else (picture(tmp_path, f"{colour}-{quality}-{size}", COLOURS[colour]),)
                cells.append(SheetCell({"{1}": colour, "quality": quality, "size": size}, paths, len(cells) + 1))
    sheets = make_sheets("abc123", "a {red|blue} fox", axes, cells, thumb=64)
    assert [path.name for path in sheets] == ["sweep-abc123-size=1024x1024.png", "sweep-abc123-size=1536x1024.png"]
    assert all(path.parent == tmp_path for path in sheets)
    for path, size in zip(sheets, ("1024x1024", "1536x1024"), strict=True):
        meta = read_metadata(path)
        assert meta["z"] == {"size": size} and (meta["x"], meta["y"]) == ("{1}", "quality")
        assert len(meta["cells"]) == 4 and all(cell["axes"]["size"] == size for cell in meta["cells"])
        (left, top), (cell_w, cell_h), gap = meta["origin"], meta["cell"], meta["gap"]
        with Image.open(path) as sheet:
            sheet = sheet.convert("RGB")
        assert sheet.size == (left + 2 * (cell_w + gap), top + 2 * (cell_h + gap))
        for cell in meta["cells"]:
            x, y = left + cell["column"] * (cell_w + gap), top + cell["row"] * (cell_h + gap)
            if cell["paths"]:  # the picture, fitted and centred in its square
                assert sheet.getpixel((x + cell_w // 2, y + cell_h // 2)) == COLOURS[cell["axes"]["{1}"]], cell
            else:  # a grey square, its corner clear of the "failed" text
                assert sheet.getpixel((x + 3, y + 3)) == EMPTY, cell
    assert [c["paths"] for c in read_metadata(sheets[1])["cells"] if c["axes"]["{1}"] == "blue" and c["axes"]["quality"] == "high"] == [[]]


def test_one_axis_is_one_row_and_long_labels_are_cut(tmp_path):
    long = "a very long choice " * 20
    axes = (Axis("{1}", ("red", long)),)
    cells = [SheetCell({"{1}": "red"}, (picture(tmp_path, "r", COLOURS["red"]),)), SheetCell({"{1}": long}, (picture(tmp_path, "b", COLOURS["blue"]),))]
    [path] = make_sheets("s1", "a {red|…} fox", axes, cells, thumb=64)
    meta = read_metadata(path)
    assert meta["rows"] == [] and meta["y"] is None and meta["columns"] == ["red", long]
    with Image.open(path) as sheet:
        assert sheet.size == (meta["origin"][0] + 2 * (meta["cell"][0] + meta["gap"]), meta["origin"][1] + meta["cell"][1] + meta["gap"])


def test_no_image_at_all_makes_no_sheet(tmp_path):
    assert make_sheets("s2", "a {a|b} fox", (Axis("{1}", ("a", "b")),), [SheetCell({"{1}": "a"}, ()), SheetCell({"{1}": "b"}, ())]) == []
