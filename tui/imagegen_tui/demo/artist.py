"""Deterministic pictures from a prompt (and, for edits, from the images given): the same inputs
give the same image."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import textwrap
import zlib
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps


def _rng(prompt: str, index: int, seed: int | None = None) -> random.Random:
    """The choices behind one picture: the prompt's and the index's, and the seed's when a
    server takes one (a local server's same seed gives the same picture, another a new one)."""
    key = f"{index}\x00{prompt}" if seed is None else f"{index}\x00{seed}\x00{prompt}"
    digest = hashlib.sha256(key.encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _colour(rng: random.Random, alpha: int | None = None) -> tuple[int, ...]:
    rgb = tuple(rng.randrange(30, 235) for _ in range(3))
    return rgb if alpha is None else (*rgb, alpha)


def draw(prompt: str, width: int, height: int, index: int = 0, transparent: bool = False, photo: bool = False, seed: int | None = None) -> Image.Image:
    rng = _rng(prompt, index, seed)
    if transparent:
        canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    else:
        gradient = Image.linear_gradient("L").rotate(rng.choice((0, 45, 90, 135)), expand=False)
        base = ImageOps.colorize(gradient.resize((width, height)), _colour(rng), _colour(rng))
        canvas = base.convert("RGBA")
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    scale = min(width, height)
    for _ in range(rng.randrange(6, 13)):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(scale // 12, scale // 3)
        box = (x - r, y - r, x + r, y + r)
        fill = _colour(rng, rng.randrange(120, 230))
        shape = rng.choice(("ellipse", "rectangle", "triangle"))
        if shape == "ellipse":
            pen.ellipse(box, fill=fill)
        elif shape == "rectangle":
            pen.rounded_rectangle(box, radius=r // 4, fill=fill)
        else:
            pen.polygon([(x, y - r), (x + r, y + r), (x - r, y + r)], fill=fill)
    canvas.alpha_composite(layer)
    if photo:  # grain like a photograph's, so files are as large as real ones (2-3 MB at 1024x1024)
        grain = Image.effect_noise((width, height), 64).convert("RGBA")
        canvas = Image.blend(canvas, grain, 0.25)
    _caption(canvas, prompt, scale)
    return canvas


def _caption(canvas: Image.Image, prompt: str, scale: int) -> None:
    words = " ".join(prompt.split()[:8]) or "imagegen-tui"
    size = max(12, scale // 16)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow built without FreeType
        font = ImageFont.load_default()
    pen = ImageDraw.Draw(canvas)
    text = "\n".join(textwrap.wrap(words, width=max(8, canvas.width // (size // 2 + 1)))[:3])
    stroke = max(1, size // 12)
    pen.multiline_text((scale // 20, scale // 20), text, font=font, fill=(255, 255, 255, 255), stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    small = max(10, scale // 40)
    try:
        tag_font = ImageFont.load_default(size=small)
    except TypeError:
        tag_font = ImageFont.load_default()
    pen.text((scale // 20, canvas.height - small * 2), "imagegen-tui demo · synthesized locally", font=tag_font, fill=(255, 255, 255, 220), stroke_width=1, stroke_fill=(0, 0, 0, 200))


def encode(image: Image.Image, fmt: str, compression: int | None) -> bytes:
    buffer = io.BytesIO()
    if fmt == "png":
        image.save(buffer, "PNG", compress_level=1)
    elif fmt == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=max(1, compression if compression is not None else 90))
    elif fmt == "webp":
        image.save(buffer, "WEBP", quality=max(1, compression if compression is not None else 90), method=0)
    else:
        raise ValueError(fmt)
    return buffer.getvalue()


@lru_cache(maxsize=48)
def render(prompt: str, width: int, height: int, index: int, transparent: bool, fmt: str, compression: int | None, photo: bool = False, seed: int | None = None) -> bytes:
    """Encoded bytes, cached: repeated demo requests cost the server nothing."""
    return encode(draw(prompt, width, height, index, transparent, photo, seed), fmt, compression)


@lru_cache(maxsize=48)
def render_partial(prompt: str, width: int, height: int, index: int, transparent: bool, fmt: str, step: int, steps: int, seed: int | None = None) -> bytes:
    """A blurry early version, sharper with each step, as a streamed partial image."""
    full = draw(prompt, width, height, index, transparent, seed=seed)
    radius = max(1, (steps - step) * min(width, height) // 60)
    return encode(full.filter(ImageFilter.GaussianBlur(radius)), fmt, None)


def input_size(data: bytes, formats: tuple[str, ...], alpha: bool = False) -> tuple[int, int]:
    """The size of an uploaded image, read whole; ValueError saying why it cannot be used: not
    one of `formats` (as Pillow names them), damaged, or without alpha when `alpha` is asked."""
    image = _open(data)
    if image.format not in formats:
        raise ValueError(f"the file is {image.format or 'not an image'}; expected {' or '.join(formats)}")
    if alpha and image.mode not in ("RGBA", "LA"):
        raise ValueError(f"it has no alpha channel (mode {image.mode})")
    return image.size


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"it cannot be read ({exc})") from None
    return image


@lru_cache(maxsize=4)
def edit(prompt: str, sources: tuple[bytes, ...], mask: bytes | None, width: int, height: int, transparent: bool, index: int, seed: int | None = None) -> Image.Image:
    """The first source redrawn in two colours taken from the prompt, inside the mask's fully
    transparent pixels (everywhere without a mask), the other sources set into that area as
    small insets; outside it the first source's pixels stay exactly as they were. Cached: a
    stream draws the same edit for each partial. Callers must not change the image returned."""
    rng = _rng(prompt, index, seed)
    base = _open(sources[0]).convert("RGBA")
    if base.size != (width, height):
        base = base.resize((width, height), Image.Resampling.LANCZOS)
    area = Image.new("L", (width, height), 255)
    if mask is not None:
        area = _open(mask).getchannel("A").point(lambda a: 255 if a == 0 else 0).resize((width, height), Image.Resampling.NEAREST)
    redrawn = ImageOps.colorize(base.convert("L"), _colour(rng), _colour(rng)).convert("RGBA")
    redrawn.putalpha(base.getchannel("A"))
    box = area.getbbox()
    if box is not None and len(sources) > 1:  # a row of insets across the area's middle
        side = max(8, min(box[2] - box[0], box[3] - box[1]) // 4)
        insets = [ImageOps.expand(ImageOps.fit(_open(data).convert("RGBA"), (side, side)), border=max(1, side // 16), fill="white") for data in sources[1:]]
        step = insets[0].width + 4
        left, top = (box[0] + box[2] - step * len(insets)) // 2, (box[1] + box[3] - insets[0].height) // 2
        for k, inset in enumerate(insets):
            redrawn.paste(inset, (left + k * step, top))
    result = base.copy()
    result.paste(redrawn, (0, 0), area)
    if transparent:
        return result
    return Image.alpha_composite(Image.new("RGBA", result.size, (255, 255, 255, 255)), result)


def render_edit(prompt: str, sources: tuple[bytes, ...], mask: bytes | None, width: int, height: int, transparent: bool, index: int, fmt: str, compression: int | None, seed: int | None = None) -> bytes:
    return encode(edit(prompt, sources, mask, width, height, transparent, index, seed), fmt, compression)


def render_edit_partial(prompt: str, sources: tuple[bytes, ...], mask: bytes | None, width: int, height: int, transparent: bool, index: int, fmt: str, step: int, steps: int, seed: int | None = None) -> bytes:
    """The edit blurred, less with each step, as a streamed partial image."""
    radius = max(1, (steps - step) * min(width, height) // 60)
    return encode(edit(prompt, sources, mask, width, height, transparent, index, seed).filter(ImageFilter.GaussianBlur(radius)), fmt, None)


@lru_cache(maxsize=1)
def huge_png(side: int = 30_000) -> bytes:
    """A valid PNG of side x side pixels that is small on the wire (about 110 kB for 30000):
    1-bit black, its rows fed to zlib a block at a time, never held whole. For testing what a
    client does with an image far larger than any real provider sends."""
    from imagegen_tui.metadata import PNG_SIGNATURE, png_chunk

    rows = b"\x00" * (1 + (side + 7) // 8) * 1000  # each row: filter byte, then the packed bits
    packer = zlib.compressobj(9)
    parts = [packer.compress(rows) for _ in range(side // 1000)]
    parts.append(packer.compress(rows[: len(rows) // 1000 * (side % 1000)]))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b"")


def white_mask(data: bytes, size: tuple[int, int]) -> bytes:
    """A mask in which white means "repaint" and black "keep" (LocalAI's inpainting, diffusers),
    turned into OpenAI's shape, in which transparent means "edit": the one the edit painter
    reads. Scaled to the image's `size`; ValueError when it cannot be read."""
    grey = _open(data).convert("L").resize(size, Image.Resampling.NEAREST)
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    mask.putalpha(grey.point(lambda v: 0 if v >= 128 else 255))
    return encode(mask, "png", None)
