"""History query speed at 10,000 and 100,000 generations.

Median of repeated runs for: opening the store, the first page (newest 100, with images), the
list's grouped pages (sweeps folded into one row, some expanded) and their count, a deep page, a
full-text search (newest 100 matches), a filtered count, the stats query. Baseline in the same
run: the same questions answered by scanning a JSON-lines history file (what a script keeps).
Targets: every store figure under 20 ms at 10,000 and under 100 ms at 100,000.

Run: python tests/bench/bench_history.py [--sizes 10000 100000] [--repeat 25]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fill_history import fill, records

from imagegen_tui.prices import Price
from imagegen_tui.store import Filters, HistoryStore

PRICES = {"gpt-image-2": Price(input_text=5, output_image=40), "gpt-image-1": Price(input_text=5, output_image=40)}


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm the page cache, as a second look in the app would
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def jsonl_baseline(path: Path, count: int) -> Path:
    jsonl = path.with_suffix(".jsonl")
    with jsonl.open("w") as out:
        for r in records(count):
            out.write(json.dumps({"created_at": r.created_at, "prompt": r.request.prompt, "model": r.request.model, "status": r.status, "n": r.request.n}) + "\n")
    return jsonl


def scan(jsonl: Path, keep: Callable[[dict], bool]) -> list[dict]:
    with jsonl.open() as f:
        return [row for row in map(json.loads, f) if keep(row)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"history-{size}.sqlite3"
            started = time.perf_counter()
            fill(path, size)
            filled_in = time.perf_counter() - started
            jsonl = jsonl_baseline(path, size)
            store = HistoryStore(path)
            hits = store.count(Filters(text="lighthouse"))
            common = store.count(Filters(text="light"))
            opened = [g.provenance.sweep_id for g in store.page(limit=200) if g.provenance.sweep_id][:3]
            ours = {
                "open the store": lambda: HistoryStore(path).close(),
                "first page (newest 100)": lambda: store.page(limit=100),
                f"search 'lighthouse' ({hits} hits)": lambda: store.page(Filters(text="lighthouse"), limit=100),
                f"search 'light' prefix ({common} hits)": lambda: store.page(Filters(text="light"), limit=100),
                "grouped first page (sweeps folded)": lambda: store.listing(limit=100),
                "grouped first page, 3 sweeps expanded": lambda: store.listing(expanded=opened, limit=100),
                f"grouped page at row {size // 2:,}": lambda: store.listing(limit=100, offset=size // 2),
                f"page at row {size // 2:,} (flat)": lambda: store.page(limit=100, offset=size // 2),
                "grouped count, 3 sweeps expanded": lambda: store.listing_count(expanded=opened),
                "count done + gpt-image-2": lambda: store.count(Filters(status="done", model="gpt-image-2")),
                "stats overall, with cost": lambda: store.stats(prices=PRICES),
                "stats by model, with cost": lambda: store.stats(by="model", prices=PRICES),
                "stats by day, with cost": lambda: store.stats(by="day", prices=PRICES),
                "stats by profile, with cost": lambda: store.stats(by="profile", prices=PRICES),
            }
            baseline = {
                "first page (newest 100)": lambda: sorted(scan(jsonl, lambda r: True), key=lambda r: -r["created_at"])[:100],
                f"search 'lighthouse' ({hits} hits)": lambda: sorted(scan(jsonl, lambda r: "lighthouse" in r["prompt"].lower()), key=lambda r: -r["created_at"])[:100],
                "count done + gpt-image-2": lambda: len(scan(jsonl, lambda r: r["status"] == "done" and r["model"] == "gpt-image-2")),
            }
            target = 20 if size <= 10_000 else 100
            print(f"\n{size:,} generations (filled in {filled_in:.1f} s, {path.stat().st_size / 1e6:.0f} MB); median of {args.repeat}, target < {target} ms")
            for name, fn in ours.items():
                ms = median_ms(fn, args.repeat)
                line = f"  {name:42s} {ms:8.2f} ms  {'ok' if ms < target else 'OVER TARGET'}"
                if name in baseline:
                    base = median_ms(baseline[name], max(3, args.repeat // 5))
                    line += f"   JSONL scan {base:8.1f} ms  ({base / ms:,.0f}x slower)"
                print(line)
            store.close()


if __name__ == "__main__":
    main()
