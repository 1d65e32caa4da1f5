"""TUI speed, on demand (not in the test run).

1. Time to first frame, median of N starts: the real command (`python -m imagegen_tui`, so
   interpreter start, imports, config, history and terminal set-up all count) on a
   pseudo-terminal, until its first frame is written there, with an empty history and with
   10,000 generations, against a bare Textual app (Header, Static, Footer: tui_child.py) started
   the same way. Target: at most 1.5x the bare app.
2. The largest event-loop stall while an n=10 1024x1024 job lands, against the same app idle
   for as long. Target: 50 ms. The provider is `serve-demo` in its own process, answering
   photo-like PNGs (#photo: about 1.9 MB each, so 25 MB of JSON), as a real provider would;
   it draws them once before the measured jobs, so its drawing does not compete for the CPU.
3. From a job's result arriving to its preview painted, median of N, against repainting a
   Static in the same app. Target: 100 ms.

Run: python tests/bench/bench_tui.py [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def isolated(root: Path) -> dict[str, str]:
    env = {**os.environ}
    for var, sub in (("XDG_CONFIG_HOME", "c"), ("XDG_DATA_HOME", "d"), ("XDG_CACHE_HOME", "x"), ("XDG_PICTURES_DIR", "p"), ("HOME", "h")):
        env[var] = str(root / sub)
    for var in ("MODEL_GO_API_KEY", "OPENAI_API_KEY", "PYTHONDONTWRITEBYTECODE"):  # an installed app has its bytecode
        env.pop(var, None)
    return env


def first_frame(runs: int) -> None:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    from fill_history import fill
    from ptyproc import PtyProcess

    def started(argv: list[str], env: dict[str, str], marker: bytes) -> float:
        """Seconds from starting `argv` on a pseudo-terminal to its first frame there (`marker`
        is in every first frame; Textual writes a frame in one synchronized update)."""
        begun = time.perf_counter()
        with PtyProcess(argv, env=env, size=(120, 40)) as app:
            app.read_until(marker, timeout=60)
            took = time.perf_counter() - begun
            app.send("\x11")  # ctrl+q
            app.wait(30)
        return took

    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        empty, full = isolated(Path(a)), isolated(Path(b))
        fill(Path(full["XDG_DATA_HOME"]) / "imagegen-tui" / "history.sqlite3", 10_000)
        ours = [sys.executable, "-m", "imagegen_tui", "--graphics", "halfcell"]
        cases = {
            "bare Textual app": ([sys.executable, str(HERE / "tui_child.py")], empty, b"hello from a bare app"),
            "imagegen-tui, empty history": (ours, empty, b"escribe an image"),
            "imagegen-tui, 10,000 generations": (ours, full, b"escribe an image"),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for round_ in range(runs + 1):
            for name, (argv, env, marker) in cases.items():
                took = started(argv, env, marker)
                if round_:  # round 0 warms the disk cache and writes the bytecode
                    times[name].append(took)
        bare = statistics.median(times["bare Textual app"])
        print(f"1. from the command to its first frame on a pseudo-terminal (120x40), median of {runs} starts:")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"   {name:34s} {median * 1000:6.0f} ms   {median / bare:4.2f}x bare   (target <= 1.50x)")


async def loop_and_preview(runs: int) -> None:
    root = Path(tempfile.mkdtemp())
    os.environ.update(isolated(root))
    server = subprocess.Popen([sys.executable, "-m", "imagegen_tui", "serve-demo", "--port", "0", "--quiet"], stdout=subprocess.PIPE, text=True)
    base = server.stdout.readline().rsplit(" ", 1)[-1].strip()
    config_file = root / "c" / "imagegen-tui" / "config.toml"
    config_file.parent.mkdir(parents=True)
    config_file.write_text(f'profile = "bench"\n[profiles.bench]\nbase_url = "{base}"\nkey_required = false\n')
    try:
        await _loop_and_preview(runs)
    finally:
        server.terminate()
        server.wait()


async def _loop_and_preview(runs: int) -> None:
    from textual.widgets import Static
    from textual.worker import WorkerCancelled

    from imagegen_tui.config import load_config
    from imagegen_tui.store import HistoryStore
    from imagegen_tui.studio import Studio
    from imagegen_tui.ui import graphics
    from imagegen_tui.ui.app import ImagegenApp
    from imagegen_tui.ui.widgets.preview import Preview

    store = HistoryStore.open_default()
    studio = Studio(load_config(), store, {})
    app = ImagegenApp(studio, graphics.setup(os.environ.get("BENCH_GRAPHICS", "halfcell")))
    stamps: dict[str, float] = {}
    real_run, real_put = studio.run, Preview._put

    async def timed_run(*args, **kwargs):
        outcome = await real_run(*args, **kwargs)
        stamps["arrived"] = time.perf_counter()
        return outcome

    def timed_put(self, rendition):
        real_put(self, rendition)
        if "arrived" in stamps and "painted" not in stamps:
            self.call_after_refresh(lambda: stamps.setdefault("painted", time.perf_counter()))

    studio.run = timed_run  # type: ignore[method-assign]
    Preview._put = timed_put  # type: ignore[method-assign]

    async def worst_stall(seconds: float, until=None) -> float:
        worst, tick, deadline = 0.0, 0.005, time.perf_counter() + seconds
        while time.perf_counter() < deadline and not (until and until()):
            before = time.perf_counter()
            await asyncio.sleep(tick)
            worst = max(worst, time.perf_counter() - before - tick)
        return worst

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        idle = await worst_stall(2.0)
        warm = await studio.run(studio.request("ten lighthouses #photo", studio.active_profile(), {"n": 10, "size": "1024x1024"}), studio.active_profile())
        assert len(warm.saved) == 10  # the server has drawn them; from now on only our side works
        app.query_one("#p-n").value = "10"
        app.query_one("#p-size").value = "1024x1024"
        stalls, latencies, repaints = [], [], []
        for run in range(runs):
            stamps.clear()
            area = app.query_one("#prompt-input")
            area.load_text("ten lighthouses #photo")  # the same prompt: the server answers from its cache
            await pilot.press("enter")
            pictures = app.graphics.protocol != "none"
            stalls.append(await worst_stall(60.0, until=lambda: ("painted" if pictures else "arrived") in stamps))
            if pictures:
                latencies.append(stamps["painted"] - stamps["arrived"])
            else:
                stalls[-1] = max(stalls[-1], await worst_stall(0.5))
            try:
                await app.workers.wait_for_complete()
            except WorkerCancelled:  # a superseded history reload
                pass
            static = app.query_one("#prompt-count", Static)
            started = time.perf_counter()
            static.update(f"run {run}")
            done = asyncio.Event()
            app.call_after_refresh(done.set)
            await done.wait()
            repaints.append(time.perf_counter() - started)
        print(f"2. largest event-loop stall while an n=10 1024x1024 job lands: worst {max(stalls) * 1000:.0f} ms, median {statistics.median(stalls) * 1000:.0f} ms over {runs} jobs; idle app {idle * 1000:.0f} ms   (target <= 50 ms)")
        if not latencies:
            return
        print(f"3. result arrived -> preview painted: median {statistics.median(latencies) * 1000:.0f} ms (max {max(latencies) * 1000:.0f}); repainting a Static {statistics.median(repaints) * 1000:.0f} ms; ratio {statistics.median(latencies) / statistics.median(repaints):.1f}x   (target <= 100 ms)")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-start", action="store_true", help="only the event-loop and preview measurements")
    args = parser.parse_args()
    if not args.skip_start:
        first_frame(args.runs)
    asyncio.run(loop_and_preview(max(3, args.runs // 2)))


if __name__ == "__main__":
    main()
