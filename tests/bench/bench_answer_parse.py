"""How long an answer's JSON holds the GIL while it is parsed, for base64 and data: URL answers,
and how long a percent-encoded data: URL takes to decode. On demand, not in the test run.

Why: answers are parsed in a worker thread, but json.loads holds the GIL for its whole run, so a
25 MB answer freezes the TUI's event loop beside it for tens of ms. parse_json_body cuts the
image values out first (b64_json, and url values that are data: URLs) with single-byte finds;
this shows what that saves, with json.loads on the same bytes as the baseline of the same run.

Answers: n=3 images of 6 MB of random bytes each (25 MB of base64), once as `b64_json`, once as
`url: "data:image/png;base64,…"` (as some local servers answer). Then one 2 MB image as a
percent-encoded data: URL, decoded by decode_data_url against urllib's unquote_to_bytes.

Run: python tests/bench/bench_answer_parse.py [--runs 15] [--mb 6]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from imagegen_tui.results import decode_data_url, parse_json_body


def median_ms(parse: Callable[[bytes], Any], raw: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parse(raw)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--mb", type=int, default=6, help="MB of image bytes per image")
    args = parser.parse_args()
    blob = base64.b64encode(os.urandom(args.mb * 1024 * 1024)).decode()
    answers = {
        "b64_json": {"created": 1, "data": [{"b64_json": blob, "revised_prompt": 'a "fox"'} for _ in range(3)], "usage": {"total_tokens": 3}},
        "data: URL": {"created": 1, "data": [{"url": f"data:image/png;base64,{blob}", "revised_prompt": 'a "fox"'} for _ in range(3)]},
    }
    print(f"median of {args.runs} runs; baseline: json.loads on the same bytes, this run")
    for name, answer in answers.items():
        raw = json.dumps(answer).encode()
        ours, baseline = median_ms(parse_json_body, raw, args.runs), median_ms(json.loads, raw, args.runs)
        print(f"{name:10} {len(raw) / 1e6:5.1f} MB  parse_json_body {ours:6.1f} ms  json.loads {baseline:6.1f} ms  ratio {ours / baseline:.2f}")
    payload = urllib.parse.quote_from_bytes(os.urandom(2 * 1024 * 1024), safe="").encode()
    ours = median_ms(lambda raw: decode_data_url(b"data:image/png," + raw), payload, args.runs)
    baseline = median_ms(urllib.parse.unquote_to_bytes, payload, min(args.runs, 5))
    print(f"percent    {len(payload) / 1e6:5.1f} MB  decode_data_url {ours:6.1f} ms  unquote_to_bytes {baseline:6.1f} ms  ratio {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
