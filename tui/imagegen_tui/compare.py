"""What differs between a few images of the history: the parameters that are not the same for
all of them, and their prompts word by word against the first one. Shared by the compare screen
(ui/screens/compare.py) and `imagegen-tui history compare`; no Textual here.

An image is picked as `ID` (a generation) or `ID:I` (its image I). A generation picked whole
stands for all its images when every pick together comes to at most MAX_SHOWN images, else for
its first: marking one n=4 generation compares its four images, marking three generations
compares their first images.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from imagegen_tui.prices import Price
from imagegen_tui.store import Generation, StoredImage
from imagegen_tui.textsafe import one_line

MIN_SHOWN, MAX_SHOWN = 2, 4  # images side by side on the compare screen

Op = Literal["same", "added", "removed"]


class Pick(NamedTuple):
    """A generation (`index` None) or one of its images (1-based)."""

    generation_id: int
    index: int | None = None

    def __str__(self) -> str:
        return f"{self.generation_id}" if self.index is None else f"{self.generation_id}:{self.index}"


def parse_pick(spec: str) -> Pick:
    """`12` or `12:2`; ValueError with a sentence for anything else."""
    head, colon, tail = spec.strip().partition(":")
    if not re.fullmatch(r"\d+", head) or (colon and not re.fullmatch(r"\d+", tail)):
        raise ValueError(f"{spec!r} is not an image of the history: write ID (12) or ID:IMAGE (12:2 is image 2 of #12)")
    pick = Pick(int(head), int(tail) if colon else None)
    if pick.generation_id < 1 or (pick.index is not None and pick.index < 1):
        raise ValueError(f"{spec!r}: ids and image numbers start at 1")
    return pick


class Item(NamedTuple):
    """One image to compare (or a generation that has none, for the command line)."""

    generation: Generation
    image: StoredImage | None

    @property
    def label(self) -> str:
        """`#12` for a generation of one image, `#12:2` for one image of several."""
        g = self.generation
        return f"#{g.id}" if self.image is None or len(g.images) <= 1 else f"#{g.id}:{self.image.index}"


def resolve(picks: Sequence[Pick], generations: Mapping[int, Generation], limit: int | None = MAX_SHOWN) -> list[Item]:
    """The items `picks` stand for, in their order, each image once (see the module's docstring
    for a whole generation; `limit` None: all its images always). Every pick's generation must be
    in `generations` (`unknown` names those that are not); an image a generation does not have
    raises ValueError with a sentence."""
    for pick in picks:
        g = generations[pick.generation_id]
        if pick.index is not None and not any(i.index == pick.index for i in g.images):
            have = f"it has {len(g.images)}" if g.images else "it has no images"
            raise ValueError(f"#{g.id} has no image {pick.index}; {have}")
    whole_total = sum(len(generations[p.generation_id].images) or 1 if p.index is None else 1 for p in picks)
    all_images = limit is None or whole_total <= limit
    items: list[Item] = []
    for pick in picks:
        g = generations[pick.generation_id]
        if pick.index is not None:
            items.append(Item(g, next(i for i in g.images if i.index == pick.index)))
        elif not g.images:
            items.append(Item(g, None))
        else:
            items += [Item(g, image) for image in (g.images if all_images else g.images[:1])]
    return list({(item.generation.id, item.image.index if item.image else 0): item for item in items}.values())


def unknown(picks: Sequence[Pick], generations: Mapping[int, Generation]) -> list[int]:
    """The ids picked that the history does not have."""
    return list(dict.fromkeys(p.generation_id for p in picks if p.generation_id not in generations))


# --- parameters --------------------------------------------------------------------------------

def _param(name: str) -> Callable[[Item], str]:
    def read(item: Item) -> str:
        value = item.generation.params.get(name)
        return "default" if value is None else str(value)

    return read


def _pixels(item: Item) -> str:
    image = item.image
    return f"{image.width}x{image.height}" if image is not None and image.width and image.height else "?"


def _styles(item: Item) -> str:
    return ", ".join(item.generation.provenance.styles) or "none"


def _format(item: Item) -> str:
    """The file's own format, read from its bytes when it was saved: a provider may ignore
    output_format (Gemini does), and what is compared is the file. The asked one only for a
    generation without images."""
    if item.image is not None and item.image.format:
        return item.image.format
    return _param("output_format")(item)


def _origin(item: Item) -> str:
    return item.generation.origin() or "fresh"


# what can differ, in the order shown: (name, how it reads)
PARAMETERS: tuple[tuple[str, Callable[[Item], str]], ...] = (
    ("model", lambda item: item.generation.model),
    ("size", _param("size")),
    ("pixels", _pixels),
    ("quality", _param("quality")),
    ("background", _param("background")),
    ("format", _format),
    ("compression", _param("output_compression")),
    ("moderation", _param("moderation")),
    ("fidelity", _param("input_fidelity")),
    ("n", lambda item: str(item.generation.n)),
    ("profile", lambda item: item.generation.profile),
    ("kind", lambda item: item.generation.kind),
    ("from", _origin),
    ("styles", _styles),
)


def parameters(items: Sequence[Item]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(differing, same): each parameter's value for every item where they are not all the
    same, and the shared value of the others. Values are one line, made visible."""
    differing: dict[str, list[str]] = {}
    same: dict[str, str] = {}
    for name, read in PARAMETERS:
        values = [one_line(read(item)) for item in items]
        if len(set(values)) > 1:
            differing[name] = values
        else:
            same[name] = values[0] if values else ""
    return differing, same


