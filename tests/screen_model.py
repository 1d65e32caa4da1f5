"""What a graphics terminal shows after a byte stream: its text cells and its picture pixels, as
xterm (Sixel) and kitty (Unicode placeholders) keep them.

Why: a picture left behind (residue) is a fact about the terminal, not about any one write. A
stream that draws a partial preview, then a smaller final picture, is only right if every cell
the old picture covered was written again: xterm erases a cell's Sixel pixels when a character is
written into it, and nothing else does (`CSI n C` moves over them, so do the picture layer's
skipped runs). kitty shows an image wherever its placeholder characters stand, so a cell still
holding a placeholder of a picture that went is residue too. This replays what the app wrote
and answers what is on the glass.

    screen = Screen(120, 40)
    screen.feed(bytes_written)
    screen.pixels          # RGBA, the Sixel layer: alpha 0 where no picture pixel is shown
    screen.placeholders()  # {(column, row): kitty image id} of cells holding a placeholder

Modelled: printable text (wide characters take two cells), CR, LF, BS, CUP/HVP, the relative
moves (CUU, CUD, CUF, CUB, CHA, VPA), ED, EL, ECH, DECSC/DECRC (and SCOSC/SCORC), SGR's
truecolour foreground (kitty names a placeholder's image with it), Sixel pictures (decoded by
sixel_decode as xterm draws them, placed at the cursor cell). A Sixel picture leaves the cursor
on its last row, as xterm's sixel scrolling does; the stream puts it back with DECRC.
"""

from __future__ import annotations

from PIL import Image
from rich.cells import get_character_cell_size

from sixel_decode import decode, dcs_sixel_params, sequences

KITTY_PLACEHOLDER = "\U0010eeee"


