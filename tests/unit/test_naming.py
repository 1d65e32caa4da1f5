import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from imagegen_tui.naming import NAME_MAX_BYTES, SLUG_MAX_BYTES, check_template, contained_path, render_stem, slugify

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


WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_everywhere(name: str) -> bool:
    """A file name Linux, macOS and Windows all take as it is, that shows as it is: NFC, no
    control, format (bidi, zero width), private or unassigned character, no space, no character
    Windows forbids, no reserved device name, no leading dot, no trailing dot, within the bytes
    a name may have."""
    return (
        unicodedata.is_normalized("NFC", name)
        and all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp") for ch in name)
        and not WINDOWS_FORBIDDEN & set(name)
        and name.split(".")[0].lower() not in WINDOWS_RESERVED
        and not name.startswith(".")
        and not name.endswith((".", " "))
        and len(name.encode()) <= NAME_MAX_BYTES
    )


@pytest.mark.parametrize("prompt", HOSTILE)
@pytest.mark.parametrize("mode", ["unicode", "ascii"])
def test_hostile_prompts_stay_inside_folder(tmp_path: Path, prompt, mode):
    stem = render_stem("{date}/{time}-{slug}-{index}", prompt=prompt, index=1, model="../gpt", profile="a/b", gen_id="x", when=WHEN, slug_mode=mode)
    path = contained_path(tmp_path, stem, "png")
    assert path.parent == tmp_path.resolve() / "2026-11-24"
    name = path.name
    assert len(name.encode()) < 120 and safe_everywhere(name), name
    if mode == "ascii":
        assert all(ch.isascii() and (ch.isalnum() or ch in "-.") for ch in name), name
    assert "\u202e" not in name and "exe" in render_stem("{slug}", prompt="\u202egnp.exe", index=1, model="m", profile="p", gen_id="x", when=WHEN, slug_mode=mode)


def test_slug_examples():
    assert slugify("A Red Fox, in the SNOW!") == slugify("A Red Fox, in the SNOW!", mode="ascii") == "a-red-fox-in-the-snow"
    assert slugify("café crème") == "café-crème" and slugify("café crème", mode="ascii") == "cafe-creme"
    assert slugify("🦊") == "image" and slugify("🦊🔥", mode="ascii") == "fox-fire"
    assert slugify("con") == "con-image"
    long = slugify("word " * 100)
    assert len(long) <= 48 and not long.endswith("-")


@pytest.mark.parametrize("prompt, unicode, ascii", [
    ("一只红色的狐狸", "一只红色的狐狸", "yi-zhi-hong-se-de-hu-li"),  # each syllable a word: pinyin as slugs write it
    ("こんにちは、世界", "こんにちは-世界", "konnichiha-shi-jie"),
    ("Рыжая лиса в снегу", "рыжая-лиса-в-снегу", "ryzhaya-lisa-v-snegu"),
    ("Γειά σου κόσμε", "γειά-σου-κόσμε", "geia-soy-kosme"),
    ("قطة في الثلج", "قطة-في-الثلج", "qth-fy-lthlj"),
    ("लाल लोमड़ी", "लाल-लोमड़ी", "lal-lomdi"),  # the nukta is a mark, not a separator
    ("고양이 사진", "고양이-사진", "go-yang-i-sa-jin"),
    ("a fox 🦊 and 狐狸, лиса", "a-fox-and-狐狸-лиса", "a-fox-fox-and-hu-li-lisa"),
    ("ＦＵＬＬ　ｗｉｄｔｈ ﬁsh Ⅻ", "full-width-fish-xii", "full-width-fish-xii"),
])
def test_the_prompts_words_survive_in_every_script(prompt, unicode, ascii):
    assert slugify(prompt) == unicode and slugify(prompt, mode="ascii") == ascii


