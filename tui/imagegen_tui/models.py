"""What each image model accepts, so a bad parameter is refused before it is sent.

Facts come from OpenAI's CreateImageRequest and CreateImageEditRequest descriptions. Unknown models (a gateway's own) get the
GPT-image rules; a profile's capabilities can widen or narrow any of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

GPT_SIZES = ("auto", "1024x1024", "1536x1024", "1024x1536")
GPT_QUALITIES = ("auto", "low", "medium", "high")
FORMATS = ("png", "jpeg", "webp")
BACKGROUNDS = ("auto", "opaque", "transparent")
MODERATIONS = ("auto", "low")
INPUT_FIDELITIES = ("high", "low")

MAX_CUSTOM_EDGE = 3840
MAX_CUSTOM_SHORT_EDGE = 2160
MAX_ASPECT = 3.0
SIZE_STEP = 16


@dataclass(frozen=True)
class ModelCaps:
    """The parameter space of one model as offered by one profile."""

    prompt_limit: int = 32000
    max_n: int = 10
    sizes: tuple[str, ...] = GPT_SIZES
    qualities: tuple[str, ...] = GPT_QUALITIES
    custom_sizes: bool = False
    transparent_background: bool = True
    gpt_options: bool = True  # background, output_format, output_compression, moderation
    wants_response_format: bool = False  # dall-e answers with URLs unless asked for base64
    streaming: bool = False
    edits: bool = True  # POST /images/edits: not every model has it, nor every gateway
    input_fidelity: bool = True  # edits' input_fidelity; gpt-image-1-mini does not take it
    any_size: bool = False  # custom sizes need not follow gpt-image-2's rules (local servers draw any WxH)
    streaming_note: str | None = None  # why streaming is off, when the dialect knows (dialects.py)
    dialect: str = "openai"  # what the server speaks: how extras and edits are sent (dialects.py, extras.py)


_DALL_E_2 = ModelCaps(
    prompt_limit=1000,
    sizes=("256x256", "512x512", "1024x1024"),
    qualities=("standard",),
    transparent_background=False,
    gpt_options=False,
    wants_response_format=True,
    edits=False,  # its legacy edits (one square PNG under 4 MB) are not offered here
    input_fidelity=False,
)
_DALL_E_3 = ModelCaps(
    prompt_limit=4000,
    max_n=1,
    sizes=("1024x1024", "1792x1024", "1024x1792"),
    qualities=("standard", "hd"),
    transparent_background=False,
    gpt_options=False,
    wants_response_format=True,
    edits=False,
    input_fidelity=False,
)
# gpt-image-2 takes any valid WxH; its transparent background is still in preview, so a profile
# must say it supports it.
_GPT_IMAGE_2 = ModelCaps(custom_sizes=True, transparent_background=False, streaming=True)
_GPT_IMAGE = ModelCaps(streaming=True)
_GPT_IMAGE_MINI = ModelCaps(streaming=True, input_fidelity=False)
_UNKNOWN = ModelCaps(transparent_background=False)


def caps_for_model(model: str) -> ModelCaps:
    name = model.strip().lower().rsplit("/", 1)[-1]
    if name.startswith("dall-e-2"):
        return _DALL_E_2
    if name.startswith("dall-e-3"):
        return _DALL_E_3
    if name.startswith("gpt-image-2"):
        return _GPT_IMAGE_2
    if name.startswith("gpt-image-1-mini"):
        return _GPT_IMAGE_MINI
    if name.startswith("gpt-image-"):
        return _GPT_IMAGE
    return _UNKNOWN


def with_overrides(caps: ModelCaps, **overrides: object) -> ModelCaps:
    """Apply a profile's capability settings; None means "as the model says"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if "sizes" in given:
        given["sizes"] = tuple(given["sizes"])  # type: ignore[arg-type]
    if "qualities" in given:
        given["qualities"] = tuple(given["qualities"])  # type: ignore[arg-type]
    return replace(caps, **given)  # type: ignore[arg-type]


_SIZE_RE = re.compile(r"^(\d{1,5})x(\d{1,5})$")


def parse_size(size: str) -> tuple[int, int] | None:
    """`"1536x1024"` -> (1536, 1024); None for `auto` or text that is not WxH."""
    match = _SIZE_RE.match(size)
    return (int(match.group(1)), int(match.group(2))) if match else None


def custom_size_problem(width: int, height: int) -> str | None:
    """Why a WxH is outside gpt-image-2's rules, or None when it is inside them."""
    if width % SIZE_STEP or height % SIZE_STEP or width <= 0 or height <= 0:
        return f"both sides must be positive multiples of {SIZE_STEP} (got {width}x{height})"
    long_edge, short_edge = max(width, height), min(width, height)
    if long_edge / short_edge > MAX_ASPECT:
        return f"aspect ratio must be between 1:3 and 3:1 (got {width}x{height})"
    if long_edge > MAX_CUSTOM_EDGE or short_edge > MAX_CUSTOM_SHORT_EDGE:
        return f"at most {MAX_CUSTOM_EDGE}x{MAX_CUSTOM_SHORT_EDGE} (got {width}x{height})"
    return None
