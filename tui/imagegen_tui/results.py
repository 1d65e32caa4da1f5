"""Turning a provider's answer into verified images.

Pure functions on bytes, meant to run in a worker thread: JSON parsing, base64 decoding and a
full Pillow decode of n large images would otherwise stall an event loop for hundreds of ms.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
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


def decode_b64(text: Any) -> bytes:
    if not isinstance(text, str) or not text:
        raise UnusableAnswer("an image entry has no base64 data")
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
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
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnusableAnswer(f"the image returned is damaged or truncated ({exc})") from None
    if fmt not in EXTENSIONS:
        raise UnusableAnswer(f"the image returned is in an unsupported format ({fmt or 'unknown'})")
    return ImagePayload(data=data, format=fmt, width=width, height=height, revised_prompt=revised_prompt)


def parse_json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        snippet = raw[:80].decode("utf-8", "replace").strip()
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
