"""Writing generated images to disk: settings embedded, atomically, never over another file.

Meant to run in a worker thread. Each file is written to a hidden temporary name in its target
folder, fsynced, then hard-linked to its final name (which fails instead of overwriting) and the
temporary name removed; a crash leaves at most a hidden `.part` file, never a half image. The
writer owns its `.part` file (locks.py), so the next writer into that folder can tell one a
killed process left and remove it.
"""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from collections.abc import Callable
from typing import Any

from imagegen_tui import __version__, locks, privatefile
from imagegen_tui.metadata import embed
from imagegen_tui.naming import DEFAULT_SLUG, contained_path, render_stem
from imagegen_tui.request import AnyRequest
from imagegen_tui.results import GenerationResult, ImagePayload
from imagegen_tui.sources import Source

MAX_NAME_TRIES = 1000
TEMP_PREFIX, TEMP_SUFFIX = ".imagegen-", ".part"


@dataclass(frozen=True)
class SavedImage:
    path: Path
    index: int
    width: int
    height: int
    format: str
    bytes: int
    revised_prompt: str | None = None
    kept: bool = False  # in a recovery folder, not (yet) in the output folder


@dataclass(frozen=True)
class SaveTarget:
    folder: Path
    template: str
    profile: str
    provider: str
    generation_id: str
    when: datetime
    slug_mode: str = DEFAULT_SLUG
    sources: tuple[Source, ...] = ()  # what an edit was made from: named in every image's metadata
    typed_prompt: str | None = None  # what was typed, when styles made the prompt sent of it
    styles: tuple[str, ...] = ()  # those styles, in the order applied (styles.py)


def metadata_for(request: AnyRequest, result: GenerationResult, target: SaveTarget, image: ImagePayload, index: int) -> dict[str, Any]:
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
        "format": image.format,  # what the bytes are, which the provider may not have made as asked
        "revised_prompt": image.revised_prompt,
        "usage": usage.__dict__ if usage else None,
        "request_id": result.request_id,
        "created": result.created,
        "elapsed": round(result.elapsed, 3),
        "echoed": result.echoed or None,
        "saved_at": target.when.isoformat(timespec="seconds"),
        **({"kind": "edit", "sources": [source.as_dict() for source in target.sources]} if target.sources else {}),
        **({"typed_prompt": target.typed_prompt, "styles": list(target.styles)} if target.styles else {}),
    }


@dataclass(frozen=True)
class PendingImage:
    """An image paid for but not saved: its bytes, with the settings embedded where possible."""

    index: int
    image: ImagePayload
    data: bytes


class Unsaved(Exception):
    """Saving stopped at one image; `saved` were written, `pending` were not. `cause` says why."""

    def __init__(self, cause: Exception, saved: list[SavedImage], pending: list[PendingImage]) -> None:
        super().__init__(str(cause))
        self.cause, self.saved, self.pending = cause, saved, pending


def save_result(request: AnyRequest, result: GenerationResult, target: SaveTarget, on_saved: Callable[[SavedImage], None] | None = None) -> list[SavedImage]:
    """Write every image; raise Unsaved, holding what was and was not written, at the first
    that cannot be (whatever the reason: the images are paid for). `on_saved` hears of each
    image once it is on disk, while the others are still being written."""
    saved: list[SavedImage] = []
    for index, image in enumerate(result.images, start=1):
        try:
            data = embed(image.data, image.format, metadata_for(request, result, target, image, index))
            path = write_new_file(contained_path(target.folder, stem_for(request, target, index), image.extension), data)
        except Exception as exc:
            rest = enumerate(result.images[index - 1 :], start=index)
            raise Unsaved(exc, saved, [PendingImage(i, img, _embedded_or_raw(request, result, target, img, i)) for i, img in rest]) from exc
        saved.append(SavedImage(path, index, image.width, image.height, image.format, len(data), image.revised_prompt))
        if on_saved is not None:
            on_saved(saved[-1])
    return saved


def stem_for(request: AnyRequest, target: SaveTarget, index: int) -> str:
    return render_stem(
        target.template,
        prompt=request.prompt,
        index=index,
        model=request.model,
        profile=target.profile,
        gen_id=target.generation_id,
        when=target.when,
        slug_mode=target.slug_mode,
    )


def _embedded_or_raw(request: AnyRequest, result: GenerationResult, target: SaveTarget, image: ImagePayload, index: int) -> bytes:
    try:
        return embed(image.data, image.format, metadata_for(request, result, target, image, index))
    except Exception:  # the provider's bytes as they came are still worth keeping
        return image.data


def check_writable(folder: Path) -> None:
    """Make sure `folder` exists (creating it) and takes a file, by writing and removing a small
    probe; raises OSError naming the folder otherwise. Also clears `.part` files left there by
    killed processes."""
    folder.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
    _sweep_once(folder)
    fd, probe = _owned_temp(folder)
    try:
        os.write(fd, b"probe")
    finally:
        locks.release(fd, probe)


def write_new_file(path: Path, data: bytes) -> Path:
    """Write data under path, or path-2, path-3 ... if the name is taken by anything (a file, a
    folder, a symlink, even a dangling one). Returns the name used."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_once(path.parent)
    fd, tmp = _owned_temp(path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # open, and so owned, until it has its name
            privatefile.set_mode(handle.fileno(), 0o666 & ~_UMASK)  # mkstemp makes 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            for attempt in range(1, MAX_NAME_TRIES + 1):
                candidate = path if attempt == 1 else path.with_name(f"{path.stem}-{attempt}{path.suffix}")
                if _link_new(tmp, candidate):
                    break
            else:
                raise FileExistsError(errno.EEXIST, "no free file name", str(path))
    finally:
        tmp.unlink(missing_ok=True)  # once closed: Windows cannot remove an open file
    _fsync_dir(path.parent)
    return candidate


def _owned_temp(folder: Path) -> tuple[int, Path]:
    return locks.create_owned(folder, TEMP_PREFIX, TEMP_SUFFIX)


_swept: set[Path] = set()
_swept_lock = threading.Lock()


def _sweep_once(folder: Path) -> None:
    """Remove abandoned `.part` files from a folder the first time this process writes there:
    a live writer owns its file, so only a killed process's are taken."""
    with _swept_lock:
        if folder in _swept:
            return
        _swept.add(folder)
    locks.sweep(folder, TEMP_PREFIX, TEMP_SUFFIX)


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
    if os.path.lexists(target):
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
