"""`imagegen-tui edit` as a user runs it: real files, the history, the demo server on loopback
(which repaints the first image in the prompt's colours inside the mask and insets the
references), the pixels of the result checked inside and outside the mask."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from conftest import run_cli

SIZE = 256


def picture(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (SIZE, SIZE), colour).save(path)
    return path


def edit(*args: str) -> dict:
    out = run_cli("edit", *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def pixel(path: str, xy: tuple[int, int]) -> tuple[int, ...]:
    with Image.open(path) as image:
        return image.convert("RGB").getpixel(xy)


def test_an_edit_with_two_references_and_a_rect_mask_changes_only_inside_it(dirs, tmp_path):
    base = picture(tmp_path / "grey.png", (128, 128, 128))
    ref1, ref2 = picture(tmp_path / "red.png", (200, 20, 20)), picture(tmp_path / "blue.png", (20, 20, 200))
    done = edit("a golden sky", "--image", str(base), "--image", str(ref1), "--image", str(ref2), "--mask-rect", "0,0,100%,50%", "--size", "1024x1024")
    [result] = done["paths"]
    with Image.open(result) as image:
        assert image.size == (1024, 1024)
    outside = [pixel(result, (x, y)) for x, y in ((20, 1000), (500, 900), (1000, 600))]
    assert all(max(abs(c - 128) for c in p) <= 3 for p in outside), outside  # the grey kept, outside the mask
    inside = [pixel(result, (x, y)) for x, y in ((20, 20), (1000, 300))]
    assert all(max(abs(c - 128) for c in p) > 20 for p in inside), inside  # repainted inside it
    shown = run_cli("history", "show", str(done["id"])).stdout
    assert "from:       grey.png" in shown and "from:       red.png" in shown and "mask:       mask.png" in shown


def test_from_the_history_links_the_edit_and_a_rerun_works_after_the_files_are_gone(dirs, tmp_path):
    first = json.loads(run_cli("generate", "a lighthouse", "--size", "1024x1024", "--json").stdout)
    mask = tmp_path / "painted.png"
    drawing = Image.new("L", (1024, 1024), 0)
    drawing.paste(255, (0, 0, 1024, 300))  # white = change, as painting tools draw
    drawing.save(mask)
    out = run_cli("edit", "a stormy sky", "--from", f"{first['id']}:1", "--mask", str(mask), "--json")
    assert out.returncode == 0, out.stderr
    assert "its white areas were made transparent" in out.stderr  # the conversion is said
    edited = json.loads(out.stdout)
    tree = run_cli("history", "tree", str(first["id"]), "--json")
    parents = {g["id"]: g["parents"] for g in json.loads(tree.stdout)["generations"]}
    assert parents[edited["id"]] == [{"id": first["id"], "how": "edit"}]
    Path(first["paths"][0]).unlink()
    mask.unlink()
    again = run_cli("history", "rerun", str(edited["id"]), "--json")
    assert again.returncode == 0, again.stderr  # from the kept copies
    rerun = json.loads(again.stdout)
    shown = json.loads(run_cli("history", "show", str(rerun["id"]), "--json").stdout)
    assert shown["kind"] == "edit" and shown["parent_id"] == edited["id"]
    assert [(s["role"], s.get("generation_id")) for s in shown["sources"]] == [("image", first["id"]), ("mask", None)]


def test_what_cannot_be_sent_is_refused_before_anything_is(dirs, tmp_path):
    base = picture(tmp_path / "base.png", (90, 90, 90))
    small_mask = tmp_path / "small.png"
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(small_mask)
    cases = {
        ("--image", str(base), "--mask", str(small_mask)): "the mask is 64x64 but the first image is 256x256",
        ("--image", str(base), "--mask", str(small_mask), "--mask-rect", "0,0,10,10"): "give one or the other",
        (): "an edit needs an image",
        ("--from", "999"): "no generation #999",
        ("--image", str(tmp_path / "nowhere.png")): "nowhere.png",
        ("--image", str(base), "--mask-rect", "a,b"): "rect 'a,b': expected X,Y,W,H",
    }
    for args, said in cases.items():
        out = run_cli("edit", "a fox", *args, "--json")
        assert out.returncode == 2, (args, out.stderr)
        assert said in json.loads(out.stdout)["error"]["message"], (args, out.stdout)
    assert json.loads(run_cli("history", "list", "--json").stdout)["total"] == 0
