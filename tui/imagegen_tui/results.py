"""Turning a provider's answer into verified images.

Pure functions on bytes, meant to run in a worker thread: JSON parsing, base64 decoding and a
full Pillow decode of n large images would otherwise stall an event loop for hundreds of ms.
"""

from __future__ import annotations

import binascii
import io
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp", "gif": "gif"}


class UnusableAnswer(ValueError):
    """The answer cannot be turned into images; the message says why, in plain words."""


@dataclass
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    input_text_tokens: int | None = None
    input_image_tokens: int | None = None

    @classmethod
    def parse(cls, raw: Any) -> Usage | None:
        """Accept OpenAI's names and the chat-style names some gateways use."""
        if not isinstance(raw, dict):
            return None

        def num(*keys: str, source: dict[str, Any] = raw) -> int | None:
            for key in keys:
                value = source.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    return int(value)
            return None

        details = raw.get("input_tokens_details") or raw.get("prompt_tokens_details") or {}
        usage = cls(
            input_tokens=num("input_tokens", "prompt_tokens"),
            output_tokens=num("output_tokens", "completion_tokens"),
            total_tokens=num("total_tokens"),
            input_text_tokens=num("text_tokens", source=details) if isinstance(details, dict) else None,
            input_image_tokens=num("image_tokens", source=details) if isinstance(details, dict) else None,
        )
        if usage.total_tokens is None and None not in (usage.input_tokens, usage.output_tokens):
            usage.total_tokens = usage.input_tokens + usage.output_tokens  # type: ignore[operator]
        return usage if any(v is not None for v in asdict(usage).values()) else None

    def __add__(self, other: Usage) -> Usage:
        def add(a: int | None, b: int | None) -> int | None:
            return None if a is None and b is None else (a or 0) + (b or 0)

        return Usage(*(add(a, b) for a, b in zip(asdict(self).values(), asdict(other).values())))


@dataclass
class ImagePayload:
    data: bytes = field(repr=False)
    format: str  # as Pillow names it, lowercased: png, jpeg, webp, gif
    width: int
    height: int
    revised_prompt: str | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.format, self.format)


@dataclass
class GenerationResult:
    images: list[ImagePayload]
    created: int | None = None
    usage: Usage | None = None
    request_id: str | None = None
    echoed: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)  # what a person should know about the answer
    gateway_cost: float | None = None  # what a gateway says it billed (x-litellm-response-cost, usage.cost), in USD
    key_spend: float | None = None  # what the gateway's key has spent in all (x-litellm-key-spend), in USD


def reported_cost(value: Any) -> float | None:
    """A gateway's figure in USD (a header's text or a JSON number), or None for anything that
    is not a finite, non-negative number: a wrong figure must not enter the ledger."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < float("inf") else None


def decode_b64(text: Any) -> bytes:
    """An image's base64 text (str or lifted bytes), or a whole `data:` URL in its place."""
    if isinstance(text, str) and text:
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError:
            raise UnusableAnswer("an image's base64 data is damaged") from None
    if not isinstance(text, (bytes, bytearray)) or not text:
        raise UnusableAnswer("an image entry has no base64 data")
    if is_data_url(text):
        return decode_data_url(text)
    return _a2b(text)


def is_data_url(url: Any) -> bool:
    return isinstance(url, (str, bytes, bytearray)) and url[:5].lower() in ("data:", b"data:")


def decode_data_url(url: str | bytes | bytearray) -> bytes:
    """The bytes of an RFC 2397 `data:[type][;base64],payload` URL: base64, or percent-encoded
    when `;base64` is absent. The media type is not believed: verify_image reads the bytes.
    No limit of its own: the URL came inside an answer already bounded by MAX_ANSWER_BYTES, and
    decoding only shrinks it, as for b64_json."""
    raw = url.encode("utf-8") if isinstance(url, str) else url
    header, comma, payload = raw.partition(b",")
    if not comma or not payload:
        raise UnusableAnswer("an image's data: URL holds no data")
    if header.lower().rstrip().endswith(b";base64"):
        return _a2b(_unquote(payload) if b"%" in payload else payload)
    return _unquote(payload)


