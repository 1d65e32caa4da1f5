"""File names built from prompts, which must never escape the output folder nor be a name some
file system refuses.

Only a fixed set of fields can appear in a template, and every field value is reduced to words
(letters, marks and digits of any script, or ASCII transliterated, see `slugify`) joined by `-`,
or to digits: no prompt, model or profile name can add a separator, `..`, a dot, a control,
format or bidi character, a character Windows forbids or a reserved device name. Names are
bounded in bytes, which is what file systems count (255 for a name on ext4, APFS, NTFS in UTF-16
units, fewer than bytes), with room left for the `-2` … `-1000` a taken name gets and for the
extension.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import datetime
from pathlib import Path

DEFAULT_TEMPLATE = "{date}/{time}-{slug}-{index}"
FIELDS = ("date", "time", "datetime", "slug", "index", "model", "profile", "id")
# unicode: the prompt's own words (the person who wrote them reads them; every current file
# system stores them); ascii: transliterated, for places that only take ASCII
SLUG_MODES = ("unicode", "ascii")
DEFAULT_SLUG = "unicode"
SLUG_MAX = 48  # characters as a reader counts them: a base with its combining marks is one
SLUG_MAX_BYTES = 96  # 48 two-byte characters (Cyrillic, Greek, Arabic, Hebrew); 32 Chinese or Devanagari
NAME_MAX_BYTES = 255 - len("-1000") - len(".webp")  # a name's limit less a taken name's suffix and the longest extension
_MIN_SLUG_BYTES = 16  # a template must leave each {slug} at least this much of a name
_FIELD_BYTES = {"date": 10, "time": 6, "datetime": 15, "index": 2, "model": 80, "profile": 80, "id": 32, "slug": _MIN_SLUG_BYTES}
_FIELD_RE = re.compile(r"\{([^{}]*)\}")
_PARTS_RE = re.compile(r"[/\\]")
# Windows refuses these as a name, whatever follows the dot (NFKC has turned COM¹ into com1 already)
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
# letters and marks that show nothing: a name made of them looks empty
_INVISIBLE = set("\u034f\u115f\u1160\u3164\uffa0")
_VIRAMA = 9  # the combining class of the sign that joins two Indic consonants into one cluster


def slugify(text: str, *, max_chars: int = SLUG_MAX, max_bytes: int = SLUG_MAX_BYTES, fallback: str = "image", mode: str = DEFAULT_SLUG) -> str:
    """The words of `text`, lowercase, joined by `-`, at most `max_chars` characters and
    `max_bytes` bytes of UTF-8, cut between words where one ends in the second half, else
    between characters (never inside a base letter and its marks, or an Indic conjunct).
    `mode` "unicode" keeps letters and digits of every script (NFKC, so fullwidth and
    compatibility forms fold to their plain letters); "ascii" transliterates them with anyascii
    (Привет → privet, 狐狸 → hu-li)."""
    words = _ascii_words(text) if mode == "ascii" else _unicode_words(text)
    slug = _cut(words, max_chars, max_bytes)
    if not slug:
        return fallback
    if slug in _WINDOWS_RESERVED:
        slug = f"{slug}-{fallback}"
    return slug


def _unicode_words(text: str) -> str:
    """Letters, digits and the marks attached to them; format characters (bidi overrides, zero
    width joiners) vanish without splitting a word; anything else separates words."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).lower())
    out: list[str] = []
    in_word = False
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf" or ch in _INVISIBLE:
            continue
        in_word = category[0] in "LN" or (category[0] == "M" and in_word)
        out.append(ch if in_word else "-")
    return re.sub("-+", "-", "".join(out)).strip("-")


def _ascii_words(text: str) -> str:
    from anyascii import anyascii

    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        latin = ch if ch.isascii() else anyascii(ch)
        if unicodedata.category(ch)[0] == "M":  # a mark adds letters to its word or nothing (a nukta is not an apostrophe)
            latin = "".join(filter(str.isalnum, latin))
        # a character of a caseless script written as a capitalised syllable (Chinese, Korean)
        # is a word of its own: 狐狸 is hu-li, not huli
        out.append(f"-{latin}-" if latin[:1].isupper() and not ch.isupper() else latin)
    return re.sub(r"[^a-z0-9]+", "-", "".join(out).lower()).strip("-")


