"""The typed generation request: validated against the model's capabilities, then turned into
the JSON body. A parameter left as None means "provider default" and is not sent."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from imagegen_tui.errors import InvalidRequest
from imagegen_tui.models import (
    BACKGROUNDS,
    FORMATS,
    MODERATIONS,
    ModelCaps,
    custom_size_problem,
    parse_size,
)

FORMAT_ALIASES = {"jpg": "jpeg"}
# Python hands undecodable bytes of a command line or file over as lone surrogates, which no
# provider can take (JSON cannot encode them as UTF-8).
_UNDECODABLE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    model: str
    n: int = 1
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    output_compression: int | None = None
    moderation: str | None = None
    user: str | None = None
    stream: bool = False
    partial_images: int | None = None

    def params(self) -> dict[str, Any]:
        """Everything but the prompt, for metadata and history."""
        values = asdict(self)
        values.pop("prompt")
        return values

    @classmethod
    def from_params(cls, prompt: str, params: dict[str, Any]) -> ImageRequest:
        known = {f.name for f in fields(cls)} - {"prompt"}
        return cls(prompt=prompt, **{k: v for k, v in params.items() if k in known})

    def normalized(self) -> ImageRequest:
        fmt = self.output_format
        if fmt is not None:
            fmt = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        return replace(self, output_format=fmt, model=self.model.strip())

    def validate(self, caps: ModelCaps) -> ImageRequest:
        """Return the normalized request, or raise InvalidRequest listing every problem."""
        req = self.normalized()
        problems: list[tuple[str, str]] = []

        def bad(field: str, message: str) -> None:
            problems.append((field, message))

        if not req.model:
            bad("model", "a model name is required")
        if not req.prompt.strip():
            bad("prompt", "the prompt is empty")
        elif undecodable := _UNDECODABLE.search(req.prompt):
            code = ord(undecodable.group())
            what = f"byte 0x{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"  # surrogateescape's
            bad("prompt", f"is not valid UTF-8 text ({what} at character {undecodable.start() + 1}); save it as UTF-8 and try again")
        elif len(req.prompt) > caps.prompt_limit:
            bad("prompt", f"{len(req.prompt)} characters; {req.model} takes at most {caps.prompt_limit}")
        if not 1 <= req.n <= caps.max_n:
            bad("n", f"must be between 1 and {caps.max_n} for {req.model} (got {req.n})")
        if req.size is not None and req.size not in caps.sizes:
            dims = parse_size(req.size)
            if dims is None or not caps.custom_sizes:
                choices = ", ".join(caps.sizes)
                extra = " or a custom WxH" if caps.custom_sizes else ""
                bad("size", f"{req.size!r} is not offered for {req.model}; choose {choices}{extra}")
            elif problem := custom_size_problem(*dims):
                bad("size", problem)
        if req.quality is not None and req.quality not in caps.qualities:
            bad("quality", f"{req.quality!r} is not offered for {req.model}; choose {', '.join(caps.qualities)}")
        gpt_only = {
            "background": req.background,
            "output_format": req.output_format,
            "output_compression": req.output_compression,
            "moderation": req.moderation,
        }
        if not caps.gpt_options:
            for field, value in gpt_only.items():
                if value is not None:
                    bad(field, f"{req.model} does not take this parameter")
        else:
            _check_gpt_options(req, caps, bad)
        if req.partial_images is not None:
            if not req.stream:
                bad("partial_images", "only with streaming")
            elif not 0 <= req.partial_images <= 3:
                bad("partial_images", f"must be between 0 and 3 (got {req.partial_images})")
        if req.stream and not caps.streaming:
            bad("stream", f"streaming is not enabled for {req.model} in this profile")
        if problems:
            raise InvalidRequest(problems)
        return req

    def body(self, caps: ModelCaps) -> dict[str, Any]:
        """The JSON body; model is always sent because the API's default is dall-e-2."""
        body: dict[str, Any] = {"model": self.model, "prompt": self.prompt, "n": self.n}
        for name in ("size", "quality", "background", "output_format", "output_compression", "moderation", "user"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.stream:
            body["stream"] = True
            if self.partial_images is not None:
                body["partial_images"] = self.partial_images
        if caps.wants_response_format:
            body["response_format"] = "b64_json"
        return body


def _check_gpt_options(req: ImageRequest, caps: ModelCaps, bad: Any) -> None:
    if req.output_format is not None and req.output_format not in FORMATS:
        bad("output_format", f"{req.output_format!r} is not one of {', '.join(FORMATS)}")
    if req.output_compression is not None:
        if not 0 <= req.output_compression <= 100:
            bad("output_compression", f"must be between 0 and 100 (got {req.output_compression})")
        elif req.output_format not in ("jpeg", "webp"):
            bad("output_compression", "only with output_format jpeg or webp")
    if req.background is not None:
        if req.background not in BACKGROUNDS:
            bad("background", f"{req.background!r} is not one of {', '.join(BACKGROUNDS)}")
        elif req.background == "transparent":
            if not caps.transparent_background:
                bad("background", f"transparent is not supported for {req.model} in this profile")
            elif req.output_format not in (None, "png", "webp"):
                bad("background", "transparent needs output_format png or webp")
    if req.moderation is not None and req.moderation not in MODERATIONS:
        bad("moderation", f"{req.moderation!r} is not one of {', '.join(MODERATIONS)}")
