"""Pictures scaled to the pixels a terminal pane can show, cached per (file, size).

Encoders (Sixel above all) cost in proportion to pixels, so nothing larger than the pane ever
reaches them. Pure Pillow, for worker threads.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from PIL import Image

_CACHE_SIZE = 48
Key = tuple[str, float, int, int]
_cache: OrderedDict[Key, Image.Image] = OrderedDict()
_pending: dict[Key, threading.Event] = {}  # fits under way: a second asker waits, not redoes
_lock = threading.Lock()


def fit(path: Path, max_width: int, max_height: int) -> Image.Image:
    """The image at path, no larger than max_width x max_height pixels, aspect kept.
    Raises OSError (or PIL's errors) when the file is missing or unreadable."""
    max_width, max_height = max(1, max_width), max(1, max_height)
    key = (str(path), os.stat(path).st_mtime, max_width, max_height)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        running = _pending.get(key)
        if running is None:
            _pending[key] = threading.Event()
    if running is not None:
        running.wait()
        with _lock:
            if key in _cache:
                return _cache[key]
        return fit(path, max_width, max_height)  # the first asker failed: try for ourselves
    try:
        scaled = _scale(path, max_width, max_height)
        with _lock:
            _cache[key] = scaled
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        return scaled
    finally:
        with _lock:
            _pending.pop(key).set()


def _scale(path: Path, max_width: int, max_height: int) -> Image.Image:
    with Image.open(path) as original:
        original.draft("RGB", (max_width, max_height))
        scaled = original.copy() if original.width <= max_width and original.height <= max_height else None
        if scaled is None:
            original.thumbnail((max_width, max_height), Image.Resampling.LANCZOS)
            scaled = original.copy()
        scaled.load()
    return scaled


def cached(path: Path, max_width: int, max_height: int) -> Image.Image | None:
    """The fitted image if it is already cached (no disk access): lets the UI skip a thread hop."""
    try:
        key = (str(path), os.stat(path).st_mtime, max(1, max_width), max(1, max_height))
    except OSError:
        return None
    with _lock:
        return _cache.get(key)