@pytest.mark.parametrize("mark", ["\u202e", "\u202d", "\u200e", "\u200f", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff", "\u00ad", "\U000e0041", "\u3164", "\u034f"])
def test_bidi_control_and_invisible_marks_never_reach_a_name(mark):
    """Format characters vanish without splitting the word they are in; invisible fillers go too."""
    assert slugify(f"sa{mark}fe {mark}שלום{mark}") == "safe-שלום"
    assert slugify(mark * 5) == "image"


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\u0085b", "a\ue000b", "a/b", "a\\b", "a:b", 'a"b', "a<b>c", "a|b", "a?b", "a*b", "a.b", "a b", "a\u3000b", "a\u2028b"])
def test_separators_controls_and_what_windows_forbids_only_separate_words(text):
    assert slugify(text) == "a-b" or slugify(text) == "a-b-c"


@pytest.mark.parametrize("name", ["CON", "nul", "Ｃｏｍ¹", "LPT9", "aux"])
def test_reserved_device_names_are_never_a_name(name):
    assert slugify(name) == f"{unicodedata.normalize('NFKC', name).lower()}-image"


def clusters_intact(slug: str, words: str) -> bool:
    """`slug` is `words` cut where a reader sees a character end: not before a mark, not after
    a virama (inside an Indic conjunct)."""
    if not words.startswith(slug):
        return False
    rest = words[len(slug):]
    return not rest or (unicodedata.category(rest[0])[0] != "M" and unicodedata.combining(slug[-1]) != 9)


@pytest.mark.parametrize("words", [
    "一只在雪地里奔跑的红色狐狸油画风格高细节温暖的光线电影感构图八十五毫米镜头" * 2,
    "लक्ष्मीक्षत्रियक्ष्मा" * 8,  # conjuncts (consonant, virama, consonant) and vowel signs
    "ếộữằẫ" * 40,  # Vietnamese: two marks a letter, NFC composes most
    "e\u0301\u0323\u0300" * 40,  # marks NFC cannot compose
    "щ" * 200,
])
def test_a_slug_is_bounded_in_bytes_and_cut_between_characters(words):
    for budget in range(16, SLUG_MAX_BYTES + 1):
        slug = slugify(words, max_bytes=budget)
        assert len(slug.encode()) <= budget and slug and clusters_intact(slug, unicodedata.normalize("NFC", words))
    assert len(slugify(words).encode()) <= SLUG_MAX_BYTES


def test_a_slug_cut_inside_a_word_ends_with_the_word_before():
    assert slugify("рыжая лиса бежит по снегу на рассвете масляная живопись") == "рыжая-лиса-бежит-по-снегу-на-рассвете-масляная"
    assert slugify("b" * 44 + " cd efgh") == "b" * 44 + "-cd"  # the last whole word is kept
    assert slugify("a " + "b" * 60) == "a-" + "b" * 46  # no word end in the second half: cut between letters


def test_a_name_never_outgrows_what_file_systems_take(tmp_path):
    """Every field at its longest: the slug gives way, so the name stays within 255 bytes with
    room for a taken name's -1000 and the extension."""
    long_profile = "домашний-шлюз-" * 10
    template = "{slug}_{model}_{profile}_{id}_{datetime}_{index}"
    stem = render_stem(template, prompt="狐" * 500, index=10, model="m" * 200, profile=long_profile, gen_id="f" * 64, when=WHEN)
    assert NAME_MAX_BYTES - 3 <= len(stem.encode()) <= NAME_MAX_BYTES and "狐" * 20 in stem and "домашний" in stem
    path = contained_path(tmp_path, stem + "-1000", "webp")
    path.write_bytes(b"x")  # the file system takes it
    assert len(path.name.encode()) <= 255


@pytest.mark.parametrize("template", ["{date}./{slug}", "{date} /{slug}", "x" * 240 + "{slug}", "{model}{profile}{model}{slug}"])
def test_templates_that_some_file_system_would_refuse(template):
    with pytest.raises(ValueError):
        check_template(template)


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
