"""What a request will cost before it is sent, and where that number comes from.

First from the user's own ledger: the median tokens of their recent finished generations with
the same model, size, quality and kind (the newest 50 among the model's last 5,000), scaled to
n, the number of samples said. Else from per-image output token counts the provider published
for that model, size and quality. Else unknown. A number is never shown without its source;
tokens stand in when no price is set. `Estimator` is what a sweep's plan sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import median
from typing import TYPE_CHECKING

from imagegen_tui.prices import Price, Spend, cost

if TYPE_CHECKING:
    from imagegen_tui.request import AnyRequest
    from imagegen_tui.store import HistoryStore, UsageSample

SAMPLES = 50  # the most recent generations looked at: prices and models drift, old ones say less

# Output image tokens per image, by (size, quality), as OpenAI publishes them for gpt-image-1 in
# its image generation guide ("Cost and latency": developers.openai.com/api/docs/guides/
# image-generation; quoted at community.openai.com/t/1371851). They match its per-image prices
# at $40 per 1M output tokens (272 tokens = $0.011 for a low 1024x1024). No such table is
# published for gpt-image-2 (its sizes are free-form), so it is estimated from the ledger only.
PUBLISHED_OUTPUT_TOKENS: Mapping[str, Mapping[tuple[str, str], int]] = {
    "gpt-image-1": {
        ("1024x1024", "low"): 272, ("1024x1024", "medium"): 1056, ("1024x1024", "high"): 4160,
        ("1024x1536", "low"): 408, ("1024x1536", "medium"): 1584, ("1024x1536", "high"): 6240,
        ("1536x1024", "low"): 400, ("1536x1024", "medium"): 1568, ("1536x1024", "high"): 6208,
    },
}
PUBLISHED = "OpenAI's published token counts"


@dataclass(frozen=True)
class Estimate:
    """`source`: "ledger" (from `samples` of the user's generations), "published" (output
    tokens only: input is not counted), "price" (a per-image price alone), or "unknown"."""

    images: int
    source: str
    samples: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    priced: bool = False  # the model has a price (which may still not cover every kind of token)

    @property
    def known(self) -> bool:
        return self.source != "unknown"

    def provenance(self) -> str:
        """Where the number comes from, in a few words."""
        if self.source == "ledger":
            return f"from {self.samples} of yours"
        if self.source == "published":
            return f"{PUBLISHED}, output only"
        if self.source == "price":
            return "your price per image"
        return "none like it recently"

    def amount(self) -> str:
        """"≈ $0.19", "≈ 4,224 tokens" when no price is set, or "cost unknown"."""
        if self.cost is not None:
            return f"≈ {money(self.cost)}"
        if self.source in ("ledger", "published"):
            why = "some token kinds have no price" if self.priced else "no price set"
            return f"≈ {self.input_tokens + self.output_tokens:,} tokens ({why})"
        return "cost unknown"

    def sentence(self) -> str:
        """"≈ $0.19 · 4 images · from 12 of yours"."""
        images = f"{self.images} image{'s' * (self.images != 1)}"
        return f"{self.amount()} · {images} · {self.provenance()}"


def money(value: float) -> str:
    return f"${value:.2f}" if value >= 0.1 or value == 0 else f"${value:.3f}"


class Estimator:
    """Estimates for many requests from one ledger (a sweep's plan, the budget's running jobs):
    each model, size, quality and kind is read from the history once. Blocking (SQLite)."""

    def __init__(self, store: HistoryStore | None, prices: Mapping[str, Price]) -> None:
        self.store = store
        self.prices = prices
        self._samples: dict[tuple[str, str | None, str | None, str], list[UsageSample]] = {}

    def __call__(self, request: AnyRequest) -> Estimate:
        from imagegen_tui.request import EditRequest

        kind = "edit" if isinstance(request, EditRequest) else "generate"
        return self.of(request.model, request.size, request.quality, request.n, kind)

    def cost(self, request: AnyRequest) -> float | None:
        """For a plan that sums costs: None when unknown."""
        return self(request).cost

    def of(self, model: str, size: str | None, quality: str | None, n: int, kind: str = "generate") -> Estimate:
        key = (model, size, quality, kind)
        if key not in self._samples:
            self._samples[key] = self.store.usage_samples(model, size, quality, kind, SAMPLES) if self.store else []
        return estimate(self._samples[key], self.prices.get(model), model, size, quality, n)


def estimate(samples: list[UsageSample], price: Price | None, model: str, size: str | None, quality: str | None, n: int) -> Estimate:
    """`samples`: past finished generations like this request, with usage reported."""
    n = max(1, n)
    if samples:
        per_image = median(s.output_tokens / max(1, s.images) for s in samples)
        text = round(median(s.input_text_tokens for s in samples))
        image_in = round(median(s.input_image_tokens for s in samples))
        output = round(per_image * n)
        spend = Spend(n, text, image_in, output)
        return Estimate(n, "ledger", len(samples), text + image_in, output, cost(spend, price), price is not None)
    published = PUBLISHED_OUTPUT_TOKENS.get(model, {}).get((size or "", quality or ""))
    if published is not None:
        output = published * n
        return Estimate(n, "published", 0, 0, output, cost(Spend(n, 0, 0, output), price), price is not None)
    if price is not None and price.per_image is not None and all(rate is None for rate in (price.input_text, price.input_image, price.output_image)):
        return Estimate(n, "price", cost=price.per_image * n, priced=True)
    return Estimate(n, "unknown", priced=price is not None)