def cost(g: Generation, prices: Mapping[str, Price]) -> str:
    """What the generation cost: at the configured price, else its tokens, else unknown."""
    spent = g.cost(prices)
    images = f" for {g.image_count} images" if g.image_count > 1 else ""
    if spent is not None:
        return f"{spent:.3f}{images}"
    if g.total_tokens is not None:
        return f"{g.total_tokens:,} tokens{images}"
    return "unknown"


# --- prompts -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"(\s*)(\w+(?:['’-]\w+)*|\S)")


class Word(NamedTuple):
    """A word (or a punctuation mark) and whether a space came before it."""

    text: str
    spaced: bool


def words(text: str) -> list[Word]:
    """`a red fox, in snow` -> a, red, fox, ",", in, snow: punctuation apart, so "fox," and
    "fox" differ by the comma alone. Line breaks and runs of spaces count as one space."""
    return [Word(m.group(2), bool(m.group(1))) for m in _TOKEN.finditer(text)]


class Span(NamedTuple):
    """A run of words of one kind: the same in both prompts, only in the other (added), only in
    the reference (removed)."""

    op: Op
    text: str  # as it reads, with a leading space where one came before it

    def as_dict(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


def word_diff(reference: str, other: str) -> list[Span]:
    """`other` against `reference`, word by word: removed words where `other` replaced or
    dropped them, then the words it put in their place."""
    import difflib  # not at start-up: the history imports this module for its marks

    a, b = words(reference), words(other)
    matcher = difflib.SequenceMatcher(None, [w.text for w in a], [w.text for w in b], autojunk=False)
    spans: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans.append(Span("same", _joined(b[j1:j2], first=not spans)))
            continue
        if i2 > i1:
            spans.append(Span("removed", _joined(a[i1:i2], first=not spans)))
        if j2 > j1:
            spans.append(Span("added", _joined(b[j1:j2], first=not spans)))
    return spans


def changed_words(reference: str, others: Sequence[str]) -> list[Span]:
    """The reference itself, its words that any other prompt drops or replaces marked
    "removed": what the others change in it."""
    import difflib

    a = words(reference)
    changed = [False] * len(a)
    for other in others:
        matcher = difflib.SequenceMatcher(None, [w.text for w in a], [w.text for w in words(other)], autojunk=False)
        for tag, i1, i2, _, _ in matcher.get_opcodes():
            if tag != "equal":
                changed[i1:i2] = [True] * (i2 - i1)
    spans: list[Span] = []
    start = 0
    for i in range(1, len(a) + 1):
        if i == len(a) or changed[i] != changed[start]:
            spans.append(Span("removed" if changed[start] else "same", _joined(a[start:i], first=start == 0)))
            start = i
    return spans


def _joined(run: Sequence[Word], *, first: bool) -> str:
    text = "".join((" " if w.spaced else "") + w.text for w in run)
    return text.lstrip(" ") if first else text


def elide(spans: Sequence[Span], context: int = 3) -> list[Span]:
    """Long runs of unchanged words cut to `context` words either side of a change, "…" in
    their place, so a caption shows what changed in a long prompt."""
    if all(span.op == "same" for span in spans):
        return list(spans)
    shown: list[Span] = []
    for position, span in enumerate(spans):
        run = words(span.text)
        head = context if position > 0 else 0  # words after a change, kept
        tail = context if position < len(spans) - 1 else 0  # words before the next change
        if span.op != "same" or len(run) <= head + tail + 1:
            shown.append(span)
            continue
        text = _joined(run[:head], first=False) + " …" + _joined(run[len(run) - tail :], first=False)
        shown.append(Span("same", text.lstrip(" ") if position == 0 else text))
    return shown


def prompt_diffs(items: Sequence[Item]) -> list[list[Span]] | None:
    """Each item's prompt against the first item's (the first: its words the others change);
    None when every prompt is the same."""
    prompts = [item.generation.prompt for item in items]
    if len(set(prompts)) <= 1:
        return None
    reference = prompts[0]
    return [changed_words(reference, prompts[1:])] + [word_diff(reference, p) for p in prompts[1:]]


def as_json(items: Sequence[Item], prices: Mapping[str, Price]) -> dict[str, Any]:
    """The comparison for `history compare --json`."""
    differing, same = parameters(items)
    diffs = prompt_diffs(items)
    return {
        "items": [
            {
                "id": item.generation.id, "image": item.image.index if item.image else None,
                "path": str(item.image.path) if item.image else None, "prompt": item.generation.prompt,
                "cost": item.generation.cost(prices), "total_tokens": item.generation.total_tokens,
                "status": item.generation.status,
            }
            for item in items
        ],
        "differ": differing,
        "same": same,
        "prompt_reference": 0 if diffs else None,
        "prompt_diffs": [[span.as_dict() for span in spans] for spans in diffs[1:]] if diffs else None,
    }
