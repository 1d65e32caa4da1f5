"""The one module that imports textual_image.

textual_image picks a protocol and reads the cell size by querying the terminal when it is
imported, which only works before Textual takes over the terminal: `setup()` must run before
App.run(). It hides the differences between textual-image 0.12 (Python 3.11) and 0.14+, and
falls back to half-cell blocks whenever detection fails or would show nothing.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from imagegen_tui.config import GRAPHICS
from imagegen_tui.ui import typeahead

KITTY_PLACEHOLDERS_SINCE = (0, 28)  # textual-image draws kitty images with Unicode placeholders


@dataclass(frozen=True)
class Graphics:
    protocol: str  # kitty, sixel, halfcell, unicode or none
    requested: str
    reason: str
    cell_size: tuple[int, int] = (10, 20)
    tmux: bool = False  # escape sequences for the outer terminal need tmux's passthrough

    def pixels(self, columns: int, rows: int) -> tuple[int, int]:
        """How many image pixels fit in a pane of columns x rows cells."""
        width, height = self.cell_size
        if self.protocol == "halfcell":
            return columns, rows * 2  # one pixel a column, two a row
        return columns * width, rows * height

    def cells(self, width: int, height: int) -> tuple[int, int]:
        """How many cells an image of width x height pixels (already fitted) takes."""
        if self.protocol == "halfcell":
            return max(1, width), max(1, -(-height // 2))
        cell_width, cell_height = self.cell_size
        return max(1, -(-width // cell_width)), max(1, -(-height // cell_height))

    def facts(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """What `doctor` and the diagnostics screen show."""
        environ = os.environ if environ is None else environ
        return {
            "protocol": self.protocol,
            "requested": self.requested,
            "why": self.reason,
            "cell size": f"{self.cell_size[0]}x{self.cell_size[1]} px",
            "textual-image": _version("textual-image"),
            "textual": _version("textual"),
            "TERM": environ.get("TERM", "(unset)"),
            "COLORTERM": environ.get("COLORTERM", "(unset)"),
            "TERM_PROGRAM": environ.get("TERM_PROGRAM", "(unset)"),
            "TMUX": "yes" if environ.get("TMUX") else "no",
            "SSH": "yes" if environ.get("SSH_CONNECTION") or environ.get("SSH_TTY") else "no",
        }


def setup(requested: str = "auto", environ: Mapping[str, str] | None = None, typed: list[str] | None = None) -> Graphics:
    """Choose the protocol; call once, before App.run(). What the person types while the
    terminal is probed goes to `typed` (ui/typeahead.py)."""
    environ = os.environ if environ is None else environ
    requested = requested if requested in GRAPHICS else "auto"
    if requested == "none":
        return Graphics("none", requested, "images are off (--graphics none)")
    if requested in ("halfcell", "unicode"):  # no probe: it needs no answer, and tmux without
        # passthrough shows textual-image's kitty query as the pane's title
        return Graphics("halfcell", requested, "chosen with --graphics or ui.graphics in the config", tmux=bool(environ.get("TMUX")))
    import textual_image._terminal as terminal  # reads nothing yet: the probes start with the widgets

    read, terminal.read = terminal.read, typeahead.keeping(terminal.read, [] if typed is None else typed)  # type: ignore[assignment]
    try:
        detected, problem = _import_and_detect()
        try:
            cell = terminal.get_cell_size()
            cell_size = (cell.width, cell.height)
        except Exception:  # a closed stdout: keep the VT340 default
            cell_size = (10, 20)
    finally:
        terminal.read = read  # type: ignore[assignment]
    if requested != "auto":
        protocol, reason = requested, "chosen with --graphics or ui.graphics in the config"
        if requested == "kitty" and detected == "kitty" and (old := _old_kitty()):
            reason += f"; but kitty {old} cannot show these images (needs 0.28+): use halfcell"
    elif problem:
        protocol, reason = "halfcell", f"terminal detection failed ({problem}); using half-cell blocks"
    elif detected == "kitty" and (old := _old_kitty()):
        protocol, reason = "halfcell", f"kitty {old} cannot show textual-image's kitty images (needs 0.28+); using half-cell blocks"
    elif detected == "unicode":
        protocol, reason = "halfcell", "not attached to a terminal; using half-cell blocks"
    else:
        protocol, reason = detected, _DETECTED[detected]
    if protocol == "kitty" and environ.get("TMUX"):
        reason += "; inside tmux this needs `set -g allow-passthrough on`"
    return Graphics(protocol, requested, reason, cell_size, bool(environ.get("TMUX")))


def for_web(graphics: Graphics) -> Graphics:
    """textual-serve shows the app in a browser terminal: half-cell is what works there."""
    if graphics.protocol in ("none", "halfcell"):
        return graphics
    return replace(graphics, protocol="halfcell", reason="served to a browser (textual-serve); using half-cell blocks")


_DETECTED = {
    "sixel": "the terminal answered the Sixel query",
    "kitty": "the terminal answered the kitty graphics query",
    "halfcell": "no graphics protocol answered; using half-cell blocks",
}


def _import_and_detect() -> tuple[str, str | None]:
    """Import textual_image (which probes the terminal). textual-image 0.12 raises termios.error
    when stdout is a terminal but stdin is not; then import it with stdin hidden, as its own
    tests do, which skips the probes. Its log (a traceback when a terminal does not report its
    cell size) would land on the user's screen before the app starts: what it found is in
    `facts()` instead."""
    import logging

    logging.getLogger("textual_image").addHandler(logging.NullHandler())
    problem = None
    try:
        import textual_image.widget  # noqa: F401
    except Exception as exc:  # termios.error, OSError, TerminalError ...
        problem = f"{type(exc).__name__}: {exc}".rstrip(": ")
        for name in [m for m in sys.modules if m.startswith("textual_image")]:
            del sys.modules[name]
        saved, sys.__stdin__ = sys.__stdin__, None  # type: ignore[misc]
        try:
            import textual_image.widget  # noqa: F401,F811
        finally:
            sys.__stdin__ = saved  # type: ignore[misc]
    from textual_image.renderable import Image as Detected
    from textual_image.renderable import SixelImage, TGPImage, UnicodeImage

    name = {TGPImage: "kitty", SixelImage: "sixel", UnicodeImage: "unicode"}.get(Detected, "halfcell")  # type: ignore[call-overload]
    return name, problem


def _old_kitty() -> str | None:
    """kitty's version when it is too old for placeholders; asked with XTVERSION, answered
    over SSH too. None when it is new enough or does not say."""
    if not sys.__stdin__ or not sys.__stdout__ or not sys.__stdout__.isatty():
        return None
    from textual_image._terminal import capture_terminal_response

    try:
        with capture_terminal_response("\x1bP>|", "\x1b\\", 0.15) as response:
            sys.__stdout__.write("\x1b[>0q")
            sys.__stdout__.flush()
    except Exception:
        return None
    return kitty_too_old(response.sequence)


def kitty_too_old(xtversion: str) -> str | None:
    """The version in an XTVERSION answer such as `kitty(0.26.5)` when it is older than 0.28."""
    match = re.search(r"kitty\((\d+)\.(\d+)(?:\.(\d+))?\)", xtversion)
    if match and (int(match.group(1)), int(match.group(2))) < KITTY_PLACEHOLDERS_SINCE:
        return ".".join(g for g in match.groups() if g)
    return None


_LAZY_DEFINITION = re.compile(r"#(\d+);[12];\d+;\d+;\d+")


def encode_sixel(image: Any) -> str:
    """`image` (RGB) as one Sixel sequence. Slow (tens to hundreds of ms), so call it from a
    thread; the encoding itself runs in the helper process (ui/offload.py), where it cannot
    hold the event loop's GIL."""
    from imagegen_tui.ui import offload

    return offload.run(_encode_pixels, image.mode, image.size, image.tobytes())