def _unquote(text: bytes | bytearray) -> bytes:
    """Percent-decoding at C speed (urllib's, a Python loop per escape, takes 0.7 s for a 2 MB
    image): `%XX` is quoted-printable's `=XX` once each literal `=` is escaped, and binascii
    decodes that. In slices cut clear of any escape, as _a2b does, to hold the GIL briefly."""
    if _STRAY_PERCENT.search(text):
        raise UnusableAnswer("an image's data: URL is damaged (a % not followed by two hex digits)")
    qp = text.replace(b"=", b"=3D").replace(b"%", b"=")
    pieces, start = [], 0
    while start < len(qp):
        end = min(start + _B64_SLICE, len(qp))
        while end < len(qp) and b"=" in qp[end - 2 : end]:
            end += 1
        pieces.append(binascii.a2b_qp(qp[start:end]))
        start = end
    return b"".join(pieces)


def _a2b(text: bytes | bytearray) -> bytes:
    try:  # in slices: one multi-MB call would hold the GIL (and so an event loop) for ms on end
        return b"".join(binascii.a2b_base64(text[i : i + _B64_SLICE], strict_mode=True) for i in range(0, len(text), _B64_SLICE))
    except (binascii.Error, ValueError):
        raise UnusableAnswer("an image's base64 data is damaged") from None


def verify_image(data: bytes, revised_prompt: str | None = None) -> ImagePayload:
    """Only a real, complete image counts as a result. For PNG, Pillow's verify() checks the CRC
    of every chunk through IEND, which catches truncation and corruption without inflating the
    pixels; JPEG and WebP have no such checksums, so they are decoded in full."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = (image.format or "").lower()
            width, height = image.size
            if fmt == "png":
                image.verify()
            else:
                image.load()
    except UnidentifiedImageError:
        raise UnusableAnswer("the data returned is not an image") from None
    except Image.DecompressionBombError as exc:
        raise UnusableAnswer(f"the image returned {too_large(exc)}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnusableAnswer(f"the image returned is damaged or truncated ({exc})") from None
    if fmt not in EXTENSIONS:
        raise UnusableAnswer(f"the image returned is in an unsupported format ({fmt or 'unknown'})")
    return ImagePayload(data=data, format=fmt, width=width, height=height, revised_prompt=revised_prompt)


def format_notes(images: list[ImagePayload], asked: str | None) -> list[str]:
    """Say so when the bytes are not in the format asked for (Gemini ignores output_format, some
    local servers always answer PNG): each file is named, and its settings embedded, as what its
    bytes are, so a person looking for .jpg files should know why there are none."""
    other = sorted({image.format for image in images} - {asked}) if asked else []
    if not other:
        return []
    got = " and ".join(fmt.upper() for fmt in other)
    saved = ", ".join(f".{EXTENSIONS[fmt]}" for fmt in other)
    return [f"the provider answered {got} though {asked.upper()} was asked; saved as {saved}, as the bytes are"]


def too_large(exc: Exception) -> str:
    """Pillow's refusal of a decompression bomb, as the end of a sentence."""
    from PIL import Image

    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f"has {int(found.group(1)):,} pixels" if found else "has too many pixels"
    return f"{size}, more than is safe to open (at most {2 * (Image.MAX_IMAGE_PIXELS or 0):,})"


_B64_SLICE = 256 * 1024  # a multiple of 4: slices decode exactly as the whole would
_STRAY_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_LIFTED = (b"b64_json", b"url")  # the keys whose values may be an image: base64, or a data: URL
_MARK = "\x00imagegen-b64:"
_PLACEHOLDER = _MARK + "{}\x00"


def parse_json_body(raw: bytes | bytearray) -> dict[str, Any]:
    """Parse an answer whose base64 images may total tens of MB.

    json.loads holds the GIL for its whole run (about 60 ms for 25 MB), which would freeze an
    event loop running beside this thread. So the `b64_json` string values, and `url` values
    that are data: URLs, are cut out with C-speed bytes.find first, the small remainder is
    parsed, and the values are put back as bytes. Anything unusual (escapes inside a value, a
    key inside other text) falls back to a plain parse of the whole answer."""
    skeleton, values = _lift_image_values(raw)
    body = _loads(skeleton)
    if values:
        restored = _restore_image_values(body, values)
        if restored != len(values):
            body = _loads(raw)
    return body


