"""Start-up of the commands that must feel instant, against the interpreter doing nothing.

Median wall time of N fresh processes, interleaved so that a busy machine slows every case
alike: `python -c pass` (the baseline), `imagegen-tui --version`, the profile names a shell
completion asks for on TAB (`_complete-profiles`, which reads the config), and `config path`
(which builds the whole parser). `imagegen-tui` runs as pip's console script does (import
imagegen_tui.cli, call main), with bytecode cached as after an install (one warm-up run writes
it, whatever PYTHONDONTWRITEBYTECODE says here). Target: --version under 60 ms.

Run: python tests/bench/bench_startup.py [--runs 41]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONSOLE_SCRIPT = "import re, sys; from imagegen_tui.cli import main; sys.exit(main())"  # what pip writes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=41)
    runs = parser.parse_args().runs
    cases = {
        "python -c pass (baseline)": [sys.executable, "-c", "pass"],
        "imagegen-tui --version": [sys.executable, "-c", CONSOLE_SCRIPT, "--version"],
        "imagegen-tui _complete-profiles": [sys.executable, "-c", CONSOLE_SCRIPT, "_complete-profiles"],
        "imagegen-tui config path": [sys.executable, "-c", CONSOLE_SCRIPT, "config", "path"],
    }
    with tempfile.TemporaryDirectory() as root:
        env = {**os.environ, "XDG_CONFIG_HOME": str(Path(root) / "config")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for round_ in range(runs + 1):
            for name, argv in cases.items():
                started = time.perf_counter()
                subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
                if round_:  # the first round writes the bytecode caches
                    times[name].append(time.perf_counter() - started)
    baseline = statistics.median(times["python -c pass (baseline)"])
    print(f"median of {runs} runs each, interleaved")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:34} {median * 1000:6.1f} ms  {median / baseline:4.1f}x the baseline  (+{(median - baseline) * 1000:.1f} ms)")
    version = statistics.median(times["imagegen-tui --version"]) * 1000
    print(f"--version: {version:.1f} ms, target under 60 ms: {'met' if version < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