class Screen:
    def __init__(self, columns: int, rows: int, cell: tuple[int, int] = (10, 20)) -> None:
        self.columns, self.rows, self.cell = columns, rows, cell
        self.pixels = Image.new("RGBA", (columns * cell[0], rows * cell[1]), (0, 0, 0, 0))
        self.text: dict[tuple[int, int], tuple[str, int | None]] = {}  # (x, y) -> character, fg colour as 24 bits
        self.x = self.y = 0
        self._saved = (0, 0)
        self._fg: int | None = None
        self._pending_wrap = False

    # --- reading the stream ---------------------------------------------------------------------

    def feed(self, stream: bytes) -> None:
        for seq in sequences(stream):
            chunk = stream[seq.start:seq.end]
            if seq.kind == "text":
                for character in chunk.decode("utf-8", errors="replace"):
                    self._put(character)
            elif seq.kind == "c0":
                self._control(chunk[0])
            elif seq.kind == "csi" and seq.complete:
                self._csi(chunk)
            elif seq.kind == "esc" and seq.complete:
                if chunk[1:2] == b"7":
                    self._saved = (self.x, self.y)
                elif chunk[1:2] == b"8":
                    self.x, self.y = self._saved
                    self._pending_wrap = False
            elif seq.kind == "dcs" and seq.complete and dcs_sixel_params(stream, seq) is not None:
                self._sixel(chunk)

    def _put(self, character: str) -> None:
        width = get_character_cell_size(character)
        if width == 0:  # a combining mark (kitty's row and column diacritics) joins the cell before
            key = (max(0, self.x - 1), self.y)
            if key in self.text:
                self.text[key] = (self.text[key][0] + character, self.text[key][1])
            return
        if self._pending_wrap:
            self.x, self._pending_wrap = 0, False
            self._line_feed()
        for dx in range(width):
            if self.x + dx < self.columns:
                self.text[(self.x + dx, self.y)] = (character if dx == 0 else "", self._fg)
                self._erase_pixels(self.x + dx, self.y, 1, 1)
        self.x += width
        if self.x >= self.columns:
            self.x, self._pending_wrap = self.columns - 1, True

    def _control(self, code: int) -> None:
        if code == 0x0D:
            self.x, self._pending_wrap = 0, False
        elif code == 0x0A:
            self._line_feed()
        elif code == 0x08:
            self.x, self._pending_wrap = max(0, self.x - 1), False

    def _line_feed(self) -> None:
        if self.y < self.rows - 1:
            self.y += 1
        else:  # scroll: everything moves up a row
            self.pixels = _shifted(self.pixels, self.cell[1])
            self.text = {(x, y - 1): v for (x, y), v in self.text.items() if y > 0}

    def _csi(self, csi: bytes) -> None:
        final = chr(csi[-1])
        body = csi[2:-1].decode("latin-1")
        if body.startswith(("?", ">", "<", "=")):
            return  # private modes and queries
        if final == "m":
            self._sgr(body)
            return
        if final == "s":
            self._saved = (self.x, self.y)
            return
        if final == "u":
            self.x, self.y = self._saved
            return
        numbers = [int(p) if p.isdigit() else 0 for p in body.split(";")] if body else []
        first = numbers[0] if numbers else 0
        count = max(1, first)
        self._pending_wrap = False
        if final in "Hf":
            row = numbers[0] if numbers else 1
            column = numbers[1] if len(numbers) > 1 else 1
            self.x, self.y = _clamp(max(1, column) - 1, self.columns), _clamp(max(1, row) - 1, self.rows)
        elif final == "A":
            self.y = max(0, self.y - count)
        elif final == "B":
            self.y = min(self.rows - 1, self.y + count)
        elif final == "C":
            self.x = min(self.columns - 1, self.x + count)
        elif final == "D":
            self.x = max(0, self.x - count)
        elif final == "G":
            self.x = _clamp(count - 1, self.columns)
        elif final == "d":
            self.y = _clamp(count - 1, self.rows)
        elif final == "X":
            self._erase_cells(self.x, self.y, min(count, self.columns - self.x), 1)
        elif final == "K":
            start, end = {0: (self.x, self.columns), 1: (0, self.x + 1), 2: (0, self.columns)}.get(first, (0, 0))
            self._erase_cells(start, self.y, end - start, 1)
        elif final == "J":
            if first == 0:
                self._erase_cells(self.x, self.y, self.columns - self.x, 1)
                self._erase_cells(0, self.y + 1, self.columns, self.rows - self.y - 1)
            elif first == 1:
                self._erase_cells(0, 0, self.columns, self.y)
                self._erase_cells(0, self.y, self.x + 1, 1)
            elif first in (2, 3):
                self._erase_cells(0, 0, self.columns, self.rows)

    def _sgr(self, body: str) -> None:
        parts = [p for p in body.replace(":", ";").split(";")]
        i = 0
        while i < len(parts):
            p = parts[i]
            if p in ("", "0", "39"):
                self._fg = None
            elif p == "38" and i + 4 < len(parts) and parts[i + 1] == "2":
                r, g, b = (int(v or 0) for v in parts[i + 2:i + 5])
                self._fg = (r << 16) | (g << 8) | b
                i += 4
            elif p in ("38", "48") and i + 2 < len(parts) and parts[i + 1] == "5":
                if p == "38":
                    self._fg = None
                i += 2
            elif p == "48" and i + 4 < len(parts) and parts[i + 1] == "2":
                i += 4
            i += 1

    def _sixel(self, chunk: bytes) -> None:
        [picture] = decode(chunk)
        width, height = self.cell
        at = (self.x * width, self.y * height)
        layer = Image.new("RGBA", picture.image.size)
        layer.paste(picture.image.convert("RGBA"), (0, 0), picture.mask)
        self.pixels.paste(layer, at, picture.mask)
        bottom = self.y + max(0, -(-picture.image.height // height) - 1)
        self.y = min(self.rows - 1, bottom)  # sixel scrolling: the cursor ends on the last row

    def _erase_cells(self, x: int, y: int, columns: int, rows: int) -> None:
        for cy in range(max(0, y), min(self.rows, y + rows)):
            for cx in range(max(0, x), min(self.columns, x + columns)):
                self.text.pop((cx, cy), None)
        self._erase_pixels(x, y, columns, rows)

    def _erase_pixels(self, x: int, y: int, columns: int, rows: int) -> None:
        if columns <= 0 or rows <= 0:
            return
        width, height = self.cell
        self.pixels.paste((0, 0, 0, 0), (x * width, y * height, (x + columns) * width, (y + rows) * height))

    # --- answers ----------------------------------------------------------------------------------

    def placeholders(self) -> dict[tuple[int, int], int | None]:
        """Cells holding a kitty placeholder, with the image id their colour names."""
        return {cell: fg for cell, (text, fg) in self.text.items() if text.startswith(KITTY_PLACEHOLDER)}

    def picture_pixels_outside(self, *boxes: tuple[int, int, int, int]) -> int:
        """How many shown picture pixels lie outside every one of `boxes` (cells: x, y, width,
        height)."""
        alpha = self.pixels.getchannel("A").point(lambda v: 255 if v else 0)
        cw, ch = self.cell
        for x, y, w, h in boxes:
            alpha.paste(0, (x * cw, y * ch, (x + w) * cw, (y + h) * ch))
        return sum(alpha.histogram()[255:])

    def picture_at(self, box: tuple[int, int, int, int]) -> Image.Image:
        """The Sixel layer's pixels in `box` (cells), RGBA."""
        x, y, w, h = box
        cw, ch = self.cell
        return self.pixels.crop((x * cw, y * ch, (x + w) * cw, (y + h) * ch))


def _clamp(value: int, size: int) -> int:
    return max(0, min(size - 1, value))


def _shifted(image: Image.Image, by: int) -> Image.Image:
    moved = Image.new(image.mode, image.size, (0, 0, 0, 0))
    moved.paste(image.crop((0, by, image.width, image.height)), (0, 0))
    return moved
