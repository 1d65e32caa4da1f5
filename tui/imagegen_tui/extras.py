"""Extra parameters: one vocabulary (seed, steps, guidance, negative) and any other field a
server takes, typed, checked before sending, and placed where each dialect's server reads them.

Local servers name the same ideas differently (vLLM-Omni's `num_inference_steps`, text-generation-
webui's `image_seed`, LocalAI's `step`), and two hide them in the prompt (LocalAI's
"positive|negative", sd-server's `<sd_cpp_extra_args>{json}</sd_cpp_extra_args>`). The user says
them once, in our words; the history and the file keep our words, so a re-run through another
server means the same thing.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from imagegen_tui.dialects import DIALECTS, EXTRAS, Dialect

SD_TAG = "sd_cpp_extra_args"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
# our own parameters: said with their own options and fields, never as extras
_OURS = frozenset({
    "model", "prompt", "n", "size", "quality", "background", "output_format", "output_compression", "user", "stream",
    "partial_images", "moderation", "input_fidelity", "image", "mask", "response_format", "extra",
})
DESCRIPTIONS = {
    "seed": "the random seed: the same seed and settings draw the same picture",
    "steps": "denoising steps: more is slower and finer",
    "guidance": "guidance (CFG) scale: how closely to follow the prompt",
    "negative": "negative prompt: what the picture should not have",
}

Problem = Callable[[str, str], None]


def value_problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be the extra `name`, or None. Our vocabulary has types; any other
    field may be any value TOML can hold."""
    if not _NAME.fullmatch(name):
        return f"{name!r} is not a parameter name (letters, digits, _ . -)"
    if name in _OURS:
        return f"{name!r} is an image parameter of its own: set it with its own option or field, not as an extra"
    if name in ("seed", "steps") and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{name} must be a whole number (got {value!r})"
    if name == "seed" and not -1 <= value < 2**63:
        return f"seed must be between -1 (random) and {2**63 - 1} (got {value})"
    if name == "steps" and not 1 <= value <= 1000:
        return f"steps must be between 1 and 1000 (got {value})"
    if name == "guidance" and (isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100):
        return f"guidance must be a number between 0 and 100 (got {value!r})"
    if name == "negative" and not isinstance(value, str):
        return f"negative must be text (got {value!r})"
    return None


def parse_setting(text: str) -> tuple[str, Any]:
    """`key=value` from the command line, the value read as TOML (42, 7.5, true, "text",
    [1, 2]) and else as the text itself (`negative=blurry hands`). An empty value (`seed=`)
    is None: the profile's default for that key is not sent. ValueError with the sentence."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--set {text!r}: write KEY=VALUE (e.g. --set seed=42)")
    raw = raw.strip()
    if not raw:
        return key, None
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    if (problem := value_problem(key, value)) is not None:
        raise ValueError(f"--set {text!r}: {problem}")
    return key, value


def merged(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Later layers win; a None value takes the key out (the command line's `seed=`)."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
    return out


def shown(extra: Mapping[str, Any]) -> str:
    """One line for people, the vocabulary first: `seed=42 steps=8 negative="blurry" tiling=true`."""
    ordered = sorted(extra.items(), key=lambda item: EXTRAS.index(item[0]) if item[0] in EXTRAS else len(EXTRAS))
    return " ".join(f"{key}={json.dumps(value, ensure_ascii=False) if isinstance(value, str) else _toml(value)}" for key, value in ordered)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass(frozen=True)
class Placed:
    """The extras where the server reads them: the prompt it is sent (with a tag or a negative
    joined) and the body fields, under the server's own names."""

    prompt: str
    fields: dict[str, Any]


def _names(dialect: Dialect, editing: bool) -> Mapping[str, str]:
    """Our vocabulary -> the server's names, for its generations or its edits."""
    return dialect.edit_extras if editing and dialect.edit_extras is not None else dialect.extras


def offered(dialect: Dialect, *, editing: bool = False) -> tuple[str, ...]:
    """The vocabulary names this dialect's server reads (for a form's fields)."""
    names = _names(dialect, editing)
    if dialect.passes_extras and not names:
        return EXTRAS  # a gateway passes them on under their own names
    return tuple(name for name in EXTRAS if name in names or (name == "negative" and dialect.negative_joined and not editing))


def check(extra: Mapping[str, Any], dialect_name: str, prompt: str, bad: Problem, *, editing: bool = False) -> None:
    """Every extra this dialect's server cannot take, named, before anything is sent."""
    if not extra:
        return
    dialect = DIALECTS[dialect_name]
    for key, value in extra.items():
        if (problem := value_problem(key, value)) is not None:
            bad(key, problem)
    if not dialect.passes_extras:
        why = "ignores fields it does not know" if dialect.name == "gemini" else "answers 400 to a field it does not know"
        bad("extra", f"profiles of the {dialect.name} dialect take no extra parameters ({', '.join(extra)}): {dialect.title} {why}. "
                     "Nothing was sent: remove them, or use a profile whose dialect takes them")
        return
    known = offered(dialect, editing=editing)
    for key in extra:
        if key in EXTRAS and key not in known:
            reads = ", ".join(known) or "none of " + ", ".join(EXTRAS)
            bad(key, f"{dialect.title} does not read {key}{' in its edits' if editing else ''} (it reads {reads})")
    if "negative" in extra and dialect.negative_joined and not editing and "|" in prompt:
        bad("negative", f"{dialect.title} reads the text after '|' in the prompt as the negative prompt: take the '|' out of the prompt")


def place(extra: Mapping[str, Any], dialect_name: str, prompt: str, *, editing: bool = False) -> Placed:
    """The prompt and fields to send (`check` has passed)."""
    dialect = DIALECTS[dialect_name]
    names = _names(dialect, editing)
    fields: dict[str, Any] = {}
    for key, value in extra.items():
        if key == "negative" and dialect.negative_joined and not editing:
            prompt = f"{prompt}|{value}"
        else:
            fields[names.get(key, key)] = value
    if dialect.extras_place == "prompt-tag" and fields:
        tag = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        return Placed(f"{prompt} <{SD_TAG}>{tag}</{SD_TAG}>", {})
    return Placed(prompt, fields)
