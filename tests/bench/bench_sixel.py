"""Sixel bytes per picture against picture quality, for textual-image's encoder options. On
demand, not in the test run.

Why: over SSH a Sixel picture is most of what crosses the wire, so a smaller encoding is worth
taking where it costs no visible quality. Quality is measured, not judged by eye: each encoding
is decoded as xterm draws it (tests/sixel_decode.py) and compared with the source, pixel by pixel
(mean absolute difference per channel, 0-255; the eye notices about 3 on flat areas).

Pictures, at the preview's usual size (about 600x600 pixels): a flat demo render, a grainy
photo-like demo render, and a real photograph (textual-image's own gracehopper.jpg). Options:
colours 256 / 128 / 64, quantizers fastoctree (the default) / maxcoverage / adaptive (median cut).
The baseline is the default encoding, measured in the same run; "x bytes" is relative to it.

Run: python tests/bench/bench_sixel.py [--runs 3] [--size 600]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imagegen_tui.demo import artist  # noqa: E402
from sixel_decode import decode, mean_colour_error  # noqa: E402


def pictures(size: int) -> dict[str, Image.Image]:
    import textual_image

    photo = Image.open(Path(textual_image.__file__).parent / "gracehopper.jpg").convert("RGB")
    photo.thumbnail((size, size))
    return {
        "flat render": artist.draw("a lighthouse on a cliff at dusk", size, size, 0).convert("RGB"),
        "grainy render": artist.draw("a lighthouse on a cliff at dusk", size, size, 0, photo=True).convert("RGB"),
        "photograph": photo,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=600)
    args = parser.parse_args()

    from textual_image._sixel import SixelOptions, image_to_sixels

    from imagegen_tui.ui.graphics import _LAZY_DEFINITION

    def encode(image: Image.Image, options: SixelOptions | None) -> str:
        data = image_to_sixels(image, options)
        if not hasattr(SixelOptions, "lazy_color_palette"):  # as encode_sixel does on 0.12
            data = _LAZY_DEFINITION.sub(lambda m: f"{m.group()}#{m.group(1)}", data)
        return data

    variants: list[tuple[str, SixelOptions | None]] = [("default (256, fastoctree)", None)]
    variants += [(f"{colours}, {method}", SixelOptions(colors=colours, quantize=method)) for method in ("fastoctree", "maxcoverage", "adaptive") for colours in (256, 128, 64) if (colours, method) != (256, "fastoctree")]

    print(f"{'picture':<14} {'encoding':<26} {'bytes':>9} {'x bytes':>8} {'error':>6} {'encode ms':>10}")
    for name, image in pictures(args.size).items():
        baseline = None
        for label, options in variants:
            times, data = [], ""
            for _ in range(args.runs):
                started = time.perf_counter()
                data = encode(image, options)
                times.append((time.perf_counter() - started) * 1000)
            [shown] = decode(data.encode())
            error = mean_colour_error(image, shown.image)
            baseline = baseline or len(data)
            print(f"{name:<14} {label:<26} {len(data):>9,} {len(data) / baseline:>8.2f} {error:>6.2f} {statistics.median(times):>10.0f}")
        print()


if __name__ == "__main__":
    main()
