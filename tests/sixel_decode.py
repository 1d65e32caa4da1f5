"""Render the Sixel pictures in a terminal byte stream back to pixels, the way xterm draws them.

Why this exists: a test that only checks that *some* Sixel sequence was written cannot see what
a user sees. Terminals differ from what encoders assume, and xterm (the reference Sixel terminal,
emulating a DEC VT340) differs in ways that matter:

* a colour *definition* `#Pc;2;r;g;b` only sets register Pc; it does not select it. Only a bare
  `#Pc` selects. Sixels drawn before any selection use register 3, which in the VT340 palette is
  green (20%, 80%, 20%). textual-image 0.12 emits only the definition on a colour's first use, so
  a flat red image is drawn green in xterm;
* registers hold colours, pixels hold register numbers: a register redefined later recolours
  what was already drawn with it (xterm resolves colours when it paints the screen);
* register numbers wrap around at the number of registers: 1024 in the xterm 379 measured
  here (`-ti 340`, although its manual says a VT340 has 16), so #1030 is #6;
* HLS colours (`#Pc;1;h;l;s`) follow DEC's hue circle (0 blue, 120 red, 240 green) but xterm
  snaps the hue to six pure colours;
* P2 = 0 or 2 fills the declared raster (`"Pan;Pad;Ph;Pv`) with register 0 when the first sixel
  arrives, and zero bits leave pixels unchanged; P2 = 1 leaves unpainted pixels transparent;
* a malformed command (RGB over 100 %, `#1;2`, a raster larger than the graphic limit ...) makes
  xterm stop reading the picture there; what was drawn so far stays.

It follows xterm's graphics_sixel.c and graphics.c, and was checked pixel by pixel against a
real xterm 379 (`-ti 340`, under Xvfb) by tests/tools/xterm_sixel_check.py, which also covers
textual-image's own output. Pure Python and Pillow. It also tells where each picture was drawn when
the stream put the cursor there with `CSI row;col H` (as textual-image does right before each
picture), so a test or a benchmark can tell which screen cell a picture starts at.

    from sixel_decode import decode, mean_colour_error
    pictures = decode(bytes_written_to_the_terminal)
    pictures[0].image      # PIL RGB image, one pixel per sixel pixel
    pictures[0].cursor     # (row, col), 1-based, or None if the stream did not say
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

from PIL import Image, ImageChops, ImageStat

ESC = 0x1B

# xterm's VT340 palette (graphics.c, init_color_registers), in percent.
VT340_PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0), (20, 20, 80), (80, 13, 13), (20, 80, 20), (80, 20, 80), (20, 80, 80), (80, 80, 20), (53, 53, 53),
    (26, 26, 26), (33, 33, 60), (60, 26, 26), (33, 60, 33), (60, 33, 60), (33, 60, 60), (60, 60, 33), (80, 80, 80),
)
DEFAULT_REGISTER = 3  # what xterm draws with before any `#Pc` selection
XTERM_REGISTERS = 1024  # what xterm 379 -ti 340 was measured to have (#1030 is #6)
VT340_REGISTERS = 16  # a real VT340, and what xterm's manual says for -ti 340
XTERM_MAX_SIZE = (1000, 1000)  # xterm's default maxGraphicSize
MAX_PARAM = 65535  # xterm clamps numeric parameters here
HOLE = -1  # a pixel nothing painted: the screen shows through


@dataclass
class Sequence:
    """One piece of a terminal byte stream: `kind` is text, c0 (one control byte), esc (ESC and
    one byte), csi, osc, dcs, apc, pm or sos; `start`/`end` are byte offsets (end exclusive,
    terminator included). `complete` is False for a string cut off by the end of the stream or
    by an ESC that was not ST."""

    kind: str
    start: int
    end: int
    complete: bool = True

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass
class DecodedSixel:
    """One Sixel picture as xterm would show it.

    `image` has one pixel per sixel pixel (xterm 379 draws every aspect ratio 1:1); pixels that
    nothing painted are `underneath` there and 0 in `mask` (255 where painted). `cursor` is the
    (row, col) the stream put the cursor at with CSI H before the picture, 1-based as in the
    sequence, or None when text or an unmodelled movement came in between. `drew_before_selecting`
    is True when sixels were drawn before any bare `#Pc` selected a register (so with register 3,
    green). `registers` are the final register values in percent. `problems` says where xterm
    stopped reading or skipped something."""

    image: Image.Image
    mask: Image.Image
    params: tuple[int, ...]
    background_mode: int
    declared: tuple[int, int] | None
    aspect: tuple[int, int]
    drew_before_selecting: bool
    registers: dict[int, tuple[int, int, int]] = field(repr=False)
    problems: list[str] = field(default_factory=list)
    cursor: tuple[int, int] | None = None
    start: int = 0
    end: int = 0

    @property
    def size(self) -> int:
        """Bytes of the whole DCS sequence, ESC P through ESC \\."""
        return self.end - self.start

    @property
    def transparent(self) -> bool:
        """Whether any pixel of the picture's area was left unpainted."""
        return self.mask.getextrema()[0] == 0


