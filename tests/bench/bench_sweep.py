"""A 100-call sweep plan, computed and its summary rendered, against building one request.

The plan: `a {…5…} fox in {…5…}` times quality low,high times two sizes = 100 cells, each
validated against its model's capabilities, priced through an estimator, and summarised as
the text the command shows. Baseline in the same run: one request built and validated, the
least a single `generate` does before sending. Target: the plan under 50 ms.

Run: python tests/bench/bench_sweep.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from imagegen_tui.models import caps_for_model
from imagegen_tui.request import ImageRequest
from imagegen_tui.sweep import Estimator, build, parse_sweeps

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


def plan_shown() -> str:
    base = ImageRequest(prompt=PROMPT, model="gpt-image-2")
    estimator = Estimator(lambda request: 0.011 if request.quality == "low" else 0.167, "published per-image token counts")
    plan = build(base, parse_sweeps(SWEEPS), caps_for_model, profile="bench", estimator=estimator)
    assert plan.calls == 100
    return "\n".join(plan.summary())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    baseline = median_ms(one_request, args.repeat * 20)
    planned = median_ms(plan_shown, args.repeat)
    print(plan_shown())
    print(f"one request built and validated: {baseline:.3f} ms (median)")
    print(f"100-call plan computed and shown: {planned:.2f} ms (median), {planned / baseline:.0f}x one request; target {TARGET_MS:.0f} ms: {'met' if planned < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
