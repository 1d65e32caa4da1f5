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
   Static in the same app. Target: 60 ms.
4. The largest event-loop stall while the full-screen viewer opens a 1536x1024 photo-like
   picture in Sixel at 160x50 cells (10x20 px: a 1410x940 picture, about 1.5 MB of Sixel),
   median of N opens with the rendition cache emptied before each, against the same app idle
   for as long; and the time from `v` to the picture being ready, cold and when reopened.
   Target: 50 ms.
5. Moving between history rows whose previews were shown before (so cached): from the key to
   the picture painted, median of N moves a person makes (not a held key). Target: under 30 ms.

Run: python tests/bench/bench_tui.py [--runs 10] [--skip-start] [--only-viewer]
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
        print(f"3. result arrived -> preview painted: median {statistics.median(latencies) * 1000:.0f} ms (max {max(latencies) * 1000:.0f}); repainting a Static {statistics.median(repaints) * 1000:.0f} ms; ratio {statistics.median(latencies) / statistics.median(repaints):.1f}x   (target <= 60 ms)")

        # 5. between rows whose previews were shown before (cached): key press -> picture painted
        history = app.query_one("#history")
        history.focus()
        for _ in range(min(runs, history.total - 1)):  # each row once: now cached
            await pilot.press("down")
            await pilot.pause(0.4)
        switches = []
        for run in range(runs * 2):
            stamps.clear()
            stamps["arrived"] = started = time.perf_counter()  # as timed_put reads it: a picture put after this
            await pilot.press("down" if run % 2 else "up")  # between two rows seen above
            while "painted" not in stamps and time.perf_counter() - started < 5:
                await asyncio.sleep(0.001)
            switches.append(stamps.get("painted", time.perf_counter()) - started)
            await pilot.pause(0.3)  # a person looks at it: the next move is not a held key
        print(f"5. a row whose preview was shown before: key -> picture painted, median {statistics.median(switches) * 1000:.0f} ms (max {max(switches) * 1000:.0f}) over {len(switches)} moves   (target < 30 ms)")
    store.close()


async def viewer(runs: int) -> None:
    root = Path(tempfile.mkdtemp())
    os.environ.update(isolated(root))
    from imagegen_tui import imaging
    from imagegen_tui.config import load_config
    from imagegen_tui.store import HistoryStore
    from imagegen_tui.studio import Studio
    from imagegen_tui.ui import graphics, pictures
    from imagegen_tui.ui.app import ImagegenApp
    from imagegen_tui.ui.widgets.history import HistoryList

    store = HistoryStore.open_default()
    studio = Studio(load_config(), store, {})  # no key: the embedded demo provider
    app = ImagegenApp(studio, graphics.Graphics("sixel", "sixel", "bench", (10, 20)))

    def ready() -> bool:
        found = app.screen.query("#preview-image") if type(app.screen).__name__ == "ViewerScreen" else []
        return bool(found) and found.first().display and found.first().rendition is not None

    async with app.run_test(size=(160, 50)) as pilot:
        profile = studio.active_profile()
        outcome = await studio.run(studio.request("a harbour at dawn #photo", profile, {"n": 1, "size": "1536x1024", "stream": False}), profile)
        assert outcome.saved[0].width == 1536
        app.query_one(HistoryList).reload()
        await pilot.pause(1.0)
        app.query_one(HistoryList).focus()
        await pilot.pause(1.0)
        idle = await worst_stall(3.0)
        stalls, warm_stalls, cold, warm = [], [], [], []
        for _ in range(runs):
            pictures.renditions._items.clear()  # cold: decode, fit and encode again
            imaging._fitted.clear()
            imaging._decoded.clear()
            for times in (cold, warm):
                watch = asyncio.create_task(worst_stall(4.0))
                started = time.perf_counter()
                await pilot.press("v")
                while not ready():
                    await asyncio.sleep(0.002)
                times.append(time.perf_counter() - started)
                (stalls if times is cold else warm_stalls).append(await watch)
                await pilot.press("escape")
                await pilot.pause(0.5)
    store.close()
    median = statistics.median(stalls)
    print(f"4. largest event-loop stall while the viewer opens a 1536x1024 picture in Sixel at 160x50: median {median * 1000:.0f} ms (worst {max(stalls) * 1000:.0f}) over {runs} opens; idle app {idle * 1000:.0f} ms; {median / max(idle, 0.001):.1f}x idle   (target <= 50 ms)")
    print(f"   reopened (its picture cached): largest stall median {statistics.median(warm_stalls) * 1000:.0f} ms: what opening the screen itself costs")
    print(f"   v -> picture ready: cold median {statistics.median(cold) * 1000:.0f} ms, reopened median {statistics.median(warm) * 1000:.0f} ms")


async def worst_stall(seconds: float, until=None) -> float:
    """The longest the event loop failed to wake a 5 ms sleep on time, over `seconds`."""
    worst, tick, deadline = 0.0, 0.005, time.perf_counter() + seconds
    while time.perf_counter() < deadline and not (until and until()):
        before = time.perf_counter()
        await asyncio.sleep(tick)
        worst = max(worst, time.perf_counter() - before - tick)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-start", action="store_true", help="only the event-loop, preview and viewer measurements")
    parser.add_argument("--only-viewer", action="store_true", help="only the viewer measurement (4)")
    args = parser.parse_args()
    if args.only_viewer:
        asyncio.run(viewer(args.runs))
        return
    if not args.skip_start:
        first_frame(args.runs)
    asyncio.run(loop_and_preview(max(3, args.runs // 2)))
    asyncio.run(viewer(args.runs))


if __name__ == "__main__":
    main()