# --- splitting a stream into sequences -------------------------------------------------------

_STRINGS = {0x5D: "osc", 0x50: "dcs", 0x5F: "apc", 0x5E: "pm", 0x58: "sos"}


def sequences(stream: bytes) -> Iterator[Sequence]:
    """Split what a program wrote to a terminal into text, controls and escape sequences
    (7-bit forms only: Textual and textual-image write no 8-bit C1 controls)."""
    i, n = 0, len(stream)
    while i < n:
        b = stream[i]
        if b == ESC:
            if i + 1 >= n:
                yield Sequence("esc", i, n, complete=False)
                return
            second = stream[i + 1]
            if second == 0x5B:  # CSI: parameters and intermediates, then a final byte 0x40-0x7E
                j = i + 2
                while j < n and not 0x40 <= stream[j] <= 0x7E:
                    j += 1
                yield Sequence("csi", i, min(j + 1, n), complete=j < n)
                i = j + 1
            elif second in _STRINGS:  # a string, ended by ST (ESC \), or by BEL for OSC
                kind = _STRINGS[second]
                j = i + 2
                while j < n and stream[j] != ESC and not (kind == "osc" and stream[j] == 0x07):
                    j += 1
                if j >= n:
                    yield Sequence(kind, i, n, complete=False)
                    return
                if stream[j] == 0x07:
                    yield Sequence(kind, i, j + 1)
                    i = j + 1
                elif j + 1 < n and stream[j + 1] == 0x5C:
                    yield Sequence(kind, i, j + 2)
                    i = j + 2
                else:  # an ESC that is not ST cancels the string and starts the next sequence
                    yield Sequence(kind, i, j, complete=False)
                    i = j
            else:
                yield Sequence("esc", i, i + 2)
                i += 2
        elif b < 0x20 or b == 0x7F:
            yield Sequence("c0", i, i + 1)
            i += 1
        else:
            j = i + 1
            while j < n and stream[j] >= 0x20 and stream[j] not in (0x7F, ESC):
                j += 1
            yield Sequence("text", i, j)
            i = j


def dcs_sixel_params(stream: bytes, seq: Sequence) -> tuple[int, ...] | None:
    """The numeric parameters of a DCS Sixel sequence (`ESC P P1;P2;P3 q`), or None when the
    sequence is another DCS (XTVERSION, XTGETTCAP, DECRQSS ...)."""
    if seq.kind != "dcs":
        return None
    j = seq.start + 2
    while j < seq.end and (0x30 <= stream[j] <= 0x39 or stream[j] == 0x3B):
        j += 1
    if j >= seq.end or stream[j] != 0x71:  # 'q' right after the parameters, no intermediates
        return None
    text = stream[seq.start + 2:j].decode("ascii")
    if not text:
        return ()
    return tuple(min(int(p), MAX_PARAM) if p else 0 for p in text.split(";"))


def sixel_sequences(stream: bytes) -> list[Sequence]:
    """The complete DCS Sixel sequences in a stream, without drawing them (cheap: for counting
    and sizing pictures)."""
    return [s for s in sequences(stream) if s.kind == "dcs" and s.complete and dcs_sixel_params(stream, s) is not None]


# --- decoding ---------------------------------------------------------------------------------


