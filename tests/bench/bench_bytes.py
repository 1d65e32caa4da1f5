"""Bytes the TUI writes to its terminal for each action, per graphics protocol. On demand, not in
the test run.

Why: over SSH, or in a terminal that parses Sixel slowly, every byte is latency. A picture that
is re-sent when nothing about it changed (a focus move, a toast) costs as much as showing a new
one. This counts what the real app writes, so a change can be judged by bytes, not by eye.

How: the real command, `python -m imagegen_tui --graphics P`, runs in a pseudo-terminal of
160x50 cells (TIOCSWINSZ, with 10x20-pixel cells, --cell, so textual-image reads its cell size
from the window size instead of asking), TERM=xterm-256color, every XDG_* folder and HOME in a temporary
folder. The history holds 10 generations made beforehand by the headless `generate` command
against `serve-demo` (pictures drawn by the demo artist, saved and recorded by the real code),
through a profile with a key, so no "no API key" notice covers the screen at start. Nobody
answers the app's terminal queries (DA1, kitty graphics, DECRQM ...): textual-image times out
after 0.1 s each and Textual does not wait.

Each run is a fresh process; one run does, in order:
  start             spawn until the first frame and a picture are out and output is quiet,
  tab (one press)   each Tab from the prompt to the history (focus moves; the picture does not),
  tab xN            those N presses together (N is counted with Textual's Pilot beforehand),
  down one row      the history moves to the next generation (a picture not shown yet),
  up to a shown row back to the one shown at start,
  toast (c)         copy the prompt: a "Prompt copied" notification appears,
  toast expires     ... and goes away 5 s later,
  hold down x8      8 presses of down, 30 ms apart.
"Quiet" is --quiet seconds (0.5) with no output, ignoring a small burst (under 1 KB, no
graphics) that comes 0.35 s or more after the last real output: a blinking cursor in the prompt
or search field repaints its line every 0.5 s and would otherwise never let the screen settle.
Bytes counted for an action: everything from the key press to the end of its last real burst.

One picture, the baseline measured in the same run: Sixel, the largest DCS Sixel sequence at
start; kitty, the largest image transmission at start (all its APC chunks, base64 PNG) with its
placement; half-cell, the bytes written inside the picture's cells per full paint of it at start.
"x picture" = action bytes / one picture, so 1.0 means "as much as re-sending the picture".
"pictures" = Sixel sequences, kitty transmissions, or half-cell full-picture paints (half-block
characters written / cells of the picture) in the action's bytes.

Run: python tests/bench/bench_bytes.py [--runs 5] [--protocols sixel,kitty,halfcell]
                                       [--size 160x50] [--cell 10x20] [--quiet 0.5] [--photo] [--json]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sixel_decode import decode, dcs_sixel_params, sequences  # noqa: E402

PROTOCOLS = ("sixel", "kitty", "halfcell")
CELL = [10, 20]  # pixels per cell (--cell); 10x20 is a VT340's, and textual-image's fallback
KEY = "bench-bytes-key-0123456789"
PROMPTS = (
    "a red fox made of autumn leaves, studio product shot",
    "a koi pond under neon rain, cinematic still",
    "isometric 3D render of a tiny greenhouse, pastel tones",
    "a robot barista pouring latte art, ukiyo-e woodblock print",
    "a lighthouse on a cliff at dusk, volumetric light, oil painting",
    "a glass teapot on a windowsill, 35mm film photo",
    "a steam locomotive crossing a snowy bridge, charcoal sketch",
    "an owl in a library at golden hour, watercolor",
    "a bowl of ramen on the moon, art deco poster",
    "a desert caravan under a starry sky, low-poly",
)
NOISE_BYTES = 1024  # a cursor blink repaints one line: a few hundred bytes
NOISE_GAP = 0.35  # ... half a second after the previous output
BURST_GAP = 0.025  # chunks closer than this belong to one burst of output
HALF_BLOCK = "▀"
TOAST_SECONDS = 5.0  # Textual's App.NOTIFICATION_TIMEOUT, which notify() uses here

KEYS = {"tab": b"\t", "down": b"\x1b[B", "up": b"\x1b[A", "c": b"c", "quit": b"\x11"}
ACTIONS = ("start", "tab (one press)", "tab xN", "down one row", "up to a shown row", "toast (c)", "toast expires", "hold down x8")


# --- the app in a pseudo-terminal --------------------------------------------------------------


class Terminal:
    """A pseudo-terminal running a command; a thread timestamps every chunk the command writes."""

    def __init__(self, argv: list[str], env: dict[str, str], columns: int, rows: int) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, columns * CELL[0], rows * CELL[1]))
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the pty is its controlling terminal, as in a real one
        )
        os.close(slave)
        self.master = master
        self.chunks: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if not ready:
                    if self.process.poll() is not None:
                        return
                    continue
                data = os.read(self.master, 1 << 16)
            except OSError:  # EIO: the other side closed
                return
            if not data:
                return
            with self._lock:
                self.chunks.append((time.monotonic(), data))

    def send(self, data: bytes) -> float:
        """Type `data`; returns when."""
        when = time.monotonic()
        os.write(self.master, data)
        return when

    def since(self, t: float) -> list[tuple[float, bytes]]:
        with self._lock:
            return [(when, data) for when, data in self.chunks if when >= t]

    def settle(
        self, t0: float, *, quiet: float, timeout: float, ready: Callable[[bytes], bool] | None = None,
        not_before: float | None = None, blinking: bool = False,
    ) -> Window:
        """Wait until the output that began at t0 is over: `ready` (if given) holds for what
        came so far, no output came for `quiet` seconds (with `blinking`, none but cursor-blink
        noise), and real output came after `not_before`. Gives up after `timeout` seconds and
        says so."""
        deadline = t0 + timeout
        while True:
            now = time.monotonic()
            chunks = self.since(t0)
            last = _last_real_output(t0, chunks, blinking)
            kept = [(when, data) for when, data in chunks if when <= last]
            data = b"".join(data for _, data in kept)
            waiting = (ready is not None and not ready(data)) or (not_before is not None and last < not_before)
            if not waiting and now - last >= quiet:
                return Window(t0, last, data, kept, timed_out=False)
            if now > deadline:
                return Window(t0, last, data, kept, timed_out=True)
            time.sleep(0.02)

    def close(self) -> None:
        """Quit with ctrl+q; if the app does not exit, end its process group."""
        try:
            self.send(KEYS["quit"])
            self.process.wait(timeout=8)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reader.join(timeout=2)
        os.close(self.master)


def _last_real_output(t0: float, chunks: list[tuple[float, bytes]], blinking: bool) -> float:
    """When the last burst of real output ended. With `blinking` (a text field has focus), a
    small burst without graphics that comes NOISE_GAP after the last real output is the cursor
    blinking, not a response."""
    last = t0
    burst: list[tuple[float, bytes]] = []

    def close_burst() -> None:
        nonlocal last
        if not burst:
            return
        start, end = burst[0][0], burst[-1][0]
        data = b"".join(d for _, d in burst)
        blink = blinking and start - last >= NOISE_GAP and len(data) <= NOISE_BYTES and not _has_graphics(data)
        if not blink:
            last = end
        burst.clear()

    for when, data in chunks:
        if burst and when - burst[-1][0] > BURST_GAP:
            close_burst()
        burst.append((when, data))
    close_burst()
    return last


def _has_graphics(data: bytes) -> bool:
    return b"\x1bP" in data or b"\x1b_G" in data or HALF_BLOCK.encode() in data


@dataclass
class Window:
    """The output of one action: from the key press (t0) to the end of its last real burst."""

    t0: float
    end: float
    data: bytes
    chunks: list[tuple[float, bytes]]
    timed_out: bool

    def bursts(self) -> list[bytes]:
        """The output split where it paused for more than BURST_GAP: roughly, frames."""
        found: list[list[tuple[float, bytes]]] = []
        for when, data in self.chunks:
            if not found or when - found[-1][-1][0] > BURST_GAP:
                found.append([])
            found[-1].append((when, data))
        return [b"".join(d for _, d in burst) for burst in found]


# --- what is in the bytes ------------------------------------------------------------------------


@dataclass
class Rect:
    """Screen cells, 1-based rows and columns, end exclusive."""

    top: int
    left: int
    bottom: int
    right: int

    def __contains__(self, cell: tuple[int, int]) -> bool:
        row, col = cell
        return self.top <= row < self.bottom and self.left <= col < self.right

    @property
    def cells(self) -> int:
        return (self.bottom - self.top) * (self.right - self.left)


@dataclass
class Kitty:
    transmissions: dict[int, int] = field(default_factory=dict)  # image id -> bytes of its APC chunks
    complete: set[int] = field(default_factory=set)  # ids whose last chunk (m=0) was seen
    placements: int = 0
    deletes: int = 0
    other: int = 0  # queries (a=q) and the rest, in bytes


def kitty_commands(data: bytes) -> Kitty:
    """The kitty graphics commands (APC `ESC _G keys;payload ESC \\`) in a stream. A chunked
    transmission's later chunks may carry only `m=` (the protocol allows it): they belong to the
    transmission before them."""
    found = Kitty()
    chunked: int | None = None  # the image whose chunks are still coming
    for seq in sequences(data):
        if seq.kind != "apc" or data[seq.start + 2:seq.start + 3] != b"G":
            continue
        body = data[seq.start + 3:seq.end - 2]
        control = body.split(b";", 1)[0]
        keys = dict(item.split(b"=", 1) for item in control.split(b",") if b"=" in item)
        action = keys.get(b"a", b"t")
        image = int(keys[b"i"]) if b"i" in keys else (chunked if set(keys) <= {b"m", b"q"} else None)
        if action in (b"t", b"T") and image is not None:
            found.transmissions[image] = found.transmissions.get(image, 0) + seq.size
            more = keys.get(b"m", b"0") == b"1"
            chunked = image if more else None
            if not more:
                found.complete.add(image)
        elif action == b"p":
            found.placements += 1
            found.other += seq.size
        elif action == b"d":
            found.deletes += 1
            found.other += seq.size
        else:
            found.other += seq.size
    return found


def cell_bytes(data: bytes, rect: Rect) -> tuple[int, int]:
    """Bytes of text and attributes written inside `rect`, and half-block characters written
    there, by following the cursor through CUP, CR, LF and printed characters (wide ones take
    two cells, combining marks none). Sixel and kitty strings count where they start."""
    row = col = 1
    inside = halves = 0
    text = data.decode("utf-8", errors="replace")
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\x1b":
            j = _escape_end(text, i)
            sequence = text[i:j]
            if sequence.endswith(("H", "f")) and sequence.startswith("\x1b[") and all(c.isdigit() or c == ";" for c in sequence[2:-1]):
                parts = (sequence[2:-1].split(";") + ["", ""])[:2]
                row, col = int(parts[0] or 1), int(parts[1] or 1)
            if (row, col) in rect:
                inside += len(sequence.encode("utf-8", errors="replace"))
            i = j
            continue
        if ch == "\r":
            col = 1
        elif ch == "\n":
            row += 1
        elif ch >= " ":
            width = 0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            if (row, max(col - (width == 0), 1)) in rect:
                inside += len(ch.encode("utf-8", errors="replace"))
                halves += ch == HALF_BLOCK
            col += width
        i += 1
    return inside, halves


def _escape_end(text: str, i: int) -> int:
    """Where the escape sequence starting at text[i] ends (exclusive)."""
    if i + 1 >= len(text):
        return len(text)
    kind = text[i + 1]
    if kind == "[":
        j = i + 2
        while j < len(text) and not "@" <= text[j] <= "~":
            j += 1
        return min(j + 1, len(text))
    if kind in "]P_^X":
        j = text.find("\x1b", i + 2)
        bell = text.find("\x07", i + 2) if kind == "]" else -1
        if bell != -1 and (j == -1 or bell < j):
            return bell + 1
        if j == -1:
            return len(text)
        return j + 2 if text[j + 1:j + 2] == "\\" else j
    return i + 2


@dataclass
class Picture:
    """The baseline: what one picture costs in this protocol, and where it is on screen."""

    bytes: int
    rect: Rect | None
    what: str


def one_picture(protocol: str, window: Window) -> Picture:
    """The baseline from the start's bytes."""
    start = window.data
    if protocol == "sixel":
        pictures = decode(start)
        if not pictures:
            return Picture(0, None, "no Sixel picture at start")
        largest = max(pictures, key=lambda p: p.size)
        rect = None
        if largest.cursor is not None:
            top, left = largest.cursor
            width, height = largest.image.size
            rect = Rect(top, left, top + -(-height // CELL[1]), left + -(-width // CELL[0]))
        where = f" at cell {largest.cursor}" if largest.cursor else ""
        green = "; drawn before any colour was selected (register 3)" if largest.drew_before_selecting else ""
        return Picture(largest.size, rect, f"the largest Sixel sequence at start, {largest.image.width}x{largest.image.height} px{where}{green}")
    if protocol == "kitty":
        found = kitty_commands(start)
        if not found.transmissions:
            return Picture(0, None, "no kitty image at start")
        image, size = max(found.transmissions.items(), key=lambda item: item[1])
        placement = next((s for s in sequences(start) if s.kind == "apc" and b"a=p" in start[s.start:s.start + 20] and f"i={image}".encode() in start[s.start:s.end]), None)
        total = size + (placement.size if placement else 0)
        return Picture(total, _placeholder_rect(start), "the largest image transmission at start (base64 PNG in 4 KB APC chunks) and its placement")
    rect = _half_block_rect(start)
    if rect is None:
        return Picture(0, None, "no half-block picture at start")
    # the frames that paint the whole picture; what they write inside its cells
    full = [inside for inside, halves in (cell_bytes(burst, rect) for burst in window.bursts()) if halves >= rect.cells]
    if not full:
        return Picture(0, rect, "no frame at start painted the whole half-block picture")
    return Picture(int(statistics.median(full)), rect, f"what a frame that paints the whole picture writes in its {rect.right - rect.left}x{rect.bottom - rect.top} cells")


def _cells_where(data: bytes, wanted: Callable[[str], bool]) -> Rect | None:
    """The bounding box of cells where characters matching `wanted` were written."""
    row = col = 1
    top = left = 10**9
    bottom = right = 0
    text = data.decode("utf-8", errors="replace")
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\x1b":
            j = _escape_end(text, i)
            sequence = text[i:j]
            if sequence.endswith(("H", "f")) and sequence.startswith("\x1b[") and all(c.isdigit() or c == ";" for c in sequence[2:-1]):
                parts = (sequence[2:-1].split(";") + ["", ""])[:2]
                row, col = int(parts[0] or 1), int(parts[1] or 1)
            i = j
            continue
        if ch == "\r":
            col = 1
        elif ch == "\n":
            row += 1
        elif ch >= " ":
            if wanted(ch):
                top, left, bottom, right = min(top, row), min(left, col), max(bottom, row + 1), max(right, col + 1)
            col += 0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        i += 1
    return Rect(top, left, bottom, right) if bottom else None


def _half_block_rect(data: bytes) -> Rect | None:
    return _cells_where(data, lambda ch: ch == HALF_BLOCK)


def _placeholder_rect(data: bytes) -> Rect | None:
    return _cells_where(data, lambda ch: ch == "\U0010EEEE")


@dataclass
class Sample:
    """One action's bytes, split into graphics and the rest."""

    bytes: int
    pictures: float
    graphics: int
    seconds: float
    timed_out: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "pictures": self.pictures, "graphics_bytes": self.graphics, "seconds": round(self.seconds, 3), "timed_out": self.timed_out}


def measure(protocol: str, window: Window, picture: Picture) -> Sample:
    data = window.data
    if protocol == "sixel":
        sixels = [s for s in sequences(data) if s.kind == "dcs" and s.complete and dcs_sixel_params(data, s) is not None]
        count, graphics = float(len(sixels)), sum(s.size for s in sixels)
    elif protocol == "kitty":
        found = kitty_commands(data)
        count, graphics = float(len(found.complete)), sum(found.transmissions.values())
    else:
        if picture.rect is None:
            count, graphics = 0.0, 0
        else:
            graphics, halves = cell_bytes(data, picture.rect)
            count = round(halves / picture.rect.cells, 1)
    return Sample(len(data), count, graphics, window.end - window.t0, window.timed_out)


# --- one run -----------------------------------------------------------------------------------------


def picture_seen(protocol: str) -> Callable[[bytes], bool]:
    """Whether some output holds a picture of this protocol (a complete one for Sixel/kitty)."""
    if protocol == "sixel":
        return lambda data: any(s.kind == "dcs" and s.complete and dcs_sixel_params(data, s) is not None for s in sequences(data))
    if protocol == "kitty":
        return lambda data: b"\x1b_G" in data and bool(kitty_commands(data).complete)
    return lambda data: HALF_BLOCK.encode() in data


def first_frame_and_picture(protocol: str) -> Callable[[bytes], bool]:
    """Start is over once the alternate screen is up, a frame was drawn and a picture shown."""
    has_picture = picture_seen(protocol)
    return lambda data: b"\x1b[?1049h" in data and len(data) > 8192 and has_picture(data)


def one_run(protocol: str, env: dict[str, str], size: tuple[int, int], tabs: int, quiet: float) -> tuple[Picture, dict[str, list[Sample]]]:
    """Start the app once and do every action in order."""
    columns, rows = size
    terminal = Terminal([sys.executable, "-m", "imagegen_tui", "--graphics", protocol], env, columns, rows)
    samples: dict[str, list[Sample]] = {name: [] for name in ACTIONS}
    try:
        start = terminal.settle(terminal.started, quiet=quiet, timeout=40, ready=first_frame_and_picture(protocol), blinking=True)
        picture = one_picture(protocol, start)
        samples["start"].append(measure(protocol, start, picture))

        def act(name: str, keys: list[bytes], *, expect_picture: bool = False, gap: float = 0.0, blinking: bool = False) -> Window:
            t0 = terminal.send(keys[0])
            for key in keys[1:]:
                time.sleep(gap)
                terminal.send(key)
            window = terminal.settle(t0, quiet=quiet, timeout=20, ready=picture_seen(protocol) if expect_picture else None, blinking=blinking)
            samples[name].append(measure(protocol, window, picture))
            return window

        # the prompt's and the search field's cursors blink while they have focus
        presses = [act("tab (one press)", [KEYS["tab"]], blinking=True) for _ in range(tabs)]
        total = b"".join(w.data for w in presses)
        joined = Window(presses[0].t0, presses[-1].end, total, [c for w in presses for c in w.chunks], any(w.timed_out for w in presses))
        samples["tab xN"].append(measure(protocol, joined, picture))
        act("down one row", [KEYS["down"]], expect_picture=True)
        act("up to a shown row", [KEYS["up"]])
        toast = act("toast (c)", [KEYS["c"]])
        gone = terminal.settle(toast.end, quiet=quiet, timeout=TOAST_SECONDS + 10, not_before=toast.t0 + TOAST_SECONDS)
        samples["toast expires"].append(measure(protocol, gone, picture))
        act("hold down x8", [KEYS["down"]] * 8, expect_picture=True, gap=0.03)
    finally:
        terminal.close()
    return picture, samples


# --- set-up ------------------------------------------------------------------------------------------


def isolated_env(root: Path) -> dict[str, str]:
    """This process's environment with every user folder moved into `root` and no keys, proxies
    or colour overrides: the user's files are never touched, and runs are comparable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TEXTUAL", "COLORTERM", "TMUX", "SSH_"))}
    for var in ("MODEL_GO_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "IMAGEGEN_TUI_PROFILE", "NO_COLOR", "FORCE_COLOR",
                "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(var, None)
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_STATE_HOME", "state"), ("XDG_PICTURES_DIR", "pictures"), ("XDG_RUNTIME_DIR", "runtime")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(root / sub)
    os.chmod(root / "runtime", 0o700)
    env.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", NO_PROXY="127.0.0.1,localhost", BENCH_KEY=KEY)
    return env


def make_history(env: dict[str, str], photo: bool) -> None:
    """10 generations through the real headless command, against serve-demo, recorded under a
    profile with a key (the one the TUI then uses)."""
    server = subprocess.Popen([sys.executable, "-m", "imagegen_tui", "serve-demo", "--port", "0", "--key", KEY, "--quiet"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        base = server.stdout.readline().rsplit(" ", 1)[-1].strip()
        config = Path(env["XDG_CONFIG_HOME"]) / "imagegen-tui" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'profile = "bench"\n\n[profiles.bench]\nbase_url = "{base}"\napi_key_env = "BENCH_KEY"\n')
        for prompt in PROMPTS:
            done = subprocess.run([sys.executable, "-m", "imagegen_tui", "generate", prompt + (" #photo" if photo else "")], env=env, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise SystemExit(f"generate failed: {done.stderr.strip()}")
    finally:
        server.terminate()
        server.wait()


def count_tabs(env: dict[str, str], size: tuple[int, int]) -> int:
    """How many Tabs move focus from the prompt (where it is at start) to the history, asked of
    the app itself through Textual's Pilot in a separate process."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--count-tabs", f"{size[0]}x{size[1]}"], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"counting Tabs failed: {done.stderr.strip()[-2000:]}")
    return int(done.stdout.strip().splitlines()[-1])


def _count_tabs_here(size: tuple[int, int]) -> None:
    import asyncio

    from imagegen_tui.config import load_config
    from imagegen_tui.store import HistoryStore
    from imagegen_tui.studio import Studio
    from imagegen_tui.ui import graphics
    from imagegen_tui.ui.app import ImagegenApp, preloaded

    async def count() -> int:
        store = HistoryStore.open_default()
        app = preloaded(ImagegenApp, Studio(load_config(), store), graphics.setup("halfcell"))
        try:
            async with app.run_test(size=size) as pilot:
                await pilot.pause(0.5)
                if app.focused is None or app.focused.id != "prompt-input":
                    raise SystemExit(f"focus at start is on {app.focused!r}, not the prompt")
                for presses in range(1, 30):
                    await pilot.press("tab")
                    await pilot.pause()
                    if app.focused is not None and app.focused.id == "history":
                        return presses
                raise SystemExit("Tab never reached the history")
        finally:
            store.close()

    print(asyncio.run(count()))


# --- report ------------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def report(results: dict[str, Any], tabs: int) -> str:
    lines = []
    for protocol, result in results["protocols"].items():
        picture = result["one_picture"]
        lines.append(f"\n{protocol}: one picture = {picture['bytes']:,} B ({picture['what']})")
        lines.append(f"  {'action':22s} {'bytes':>10s} {'x picture':>10s} {'pictures':>9s} {'graphics B':>11s} {'other B':>9s}  {'min-max bytes':>19s}  runs")
        for name in ACTIONS:
            samples = result["actions"][name]
            if not samples:
                continue
            size = median([s["bytes"] for s in samples])
            graphics = median([s["graphics_bytes"] for s in samples])
            ratio = size / picture["bytes"] if picture["bytes"] else float("nan")
            label = name.replace("xN", f"x{tabs} (to history)")
            timed_out = sum(s["timed_out"] for s in samples)
            spread = f"{min(s['bytes'] for s in samples):,}-{max(s['bytes'] for s in samples):,}"
            lines.append(
                f"  {label:22s} {size:10,.0f} {ratio:10.2f} {median([s['pictures'] for s in samples]):9.1f} {graphics:11,.0f} {size - graphics:9,.0f}  {spread:>19s}  {len(samples)}"
                + (f"  ({timed_out} timed out)" if timed_out else "")
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Bytes the TUI writes to its terminal per action, per graphics protocol.")
    parser.add_argument("--runs", type=int, default=5, help="fresh app processes per protocol (default 5)")
    parser.add_argument("--protocols", default=",".join(PROTOCOLS), help="comma-separated: sixel, kitty, halfcell")
    parser.add_argument("--size", default="160x50", help="terminal COLUMNSxROWS (default 160x50)")
    parser.add_argument("--cell", default="10x20", help="pixels per cell, told to the app through the window size (default 10x20)")
    parser.add_argument("--quiet", type=float, default=0.5, help="seconds without output that end an action (default 0.5)")
    parser.add_argument("--photo", action="store_true", help="photo-like pictures (#photo: grain, like real output) instead of flat demo art")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--count-tabs", metavar="SIZE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_tabs:
        _count_tabs_here(tuple(int(v) for v in args.count_tabs.split("x")))  # type: ignore[arg-type]
        return
    protocols = [p.strip() for p in args.protocols.split(",") if p.strip()]
    unknown = [p for p in protocols if p not in PROTOCOLS]
    if unknown or args.runs < 1:
        parser.error(f"unknown protocol(s) {unknown}; choose from {', '.join(PROTOCOLS)}" if unknown else "--runs must be at least 1")
    size = tuple(int(v) for v in args.size.lower().split("x"))
    CELL[:] = [int(v) for v in args.cell.lower().split("x")]
    if len(size) != 2 or len(CELL) != 2:
        parser.error("--size and --cell take WIDTHxHEIGHT")

    with tempfile.TemporaryDirectory(prefix="imagegen-bench-bytes-") as tmp:
        env = isolated_env(Path(tmp))
        make_history(env, args.photo)
        tabs = count_tabs(env, size)  # type: ignore[arg-type]
        results: dict[str, Any] = {
            "size": args.size, "cell_pixels": f"{CELL[0]}x{CELL[1]}", "runs": args.runs, "history": len(PROMPTS), "photo": args.photo,
            "tabs_to_history": tabs, "quiet_seconds": args.quiet, "protocols": {},
        }
        baselines: dict[str, list[Picture]] = {p: [] for p in protocols}
        collected: dict[str, dict[str, list[Sample]]] = {p: {name: [] for name in ACTIONS} for p in protocols}
        for run in range(args.runs):  # protocols interleaved, so a slow moment of the machine hits all alike
            for protocol in protocols:
                picture, samples = one_run(protocol, env, size, tabs, args.quiet)  # type: ignore[arg-type]
                baselines[protocol].append(picture)
                for name, values in samples.items():
                    collected[protocol][name].extend(values)
                if not args.json:
                    print(f"run {run + 1}/{args.runs} {protocol}: start {samples['start'][0].bytes:,} B, down {samples['down one row'][0].bytes:,} B", file=sys.stderr)
        for protocol in protocols:
            pictures = baselines[protocol]
            typical = sorted(pictures, key=lambda p: p.bytes)[len(pictures) // 2]
            results["protocols"][protocol] = {
                "one_picture": {"bytes": typical.bytes, "what": typical.what, "all_runs": [p.bytes for p in pictures]},
                "actions": {name: [s.as_dict() for s in values] for name, values in collected[protocol].items()},
                "medians": {name: median([s.bytes for s in values]) for name, values in collected[protocol].items()},
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"Bytes written to the terminal per action: {args.size} cells of {CELL[0]}x{CELL[1]} px, {len(PROMPTS)} generations"
          f"{' (photo-like)' if args.photo else ''}, medians of {args.runs} runs; 'x picture' = bytes / one picture measured in the same runs.")
    print(report(results, tabs))


if __name__ == "__main__":
    main()