def _lift_image_values(raw: bytes | bytearray) -> tuple[bytes | bytearray, list[bytes | bytearray]]:
    """Walk the answer's strings with single-byte finds (memchr: a MB in well under a ms),
    never searching for a longer needle, which would crawl through every base64 value."""
    values: list[bytes | bytearray] = []
    parts: list[bytes | bytearray] = []
    position = 0  # how far `parts` has taken raw
    at = 0
    while (opening := raw.find(b'"', at)) != -1:
        closing = _string_end(raw, opening + 1)
        if closing == -1:
            return raw, []  # cut off: the real parser says so
        at = closing + 1
        value = _value_after(raw, at) if raw[opening + 1 : closing] in _LIFTED else None
        if value is None:
            continue
        start, end = value
        if end == -1:
            return raw, []
        at = end + 1
        if raw[opening + 1 : closing] == b"b64_json" or is_data_url(raw[start : start + 5]):
            if raw.find(b"\\", start, end) != -1:
                return raw, []  # an escaped value: let the real parser handle it
            parts += [raw[position:start], _PLACEHOLDER.format(len(values)).encode().replace(b"\x00", b"\\u0000")]
            values.append(raw[start:end])
            position = end
    if not values:
        return raw, []
    parts.append(raw[position:])
    return b"".join(parts), values


def _string_end(raw: bytes | bytearray, start: int) -> int:
    """Where the string whose text begins at `start` ends: its first quote not escaped by an
    odd run of backslashes; -1 when cut off."""
    end = raw.find(b'"', start)
    while end != -1:
        run = 0
        while raw[end - 1 - run] == 0x5C:
            run += 1
        if run % 2 == 0:
            return end
        end = raw.find(b'"', end + 1)
    return -1


def _value_after(raw: bytes | bytearray, at: int) -> tuple[int, int] | None:
    """When the string that ended just before `at` is a key whose value is a string: where
    that value's text starts and ends (-1: cut off); else None."""
    colon = at
    while colon < len(raw) and raw[colon] in b" \t\r\n":
        colon += 1
    start = colon + 1
    while start < len(raw) and raw[start] in b" \t\r\n":
        start += 1
    if colon >= len(raw) or raw[colon] != ord(":") or start >= len(raw) or raw[start] != ord('"'):
        return None
    return start + 1, _string_end(raw, start + 1)


def _restore_image_values(body: dict[str, Any], values: list[bytes | bytearray]) -> int:
    restored = 0
    for entry in body.get("data") or []:
        for key in ("b64_json", "url"):
            marker = entry.get(key) if isinstance(entry, dict) else None
            if isinstance(marker, str) and marker.startswith(_MARK) and marker.endswith("\x00"):
                entry[key] = values[int(marker[len(_MARK) : -1])]
                restored += 1
    return restored


def _loads(raw: bytes | bytearray) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        snippet = bytes(raw[:80]).decode("utf-8", "replace").strip()
        if snippet.lower().startswith(("<!doctype", "<html")):
            raise UnusableAnswer("the answer was an HTML page, not JSON (a proxy or wrong base URL?)") from None
        raise UnusableAnswer("the answer was not valid JSON (cut off or not an API response)") from None
    if not isinstance(body, dict):
        raise UnusableAnswer("the answer was JSON but not an object")
    return body


def image_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise UnusableAnswer("the answer contained no images")
    if not all(isinstance(item, dict) for item in data):
        raise UnusableAnswer("the answer's image list is malformed")
    for item in data:
        if not item.get("b64_json") and not item.get("url"):
            raise UnusableAnswer("an image entry has neither base64 data nor a URL")
    return data


def echoed_params(body: dict[str, Any]) -> dict[str, str]:
    return {
        key: body[key]
        for key in ("size", "quality", "background", "output_format")
        if isinstance(body.get(key), str)
    }
