"""The typed requests: a generation (JSON body) and an edit (multipart form), each validated
against the model's capabilities before anything is sent. A parameter left as None means
"provider default" and is not sent."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Self

from imagegen_tui import extras
from imagegen_tui.dialects import DIALECTS
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.masks import mask_problem, white_where_edited
from imagegen_tui.models import (
    BACKGROUNDS,
    FORMATS,
    INPUT_FIDELITIES,
    MODERATIONS,
    ModelCaps,
    custom_size_problem,
    parse_size,
)

FORMAT_ALIASES = {"jpg": "jpeg"}
# Python hands undecodable bytes of a command line or file over as lone surrogates, which no
# provider can take (JSON cannot encode them as UTF-8).
_UNDECODABLE = re.compile("[\ud800-\udfff]")

MAX_EDIT_IMAGES = 16
MAX_INPUT_BYTES = 50 * 1000 * 1000  # "less than 50MB" for GPT image models; 16 of them at most
EDIT_MIMES = ("image/png", "image/jpeg", "image/webp")

_NOT_PARAMS = frozenset({"prompt", "images", "mask"})

Problem = Callable[[str, str], None]
"""Records one problem: (field, message)."""


@dataclass(frozen=True)
class _Request:
    """What generations and edits share: the parameters, their checks and their body fields.
    Each kind adds its own (moderation; images, mask and input_fidelity) in a subclass."""

    prompt: str
    model: str
    n: int = 1
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    output_compression: int | None = None
    user: str | None = None
    stream: bool = False
    partial_images: int | None = None
    extra: Mapping[str, Any] | None = None  # seed, steps, guidance, negative or any field, in our words (extras.py)

    editing = False  # an edit: its server may read other extras, or none

    def params(self) -> dict[str, Any]:
        """Every parameter but the prompt and the files (an edit's inputs are kept apart, by
        content), for metadata and history. `extra` only when there are some, so the requests
        recorded before extras existed keep their identity (a batch's line keys)."""
        params = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_PARAMS}
        if not params["extra"]:
            del params["extra"]
        else:
            params["extra"] = dict(params["extra"])
        return params

    @classmethod
    def from_params(cls, prompt: str, params: dict[str, Any], **files: Any) -> Self:
        """The request again from `params()`; an edit's `images` (and `mask`) come as `files`."""
        known = {f.name for f in fields(cls)} - _NOT_PARAMS
        return cls(prompt=prompt, **{k: v for k, v in params.items() if k in known}, **files)

    def normalized(self) -> Self:
        fmt = self.output_format
        if fmt is not None:
            fmt = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        return replace(self, output_format=fmt, model=self.model.strip(), extra=dict(self.extra) if self.extra else None)

    def validate(self, caps: ModelCaps) -> Self:
        """Return the normalized request, or raise InvalidRequest listing every problem."""
        req = self.normalized()
        problems: list[tuple[str, str]] = []
        req._check(caps, lambda field, message: problems.append((field, message)))
        if problems:
            raise InvalidRequest(problems)
        return req

    def _gpt_only(self) -> dict[str, Any]:
        """The parameters only GPT image models take (dall-e refuses them)."""
        return {"background": self.background, "output_format": self.output_format, "output_compression": self.output_compression}

    def _check(self, caps: ModelCaps, bad: Problem) -> None:
        if not self.model:
            bad("model", "a model name is required")
        if not self.prompt.strip():
            bad("prompt", "the prompt is empty")
        elif undecodable := _UNDECODABLE.search(self.prompt):
            code = ord(undecodable.group())
            what = f"byte 0x{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"  # surrogateescape's
            bad("prompt", f"is not valid UTF-8 text ({what} at character {undecodable.start() + 1}); save it as UTF-8 and try again")
        elif len(self.prompt) > caps.prompt_limit:
            bad("prompt", f"{len(self.prompt)} characters; {self.model} takes at most {caps.prompt_limit}")
        if not 1 <= self.n <= caps.max_n:
            bad("n", f"must be between 1 and {caps.max_n} for {self.model} (got {self.n})")
        if self.size is not None and self.size not in caps.sizes:
            dims = parse_size(self.size)
            if dims is None or not caps.custom_sizes:
                choices = ", ".join(caps.sizes)
                extra = " or a custom WxH" if caps.custom_sizes else ""
                bad("size", f"{self.size!r} is not offered for {self.model}; choose {choices}{extra}")
            elif not caps.any_size and (problem := custom_size_problem(*dims)):
                bad("size", problem)
        if self.quality is not None and self.quality not in caps.qualities:
            bad("quality", f"{self.quality!r} is not offered for {self.model}; choose {', '.join(caps.qualities)}")
        if not caps.gpt_options:
            for name, value in self._gpt_only().items():
                if value is not None:
                    bad(name, f"{self.model} does not take this parameter")
        else:
            self._check_gpt_options(caps, bad)
        if self.partial_images is not None:
            if not self.stream:
                bad("partial_images", "only with streaming")
            elif not 0 <= self.partial_images <= 3:
                bad("partial_images", f"must be between 0 and 3 (got {self.partial_images})")
        if self.stream and not caps.streaming:
            bad("stream", caps.streaming_note or f"streaming is not enabled for {self.model} in this profile")
        extras.check(self.extra or {}, caps.dialect, self.prompt, bad, editing=self.editing)

    def _check_gpt_options(self, caps: ModelCaps, bad: Problem) -> None:
        if self.output_format is not None and self.output_format not in FORMATS:
            bad("output_format", f"{self.output_format!r} is not one of {', '.join(FORMATS)}")
        if self.output_compression is not None:
            if not 0 <= self.output_compression <= 100:
                bad("output_compression", f"must be between 0 and 100 (got {self.output_compression})")
            elif self.output_format not in ("jpeg", "webp"):
                bad("output_compression", "only with output_format jpeg or webp")
        if self.background is not None:
            if self.background not in BACKGROUNDS:
                bad("background", f"{self.background!r} is not one of {', '.join(BACKGROUNDS)}")
            elif self.background == "transparent":
                if not caps.transparent_background:
                    bad("background", f"transparent is not supported for {self.model} in this profile")
                elif self.output_format not in (None, "png", "webp"):
                    bad("background", "transparent needs output_format png or webp")

    def _fields(self, caps: ModelCaps, **own: Any) -> dict[str, Any]:
        """The body's fields in the schema's types; model is always sent because the API's
        default is dall-e-2 for generations (gpt-image-1.5 for edits): never what was chosen."""
        placed = extras.place(self.extra or {}, caps.dialect, self.prompt, editing=self.editing)
        body: dict[str, Any] = {"model": self.model, "prompt": placed.prompt, "n": self.n}
        optional = {name: getattr(self, name) for name in ("size", "quality", "background", "output_format", "output_compression")}
        for name, value in {**optional, **own, "user": self.user}.items():
            if value is not None:
                body[name] = value
        if self.stream:
            body["stream"] = True
            if self.partial_images is not None:
                body["partial_images"] = self.partial_images
        if caps.wants_response_format:
            body["response_format"] = "b64_json"
        return {**placed.fields, **body}


