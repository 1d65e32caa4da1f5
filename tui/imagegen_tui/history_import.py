"""Rebuilding a history from image files alone, through the settings embedded in them."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from imagegen_tui.metadata import SHEET_KIND, MetadataError, read_metadata
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import Usage, too_large
from imagegen_tui.saving import SavedImage
from imagegen_tui.sources import Source
from imagegen_tui.store import FinishedGeneration, HistoryStore, Provenance

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


@dataclass
class ImportReport:
    generations: int = 0
    images: int = 0
    already_known: int = 0
    without_metadata: int = 0
    sheets: int = 0  # contact sheets: made here, never paid for, so never generations
    damaged: list[str] = field(default_factory=list)


def import_folder(store: HistoryStore, folder: Path) -> ImportReport:
    """Add the generations whose files carry our settings; a file that cannot be read (damaged,
    unreadable, too many pixels to open) is skipped and listed, never the end of the import."""
    from PIL import Image

    report = ImportReport()
    groups: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path in sorted(_image_files(folder)):
        try:
            meta = read_metadata(path)
        except (MetadataError, OSError, ValueError) as exc:
            report.damaged.append(f"{path}: {exc}")
            continue
        if meta is None:
            report.without_metadata += 1
            continue
        if meta.get("kind") == SHEET_KIND:
            report.sheets += 1
            continue
        uid = str(meta.get("generation_id") or "import-" + hashlib.sha1(str(path).encode()).hexdigest()[:12])
        groups.setdefault(uid, []).append((path, meta))
    known = store.known_uids(groups)
    records = []
    for uid, files in groups.items():
        if uid in known:
            report.already_known += len(files)
            continue
        try:
            records.append(_record(uid, files))
        except Image.DecompressionBombError as exc:
            report.damaged.extend(f"{path}: the image {too_large(exc)}" for path, _ in files)
            continue
        except OSError as exc:
            report.damaged.extend(f"{path}: {exc.strerror or exc}" for path, _ in files)
            continue
        except (KeyError, TypeError, ValueError) as exc:
            report.damaged.extend(f"{path}: the embedded settings are incomplete ({exc})" for path, _ in files)
            continue
        report.images += len(files)
    records.sort(key=lambda record: record.created_at)  # an edit's sources first, so its links are found
    report.generations = store.add_finished(records)
    return report


def _image_files(folder: Path):
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES:
                yield Path(root) / name


def _record(uid: str, files: list[tuple[Path, dict[str, Any]]]) -> FinishedGeneration:
    from PIL import Image

    files.sort(key=lambda item: int(item[1].get("index") or 0))
    meta = files[0][1]
    params = meta["params"]
    if not isinstance(params, dict) or not isinstance(meta["prompt"], str):
        raise ValueError("no prompt or parameters")
    request = ImageRequest.from_params(meta["prompt"], params)
    images = []
    for position, (path, image_meta) in enumerate(files, start=1):
        with Image.open(path) as image:  # reads the header only
            width, height, fmt = image.width, image.height, (image.format or "").lower()
        images.append(SavedImage(path.resolve(), int(image_meta.get("index") or position), width, height, fmt, path.stat().st_size, image_meta.get("revised_prompt")))
    usage = meta.get("usage") or {}
    return FinishedGeneration(
        uid=uid,
        created_at=_timestamp(meta, files[0][0]),
        profile=str(meta.get("profile") or "unknown"),
        provider=str(meta.get("provider") or "unknown"),
        request=request,
        usage=Usage(**{k: usage.get(k) for k in Usage.__dataclass_fields__}) if isinstance(usage, dict) else Usage(),
        elapsed=meta.get("elapsed"),
        request_id=meta.get("request_id"),
        images=tuple(images),
        kind="edit" if meta.get("kind") == "edit" else "generate",
        sources=tuple(Source.from_dict(s) for s in meta.get("sources") or () if isinstance(s, dict)),
        provenance=_styling(meta),
    )


def _styling(meta: dict[str, Any]) -> Provenance:
    """The typed prompt and the styles a file's settings name, when they are what we write."""
    styles, typed = meta.get("styles"), meta.get("typed_prompt")
    if isinstance(styles, list) and styles and all(isinstance(name, str) for name in styles) and isinstance(typed, str):
        return Provenance(typed_prompt=typed, styles=tuple(styles))
    return Provenance()


def _timestamp(meta: dict[str, Any], path: Path) -> float:
    if isinstance(meta.get("saved_at"), str):
        try:
            return datetime.fromisoformat(meta["saved_at"]).timestamp()
        except ValueError:
            pass
    if isinstance(meta.get("created"), int):
        return float(meta["created"])
    return path.stat().st_mtime
