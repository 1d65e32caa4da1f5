"""Small cached copies of generated images, for history lists and grids.

Made on first need rather than at save time, so a headless `generate` never pays for decoding
its images; call from a worker thread.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from imagegen_tui import paths
from imagegen_tui.store import HistoryStore, StoredImage

THUMBNAIL_EDGE = 256


def ensure_thumbnail(store: HistoryStore, image: StoredImage, folder: Path | None = None) -> Path | None:
    """The thumbnail's path, making and recording it if needed; None when the original is gone
    or unreadable. Its name is fixed by the image's id, so two workers asking at once (each with
    a StoredImage read before the other recorded it) make one file, not two."""
    folder = folder or paths.cache_dir() / "thumbnails"
    path = folder / f"{image.generation_id}-{image.index}.png"
    for known in (image.thumbnail, path):
        if known is not None and known.exists():
            if image.thumbnail != known:
                store.set_thumbnail(image.id, known)
                image.thumbnail = known
            return known
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image.path) as original:
            original.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))  # JPEG: decode at reduced scale
            original.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
            small = original.convert("RGBA" if "A" in original.getbands() else "RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".thumb-", suffix=".png", delete=False) as handle:
        small.save(handle, "PNG", compress_level=1)
    os.replace(handle.name, path)  # a cache file: replacing a twin made meanwhile is fine
    store.set_thumbnail(image.id, path)
    image.thumbnail = path
    return path
