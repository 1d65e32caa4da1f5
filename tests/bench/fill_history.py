"""Fill a history store with N realistic generations (1-4 images each, some failures; one in
ten a cell of a four-call sweep).

Run: python tests/bench/fill_history.py PATH N     (used by bench_history.py)
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from imagegen_tui.request import ImageRequest
from imagegen_tui.results import Usage
from imagegen_tui.saving import SavedImage
from imagegen_tui.store import FinishedGeneration, HistoryStore, Provenance

SUBJECTS = ("a red fox", "a lighthouse", "an astronaut", "a tabby cat", "a vintage car", "a mountain village", "a koi pond",
            "a robot barista", "a dragon", "a cyberpunk street", "an owl", "a sailing ship", "a bowl of ramen", "a greenhouse",
            "a jazz trio", "a desert caravan", "a glass teapot", "a polar bear", "a treehouse", "a steam locomotive")
SETTINGS = ("in the snow", "at dusk", "under neon rain", "on a misty morning", "in a sunflower field", "inside a cathedral",
            "on the moon", "by the sea", "in a busy market", "at golden hour", "underwater", "in a library")
STYLES = ("watercolor", "oil painting", "isometric 3D render", "35mm film photo", "pixel art", "ukiyo-e woodblock print",
          "studio product shot", "charcoal sketch", "low-poly", "cinematic still", "children's book illustration", "art deco poster")
EXTRAS = ("soft volumetric light", "high detail", "shallow depth of field", "muted palette", "vibrant colors", "symmetrical composition",
          "wide angle", "macro", "dramatic shadows", "pastel tones", "", "", "")
MODELS = (("gpt-image-2", 0.8), ("gpt-image-1", 0.15), ("dall-e-3", 0.05))
SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
SWEEP_EVERY, SWEEP_CALLS = 40, 4  # the first 4 of every 40 generations are one sweep's cells


def prompt(rng: random.Random) -> str:
    words = [rng.choice(SUBJECTS), rng.choice(SETTINGS) + ",", rng.choice(STYLES)]
    extra = rng.choice(EXTRAS)
    return " ".join(words) + (f", {extra}" if extra else "")


def records(count: int, seed: int = 7):
    rng = random.Random(seed)
    start = time.time() - 365 * 86400
    for i in range(count):
        model = rng.choices([m for m, _ in MODELS], [w for _, w in MODELS])[0]
        n = 1 if model == "dall-e-3" else rng.choice((1, 1, 2, 4))
        status = rng.choices(("done", "failed", "interrupted", "cancelled"), (0.93, 0.05, 0.01, 0.01))[0]
        quality = rng.choice(("low", "medium", "high"))
        uid = f"bench{i:010d}"
        images = tuple(SavedImage(Path(f"/srv/pictures/imagegen-tui/{uid}-{k}.png"), k, 1024, 1024, "png", 1_500_000) for k in range(1, n + 1)) if status == "done" else ()
        yield FinishedGeneration(
            uid=uid,
            created_at=start + i * (365 * 86400 / count),
            profile=rng.choices(("model-go", "openai", "demo"), (0.7, 0.25, 0.05))[0],
            provider="model-go.com",
            request=ImageRequest(prompt=prompt(rng), model=model, n=n, size=rng.choice(SIZES), quality=quality),
            status=status,
            usage=Usage(30, 1056 * n, 30 + 1056 * n, 30, 0) if status == "done" else Usage(),
            elapsed=rng.uniform(20, 180),
            error_kind="rate_limited" if status == "failed" else None,
            favourite=rng.random() < 0.02,
            images=images,
            provenance=Provenance(sweep_id=f"bench{i // SWEEP_EVERY}", sweep_axes={"quality": quality}) if i % SWEEP_EVERY < SWEEP_CALLS else Provenance(),
        )


def fill(path: Path, count: int) -> None:
    with HistoryStore(path) as store:
        batch = []
        for record in records(count):
            batch.append(record)
            if len(batch) == 5000:
                store.add_finished(batch)
                batch = []
        store.add_finished(batch)


if __name__ == "__main__":
    fill(Path(sys.argv[1]), int(sys.argv[2]))
