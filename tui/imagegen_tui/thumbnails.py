"""Small cached copies of generated images, for history lists and grids.

Made on first need rather than at save time, so a headless `generate` never pays for decoding
its images; call from a worker thread.
"""

from __future__ import annotations

import io
from pathlib import Path

from imagegen_tui import paths
from imagegen_tui.saving import write_new_file
from imagegen_tui.store import HistoryStore, StoredImage

THUMBNAIL_EDGE = 256


def ensure_thumbnail(store: HistoryStore, image: StoredImage, folder: Path | None = None) -> Path | None:
    """The thumbnail's path, making and recording it if needed; None when the original is gone
    or unreadable."""
    if image.thumbnail is not None and image.thumbnail.exists():
        return image.thumbnail
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image.path) as original:
            original.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))  # JPEG: decode at reduced scale
            original.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
            small = original.convert("RGBA" if "A" in original.getbands() else "RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    buffer = io.BytesIO()
    small.save(buffer, "PNG", compress_level=1)
    folder = folder or paths.cache_dir() / "thumbnails"
    path = write_new_file(folder / f"{image.generation_id}-{image.index}.png", buffer.getvalue())
    store.set_thumbnail(image.id, path)
    image.thumbnail = path
    return path
