"""The demo server's personalities: how each server family reads an image request and shapes its
answer and its errors, from the facts in ../shared/DESIGN.md ("Backends and their dialects").

A personality reads a request as its server would (its field names, its defaults, where it
looks for the negative prompt or the extras) into two things: what it understood, in our
vocabulary (imagegen_tui.dialects.EXTRAS), recorded so that tests can prove a client's mapping
over real sockets; and an OpenAI-shaped body that the conductor (server.py) serves as it serves
OpenAI's, so every directive (#fail:…, #sleep, #url …) works in every personality. `openai` is
the demo as it always was; the gateways (litellm, azure, gemini) speak it too.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from imagegen_tui.demo import artist
from imagegen_tui.demo.wire import FormPart, Refused
from imagegen_tui.dialects import DIALECTS, dialect_problem
from imagegen_tui.metadata import PNG_SIGNATURE, embed_png_texts

INPUT_FORMATS = ("PNG", "JPEG", "WEBP")
OPENAI_READS = frozenset({
    "prompt", "model", "n", "size", "quality", "background", "output_format", "output_compression", "moderation",
    "user", "input_fidelity", "stream", "partial_images", "response_format", "style",
})
"""The request fields OpenAI reads; any other is not understood."""

SD_TAG = re.compile(r"<sd_cpp_extra_args>(.*?)</sd_cpp_extra_args>", re.DOTALL)
_SIZE = re.compile(r"(\d+)x(\d+)")


@dataclass(frozen=True)
class Upload:
    """A file of a multipart form, as received: its field, its name and how many bytes."""

    field: str
    filename: str | None
    size: int


@dataclass(frozen=True)
class Received:
    """One image request as the server read it (for tests of a client's mapping).

    `understood` is in our vocabulary: `prompt` as the server sees it (tags and negative taken
    out), and `model`, `n`, `size` as it resolved them (its defaults and fallbacks applied);
    `seed`, `steps`, `guidance`, `negative` and the server's other own fields (LocalAI's
    `response_format`, vLLM-Omni's `true_cfg_scale`, text-generation-webui's `batch_count`,
    inpainting's `images`/`mask`) only when the request carried them under the names that
    server reads: a field it does not read is never there."""

    route: str  # "/images/generations", "/images/edits" or "/images/inpainting"
    headers: dict[str, str]  # lower-case names
    fields: dict[str, Any]  # the JSON body, or the form's text fields
    files: tuple[Upload, ...]
    understood: dict[str, Any]


@dataclass(frozen=True)
class Reading:
    """What a personality made of a request: `understood` (see Received) and `body`, the
    OpenAI-shaped request (model, prompt, n, size, output_format) the conductor serves."""

    understood: dict[str, Any]
    body: dict[str, Any]
    seed: int | None = None  # the picture is drawn from it, beside the prompt
    sources: tuple[bytes, ...] = ()  # an edit's images, their sizes …
    sizes: tuple[tuple[int, int], ...] = ()
    mask: bytes | None = None  # … and its mask, in OpenAI's shape (transparent = edit)
    as_url: bool = False  # answer with fetchable URLs
    settings: Mapping[str, Any] = field(default_factory=dict)  # what the server writes into its PNGs


GENERATIONS = "/images/generations"
EDITS = "/images/edits"
INPAINTING = "/images/inpainting"


class Personality:
    """OpenAI's API, which the conductor itself reads (`native`): the demo as it always was."""

    name = "openai"
    native = True
    models: tuple[str, ...] = ()  # what GET /models lists; empty: the demo's gpt-image models
    routes: Mapping[str, str] = MappingProxyType({GENERATIONS: "json", EDITS: "form"})  # route -> body kind

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.name

    def understand(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """What OpenAI reads of a native request: the fields it knows, as sent."""
        return {name: value for name, value in fields.items() if name in OPENAI_READS}

    def read(self, route: str, fields: dict[str, Any], files: list[FormPart]) -> Reading:
        raise NotImplementedError  # native personalities are read by the conductor

    def error(self, status: int, message: str, kind: str, code: str | None, param: str | None) -> tuple[int, dict[str, Any]]:
        return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}

    def shape(self, answer: dict[str, Any], reading: Reading) -> dict[str, Any]:
        return answer

    def finish(self, data: bytes, reading: Reading, index: int) -> bytes:
        """The encoded picture as the server sends it (text-generation-webui adds its chunk)."""
        return data


class _LocalAI(Personality):
    name = "localai"
    native = False
    models = ("stablediffusion", "flux.1-dev")
    routes = MappingProxyType({GENERATIONS: "json", INPAINTING: "form"})

    def read(self, route: str, fields: dict[str, Any], files: list[FormPart]) -> Reading:
        if route == INPAINTING:
            return self._inpaint(fields, files)
        positive, bar, negative = _text(fields, "prompt").partition("|")
        size = fields.get("size")
        size = size if isinstance(size, str) and "x" in size else "512x512"
        model = fields.get("model") or self.models[0]
        n = fields.get("n", 1)
        as_url = fields.get("response_format") != "b64_json"
        understood: dict[str, Any] = {"prompt": positive, "model": model, "n": n, "size": size, "response_format": "url" if as_url else "b64_json"}
        if bar:
            understood["negative"] = negative
        _take(understood, fields, {"step": ("steps", int), "seed": ("seed", int)})
        body = {"model": model, "prompt": positive, "n": n, "size": size}
        return Reading(understood, body, understood.get("seed"), as_url=as_url)

    def _inpaint(self, fields: dict[str, Any], files: list[FormPart]) -> Reading:
        """Multipart model, prompt, steps, image and mask, where the mask's white is repainted."""
        image, mask = _file(files, "image"), _file(files, "mask")
        missing = [name for name in ("model", "prompt") if not fields.get(name)] + [name for name, part in (("image", image), ("mask", mask)) if part is None]
        if missing or image is None or mask is None:
            raise Refused(missing[0], f"missing required field(s): {', '.join(missing)}", "missing_required_parameter")
        width, height = _image_size(image.data, "image")
        try:
            repaint = artist.white_mask(mask.data, (width, height))
        except ValueError as exc:
            raise Refused("mask", f"the mask cannot be read: {exc}") from None
        understood: dict[str, Any] = {"prompt": fields["prompt"], "model": fields["model"], "n": 1, "size": f"{width}x{height}", "images": 1, "mask": True}
        _take(understood, fields, {"steps": ("steps", int)})
        body = {"model": fields["model"], "prompt": fields["prompt"], "n": 1, "size": f"{width}x{height}"}
        return Reading(understood, body, None, (image.data,), ((width, height),), repaint, as_url=True)

    def error(self, status: int, message: str, kind: str, code: str | None, param: str | None) -> tuple[int, dict[str, Any]]:
        return status, {"error": {"code": status, "message": message, "type": ""}}

    def shape(self, answer: dict[str, Any], reading: Reading) -> dict[str, Any]:
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return {"created": answer["created"], "id": str(uuid.uuid4()), "data": answer["data"], "usage": usage}


class _SdServer(Personality):
    name = "sd-server"
    native = False
    models = ("sd-cpp-local",)

    def read(self, route: str, fields: dict[str, Any], files: list[FormPart]) -> Reading:
        """The extras only from the prompt's <sd_cpp_extra_args> JSON; `model`, `quality` and
        `response_format` ignored."""
        prompt, extra = _sd_extra_args(_text(fields, "prompt"))
        understood: dict[str, Any] = {"prompt": prompt, "n": _number(fields, "n", int, 1)}
        _take(understood, extra, {"steps": ("steps", int), "seed": ("seed", int), "cfg_scale": ("guidance", float), "negative_prompt": ("negative", str)})
        fmt = fields.get("output_format") or "png"
        if fmt not in ("png", "jpeg"):
            raise Refused("output_format", f"invalid output_format: {fmt}")
        understood["output_format"] = fmt
        # its edits read only `image[]`, and the mask as a grey picture (alpha ignored): white = repaint
        sources, sizes, mask = _edit_files(files, fields=("image[]",), painted=True) if route == EDITS else ((), (), None)
        understood["size"] = _wxh(fields, _first(sizes, "512x512"), 400)
        if route == EDITS:
            understood.update(images=len(sources), mask=mask is not None)
        body = {"model": self.models[0], "prompt": prompt, "n": understood["n"], "size": understood["size"], "output_format": fmt}
        return Reading(understood, body, understood.get("seed"), sources, sizes, mask)

    def error(self, status: int, message: str, kind: str, code: str | None, param: str | None) -> tuple[int, dict[str, Any]]:
        return status, {"error": message}

    def shape(self, answer: dict[str, Any], reading: Reading) -> dict[str, Any]:
        return {"created": answer["created"], "data": answer["data"], "output_format": reading.understood["output_format"]}


class _FastAPI(Personality):
    """A Python server's errors: {"detail": text}, or a 422 listing the body fields refused."""

    native = False

    def error(self, status: int, message: str, kind: str, code: str | None, param: str | None) -> tuple[int, dict[str, Any]]:
        if status == 422 and param:
            return status, {"detail": [{"type": "value_error", "loc": ["body", param], "msg": message}]}
        return status, {"detail": message}

    def shape(self, answer: dict[str, Any], reading: Reading) -> dict[str, Any]:
        return {"created": answer["created"], "data": answer["data"]}


class _VllmOmni(_FastAPI):
    name = "vllm-omni"
    models = ("Qwen/Qwen-Image",)

    def read(self, route: str, fields: dict[str, Any], files: list[FormPart]) -> Reading:
        """Unknown fields silently ignored; n 1-10 and a WxH size, else a 422."""
        n = _number(fields, "n", int, 1, 422)
        if not 1 <= n <= 10:
            raise Refused("n", "Input should be between 1 and 10", status=422)
        sources, sizes, mask = _edit_files(files) if route == EDITS else ((), (), None)
        model = fields.get("model") or self.models[0]
        understood: dict[str, Any] = {"prompt": _text(fields, "prompt"), "model": model, "n": n, "size": _wxh(fields, _first(sizes, "1024x1024"), 422)}
        _take(understood, fields, {
            "negative_prompt": ("negative", str), "num_inference_steps": ("steps", int), "guidance_scale": ("guidance", float),
            "true_cfg_scale": ("true_cfg_scale", float), "seed": ("seed", int),
        }, 422)
        if route == EDITS:
            understood.update(images=len(sources), mask=mask is not None)
        body = {"model": model, "prompt": understood["prompt"], "n": n, "size": understood["size"]}
        return Reading(understood, body, understood.get("seed"), sources, sizes, mask)

    def shape(self, answer: dict[str, Any], reading: Reading) -> dict[str, Any]:
        data = [{"b64_json": None, "url": None, "revised_prompt": None, **entry} for entry in answer["data"]]
        return {"created": answer["created"], "data": data}


class _TextGen(_FastAPI):
    name = "textgen"
    models = ("Tongyi-MAI/Z-Image-Turbo",)
    routes = MappingProxyType({GENERATIONS: "json"})
    DEFAULT_STEPS = 9  # the demo's own: the real defaults are the loaded image model's
    DEFAULT_CFG = 0.0

    def read(self, route: str, fields: dict[str, Any], files: list[FormPart]) -> Reading:
        """`image_seed` (-1: a random one), `batch_size` (or `n`) times `batch_count` pictures;
        a size that is no WxH becomes 1024x1024."""
        size = fields.get("size")
        size = size if isinstance(size, str) and _SIZE.fullmatch(size) else "1024x1024"
        batch = _number(fields, "batch_size", int, None, 422) or _number(fields, "n", int, 1, 422)
        understood: dict[str, Any] = {"prompt": _text(fields, "prompt"), "n": batch, "size": size}
        _take(understood, fields, {
            "negative_prompt": ("negative", str), "steps": ("steps", int), "cfg_scale": ("guidance", float),
            "image_seed": ("seed", int), "batch_count": ("batch_count", int),
        }, 422)
        seed = understood.get("seed", -1)
        if seed < 0:
            seed = secrets.randbelow(2**32)
        body = {"model": self.models[0], "prompt": understood["prompt"], "n": batch * understood.get("batch_count", 1), "size": size}
        settings = {
            "prompt": understood["prompt"], "negative": understood.get("negative", ""), "seed": seed, "size": size,
            "steps": understood.get("steps", self.DEFAULT_STEPS), "cfg_scale": understood.get("guidance", self.DEFAULT_CFG),
        }
        return Reading(understood, body, seed, settings=settings)

    def finish(self, data: bytes, reading: Reading, index: int) -> bytes:
        """An A1111-style `parameters` chunk, as text-generation-webui writes it; each picture
        of a batch has the next seed."""
        if not data.startswith(PNG_SIGNATURE):
            return data  # #bytes:jpeg asked for another format
        s = reading.settings
        negative = f"\nNegative prompt: {s['negative']}" if s["negative"] else ""
        text = f"{s['prompt']}{negative}\nSteps: {s['steps']}, Sampler: Euler, CFG scale: {s['cfg_scale']}, Seed: {s['seed'] + index}, Size: {s['size']}"
        return embed_png_texts(data, {"parameters": text})


class _Ollama(Personality):
    name = "ollama"
    native = False
    models = ("x/z-image-turbo", "x/flux2-klein")
    routes = MappingProxyType({GENERATIONS: "json", EDITS: "json"})

    def read(self, route: str, fields: dict[str, Any], files: list[FormPart]) -> Reading:
        """One picture, whatever `n` says; edits are JSON with one base64 (or data: URL) image."""
        model = fields.get("model")
        if not isinstance(model, str) or not model:
            raise Refused("model", "model is required")
        sources: tuple[bytes, ...] = ()
        sizes: tuple[tuple[int, int], ...] = ()
        if route == EDITS:
            sources = (_base64_image(fields.get("image")),)
            sizes = (_image_size(sources[0], "image"),)
        understood: dict[str, Any] = {"prompt": _text(fields, "prompt"), "model": model, "n": 1}
        understood["size"] = _wxh(fields, _first(sizes, "1024x1024"), 400)
        _take(understood, fields, {"seed": ("seed", int)})
        if route == EDITS:
            understood["images"] = 1
        body = {"model": model, "prompt": understood["prompt"], "n": 1, "size": understood["size"]}
        return Reading(understood, body, understood.get("seed"), sources, sizes)

    def error(self, status: int, message: str, kind: str, code: str | None, param: str | None) -> tuple[int, dict[str, Any]]:
        return status, {"error": {"message": message, "type": "api_error", "param": None, "code": None}}

    def shape(self, answer: dict[str, Any], reading: Reading) -> dict[str, Any]:
        return {"created": answer["created"], "data": answer["data"]}


_PERSONALITIES: dict[str, type[Personality]] = {p.name: p for p in (_LocalAI, _SdServer, _VllmOmni, _TextGen, _Ollama)}


def personality(dialect: str) -> Personality:
    """The personality that speaks `dialect` (a profile's dialect name); the OpenAI-speaking
    ones (openai and the gateways) are the demo as it always was. ValueError naming the
    dialects when there is no such one."""
    problem = dialect_problem(dialect)
    if problem:
        raise ValueError(problem)
    return _PERSONALITIES.get(dialect, Personality)(DIALECTS[dialect].name)


# --- reading fields ---------------------------------------------------------------------------


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return value if isinstance(value, str) else ""


def _number(fields: Mapping[str, Any], name: str, kind: type[int] | type[float], default: Any = None, status: int = 400) -> Any:
    """Field `name` as a `kind` (a form's text too), `default` when absent; Refused when it is
    no such number."""
    value = fields.get(name)
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    elif not isinstance(value, bool) and (isinstance(value, int) or (kind is float and isinstance(value, float))):
        return kind(value)
    raise Refused(name, f"invalid {name}: expected {'an integer' if kind is int else 'a number'}, got {value!r}", status=status)


def _take(understood: dict[str, Any], fields: Mapping[str, Any], names: Mapping[str, tuple[str, type]], status: int = 400) -> None:
    """Into `understood`, each of the server's `names` that `fields` carries, under our name
    and typed as the server types it."""
    for theirs, (ours, kind) in names.items():
        if theirs not in fields:
            continue
        if kind is str:
            if not isinstance(fields[theirs], str):
                raise Refused(theirs, f"invalid {theirs}: expected a string", status=status)
            understood[ours] = fields[theirs]
        else:
            understood[ours] = _number(fields, theirs, kind, None, status)


def _wxh(fields: Mapping[str, Any], default: str, status: int) -> str:
    size = fields.get("size") or default
    if not isinstance(size, str) or not _SIZE.fullmatch(size):
        raise Refused("size", f"invalid size {size!r}: expected WIDTHxHEIGHT", status=status)
    return size


def _first(sizes: tuple[tuple[int, int], ...], otherwise: str) -> str:
    """An edit's default size, its first image's; `otherwise` the server's own."""
    return f"{sizes[0][0]}x{sizes[0][1]}" if sizes else otherwise


def _sd_extra_args(prompt: str) -> tuple[str, dict[str, Any]]:
    """The prompt without its <sd_cpp_extra_args> tag (surrounding spaces trimmed), and the
    tag's JSON object ({} without one); Refused when that is no JSON object."""
    match = SD_TAG.search(prompt)
    if match is None:
        return prompt, {}
    try:
        extra = json.loads(match.group(1))
    except ValueError as exc:
        raise Refused("prompt", f"invalid sd_cpp_extra_args: {exc}") from None
    if not isinstance(extra, dict):
        raise Refused("prompt", "invalid sd_cpp_extra_args: expected a JSON object")
    return (prompt[: match.start()] + prompt[match.end() :]).strip(), extra


# --- reading files ----------------------------------------------------------------------------


def _file(files: list[FormPart], *names: str) -> FormPart | None:
    return next((part for part in files if part.name in names), None)


def _image_size(data: bytes, name: str) -> tuple[int, int]:
    try:
        return artist.input_size(data, INPUT_FORMATS)
    except ValueError as exc:
        raise Refused(name, f"invalid {name}: {exc}") from None


def _edit_files(
    files: list[FormPart], fields: tuple[str, ...] = ("image", "image[]"), *, painted: bool = False,
) -> tuple[tuple[bytes, ...], tuple[tuple[int, int], ...], bytes | None]:
    """A multipart edit's images (from `fields`) with their sizes, and its mask as the painter
    reads it: OpenAI's shape when it has alpha, else white = repaint; `painted`: always read
    as a grey picture, white = repaint, its alpha ignored (stable-diffusion.cpp)."""
    images = [part for part in files if part.name in fields]
    if not images:
        raise Refused(fields[0], f"at least one {' or '.join(fields)} required", "missing_required_parameter")
    sizes = tuple(_image_size(part.data, "image") for part in images)
    mask = _file(files, "mask")
    if mask is None:
        return tuple(part.data for part in images), sizes, None
    try:
        if painted:
            raise ValueError("read as a picture")
        artist.input_size(mask.data, ("PNG",), alpha=True)
        shaped = mask.data
    except ValueError:
        try:
            shaped = artist.white_mask(mask.data, sizes[0])
        except ValueError as exc:
            raise Refused("mask", f"invalid mask: {exc}") from None
    return tuple(part.data for part in images), sizes, shaped


def _base64_image(value: Any) -> bytes:
    """Ollama's edit image: base64, or a data: URL of it."""
    if not isinstance(value, str) or not value:
        raise Refused("image", "image is required", "missing_required_parameter")
    if value.startswith("data:"):
        value = value.partition(",")[2]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("image", "invalid image: not base64") from None