def decode(
    stream: bytes,
    *,
    registers: int = XTERM_REGISTERS,
    max_size: tuple[int, int] = XTERM_MAX_SIZE,
    underneath: tuple[int, int, int] = (0, 0, 0),
) -> list[DecodedSixel]:
    """Every Sixel picture in `stream`, in order, as xterm -ti 340 draws it.

    `registers`: how many colour registers the terminal has (1024 in xterm 379 -ti 340 as
    measured; VT340_REGISTERS = 16 for a real VT340 or xterm with numColorRegisters: 16). `max_size`: xterm's
    maxGraphicSize. `underneath`: the colour shown where a picture leaves pixels transparent.
    A picture cut off by the end of the stream is not returned: the terminal would still be
    waiting for the rest of it.
    """
    pictures: list[DecodedSixel] = []
    cursor: tuple[int, int] | None = None
    saved: tuple[int, int] | None = None
    for seq in sequences(stream):
        if seq.kind == "csi":
            csi = stream[seq.start:seq.end]
            if csi == b"\x1b[s":  # SCOSC: save, like ESC 7
                saved = cursor
            elif csi == b"\x1b[u":  # SCORC: restore
                cursor = saved
            else:
                cursor = _after_csi(csi, cursor)
        elif seq.kind == "esc":
            code = stream[seq.start + 1] if seq.complete else 0
            if code == 0x37:  # ESC 7: save the cursor
                saved = cursor
            elif code == 0x38:  # ESC 8: restore it
                cursor = saved
            elif code not in (0x3D, 0x3E, 0x5C):  # keypad modes and a stray ST leave it
                cursor = None
        elif seq.kind == "text" or (seq.kind == "c0" and stream[seq.start] not in (0x00, 0x07)):
            cursor = None  # text, CR, LF and BS move it in ways not modelled here
        elif seq.kind == "dcs" and seq.complete:
            params = dcs_sixel_params(stream, seq)
            if params is None:
                continue
            body_start = stream.index(b"q", seq.start + 2) + 1
            picture = _draw(stream[body_start:seq.end - 2], params, registers, max_size, underneath)
            if picture is not None:
                picture.cursor, picture.start, picture.end = cursor, seq.start, seq.end
                pictures.append(picture)
            cursor = None  # xterm moves the text cursor to the picture's last row (sixel scrolling)
    return pictures


def _after_csi(csi: bytes, cursor: tuple[int, int] | None) -> tuple[int, int] | None:
    """The cursor after a CSI sequence: CUP/HVP (`CSI row;col H`) set it; SGR, modes, erases,
    reports and queries leave it; anything else makes it unknown."""
    final = chr(csi[-1])
    body = csi[2:-1].decode("latin-1")
    if final in "Hf" and all(c.isdigit() or c == ";" for c in body):
        parts = (body.split(";") + ["", ""])[:2]
        return (max(1, int(parts[0] or 1)), max(1, int(parts[1] or 1)))
    if final in "mhlJKXntcq":
        return cursor
    return None


class _Stop(Exception):
    """xterm stops reading the picture here (a DATA_ERROR in graphics_sixel.c)."""


def _read_params(body: bytes, i: int) -> tuple[list[int], int]:
    """xterm's parse_prefixedtype_params: the numbers after `#` or `"` (spaces, CR and LF are
    skipped; a trailing `;` adds no parameter), and where the command ends."""
    values = [0]
    last_empty = True
    while i < len(body):
        ch = body[i]
        if 0x30 <= ch <= 0x39:
            last_empty = False
            values[-1] = min(MAX_PARAM, values[-1] * 10 + ch - 0x30)
        elif ch == 0x3B:
            last_empty = True
            values.append(0)
        elif ch not in (0x20, 0x0D, 0x0A):
            break
        i += 1
    used = len(values) - (1 if last_empty else 0)
    return values[:used], i


def _dcs_setup(params: tuple[int, ...], max_size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int] | None] | None:
    """Aspect ratio and declared size from the DCS parameters, as xterm reads them; None when
    xterm refuses the sequence."""
    p = params + (0,) * 7
    if len(params) == 7:  # a legacy form with the raster in the DCS parameters
        if 0 in p[3:7] or p[5] > max_size[0] or p[6] > max_size[1]:
            return None
        return (p[3], p[4]), (p[5], p[6])
    if len(params) > 3:
        return None
    aspects = {0: (2, 1), 1: (2, 1), 5: (2, 1), 6: (2, 1), 2: (5, 1), 3: (3, 1), 4: (3, 1), 7: (1, 1), 8: (1, 1), 9: (1, 1)}
    if p[0] not in aspects:
        return None
    return aspects[p[0]], None


