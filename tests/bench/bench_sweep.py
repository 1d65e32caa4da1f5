"""A 100-call sweep plan, computed and its summary rendered, against building one request.

The plan: `a {…5…} fox in {…5…}` times quality low,high times two sizes = 100 cells, each
validated against its model's capabilities, priced from a history of 10,000 generations (the
estimator the app uses, fresh for each plan, as each plan is a fresh one), and summarised as
the text the command shows. Baseline in the same run: one request built and validated, the
least a single `generate` does before sending. Target: the plan under 50 ms.

Run: python tests/bench/bench_sweep.py [--repeat 50] [--generations 10000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from imagegen_tui.estimate import Estimator
from imagegen_tui.models import caps_for_model
from imagegen_tui.prices import Price
from imagegen_tui.request import ImageRequest
from imagegen_tui.store import HistoryStore
from imagegen_tui.sweep import build, parse_sweeps

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fill_history import fill  # noqa: E402

PROMPT = "a {red|blue|green|golden|white} fox in {snow|fog|rain|a meadow|moonlight}, watercolour"
SWEEPS = ["quality=low,high", "size=1024x1024,1536x1024"]
TARGET_MS = 50.0


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def one_request() -> ImageRequest:
    return ImageRequest(prompt="a red fox in snow, watercolour", model="gpt-image-2", quality="low", size="1024x1024").validate(caps_for_model("gpt-image-2"))


PRICES = {"gpt-image-2": Price(input_text=5.0, input_image=8.0, output_image=30.0)}


def plan_shown(store: HistoryStore) -> str:
    base = ImageRequest(prompt=PROMPT, model="gpt-image-2")
    plan = build(base, parse_sweeps(SWEEPS), caps_for_model, profile="bench", estimator=Estimator(store, PRICES))
    assert plan.calls == 100
    return "\n".join(plan.summary())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--generations", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite3"
        fill(path, args.generations)
        with HistoryStore(path) as store:
            baseline = median_ms(one_request, args.repeat * 20)
            planned = median_ms(lambda: plan_shown(store), args.repeat)
            print(plan_shown(store))
    print(f"one request built and validated: {baseline:.3f} ms (median)")
    print(f"100-call plan computed, priced from {args.generations:,} generations and shown: {planned:.2f} ms (median), {planned / baseline:.0f}x one request; target {TARGET_MS:.0f} ms: {'met' if planned < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
