"""Colours as a real xterm shows the app's Sixel pictures: flat primaries and a grey ramp, a
two-colour logo and a photograph, each drawn in `xterm -ti 340` under a private Xvfb, screenshot,
and compared with its source patch by patch (mean absolute difference per channel, 0-255).

Why: issue 13 found a flat red picture drawn green in xterm. The unit test
(tests/unit/test_pictures.py) proves the fix through a decoder faithful to xterm; this proves it
in xterm itself, and shows what the encoding textual-image 0.12 produces on its own looks like.

Needs xterm, Xvfb and ImageMagick's `import`. Run: python tests/tools/xterm_colours.py [--keep DIR]
Exit status 1 if any patch of our encoding is off by more than 3.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "unit"))

from sixel_decode import mean_colour_error  # noqa: E402
from test_pictures import _logo, _patches, _photo  # noqa: E402
from xterm_sixel_check import COL, ROW, Screen  # noqa: E402

LIMIT = 3.0


def _raw_textual_image(image: Image.Image) -> bytes:
    from textual_image._sixel import image_to_sixels

    return image_to_sixels(image).encode("ascii")


def _ours(image: Image.Image) -> bytes:
    from imagegen_tui.ui.graphics import encode_sixel

    return encode_sixel(image).encode("ascii")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="save the screenshots' crops here")
    args = parser.parse_args()
    patches = _patches()
    names = ["red", "green", "blue", "yellow", "cyan", "magenta", "white", "black"] + [f"grey {v}" for v in range(0, 256, 32)]
    boxes = [(40 * (i % 8), 40 * (i // 8), 40 * (i % 8) + 40, 40 * (i // 8) + 40) for i in range(16)]
    pictures = [(f"patch: {name}", patches, box) for name, box in zip(names, boxes)]
    pictures += [("two-colour logo", _logo(), None), ("photograph", _photo(), None)]
    worst = 0.0
    with tempfile.TemporaryDirectory() as work:
        screen = Screen(Path(work))
        try:
            x, y = screen.picture_origin()
            shots = {}
            for encoder in (_raw_textual_image, _ours):
                for source in {id(p[1]): p[1] for p in pictures}.values():
                    shot = screen.shot(b"\x1b[%d;%dH" % (ROW, COL) + encoder(source))
                    shots[encoder, id(source)] = shot.crop((x, y, x + source.width, y + source.height))
                    if args.keep:
                        args.keep.mkdir(parents=True, exist_ok=True)
                        shots[encoder, id(source)].save(args.keep / f"{encoder.__name__.strip('_')}-{source.width}x{source.height}.png")
        finally:
            screen.close()
    print(f"{'picture':<18} {'textual-image 0.12 alone':>25} {'imagegen-tui':>14}")
    for name, source, box in pictures:
        before = mean_colour_error(source, shots[_raw_textual_image, id(source)], box)
        after = mean_colour_error(source, shots[_ours, id(source)], box)
        worst = max(worst, after)
        print(f"{name:<18} {before:>25.2f} {after:>14.2f}")
    print(f"worst of ours: {worst:.2f} (limit {LIMIT})")
    return 0 if worst <= LIMIT or worst == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