def _draw(
    body: bytes,
    params: tuple[int, ...],
    registers: int,
    max_size: tuple[int, int],
    underneath: tuple[int, int, int],
) -> DecodedSixel | None:
    """Run the body of one DCS Sixel sequence like xterm's parse_sixel(). None when xterm
    refuses the whole sequence (invalid DCS parameters)."""
    setup = _dcs_setup(params, max_size)
    if setup is None:
        return None
    aspect, declared = setup
    max_w, max_h = max_size
    background_mode = params[1] if len(params) > 1 else 0
    background = HOLE if background_mode == 1 else 0  # xterm fills with register 0
    palette = {r: VT340_PALETTE[r] if r < len(VT340_PALETTE) else (0, 0, 0) for r in range(max(registers, len(VT340_PALETTE)))}
    width, height = declared or (0, 0)  # xterm's actual_width / actual_height
    rows: list[array] = []  # the register of each pixel, HOLE where nothing was painted
    problems: list[str] = []
    current = DEFAULT_REGISTER
    selected = drew_before_selecting = started = False
    col = row = 0

    def row_at(y: int) -> array:
        while len(rows) <= y:
            rows.append(array("h", [HOLE]) * max_w)
        return rows[y]

    def start() -> None:
        """At the first sixel (xterm's graphic->valid): the declared area gets the background."""
        nonlocal started
        started = True
        if background != HOLE:
            for y in range(height):
                row_at(y)[0:width] = array("h", [background]) * width

    def set_sixel(bits: int, at: int, repeat: int) -> bool:
        """xterm's set_sixel for `repeat` columns from `at`: set bits take the current register
        and grow the picture; False, after painting the rows that fit, when the band reaches
        past the height limit."""
        nonlocal width, height
        for k in range(6):
            y = row + k
            if y >= max_h:
                return False
            if bits & (1 << k):
                row_at(y)[at:at + repeat] = array("h", [current]) * repeat
                height = max(height, y + 1)
                width = max(width, at + repeat)
        return True

    i = 0
    try:
        while i < len(body):
            ch = body[i]
            if 0x3F <= ch <= 0x7E:  # one sixel: six pixels of a column, bit 0 on top
                if not started:
                    start()
                bits = ch - 0x3F
                if bits:
                    drew_before_selecting |= not selected
                    if not 0 <= col < max_w or not set_sixel(bits, col, 1):
                        raise _Stop(f"a sixel at column {col}, row {row} is outside the {max_w}x{max_h} limit")
                col += 1
                i += 1
            elif ch == 0x24:  # $ graphics carriage return
                col = 0
                i += 1
            elif ch == 0x2D:  # - graphics new line: the next band of six rows
                col = 0
                row += 6
                i += 1
            elif ch == 0x21:  # !n: the next sixel n times
                j = i + 1
                while j < len(body) and (0x30 <= body[j] <= 0x39 or body[j] in b" \t\n\r\x0b\x0c"):
                    j += 1
                if j >= len(body):
                    raise _Stop("the data ended inside a repeat")
                if j == i + 1:
                    raise _Stop("a repeat with no count")
                words = body[i + 1:j].split()
                repeat = int(words[0]) if words else 0
                bits = body[j] - 0x3F  # like xterm, whatever byte follows
                if not started:
                    start()
                if bits and repeat > 0:
                    drew_before_selecting |= not selected
                    # xterm checks every column: at a limit it ends this repeat, puts the
                    # column back to 0 and reads on
                    fits = max(0, min(repeat, max_w - col))
                    if row + 5 >= max_h:
                        fits = min(fits, 1)
                    if fits and set_sixel(bits, col, fits) and fits == repeat:
                        col += repeat
                    else:
                        problems.append(f"a repeat at column {col}, row {row} ran past the {max_w}x{max_h} limit; the rest of it was dropped")
                        col = 0
                elif repeat > 0:
                    col += repeat
                i = j + 1
            elif ch == 0x23:  # # colour: define with 3 to 5 numbers, select with 1
                values, i = _read_params(body, i + 1)
                register = (values[0] if values else 0) % max(registers, 1)
                if 3 <= len(values) <= 5:
                    space, a, b, c = (values[1:] + [0, 0, 0])[:4]
                    if space == 1:
                        if a > 360 or b > 100 or c > 100:
                            raise _Stop(f"HLS colour {a};{b};{c} out of range")
                        palette[register] = hls_to_rgb(a, b, c)
                    elif space == 2:
                        if a > 100 or b > 100 or c > 100:
                            raise _Stop(f"RGB colour {a};{b};{c} over 100%")
                        palette[register] = (a, b, c)
                    else:
                        raise _Stop(f"unknown colour space {space}")
                elif len(values) == 1:
                    current, selected = register, True
                else:
                    raise _Stop(f"a colour command with {len(values)} numbers")
            elif ch == 0x22:  # " raster attributes Pan;Pad;Ph;Pv
                values, i = _read_params(body, i + 1)
                if len(values) < 2:
                    raise _Stop("raster attributes with fewer than 2 numbers")
                if values[0] == 0 or values[1] == 0:
                    raise _Stop("raster attributes with a zero in the aspect ratio")
                aspect = (values[0], values[1])
                if len(values) >= 4:
                    ph, pv = values[2], values[3]
                    if ph <= 0 or pv <= 0:
                        raise _Stop(f"an empty raster size {ph}x{pv}")
                    if ph > max_w or pv > max_h:
                        raise _Stop(f"raster size {ph}x{pv} is over the {max_w}x{max_h} limit")
                    declared = (ph, pv)
                    width, height = max(width, ph), max(height, pv)
            else:  # spaces, CR and LF are ignored; xterm skips unknown bytes too
                if ch not in b" \r\n":
                    problems.append(f"unknown byte 0x{ch:02x} skipped")
                i += 1
    except _Stop as stop:
        problems.append(f"xterm stops reading here: {stop}")

    image, mask = _render(rows, width, height, palette, underneath)
    return DecodedSixel(
        image=image, mask=mask, params=params, background_mode=background_mode, declared=declared,
        aspect=aspect, drew_before_selecting=drew_before_selecting, registers=dict(palette), problems=problems,
    )


