"""Pictures scaled to the pixels a terminal pane can show, cached per (file, size).

Encoders (Sixel above all) cost in proportion to pixels, so nothing larger than the pane ever
reaches them. Decoding is the slow part (a 1024x1024 PNG: 30-60 ms), and the size a picture is
fitted to changes under it (a job's result is prepared while the preview's facts are still
being laid out), so the decoded pictures are kept too: a second fit of the same file is a
resize. Pure Pillow, for worker threads.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

from PIL import Image

_FITTED_SIZE = 48
_DECODED_SIZE = 4  # full-size pictures: 6 MB each at 1536x1024
_fitted: OrderedDict[Hashable, Image.Image] = OrderedDict()
_decoded: OrderedDict[Hashable, Image.Image] = OrderedDict()
_SIZES = 512
_sizes: OrderedDict[tuple[str, float], tuple[int, int]] = OrderedDict()
_pending: dict[Hashable, threading.Event] = {}  # made under way: a second asker waits, not redoes
_lock = threading.Lock()


def fit(path: Path, max_width: int, max_height: int) -> Image.Image:
    """The image at path, no larger than max_width x max_height pixels, aspect kept.
    Raises OSError (or PIL's errors) when the file is missing or unreadable."""
    mtime = os.stat(path).st_mtime
    size = fitted_size(_dimensions(path, mtime), max_width, max_height)
    return _once(_fitted, _FITTED_SIZE, ("fit", str(path), mtime, size), lambda: _scale(_decode(path, mtime), size))


def cached(path: Path, max_width: int, max_height: int) -> Image.Image | None:
    """The fitted image if it is already cached (no disk access beyond a stat): lets the UI
    skip a thread hop."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    with _lock:
        dimensions = _sizes.get((str(path), mtime))
        return None if dimensions is None else _fitted.get(("fit", str(path), mtime, fitted_size(dimensions, max_width, max_height)))


def fitted_size(dimensions: tuple[int, int], max_width: int, max_height: int) -> tuple[int, int]:
    """The size a picture of `dimensions` takes in the box, aspect kept, never enlarged. Fits
    are cached by it, not by the box: a pane a line shorter usually fits the same picture."""
    width, height = dimensions
    scale = min(max(1, max_width) / width, max(1, max_height) / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _dimensions(path: Path, mtime: float) -> tuple[int, int]:
    """From the file's header (no decoding), once per file version."""
    key = (str(path), mtime)
    with _lock:
        if key in _sizes:
            return _sizes[key]
    with Image.open(path) as image:
        size = image.size
    with _lock:
        _sizes[key] = size
        while len(_sizes) > _SIZES:
            _sizes.popitem(last=False)
    return size


def _decode(path: Path, mtime: float) -> Image.Image:
    def load() -> Image.Image:
        with Image.open(path) as original:
            original.load()
            return original.copy()

    return _once(_decoded, _DECODED_SIZE, ("decoded", str(path), mtime), load)


def _scale(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)  # as thumbnail() does


def _once(cache: OrderedDict[Hashable, Image.Image], limit: int, key: Hashable, make: Callable[[], Image.Image]) -> Image.Image:
    """`cache[key]`, made by `make` once however many threads ask at the same time; the
    least recently used goes beyond `limit`."""
    with _lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        running = _pending.get(key)
        if running is None:
            _pending[key] = threading.Event()
    if running is not None:
        running.wait()
        with _lock:
            if key in cache:
                return cache[key]
        return _once(cache, limit, key, make)  # the first asker failed: try for ourselves
    try:
        made = make()
        with _lock:
            cache[key] = made
            while len(cache) > limit:
                cache.popitem(last=False)
        return made
    finally:
        with _lock:
            _pending.pop(key).set()
