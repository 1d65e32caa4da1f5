"""File names built from prompts, which must never escape the output folder.

Only a fixed set of fields can appear in a template; every field value is reduced to
[a-z0-9-] (or digits) first, so no prompt, model or profile name can add a separator, `..`,
a control character or a reserved device name.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import datetime
from pathlib import Path

DEFAULT_TEMPLATE = "{date}/{time}-{slug}-{index}"
FIELDS = ("date", "time", "datetime", "slug", "index", "model", "profile", "id")
SLUG_MAX = 48
_FIELD_RE = re.compile(r"\{([^{}]*)\}")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slugify(text: str, max_len: int = SLUG_MAX, fallback: str = "image") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_len:
        cut = slug[:max_len]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[max_len // 2 :] else cut
        slug = slug.strip("-")
    if not slug:
        return fallback
    if slug in _WINDOWS_RESERVED:
        slug = f"{slug}-{fallback}"
    return slug


def check_template(template: str) -> None:
    """Raise ValueError for a template that could name a path outside the folder."""
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
    parts = re.split(r"[/\\]", literal)
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError("has an empty, '.' or '..' path part")
    if any(ord(ch) < 32 for ch in literal):
        raise ValueError("has a control character")


def render_stem(template: str, *, prompt: str, index: int, model: str, profile: str, gen_id: str, when: datetime) -> str:
    """The path below the output folder, without extension."""
    check_template(template)
    values = {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H%M%S"),
        "datetime": when.strftime("%Y%m%d-%H%M%S"),
        "slug": slugify(prompt),
        "index": str(index),
        "model": slugify(model, 40, "model"),
        "profile": slugify(profile, 40, "profile"),
        "id": slugify(gen_id, 32, "id"),
    }
    return _FIELD_RE.sub(lambda m: values[m.group(1)], template).replace("\\", "/")


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
