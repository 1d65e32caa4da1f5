"""An edit's inputs, from where people have them (files, images in the history, a painted or
described mask) to an EditRequest and the Sources the history records; and back again, from
the kept copies, for a re-run. Blocking (files): call from a thread in the TUI."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagegen_tui import masks, sources
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.request import AnyRequest, EditRequest, InputImage
from imagegen_tui.sources import Source
from imagegen_tui.store import Generation, HistoryStore


@dataclass(frozen=True)
class EditInput:
    """One file of an edit: the bytes sent and how the history will name them."""

    image: InputImage
    source: Source


@dataclass(frozen=True)
class Wanted:
    """An input as a screen holds it before it is read: a file, or an image of the history."""

    path: Path
    generation_id: int | None = None
    index: int = 1
    name: str | None = None  # when the file at `path` is a kept copy: the name it had


def gather(store: HistoryStore | None, wanted: Sequence[Wanted]) -> list[EditInput]:
    """Each input read and kept; history images through the history (their links recorded),
    or as plain files when there is no history."""
    return [
        from_history(store, w.generation_id, w.index) if store is not None and w.generation_id is not None else from_file(w.path, name=w.name)
        for w in wanted
    ]


def from_file(path: Path, role: sources.Role = "image", name: str | None = None) -> EditInput:
    """InvalidRequest (on "images" or "mask") when the file cannot be read. `name`: what to
    call it (default: the file's name)."""
    field = "mask" if role == "mask" else "images"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidRequest([(field, f"{path}: {exc.strerror or exc}")]) from None
    name = name or path.name
    return EditInput(InputImage(data, name), sources.keep(data, name, role))


def from_history(store: HistoryStore, gen_id: int, index: int = 1) -> EditInput:
    """Image `index` (1-based) of generation `gen_id`, as the history has it now."""
    generation = store.get(gen_id)
    if generation is None:
        raise InvalidRequest([("images", f"no generation #{gen_id} in the history")])
    image = next((i for i in generation.images if i.index == index), None)
    if image is None:
        have = f"it has {len(generation.images)}" if generation.images else "it has no images"
        raise InvalidRequest([("images", f"#{gen_id} has no image {index}; {have}")])
    try:
        data = image.path.read_bytes()
    except OSError as exc:
        raise InvalidRequest([("images", f"image {index} of #{gen_id} ({image.path}) cannot be read: {exc.strerror or exc}")]) from None
    kept = sources.keep(data, image.path.name, generation_id=gen_id, generation_uid=generation.uid, index=index)
    return EditInput(InputImage(data, image.path.name), kept)


def parse_from(spec: str) -> tuple[int, int]:
    """`12` or `12:2` (generation, image index) as `--from` takes them."""
    head, _, tail = spec.partition(":")
    try:
        gen_id, index = int(head), int(tail) if tail else 1
    except ValueError:
        raise InvalidRequest([("images", f"--from {spec!r}: write a history id, or ID:INDEX (12:2 is image 2 of #12)")]) from None
    if gen_id < 1 or index < 1:
        raise InvalidRequest([("images", f"--from {spec!r}: ids and indexes start at 1")])
    return gen_id, index


def mask_for(first: EditInput, *, data: bytes | None = None, name: str = "mask.png",
             regions: Iterable[masks.Region] = ()) -> tuple[EditInput, str | None]:
    """The mask for `first`: a file's bytes made into one (prepare_mask: converted from black
    and white, never resized), or drawn from regions. Returns it with the note on what was done."""
    size = first.image.dimensions()
    if size is None:
        raise InvalidRequest([("images", f"{first.image.name!r} cannot be read as an image, so no mask can fit it")])
    if data is not None:
        prepared = masks.prepare_mask(data, size)
        data, note = prepared.data, prepared.note
    else:
        data, note = masks.region_mask(size, list(regions)), None
    return EditInput(InputImage(data, name), sources.keep(data, name, "mask")), note


def build(prompt: str, params: dict[str, Any], images: Sequence[EditInput], mask: EditInput | None = None) -> tuple[EditRequest, list[Source]]:
    """The request (not yet validated) and the sources to record with it, mask last."""
    request = EditRequest.from_params(prompt, params, images=tuple(i.image for i in images), mask=mask.image if mask else None)
    return request, [i.source for i in images] + ([mask.source] if mask else [])


def again(generation: Generation) -> tuple[AnyRequest, list[Source]]:
    """A generation of the history again, with what it was made from: an edit's inputs come
    from the copies kept of them (the files it named may have moved or gone). InvalidRequest
    naming the input whose copy is missing or altered."""
    if generation.kind != "edit":
        return generation.request(), []
    images: list[EditInput] = []
    mask: EditInput | None = None
    for source in generation.sources:
        try:
            data = sources.load(source)
        except (OSError, ValueError) as exc:
            field = "mask" if source.role == "mask" else "images"
            raise InvalidRequest([(field, f"the kept copy of {source.label()} cannot be used ({exc}); edit it afresh with its files")]) from None
        entry = EditInput(InputImage(data, source.name), source)
        if source.role == "mask":
            mask = entry
        else:
            images.append(entry)
    return build(generation.prompt, generation.params, images, mask)
