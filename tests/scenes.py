"""Fixed states of the app, for snapshot tests and for `python tests/make_screenshots.py`.

A small history with real image files (drawn by the demo artist, saved the way the app saves
them) at fixed times, in whatever folders the XDG_* variables point to; half-cell graphics.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PIL import Image

from imagegen_tui.config import load_config
from imagegen_tui.demo import artist
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import GenerationResult, Usage, verify_image
from imagegen_tui.saving import SaveTarget, save_result
from imagegen_tui.store import FinishedGeneration, HistoryStore, Provenance
from imagegen_tui.studio import Studio

START = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
NOW = START.replace(hour=14)  # what the history's ages count from: "32m" and "5h", whatever the day
HISTORY = [
    # prompt, n, size, quality, status, error kind, error message
    ("a red fox made of autumn leaves, studio product shot", 1, "1024x1024", "high", "done", None, None),
    ("a koi pond under neon rain, cinematic still", 1, "1024x1024", "medium", "failed", "quota",
     "429 from model-go.com: the account is out of quota or credit; add credit or check the plan; retrying will not help"),
    ("isometric 3D render of a tiny greenhouse, pastel tones", 2, "1024x1536", "medium", "done", None, None),
    ("a robot barista pouring latte art, ukiyo-e woodblock print", 1, "1536x1024", "low", "done", None, None),
    ("a lighthouse on a cliff at dusk, volumetric light, oil painting", 4, "1536x1024", "high", "done", None, None),
]


def use_utc() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()


# One flat colour per image: any Pillow draws and scales it to the same cells, so snapshots do
# not change with Pillow's resampling (the demo artist's pictures differ between 10.3 and 13).
FLAT_COLOURS = [(178, 64, 40), (40, 96, 160), (212, 180, 60), (60, 150, 90)]


def seed(store: HistoryStore, output: Path, flat: bool = False) -> None:
    """`flat`: single-colour images instead of the demo artist's, for snapshots."""
    for i, (prompt, n, size, quality, status, kind, message) in enumerate(HISTORY):
        when = START.replace(hour=9 + i, minute=7 * i % 60)
        request = ImageRequest(prompt=prompt, model="gpt-image-2", n=n, size=size, quality=quality)
        images = ()
        usage = Usage()
        if status == "done":
            width, height = (int(v) for v in size.split("x"))
            drawn = [Image.new("RGB", (width // 2, height // 2), FLAT_COLOURS[k]) if flat else artist.draw(prompt, width // 2, height // 2, k) for k in range(n)]
            payloads = [verify_image(artist.encode(image, "png", None)) for image in drawn]
            usage = Usage(input_tokens=len(prompt) // 4, output_tokens=4160 * n, total_tokens=len(prompt) // 4 + 4160 * n)
            result = GenerationResult(images=payloads, created=int(when.timestamp()), usage=usage, request_id=f"req_scene_{i}", elapsed=38.5 + 11 * i)
            target = SaveTarget(folder=output, template="{date}/{time}-{slug}-{index}", profile="model-go", provider="model-go.com", generation_id=f"scene{i:07d}", when=when.astimezone().replace(tzinfo=None))
            images = tuple(save_result(request, result, target))
        store.add_finished([FinishedGeneration(
            uid=f"scene{i:07d}", created_at=when.timestamp(), profile="model-go", provider="model-go.com", request=request,
            status=status, usage=usage, elapsed=38.5 + 11 * i if status == "done" else 12.0, request_id=f"req_scene_{i}",
            error_kind=kind, error_message=message, favourite=(i == 4), images=images,
        )])
        if i == 3:
            _seed_edit(store, output, flat, when, images[0])


def _seed_edit(store: HistoryStore, output: Path, flat: bool, after: datetime, source: Any) -> None:
    """An edit of the robot barista (#4) with a mask, half an hour later: the lineage scenes."""
    from imagegen_tui.sources import Source

    base = next(g for g in store.page() if g.uid == "scene0000003")
    when = after.replace(minute=after.minute + 24)
    prompt = "the robot barista pours a latte heart, same print, night cafe"
    request = ImageRequest(prompt=prompt, model="gpt-image-2", n=1, size="1536x1024", quality="low")
    drawn = Image.new("RGB", (768, 512), FLAT_COLOURS[2]) if flat else artist.draw(prompt, 768, 512, 0)
    result = GenerationResult(images=[verify_image(artist.encode(drawn, "png", None))], created=int(when.timestamp()), usage=Usage(60, 4160, 4220, 20, 40), request_id="req_scene_edit", elapsed=44.0)
    made_from = (Source("image", source.path.name, "e" * 64, base.id, base.uid, 1), Source("mask", "mask.png", "f" * 64))
    target = SaveTarget(folder=output, template="{date}/{time}-{slug}-{index}", profile="model-go", provider="model-go.com", generation_id="sceneedit01", when=when.astimezone().replace(tzinfo=None), sources=made_from)
    images = tuple(save_result(request, result, target))
    store.add_finished([FinishedGeneration(
        uid="sceneedit01", created_at=when.timestamp(), profile="model-go", provider="model-go.com", request=request,
        usage=result.usage, elapsed=44.0, request_id="req_scene_edit", images=images, kind="edit", sources=made_from,
    )])


def make_app(environ: dict[str, str] | None = None, flat: bool = False, first_run: bool = False) -> tuple[Any, HistoryStore]:
    """The app on a seeded history (see `seed` for `flat`), or as at the first run: no history,
    no key (the demo provider); the caller closes the store."""
    from imagegen_tui.ui import graphics
    from imagegen_tui.ui.app import ImagegenApp

    config = load_config()
    store = HistoryStore.open_default()
    if store.count() == 0 and not first_run:
        seed(store, config.output.folder, flat)
    environ = {} if first_run else {"MODEL_GO_API_KEY": "fake-key-scenes"} if environ is None else environ
    return ImagegenApp(Studio(config, store, environ), graphics.setup("halfcell")), store


async def settle(pilot: Any) -> None:
    """Jobs and loads finished, and cursors steady: a blink phase must not decide a snapshot."""
    from textual.widgets import Input, TextArea
    from textual.worker import WorkerCancelled

    from imagegen_tui.ui.widgets.history import HistoryList

    for widget in pilot.app.screen.query("TextArea, Input"):
        if isinstance(widget, (TextArea, Input)):
            widget.cursor_blink = False
    for history in pilot.app.screen.query(HistoryList):
        history.clock = NOW.timestamp
        history.refresh()
    for _ in range(4):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass
        await pilot.pause()


async def main_screen(pilot: Any) -> None:
    """The newest generation (n=4) selected, its second image shown."""
    await settle(pilot)
    pilot.app.clear_notifications()
    preview = pilot.app.query_one("#preview")
    preview.index = 1
    await settle(pilot)


async def search(pilot: Any) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.press("ctrl+f", *"fox")
    await pilot.pause(0.3)
    await settle(pilot)


async def error(pilot: Any) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    pilot.app.query_one("#history").focus()
    await pilot.press("down", "down", "down", "down")  # the koi pond: newest first, after the edit, the lighthouse, the robot and the greenhouse
    await settle(pilot)
    assert pilot.app.query_one("#history").current.status == "failed"


async def settings(pilot: Any) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.press("f2")
    await settle(pilot)


async def editing(pilot: Any) -> None:
    """e on the edit of the robot barista: its chip above the prompt, a mask painted, the
    sidebar in edit mode, a prompt being written; its preview says where it came from."""
    from imagegen_tui import masks

    await settle(pilot)
    pilot.app.clear_notifications()
    pilot.app.query_one("#history").focus()
    await pilot.press("down", "e")
    await settle(pilot)
    attachments = pilot.app.query_one("#attachments")
    attachments.set_mask(masks.region_mask((768, 512), [masks.rect("0,0,100%,35%")]))
    pilot.app.clear_notifications()
    pilot.app.query_one("#prompt-input").focus()
    await pilot.press(*"the same, at dawn")
    await settle(pilot)


async def lineage(pilot: Any) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    pilot.app.query_one("#history").focus()
    await pilot.press("down", "t")
    await settle(pilot)


async def compare(pilot: Any) -> None:
    """The robot barista and then its edit marked (space) and compared (=): side by side, each
    captioned with what differs, the edit's prompt word by word against the robot's."""
    from imagegen_tui.ui.screens.compare import CompareScreen

    await settle(pilot)
    pilot.app.clear_notifications()
    pilot.app.query_one("#history").focus()
    await pilot.press("down", "down", "space", "up", "space", "equals_sign")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CompareScreen)
    await settle(pilot)


def _seed_sweeps(store: HistoryStore, output: Path) -> None:
    """Two sweeps of flat-coloured images, newer than the rest: a 2x2 of colours and weather,
    and a quality sweep of two calls (no contact sheets: their lettering would tie the pictures
    to one Pillow's fonts)."""
    sweeps = [
        ("sweepab12", START.replace(hour=13, minute=40), [{"{1}": colour, "{2}": weather} for colour in ("red", "blue") for weather in ("snow", "fog")],
         lambda axes: f"a {axes['{1}']} fox in {axes['{2}']}", lambda axes: None),
        ("sweepcd34", START.replace(hour=13, minute=50), [{"quality": quality} for quality in ("low", "high")],
         lambda axes: "a paper crane on a desk", lambda axes: axes["quality"]),
    ]
    for sweep_id, when, cells, prompt_of, quality_of in sweeps:
        for k, axes in enumerate(cells):
            request = ImageRequest(prompt=prompt_of(axes), model="gpt-image-2", n=1, size="1024x1024", quality=quality_of(axes))
            payload = verify_image(artist.encode(Image.new("RGB", (512, 512), FLAT_COLOURS[k % 4]), "png", None))
            usage = Usage(input_tokens=10, output_tokens=1056, total_tokens=1066)
            uid = f"{sweep_id}{k}"
            at = when.replace(second=k)
            result = GenerationResult(images=[payload], created=int(at.timestamp()), usage=usage, request_id=f"req_{uid}", elapsed=20.0 + k)
            target = SaveTarget(folder=output, template="{date}/{time}-{slug}-{index}", profile="model-go", provider="model-go.com", generation_id=uid, when=at.astimezone().replace(tzinfo=None))
            store.add_finished([FinishedGeneration(
                uid=uid, created_at=at.timestamp(), profile="model-go", provider="model-go.com", request=request, usage=usage,
                elapsed=20.0 + k, request_id=f"req_{uid}", images=tuple(save_result(request, result, target)),
                provenance=Provenance(sweep_id=sweep_id, sweep_axes=axes),
            )])


async def sweeps(pilot: Any) -> None:
    """The fox sweep opened (→), its four calls beneath it; the crane sweep's row, closed,
    selected: its preview is the whole sweep."""
    from imagegen_tui.ui.widgets.history import HistoryList

    app = pilot.app
    _seed_sweeps(app.studio.store, app.studio.config.output.folder)
    history = app.query_one(HistoryList)
    history.reload()
    await settle(pilot)
    app.clear_notifications()
    history.focus()
    await pilot.press("down", "right")
    await settle(pilot)
    await pilot.press("up")
    await settle(pilot)


async def first_run(pilot: Any) -> None:
    """Nothing is cleared: at the first run no notice may cover the welcome."""
    await settle(pilot)


async def small(pilot: Any) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    await settle(pilot)


@dataclass(frozen=True)
class Scene:
    name: str
    size: tuple[int, int]
    prepare: Callable[[Any], Awaitable[None]]
    title: str
    first_run: bool = False  # no history and no key: the demo provider


SCENES = [
    Scene("main", (120, 40), main_screen, "Main screen: history, a 4-image generation, the parameter sidebar"),
    Scene("search", (120, 40), search, "Live full-text search of the history"),
    Scene("error", (120, 40), error, "A failed generation: what happened and what to do"),
    Scene("settings", (120, 40), settings, "Settings: profiles, keys, output, graphics"),
    Scene("small", (80, 24), small, "At 80x24 the sidebar starts hidden (ctrl+b)"),
    Scene("first-run", (80, 24), first_run, "The first run, with no key: the demo provider, and how to add a key", first_run=True),
    Scene("editing", (120, 40), editing, "Editing a result: the image above the prompt, a mask, input fidelity in the sidebar"),
    Scene("lineage", (120, 40), lineage, "Lineage: what a generation was made from and what was made from it"),
    Scene("compare", (120, 40), compare, "Compare: two marked images side by side, captioned with what differs"),
    Scene("sweeps", (120, 40), sweeps, "Sweeps in the history: one row each; opened, its calls beneath it with their axes"),
]