@dataclass(frozen=True)
class ImageRequest(_Request):
    """POST /images/generations."""

    moderation: str | None = None

    def body(self, caps: ModelCaps) -> dict[str, Any]:
        """The JSON body."""
        return self._fields(caps, moderation=self.moderation)

    def _gpt_only(self) -> dict[str, Any]:
        return {**super()._gpt_only(), "moderation": self.moderation}

    def _check_gpt_options(self, caps: ModelCaps, bad: Problem) -> None:
        super()._check_gpt_options(caps, bad)
        if self.moderation is not None and self.moderation not in MODERATIONS:
            bad("moderation", f"{self.moderation!r} is not one of {', '.join(MODERATIONS)}")


FormFile = tuple[str, tuple[str, bytes, str]]
"""One file of a multipart form as httpx takes it: (field, (file name, bytes, MIME type))."""


def sniff_mime(data: bytes) -> str | None:
    """The MIME type of PNG, JPEG or WebP bytes, read from their signature; None for anything
    else. A file's name can lie (a PNG saved as photo.jpg), and providers refuse a file whose
    declared type is not what it holds."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class InputImage:
    """A file sent to /images/edits: its bytes and the name the provider sees (a bare file
    name: a path would tell the provider about the user's folders). What it is comes from the
    bytes (`mime`), never from the name."""

    data: bytes = field(repr=False)
    name: str

    @property
    def mime(self) -> str | None:
        return sniff_mime(self.data)

    def dimensions(self) -> tuple[int, int] | None:
        """(width, height) from the file's header, nothing decoded; None when it is unreadable."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(self.data)) as image:
                return image.size
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
            return None


@dataclass(frozen=True, kw_only=True)
class EditRequest(_Request):
    """POST /images/edits, a multipart form. `images`: the first is the one edited, the others
    are references. `mask`: a PNG whose fully transparent pixels mark where the first image may
    change, the same size as it (masks.prepare_mask makes one from a black-and-white file,
    masks.region_mask from rectangles and ellipses). There is no moderation on edits."""

    images: tuple[InputImage, ...]
    mask: InputImage | None = None
    input_fidelity: str | None = None  # high or low (the provider's default): how closely to keep faces and style

    editing = True

    def normalized(self) -> Self:
        return replace(super().normalized(), images=tuple(self.images))

    def form(self, caps: ModelCaps) -> tuple[dict[str, str], list[FormFile]]:
        """The form: every field as the text a form carries (n=2 as "2", stream as "true"),
        and the files: `image` for one input, `image[]` for each of several (as OpenAI's SDK
        sends a list, and sd-server wants even for one), then `mask`. Each file is declared as
        what its bytes are; a server that paints masks gets ours redrawn white-where-edited.

        LocalAI's inpainting form holds only model, prompt and steps besides the image and mask."""
        dialect = DIALECTS[caps.dialect]
        if dialect.edits == "inpainting":
            fields = {"model": self.model, **extras.place(self.extra or {}, caps.dialect, self.prompt, editing=True).fields, "prompt": self.prompt}
        else:
            fields = self._fields(caps, input_fidelity=self.input_fidelity)
        key = "image[]" if len(self.images) > 1 or dialect.edit_list else "image"
        files: list[FormFile] = [(key, (image.name, image.data, image.mime or "application/octet-stream")) for image in self.images]
        if self.mask is not None:
            mask = white_where_edited(self.mask.data) if dialect.mask_painted else self.mask.data
            files.append(("mask", (self.mask.name, mask, "image/png")))
        return {name: _form_text(value) for name, value in fields.items()}, files

    def json_body(self, caps: ModelCaps) -> dict[str, Any]:
        """Ollama's edit, a JSON body: the one image as a data: URL, with size and seed."""
        image = self.images[0]
        url = f"data:{image.mime};base64,{base64.b64encode(image.data).decode()}"
        return {**self._fields(caps), "image": url}

    def _check(self, caps: ModelCaps, bad: Problem) -> None:
        if not caps.edits:
            bad("model", f"this provider does not offer image edits with {self.model} (the model has none, or the profile's capabilities say edits = false)")
        dialect = DIALECTS[caps.dialect]
        if dialect.edits in ("json", "inpainting") and len(self.images) > 1:
            bad("images", f"{dialect.title} edits one image at a time, with no references (got {len(self.images)})")
        if dialect.edits == "json" and self.mask is not None:
            bad("mask", f"{dialect.title}'s edits take no mask: the whole picture is redrawn from the prompt")
        if dialect.edits == "inpainting" and self.mask is None:
            bad("mask", f"{dialect.title} edits only by inpainting, which needs a mask of what to repaint (m in the TUI, --mask headless)")
        super()._check(caps, bad)
        first = self._check_images(bad)
        if self.mask is not None and (problem := mask_problem(self.mask.data, first)):
            bad("mask", problem)
        if self.input_fidelity is not None:
            if self.input_fidelity not in INPUT_FIDELITIES:
                bad("input_fidelity", f"{self.input_fidelity!r} is not one of {', '.join(INPUT_FIDELITIES)}")
            elif not caps.input_fidelity:
                bad("input_fidelity", f"{self.model} does not take this parameter")

    def _check_images(self, bad: Problem) -> tuple[int, int] | None:
        """Report every unusable input; return the first image's size, when it can be read."""
        if not self.images:
            bad("images", "at least one image is required")
        elif len(self.images) > MAX_EDIT_IMAGES:
            bad("images", f"at most {MAX_EDIT_IMAGES} (got {len(self.images)})")
        sizes = []
        for number, image in enumerate(self.images, 1):
            which = f"image {number} ({image.name!r})"
            size = image.dimensions()
            sizes.append(size)
            if image.mime not in EDIT_MIMES:
                bad("images", f"{which} is not a PNG, WebP or JPEG file (judged by its content, not its name)")
            elif len(image.data) >= MAX_INPUT_BYTES:
                bad("images", f"{which} is {len(image.data) / 1e6:.1f} MB; each must be under {MAX_INPUT_BYTES // 1_000_000} MB")
            elif size is None:
                bad("images", f"{which} cannot be read as an image (damaged or cut off?)")
        return sizes[0] if sizes else None


def _form_text(value: Any) -> str:
    """A value as a multipart form carries it: text; booleans, lists and tables as JSON writes them."""
    if isinstance(value, bool | list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


AnyRequest = ImageRequest | EditRequest
