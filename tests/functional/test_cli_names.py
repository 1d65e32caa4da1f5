"""File names in every script, as a user gets them: `generate` in its own process with the demo
provider, the names read back from the folder, and `history import` finding the files again."""

from __future__ import annotations

import json
import os
import sqlite3
import unicodedata
from pathlib import Path

import pytest

from conftest import run_cli, write_config

PROMPTS = {
    # prompt: (the slug with output.slug = "unicode", with "ascii")
    "一只红色的狐狸": ("一只红色的狐狸", "yi-zhi-hong-se-de-hu-li"),
    "雪の中のキツネ": ("雪の中のキツネ", "xue-no-zhong-nokitsune"),
    "Рыжая лиса в снегу": ("рыжая-лиса-в-снегу", "ryzhaya-lisa-v-snegu"),
    "Κόκκινη αλεπού": ("κόκκινη-αλεπού", "kokkini-alepoy"),
    "ثعلب أحمر في الثلج": ("ثعلب-أحمر-في-الثلج", "th-lb-hmr-fy-lthlj"),
    "लाल लोमड़ी बर्फ में": ("लाल-लोमड़ी-बर्फ-में", "lal-lomdi-brph-mem"),
    "🦊🔥": ("image", "fox-fire"),
    "a fox 🦊 beside 狐狸 and лиса": ("a-fox-beside-狐狸-and-лиса", "a-fox-fox-beside-hu-li-and-lisa"),
}


@pytest.mark.parametrize("mode", ["unicode", "ascii"])
def test_every_script_names_its_files_and_history_import_finds_them(dirs, mode):
    if mode == "ascii":
        write_config(dirs, '[output]\nslug = "ascii"\n')
    made: dict[str, Path] = {}
    for prompt, slugs in PROMPTS.items():
        out = run_cli("generate", prompt, "--profile", "demo", "--json")
        assert out.returncode == 0, out.stderr
        [path] = map(Path, json.loads(out.stdout)["paths"])
        slug = slugs[mode == "ascii"]
        assert path.name.endswith(f"-{slug}-1.png") and path.parent.parent == dirs.output.resolve()
        assert path.name in os.listdir(path.parent)  # the name on disk is the one recorded
        made[prompt] = path
    names = [path.name for path in made.values()]
    assert all(unicodedata.is_normalized("NFC", name) and len(name.encode()) <= 255 for name in names)
    if mode == "ascii":
        assert all(name.isascii() for name in names)

    with sqlite3.connect(dirs.data / "imagegen-tui" / "history.sqlite3") as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM generations")
    imported = run_cli("history", "import", str(dirs.output), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["generations"] == len(PROMPTS)
    listed = json.loads(run_cli("history", "list", "--json").stdout)["generations"]
    assert {g["prompt"]: Path(g["images"][0]["path"]) for g in listed} == made
    found = json.loads(run_cli("history", "search", "лиса", "--json").stdout)["generations"]
    assert {g["prompt"] for g in found} == {"Рыжая лиса в снегу", "a fox 🦊 beside 狐狸 and лиса"}
