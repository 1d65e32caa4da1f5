from datetime import datetime
from pathlib import Path

import pytest

from imagegen_tui.naming import check_template, contained_path, render_stem, slugify

WHEN = datetime(2026, 11, 24, 9, 5, 3)
HOSTILE = [
    "../../etc/passwd",
    "/absolute/path",
    "..",
    "a/b\\c",
    "nul\x00byte",
    "control\x1b[31mchars\r\n",
    "CON",
    "lpt1",
    "x" * 10_000,
    "🦊🔥🌈",
    "שלום עולם",  # right-to-left
    "\u202egnp.exe",  # right-to-left override
    "café crème brûlée",
    "   ",
    ".hidden",
    "~/home",
]


@pytest.mark.parametrize("prompt", HOSTILE)
def test_hostile_prompts_stay_inside_folder(tmp_path: Path, prompt):
    stem = render_stem("{date}/{time}-{slug}-{index}", prompt=prompt, index=1, model="../gpt", profile="a/b", gen_id="x", when=WHEN)
    path = contained_path(tmp_path, stem, "png")
    assert path.parent == tmp_path.resolve() / "2026-11-24"
    name = path.name
    assert len(name.encode()) < 100
    assert all(ch.isascii() and (ch.isalnum() or ch in "-.") for ch in name), name
    assert not name.startswith(".")


def test_slug_examples():
    assert slugify("A Red Fox, in the SNOW!") == "a-red-fox-in-the-snow"
    assert slugify("café crème") == "cafe-creme"
    assert slugify("🦊") == "image"
    assert slugify("con") == "con-image"
    long = slugify("word " * 100)
    assert len(long) <= 48 and not long.endswith("-")


@pytest.mark.parametrize("template", ["", "/abs/{slug}", "../{slug}", "{slug}/../x", "a//b", "{nope}", "{slug", "~/x", "C:/x", "a/./b", "{slug.__class__}"])
def test_bad_templates_refused(template):
    with pytest.raises(ValueError):
        check_template(template)


def test_all_fields_render():
    stem = render_stem("{profile}/{model}/{datetime}_{id}_{slug}_{index}", prompt="A fox", index=3, model="gpt-image-2", profile="model-go", gen_id="abc123", when=WHEN)
    assert stem == "model-go/gpt-image-2/20261124-090503_abc123_a-fox_3"


def test_contained_path_refuses_escape(tmp_path):
    with pytest.raises(ValueError):
        contained_path(tmp_path, "../outside", "png")
    (tmp_path / "link").symlink_to("/")
    with pytest.raises(ValueError):
        contained_path(tmp_path, "link/etc/x", "png")


def test_a_symlink_at_the_name_itself_is_not_an_escape(tmp_path):
    """Whatever has the name only makes the writer take the next one; it is never followed."""
    (tmp_path / "fox-1.png").symlink_to("/etc/passwd")
    assert contained_path(tmp_path, "fox-1", "png") == tmp_path.resolve() / "fox-1.png"


def test_a_symlinked_folder_inside_the_folder_is_allowed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert contained_path(tmp_path, "alias/fox", "png") == tmp_path.resolve() / "real" / "fox.png"