def _render(
    rows: list[array], width: int, height: int, palette: dict[int, tuple[int, int, int]], underneath: tuple[int, int, int]
) -> tuple[Image.Image, Image.Image]:
    """Resolve registers to colours at the end, as xterm does when it paints: a register
    redefined after use recolours everything drawn with it."""
    if width == 0 or height == 0:
        return Image.new("RGB", (width, height)), Image.new("L", (width, height))
    lut = [bytes(underneath)] * (max(palette) + 2)  # indexed by register + 1; HOLE (-1) is 0
    for register, (r, g, b) in palette.items():
        lut[register + 1] = bytes((percent_to_byte(r), percent_to_byte(g), percent_to_byte(b)))
    pixels = bytearray()
    alpha = bytearray()
    blank = array("h", [HOLE]) * width
    for y in range(height):
        line = rows[y][:width] if y < len(rows) else blank
        pixels += b"".join([lut[v + 1] for v in line])
        alpha += bytes([0 if v == HOLE else 255 for v in line])
    return Image.frombytes("RGB", (width, height), bytes(pixels)), Image.frombytes("L", (width, height), bytes(alpha))


def percent_to_byte(value: int) -> int:
    """xterm scales a 0-100 % component to X's 16 bits; a 24-bit screen keeps the top 8."""
    return (value * 65535 // 100) >> 8


def hls_to_rgb(hue: int, lightness: int, saturation: int) -> tuple[int, int, int]:
    """HLS (hue in degrees, lightness and saturation in percent) to RGB percentages, as xterm
    379 does it, measured in a real one: hue 0 is blue, 120 red and 240 green, as DEC
    documented, but snapped to the start of its 60-degree sector, so only the six pure hues
    (at that lightness and saturation) come out: 0-59 blue, 60-119 magenta, 120-179 red,
    180-239 yellow, 240-299 green, 300-359 cyan."""
    if saturation == 0:
        return (lightness, lightness, lightness)
    sector = (hue // 60 + 4) % 6  # the sector of the usual red-at-0 hue circle
    lv, sv = lightness / 100, saturation / 100
    c = (1 - abs(2 * lv - 1)) * sv
    x = c if sector & 1 else 0.0
    m = lv - 0.5 * c
    r1, g1, b1 = ((c, x, 0.0), (x, c, 0.0), (0.0, c, x), (0.0, x, c), (x, 0.0, c), (c, 0.0, x))[sector]

    def scale(v: float) -> int:
        return max(0, min(100, int((v + m) * 100 + 0.5)))

    return (scale(r1), scale(g1), scale(b1))


# --- comparing pictures ------------------------------------------------------------------------


def mean_colour(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> tuple[float, float, float]:
    """The mean (r, g, b) of `image` inside box (left, top, right, bottom)."""
    region = image.convert("RGB")
    if box is not None:
        region = region.crop(box)
    r, g, b = ImageStat.Stat(region).mean[:3]
    return (r, g, b)


def mean_colour_error(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int] | None = None) -> float:
    """Mean absolute difference per channel (0-255) between two pictures inside box (left, top,
    right, bottom), which must fit in both. 0 is identical; red shown as VT340 green is 136."""
    left, right = a.convert("RGB"), b.convert("RGB")
    if box is not None:
        left, right = left.crop(box), right.crop(box)
    if left.size != right.size:
        raise ValueError(f"different sizes to compare: {left.size} and {right.size}")
    return sum(ImageStat.Stat(ImageChops.difference(left, right)).mean[:3]) / 3
