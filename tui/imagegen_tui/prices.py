"""What a generation cost, from prices the user configured; unknown is said, never guessed.

```toml
[prices."gpt-image-2"]      # USD (or any one currency) per 1M tokens, and/or per image
input_text = 5.0
input_image = 8.0
output_image = 30.0
per_image = 0.0
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from imagegen_tui.errors import ConfigError, check_keys

PER_MILLION = 1_000_000


@dataclass(frozen=True)
class Price:
    input_text: float | None = None
    input_image: float | None = None
    output_image: float | None = None
    per_image: float | None = None


@dataclass(frozen=True)
class Spend:
    """Token and image totals of one or more finished generations of one model."""

    images: int = 0
    text_tokens: int = 0
    input_image_tokens: int = 0
    output_tokens: int = 0
    without_usage: int = 0  # finished generations whose provider reported no usage


def cost(spend: Spend, price: Price | None) -> float | None:
    """None when any part of the spend has no price; per-image and token prices add up."""
    if price is None:
        return None
    total = 0.0
    priced_something = False
    if price.per_image is not None:
        total += price.per_image * spend.images
        priced_something = True
    token_parts = (
        (spend.text_tokens, price.input_text),
        (spend.input_image_tokens, price.input_image),
        (spend.output_tokens, price.output_image),
    )
    if any(rate is not None for _, rate in token_parts):
        if spend.without_usage:
            return None
        for tokens, rate in token_parts:
            if tokens and rate is None:
                return None
            total += (rate or 0.0) * tokens / PER_MILLION
        priced_something = True
    return total if priced_something else None


def parse_prices(table: Any) -> dict[str, Price]:
    if not isinstance(table, Mapping):
        raise ConfigError("expected a table of models", key="prices")
    prices = {}
    for model, entry in table.items():
        where = f"prices.{model}"
        if not isinstance(entry, Mapping):
            raise ConfigError("expected a table", key=where)
        check_keys(entry, Price.__dataclass_fields__, where)
        values = {}
        for key, value in entry.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError("must be a number >= 0", key=f"{where}.{key}")
            values[key] = float(value)
        prices[str(model)] = Price(**values)
    return prices
