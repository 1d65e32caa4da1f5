"""Images that were paid for but could not be saved into the output folder: kept in a recovery
folder (or, failing that, the system's temporary folder), recorded as the generation's images,
and saved where they belong later by `history recover`.

Blocking file work: call from a worker thread.
"""

from __future__ import annotations

import contextlib
import shlex
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from imagegen_tui import paths
from imagegen_tui.metadata import read_metadata
from imagegen_tui.naming import contained_path
from imagegen_tui.saving import PendingImage, SavedImage, SaveTarget, Unsaved, check_writable, stem_for, write_new_file
from imagegen_tui.store import HistoryStore


@dataclass
class Kept:
    images: list[SavedImage] = field(default_factory=list)
    lost: int = 0
    why_lost: str | None = None

    @property
    def folders(self) -> list[Path]:
        return list(dict.fromkeys(image.path.parent for image in self.images))


@dataclass
class Recovered:
    saved: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    done: bool = False  # every kept image is now in the output folder: the generation is done


def keep(uid: str, pending: list[PendingImage]) -> Kept:
    """Write each pending image into the recovery folder, else a new private temporary folder;
    what cannot be written anywhere is counted, with the reason, never dropped unsaid."""
    kept = Kept()
    places = _places()
    folder = next(places, None)
    for item in pending:
        path = None
        while folder is not None and path is None:
            try:
                path = write_new_file(folder / f"{uid}-{item.index}.{item.image.extension}", item.data)
            except Exception as exc:
                kept.why_lost = reason(exc)
                folder = next(places, None)
        if path is None:
            kept.lost += 1
            continue
        image = item.image
        kept.images.append(SavedImage(path, item.index, image.width, image.height, image.format, len(item.data), image.revised_prompt, kept=True))
    return kept


def _places() -> Iterator[Path]:
    yield paths.recovery_dir()
    try:
        yield Path(tempfile.mkdtemp(prefix="imagegen-tui-recovery-"))
    except OSError:
        return


def unsaved_sentence(folder: Path, unsaved: Unsaved, kept: Kept, total: int, history_id: int | None, *, chosen: bool) -> str:
    """What happened to each image of a paid answer that could not all be saved. `chosen`: the
    folder was asked for with this call, not the configured one, so recovering names it."""
    text = f"could not save into {folder}: {reason(unsaved.cause)}"
    if unsaved.saved:
        text += f"; {len(unsaved.saved)} of {total} images were saved there"
    if kept.images:
        text += f"; {_images(len(kept.images))} kept at {' and '.join(map(str, kept.folders))}"
        if history_id is not None:
            to = f" --to {shlex.quote(str(folder))}" if chosen else ""
            text += f": run `imagegen-tui history recover {history_id}{to}` once fixed"
    if kept.lost:
        text += f"; {_images(kept.lost)} could not be kept anywhere ({kept.why_lost}) and are lost"
    return text


def recover(store: HistoryStore, gen_id: int, folder: Path, template: str, slug_mode: str) -> Recovered:
    """Save a generation's kept images into `folder` with the usual names (their settings are
    already embedded), point its images there, and mark it done once none is left waiting.
    Raises OSError when the folder cannot take files, before anything is moved."""
    generation = store.get(gen_id)
    report = Recovered()
    kept = [image for image in generation.images if image.kept] if generation else []
    if not generation or not kept:
        return report
    check_writable(folder)
    request = generation.request()
    when = _saved_at(kept[0].path) or datetime.fromtimestamp(generation.created_at)
    target = SaveTarget(folder, template, generation.profile, generation.provider, generation.uid, when, slug_mode)
    moved: dict[int, Path] = {}
    for image in kept:
        try:
            data = image.path.read_bytes()
            name = contained_path(folder, stem_for(request, target, image.index), image.path.suffix.lstrip("."))
            moved[image.id] = write_new_file(name, data)
        except (OSError, ValueError) as exc:
            report.failed.append((image.path, reason(exc)))
    report.done = store.images_recovered(gen_id, moved)
    for image in kept:
        if image.id in moved:
            image.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                image.path.parent.rmdir()  # an emptied temporary folder
            report.saved.append(moved[image.id])
    return report


def _saved_at(path: Path) -> datetime | None:
    """When the save that failed was made, as embedded in the kept file: names built from
    {date} and {time} then match those of the images that did get saved."""
    try:
        return datetime.fromisoformat((read_metadata(path) or {})["saved_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def reason(exc: BaseException) -> str:
    """An exception as the words a person needs: the system's reason and the path it concerns."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def _images(count: int) -> str:
    return f"{count} image{'s' * (count != 1)}"
