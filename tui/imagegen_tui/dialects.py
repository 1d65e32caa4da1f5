"""What each kind of server a profile can talk to does differently from OpenAI, as data.

A profile's `dialect` names one of these. The facts come from each server's own documents and
code (../shared/DESIGN.md, "Backends and their dialects"); LiteLLM's were measured through a
real proxy. They narrow or widen the model's capabilities (models.py) before the profile's own
`capabilities` table has the last word, and they say how the key travels and which headers
every image call carries, how edits are sent, and what each server calls the extra parameters
(seed, steps, guidance, negative), which extras.py places.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from imagegen_tui.errors import nearest
from imagegen_tui.models import ModelCaps

EXTRAS = ("seed", "steps", "guidance", "negative")
"""The one vocabulary of extra parameters; each dialect names them its own way."""

LITELLM_NO_STREAMING = (
    "LiteLLM 1.110.2 cannot stream images: it answers 500 after its own retries called the "
    "provider three times, each billed, and delivers none"
)


def _frozen(mapping: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Dialect:
    """One server family's facts. None means "as the model says" (models.py)."""

    name: str
    title: str  # for people: what the server is
    base_url: str | None = None  # its usual address; None: every installation has its own
    api_key_env: str | None = None
    key_required: bool = True
    model: str | None = "gpt-image-2"  # what a new profile starts with; None: each server has its own (add-profile asks)
    key_header: str = "Authorization"  # "Authorization" (Bearer) or "api-key" (Azure)
    image_headers: Mapping[str, str] = field(default_factory=_frozen)  # sent on every image call
    streaming: bool | None = None
    streaming_note: str | None = None  # why streaming is off, said when it is asked for
    edits: str | None = "multipart"  # "multipart" (/images/edits, image[]), "json" (/images/edits, base64: Ollama), "inpainting" (LocalAI's /images/inpainting, image + mask); None: none
    edit_list: bool = False  # an edit's images always as `image[]`, one too (sd-server reads only that field)
    mask_painted: bool = False  # the mask as a grey picture, white = repaint (ours: transparent = edit)
    any_size: bool = False  # local servers draw any WxH
    max_n: int | None = None
    gpt_options: bool | None = None  # background, output_format, output_compression, moderation
    response_format: bool | None = None  # True: always ask for b64_json (else URLs come back); None: as the model says
    extras: Mapping[str, str] = field(default_factory=_frozen)  # our name (EXTRAS) -> the server's
    edit_extras: Mapping[str, str] | None = None  # the same for its edits, when they read others; None: as extras
    passes_extras: bool = False  # sends extra fields at all (OpenAI answers 400 to one it does not know)
    extras_place: str = "body"  # where the named extras go: "body", or "prompt-tag" (sd-server's <sd_cpp_extra_args>{json}</sd_cpp_extra_args>)
    negative_joined: bool = False  # the negative prompt rides in the prompt as "positive|negative" (LocalAI)


_LOCAL = {"key_required": False, "streaming": False, "any_size": True, "gpt_options": False, "passes_extras": True}

DIALECTS: Mapping[str, Dialect] = MappingProxyType({d.name: d for d in (
    Dialect("openai", "OpenAI's API, or a server that speaks it exactly", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    Dialect(
        "litellm", "a LiteLLM proxy (gateway)", "http://localhost:4000/v1", "LITELLM_API_KEY",
        # LiteLLM retries failed and streamed calls upstream 3 times unless told not to: a paid
        # call must never be repeated behind our back (our own retry policy governs)
        image_headers=_frozen({"x-litellm-num-retries": "0"}),
        streaming=False, streaming_note=LITELLM_NO_STREAMING,
        passes_extras=True,  # on to the upstream, under the names given: use the upstream's own
        # response_format stays as the model says: gpt-image models never get it (LiteLLM #10501: empty data)
    ),
    Dialect("azure", "Azure OpenAI (v1 API)", None, "AZURE_OPENAI_API_KEY", key_header="api-key"),
    Dialect(
        "gemini", "Gemini's OpenAI compatibility", "https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY",
        model="gemini-2.5-flash-image", streaming=False,
        streaming_note="Gemini's OpenAI compatibility does not stream images",
        edits=None, gpt_options=False,  # only model, prompt, n, size and response_format are honoured
    ),
    Dialect(
        "localai", "LocalAI", "http://localhost:8080/v1", model=None, edits="inpainting", response_format=True,
        # generations read `step`; its inpainting route reads `steps` and neither seed nor a negative prompt
        extras=_frozen({"seed": "seed", "steps": "step"}), edit_extras=_frozen({"steps": "steps"}), negative_joined=True, mask_painted=True, **_LOCAL,
    ),
    Dialect(
        "sd-server", "stable-diffusion.cpp's sd-server", None, model="sd-cpp-local", max_n=8, edit_list=True, mask_painted=True,
        extras=_frozen({"seed": "seed", "steps": "steps", "guidance": "cfg_scale", "negative": "negative_prompt"}),
        extras_place="prompt-tag", **_LOCAL,
    ),
    Dialect(
        "vllm-omni", "vLLM-Omni", "http://localhost:8000/v1", model=None, max_n=10,
        extras=_frozen({"seed": "seed", "steps": "num_inference_steps", "guidance": "guidance_scale", "negative": "negative_prompt"}),
        **_LOCAL,
    ),
    Dialect(
        "textgen", "text-generation-webui (with --api and an image model)", "http://localhost:5000/v1", model=None, edits=None,
        extras=_frozen({"seed": "image_seed", "steps": "steps", "guidance": "cfg_scale", "negative": "negative_prompt"}),
        **_LOCAL,
    ),
    Dialect(
        "ollama", "Ollama 0.14 to 0.32.5 (image generation was removed in 0.32.6)", "http://localhost:11434/v1",
        model=None, edits="json", max_n=1, extras=_frozen({"seed": "seed"}), **_LOCAL,
    ),
)})

DEFAULT = "openai"


def apply(caps: ModelCaps, dialect: Dialect) -> ModelCaps:
    """The model's capabilities as this dialect's server offers them."""
    changes: dict[str, object] = {"dialect": dialect.name}
    if dialect.streaming is not None:
        changes["streaming"] = dialect.streaming
        changes["streaming_note"] = dialect.streaming_note
    if dialect.edits is None:
        changes["edits"] = False
    if dialect.any_size:
        changes.update(custom_sizes=True, any_size=True)
    if dialect.max_n is not None:
        changes["max_n"] = min(caps.max_n, dialect.max_n)
    if dialect.gpt_options is not None:
        changes["gpt_options"] = dialect.gpt_options
        if not dialect.gpt_options:
            changes.update(transparent_background=False, input_fidelity=False)
    if dialect.response_format is not None:
        changes["wants_response_format"] = dialect.response_format
    return replace(caps, **changes)  # type: ignore[arg-type]


def dialect_problem(name: str) -> str | None:
    """Why `name` is no dialect, with the nearest one, or None."""
    if name in DIALECTS:
        return None
    close = nearest(name, DIALECTS)
    hint = f"; did you mean {close!r}?" if close else ""
    return f"{name!r} is not a dialect: choose {', '.join(DIALECTS)}{hint}"
