"""Check tests/sixel_decode.py against a real xterm: draw each case in `xterm -ti 340` under a
private Xvfb, screenshot it, and compare pixel by pixel with what the decoder says xterm shows.

Why: the decoder's whole point is to be faithful to xterm (definitions that do not select,
register 3, P2 fill, register wrap, xterm's own HLS); this is how that was established, and how
to re-establish it after changing the decoder or meeting another xterm version.

Needs xterm, Xvfb and ImageMagick's `import` (apt: xterm xvfb imagemagick). Takes about
2.5 s a case. Run: python tests/tools/xterm_sixel_check.py [--keep DIR] [--only NAME,...]
Exit status 1 if any case differs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageChops

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import sixel_decode  # noqa: E402

ST = b"\x1b\\"
BACKGROUND = (18, 52, 86)  # the xterm's background: where a picture is transparent, this shows
ROW, COL = 3, 5  # where every case is drawn
HUES = list(range(0, 361, 5)) + [1, 59, 61, 119, 121, 179, 181, 239, 241, 299, 301, 359]


def _hue_strip(lightness: int, saturation: int) -> bytes:
    body = b"".join(b"#%d;1;%d;%d;%d#%d!2~" % (i + 1, h, lightness, saturation, i + 1) for i, h in enumerate(HUES))
    return b'\x1bP0;0;0q"1;1;%d;6' % (2 * len(HUES)) + body + ST


def _textual_image(select: bool, size: tuple[int, int] = (240, 160)) -> Callable[[], bytes]:
    def make() -> bytes:
        from textual_image._sixel import image_to_sixels

        from imagegen_tui.demo import artist

        data = image_to_sixels(artist.draw("a lighthouse on a cliff at dusk", *size, 0)).encode("ascii")
        if select:
            data = re.sub(rb"#(\d+);2;\d+;\d+;\d+", lambda m: m.group(0) + b"#" + m.group(1), data)
        return data

    return make


def _flat_red() -> bytes:
    from textual_image._sixel import image_to_sixels

    return image_to_sixels(Image.new("RGB", (60, 60), (255, 0, 0))).encode("ascii")


# name: (bytes or a function making them, the decoder's register count, extra xterm arguments)
CASES: dict[str, tuple[bytes | Callable[[], bytes], int, tuple[str, ...]]] = {
    "flat red, textual-image": (_flat_red, 1024, ()),
    "definition without select": (b'\x1bP0;0;0q"1;1;20;6#1;2;100;0;0!20~' + ST, 1024, ()),
    "register 300 vs 44": (b'\x1bP0;0;0q"1;1;20;12#300;2;100;0;0#44;2;0;100;0#300!20~-!20~' + ST, 1024, ()),
    "register 1030 wraps to 6": (b'\x1bP0;0;0q"1;1;20;12#1030;2;100;0;0#6;2;0;100;0#1030!20~-!20~' + ST, 1024, ()),
    "16 registers: 17 is 1": (b'\x1bP0;0;0q"1;1;20;12#17;2;100;0;0#1;2;0;100;0#17!20~-!20~' + ST, 16, ("-xrm", "*numColorRegisters: 16")),
    "HLS hues, l50 s100": (_hue_strip(50, 100), 1024, ()),
    "HLS hues, l70 s35": (_hue_strip(70, 35), 1024, ()),
    "HLS grey": (b'\x1bP0;0;0q"1;1;20;6#1;1;0;40;0#1!20~' + ST, 1024, ()),
    "P2=1 transparent": (b'\x1bP0;1;0q"1;1;30;12#1;2;100;0;0#1!10?!10~!10B-!30N' + ST, 1024, ()),
    "P2=0 background": (b'\x1bP0;0;0q"1;1;30;12#1;2;100;0;0#1!10?!10~!10B-!30N' + ST, 1024, ()),
    "P2=2 register 0 redefined": (b'\x1bP0;2;0q"1;1;30;12#0;2;0;0;100#1;2;100;0;0#1!10?!10~!10B-!30N' + ST, 1024, ()),
    "no raster attributes": (b"\x1bPq#1;2;100;0;0#1!10~-!20N" + ST, 1024, ()),
    "aspect 2:1": (b'\x1bP0;0;0q"2;1;20;12#1;2;100;0;0#1!10~-!20N' + ST, 1024, ()),
    "redefined after use": (b'\x1bP0;0;0q"1;1;20;12#1;2;100;0;0#1!10~#1;2;0;0;100-#1!20~' + ST, 1024, ()),
    "RGB over 100 stops": (b'\x1bP0;0;0q"1;1;20;18#1;2;100;0;0#1!10~-#2;2;101;0;0#2!10~-#1!20~' + ST, 1024, ()),
    "two-number colour stops": (b'\x1bP0;0;0q"1;1;20;12#1;2;100;0;0#1!20~-#1;2!20~' + ST, 1024, ()),
    "carriage return overlay": (b'\x1bP0;0;0q"1;1;20;6#1;2;100;0;0#2;2;0;0;100#1!20~$#2!20A$!5?#0!5B' + ST, 1024, ()),
    "growing past the raster": (b'\x1bP0;0;0q"1;1;10;6#1;2;100;0;0#1!20~-!5~' + ST, 1024, ()),
    "single sixels": (b"\x1bP0;1q#1;2;100;0;0#1~~@A?B~$#2;2;0;100;0#2??~~" + ST, 1024, ()),
    "spaces and trailing ;": (b'\x1bP0;0;0q"1;1;20;6#1;2;100;0;0 #1; ! 20 ~' + ST, 1024, ()),
    "macro 7, aspect 1:1": (b"\x1bP7;1q#1;2;100;0;0#1!20~-!20~" + ST, 1024, ()),
    "raster over the limit": (b'\x1bP0;0;0q"1;1;1001;6#1;2;100;0;0#1!20~' + ST, 1024, ()),
    "unknown macro 10": (b"\x1bP10;1q#1;2;100;0;0#1!20~-!20~" + ST, 1024, ()),
    "demo picture, textual-image": (_textual_image(select=False), 1024, ()),
    "demo picture, selected": (_textual_image(select=True), 1024, ()),
    "demo picture, 16 registers": (_textual_image(select=False), 16, ("-xrm", "*numColorRegisters: 16")),
}


class Screen:
    """A private X server and screenshots of an xterm showing some bytes."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.display = f":{_free_display()}"
        self.server = subprocess.Popen(["Xvfb", self.display, "-screen", "0", "1024x768x24"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        self.origin: tuple[int, int] | None = None

    def close(self) -> None:
        self.server.terminate()
        self.server.wait()

    def shot(self, payload: bytes, extra: tuple[str, ...] = ()) -> Image.Image:
        """The screen after xterm printed `payload` (cursor hidden, screen cleared first)."""
        data = self.work / "payload.bin"
        data.write_bytes(b"\x1b[?25l\x1b[2J" + payload)
        env = {**os.environ, "DISPLAY": self.display}
        colour = "#%02x%02x%02x" % BACKGROUND
        term = subprocess.Popen(["xterm", "-ti", "340", "-geometry", "100x40+0+0", "-bg", colour, "-fg", "white", *extra, "-e", "sh", "-c", f"cat '{data}'; sleep 30"], env=env)
        try:
            time.sleep(2.0)
            png = self.work / "shot.png"
            subprocess.run(["import", "-window", "root", str(png)], env=env, check=True)
            return Image.open(png).convert("RGB")
        finally:
            term.kill()
            term.wait()

    def picture_origin(self) -> tuple[int, int]:
        """The top-left pixel of cell (ROW, COL), from two white squares drawn at known cells."""
        if self.origin is None:
            white = b'\x1bP0;1;0q"1;1;12;12#1;2;100;100;100#1!12~-!12~' + ST
            a = _drawn_box(self.shot(b"\x1b[3;5H" + white))
            b = _drawn_box(self.shot(b"\x1b[5;9H" + white))
            if a is None or b is None:
                raise SystemExit("calibration failed: xterm drew nothing (is it built with Sixel support?)")
            width, height = (b[0] - a[0]) // 4, (b[1] - a[1]) // 2
            self.origin = (a[0] + (COL - 5) * width, a[1] + (ROW - 3) * height)
        return self.origin


def _drawn_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Where the xterm window shows something other than its background."""
    is_background = ImageChops.difference(image, Image.new("RGB", image.size, BACKGROUND)).convert("L").point(lambda v: 255 if v == 0 else 0)
    window = is_background.getbbox()
    if window is None:
        return None
    inner = image.crop(window)
    box = ImageChops.difference(inner, Image.new("RGB", inner.size, BACKGROUND)).getbbox()
    return None if box is None else (box[0] + window[0], box[1] + window[1], box[2] + window[0], box[3] + window[1])


def _free_display() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise SystemExit("no free X display number")


def check(screen: Screen, name: str, data: bytes, registers: int, extra: tuple[str, ...], keep: Path | None) -> bool:
    shot = screen.shot(b"\x1b[%d;%dH" % (ROW, COL) + data, extra)
    pictures = sixel_decode.decode(b"\x1b[%d;%dH" % (ROW, COL) + data, registers=registers, underneath=BACKGROUND)
    drawn = _drawn_box(shot)
    if not pictures or pictures[0].image.width * pictures[0].image.height == 0:
        ok = drawn is None
        print(f"{'ok ' if ok else 'BAD'} {name:30s} decoder: nothing drawn; xterm: {'nothing' if drawn is None else drawn}")
        return ok
    picture = pictures[0]
    x, y = screen.picture_origin()
    real = shot.crop((x, y, x + picture.image.width, y + picture.image.height))
    differing = sum(ImageChops.difference(real, picture.image).convert("L").histogram()[9:])
    ok = differing == 0
    if keep is not None:
        slug = re.sub(r"\W+", "-", name).strip("-")
        real.save(keep / f"{slug}-xterm.png")
        picture.image.save(keep / f"{slug}-decoded.png")
    error = sixel_decode.mean_colour_error(real, picture.image)
    print(f"{'ok ' if ok else 'BAD'} {name:30s} {picture.image.width}x{picture.image.height}  differing pixels {differing}  mean error {error:.2f}  {'; '.join(picture.problems)}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="save each case's xterm crop and decoded picture here")
    parser.add_argument("--only", help="comma-separated case names (substrings)")
    args = parser.parse_args()
    for tool in ("xterm", "Xvfb", "import"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    version = subprocess.run(["xterm", "-version"], capture_output=True, text=True).stdout.strip()
    print(f"{version} -ti 340 under Xvfb, against tests/sixel_decode.py")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    wanted = [w.strip() for w in args.only.split(",")] if args.only else None
    with tempfile.TemporaryDirectory() as work:
        screen = Screen(Path(work))
        try:
            results = []
            for name, (data, registers, extra) in CASES.items():
                if wanted and not any(w in name for w in wanted):
                    continue
                payload = data() if callable(data) else data
                results.append(check(screen, name, payload, registers, extra, args.keep))
        finally:
            screen.close()
    print(f"{sum(results)}/{len(results)} cases drawn exactly as the decoder says")
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