def _clusters(text: str) -> list[str]:
    """`text` in the pieces it may be cut between: a base character with the marks after it,
    and a consonant after a virama joined to the cluster before it."""
    clusters: list[str] = []
    for ch in text:
        joins = clusters and ch != "-" and (unicodedata.category(ch)[0] == "M" or unicodedata.combining(clusters[-1][-1]) == _VIRAMA)
        if joins:
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _cut(words: str, max_chars: int, max_bytes: int) -> str:
    clusters = _clusters(words)
    kept: list[str] = []
    size = 0
    for cluster in clusters:
        size += len(cluster.encode())
        if len(kept) == max_chars or size > max_bytes:
            break
        kept.append(cluster)
    else:
        return words
    if clusters[len(kept)] != "-" and "-" in kept[len(kept) // 2 :]:  # cut inside a word: end with the one before
        kept = kept[: len(kept) - kept[::-1].index("-")]
    return "".join(kept).strip("-")


def check_template(template: str) -> None:
    """Raise ValueError for a template that could name a path outside the folder, or a name
    some file system would refuse."""
    if not template.strip():
        raise ValueError("is empty")
    if template.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", template):
        raise ValueError("must be a relative path")
    for name in _FIELD_RE.findall(template):
        if name not in FIELDS:
            raise ValueError(f"unknown field {{{name}}}; fields are {', '.join('{' + f + '}' for f in FIELDS)}")
    literal = _FIELD_RE.sub("x", template)
    if "{" in literal or "}" in literal:
        raise ValueError("has an unmatched brace")
    parts = _PARTS_RE.split(literal)
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError("has an empty, '.' or '..' path part")
    if any(ord(ch) < 32 for ch in literal):
        raise ValueError("has a control character")
    if any(part.endswith((".", " ")) for part in parts[:-1]):
        raise ValueError("has a folder name ending in a dot or a space, which Windows cannot keep")
    for part in _PARTS_RE.split(template):
        longest = len(_FIELD_RE.sub("", part).encode()) + sum(_FIELD_BYTES[name] for name in _FIELD_RE.findall(part))
        if longest > NAME_MAX_BYTES:
            raise ValueError(f"could make names longer than file systems allow (255 bytes): shorten {part!r}")


def render_stem(template: str, *, prompt: str, index: int, model: str, profile: str, gen_id: str, when: datetime, slug_mode: str = DEFAULT_SLUG) -> str:
    """The path below the output folder, without extension. Each {slug} gets what its name
    leaves of NAME_MAX_BYTES, up to SLUG_MAX_BYTES."""
    check_template(template)
    values = {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H%M%S"),
        "datetime": when.strftime("%Y%m%d-%H%M%S"),
        "slug": "",
        "index": str(index),
        "model": slugify(model, max_chars=40, max_bytes=_FIELD_BYTES["model"], fallback="model", mode=slug_mode),
        "profile": slugify(profile, max_chars=40, max_bytes=_FIELD_BYTES["profile"], fallback="profile", mode=slug_mode),
        "id": slugify(gen_id, max_chars=32, max_bytes=_FIELD_BYTES["id"], fallback="id", mode=slug_mode),
    }

    def fill(part: str) -> str:
        return _FIELD_RE.sub(lambda m: values[m.group(1)], part)

    parts = _PARTS_RE.split(template)
    room = SLUG_MAX_BYTES
    for part in parts:
        if slugs := part.count("{slug}"):
            room = min(room, (NAME_MAX_BYTES - len(fill(part).encode())) // slugs)
    values["slug"] = slugify(prompt, max_bytes=room, mode=slug_mode)
    return "/".join(fill(part) for part in parts)


def contained_path(folder: Path, stem: str, extension: str) -> Path:
    """folder/stem.ext, refusing a name whose folders (through `..` or a symlinked folder)
    would lead outside the folder. The last part is not resolved: whatever has that name,
    even a symlink pointing anywhere, only makes the writer pick the next free name."""
    root = folder.resolve()
    name = Path(f"{stem}.{extension}")
    parent = (root / name).parent.resolve()
    if os.path.commonpath([root, parent]) != str(root) or name.name in ("", ".", ".."):
        raise ValueError(f"file name {stem!r} would leave the output folder")
    return parent / name.name
