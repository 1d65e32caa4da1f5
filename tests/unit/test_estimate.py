"""Estimates before sending, from a seeded ledger (a real SQLite history): the median of the
user's own generations like the request, else OpenAI's published token counts, else unknown,
each saying where it came from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imagegen_tui.estimate import Estimator, estimate
from imagegen_tui.prices import Price
from imagegen_tui.request import EditRequest, ImageRequest
from imagegen_tui.results import Usage
from imagegen_tui.saving import SavedImage
from imagegen_tui.store import FinishedGeneration, HistoryStore, UsageSample

PRICES = {"gpt-image-2": Price(input_text=5.0, input_image=8.0, output_image=30.0)}
_uid = iter(range(10**6))


def finished(model="gpt-image-2", size="1024x1024", quality="high", n=1, output=None, text=40, status="done", when=1_000_000.0, kind="generate"):
    usage = Usage(input_tokens=text, output_tokens=output, total_tokens=None if output is None else text + output, input_text_tokens=text, input_image_tokens=0)
    images = tuple(SavedImage(Path(f"/nowhere/{i}.png"), i, 1, 1, "png", 1) for i in range(1, n + 1))
    request = ImageRequest(prompt="a fox", model=model, n=n, size=size, quality=quality)
    return FinishedGeneration(f"u{next(_uid)}", when, "demo", "demo", request, status=status, usage=usage, images=images if status == "done" else (), kind=kind)


@pytest.fixture
def store(dirs) -> Iterator[HistoryStore]:
    with HistoryStore.open_default() as s:
        yield s


def test_the_median_of_your_own_generations_like_it_scaled_to_n(store):
    store.add_finished([finished(output=t) for t in (7000, 7024, 7100, 6900, 99_999)])  # one outlier: the median ignores it
    store.add_finished([finished(n=2, output=2 * 7024)])  # counted per image
    store.add_finished([
        finished(quality="low", output=100),  # another quality
        finished(size="1536x1024", output=100),  # another size
        finished(output=100, status="failed"),  # not done
        finished(output=None),  # no usage reported
        finished(model="gpt-image-1", output=100),  # another model
        finished(output=100, kind="edit"),  # an edit, not a generation
    ])
    guess = Estimator(store, PRICES)(ImageRequest(prompt="x", model="gpt-image-2", n=4, size="1024x1024", quality="high"))
    assert guess.source == "ledger" and guess.samples == 6
    assert guess.output_tokens == 4 * 7024 and guess.input_tokens == 40
    assert guess.cost == pytest.approx((40 * 5.0 + 4 * 7024 * 30.0) / 1e6)
    assert guess.sentence() == "≈ $0.84 · 4 images · from 6 of yours"


def test_only_the_newest_generations_are_sampled(store):
    store.add_finished([finished(output=100, when=1000.0 + i) for i in range(40)])  # older: cheaper then
    store.add_finished([finished(output=5000, when=9000.0 + i) for i in range(50)])
    guess = Estimator(store, PRICES).of("gpt-image-2", "1024x1024", "high", 1)
    assert guess.samples == 50 and guess.output_tokens == 5000


def test_edits_are_estimated_from_edits(store):
    store.add_finished([finished(output=3000, kind="edit")])
    edit = EditRequest(prompt="x", model="gpt-image-2", size="1024x1024", quality="high", images=())
    assert Estimator(store, PRICES)(edit).output_tokens == 3000
    assert Estimator(store, PRICES).of("gpt-image-2", "1024x1024", "high", 1, "generate").source == "unknown"


@pytest.mark.parametrize("size, quality, tokens", [
    ("1024x1024", "low", 272), ("1024x1024", "medium", 1056), ("1024x1024", "high", 4160),
    ("1024x1536", "low", 408), ("1024x1536", "medium", 1584), ("1024x1536", "high", 6240),
    ("1536x1024", "low", 400), ("1536x1024", "medium", 1568), ("1536x1024", "high", 6208),
])
def test_without_a_ledger_openais_published_counts_for_gpt_image_1(size, quality, tokens):
    guess = estimate([], None, "gpt-image-1", size, quality, 2)
    assert guess.source == "published" and guess.output_tokens == 2 * tokens and guess.cost is None
    assert guess.sentence() == f"≈ {2 * tokens:,} tokens (no price set) · 2 images · OpenAI's published token counts, output only"


def test_published_counts_priced():
    guess = estimate([], Price(output_image=40.0), "gpt-image-1", "1024x1024", "high", 1)
    assert guess.cost == pytest.approx(0.1664) and guess.amount() == "≈ $0.17"


@pytest.mark.parametrize("model, size, quality", [
    ("gpt-image-2", "1024x1024", "high"),  # no table published for gpt-image-2
    ("gpt-image-1", None, "high"),  # provider default size: billed as anything
    ("gpt-image-1", "1024x1024", "auto"),
    ("gpt-image-1", "1792x1024", "high"),  # not in the table
])
def test_otherwise_unknown_and_said_so(model, size, quality):
    guess = estimate([], PRICES.get(model), model, size, quality, 3)
    assert guess.source == "unknown" and guess.cost is None and not guess.known
    assert guess.sentence() == "cost unknown · 3 images · none like it recently"


def test_a_per_image_price_alone_needs_no_tokens():
    guess = estimate([], Price(per_image=0.04), "dall-e-3", "1024x1024", "hd", 3)
    assert guess.cost == pytest.approx(0.12) and guess.sentence() == "≈ $0.12 · 3 images · your price per image"


def test_no_history_at_all_is_unknown_not_an_error():
    assert Estimator(None, PRICES).of("gpt-image-2", "1024x1024", "high", 1).source == "unknown"


def test_tokens_say_whether_a_price_is_missing_or_only_part_of_one():
    sample = [UsageSample(1, 40, 0, 1000)]
    assert estimate(sample, None, "m", "1024x1024", "low", 1).amount() == "≈ 1,040 tokens (no price set)"
    assert estimate(sample, Price(output_image=30.0), "m", "1024x1024", "low", 1).amount() == "≈ 1,040 tokens (some token kinds have no price)"


def test_samples_are_sought_among_the_models_newest_generations_only(store):
    store.add_finished([finished(output=3000, when=1000.0 + i) for i in range(3)])
    store.add_finished([finished(quality="low", output=100, when=2000.0 + i) for i in range(5)])  # newer, another quality
    assert len(store.usage_samples("gpt-image-2", "1024x1024", "high", "generate", 50, window=8)) == 3
    assert store.usage_samples("gpt-image-2", "1024x1024", "high", "generate", 50, window=5) == []