def _encode_pixels(mode: str, size: tuple[int, int], data: bytes) -> str:
    """In the helper process: the picture from its raw pixels, encoded.

    textual-image 0.12, the last release for Python 3.11, defines each colour register where it
    is first used and counts on the definition selecting it. xterm, like the VT340, only selects
    with a bare `#N`, so everything until the next selection is drawn in register 3 (green): a
    flat red picture came out green. 0.13+ defines the palette up front and selects explicitly;
    for the older encoder a selection is added after each definition."""
    from PIL import Image
    from textual_image._sixel import SixelOptions, image_to_sixels

    encoded = image_to_sixels(Image.frombytes(mode, size, data), _SIXEL_OPTIONS)
    if hasattr(SixelOptions, "lazy_color_palette"):
        return encoded
    return _LAZY_DEFINITION.sub(lambda m: f"{m.group()}#{m.group(1)}", encoded)


# textual-image's defaults (256 colours, fast octree): tests/bench/bench_sixel.py found no option
# smaller without a measurable loss on a real photograph (max-coverage: 0.75x the bytes, but the
# mean error 3.4 -> 6.0 and four times the encoding time; 128 colours: 0.84x, error 3.4 -> 4.2)
_SIXEL_OPTIONS = None


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version  # 10 ms: only for the diagnostics

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"
