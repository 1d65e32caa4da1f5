"""Writing generated images to disk: settings embedded, atomically, never over another file.

Meant to run in a worker thread. Each file is written to a hidden temporary name in its target
folder, fsynced, then hard-linked to its final name (which fails instead of overwriting) and the
temporary name removed; a crash leaves at most a hidden `.part` file, never a half image.
"""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from imagegen_tui import __version__
from imagegen_tui.metadata import embed
from imagegen_tui.naming import contained_path, render_stem
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import GenerationResult, ImagePayload

MAX_NAME_TRIES = 1000


@dataclass(frozen=True)
class SavedImage:
    path: Path
    index: int
    width: int
    height: int
    format: str
    bytes: int
    revised_prompt: str | None = None


@dataclass(frozen=True)
class SaveTarget:
    folder: Path
    template: str
    profile: str
    provider: str
    generation_id: str
    when: datetime


def metadata_for(request: ImageRequest, result: GenerationResult, target: SaveTarget, image: ImagePayload, index: int) -> dict[str, Any]:
    """Everything needed to understand and re-run the generation; never the key."""
    usage = result.usage
    return {
        "app": "imagegen-tui",
        "version": __version__,
        "generation_id": target.generation_id,
        "prompt": request.prompt,
        "params": request.params(),
        "profile": target.profile,
        "provider": target.provider,
        "index": index,
        "revised_prompt": image.revised_prompt,
        "usage": usage.__dict__ if usage else None,
        "request_id": result.request_id,
        "created": result.created,
        "elapsed": round(result.elapsed, 3),
        "echoed": result.echoed or None,
        "saved_at": target.when.isoformat(timespec="seconds"),
    }


def save_result(request: ImageRequest, result: GenerationResult, target: SaveTarget) -> list[SavedImage]:
    saved = []
    for index, image in enumerate(result.images, start=1):
        data = embed(image.data, image.format, metadata_for(request, result, target, image, index))
        stem = render_stem(
            target.template,
            prompt=request.prompt,
            index=index,
            model=request.model,
            profile=target.profile,
            gen_id=target.generation_id,
            when=target.when,
        )
        path = write_new_file(contained_path(target.folder, stem, image.extension), data)
        saved.append(SavedImage(path, index, image.width, image.height, image.format, len(data), image.revised_prompt))
    return saved


def write_new_file(path: Path, data: bytes) -> Path:
    """Write data under path, or path-2, path-3 ... if taken. Returns the name used."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".imagegen-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_UMASK)  # mkstemp makes 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        for attempt in range(1, MAX_NAME_TRIES + 1):
            candidate = path if attempt == 1 else path.with_name(f"{path.stem}-{attempt}{path.suffix}")
            if _link_new(tmp, candidate):
                _fsync_dir(path.parent)
                return candidate
        raise FileExistsError(errno.EEXIST, "no free file name", str(path))
    finally:
        tmp.unlink(missing_ok=True)


def _link_new(tmp: Path, target: Path) -> bool:
    """Give tmp the name target only if nothing has it; False when taken."""
    try:
        os.link(tmp, target)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EOPNOTSUPP):
            raise
    # File systems without hard links: a check-then-rename, racy only against other writers.
    if target.exists():
        return False
    os.rename(tmp, target)
    return True


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read_umask() -> int:
    # os.umask can only be read by setting it; do it once, at import, not from worker threads.
    current = os.umask(0o022)
    os.umask(current)
    return current


_UMASK = _read_umask()
