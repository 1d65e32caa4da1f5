"""Named styles: a prompt template and a few parameters, from config.toml's [styles.NAME],
applied in order to what the user typed.

`{prompt}` in a style's template is replaced by the prompt so far; a template without it is
appended after a comma, as AUTOMATIC1111's styles do, so `prompt = "watercolor"` means
"{prompt}, watercolor". Several styles nest in the order given: the second wraps the first's
result. Parameters: a later style's win over an earlier one's, and a parameter the user set
(a command-line option, a sidebar field not left at "provider default") wins over every style's:
a style fills in, it never overrides what was asked for explicitly.

What was sent is the request; what was typed and which styles made it are kept beside it
(store.Provenance, and the saved file's metadata), so the history can show both and "reuse"
can bring back the typed prompt with its styles rather than the expanded text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from imagegen_tui.errors import ConfigError, check_keys, nearest
from imagegen_tui.models import BACKGROUNDS, FORMATS, MODERATIONS, parse_size

if TYPE_CHECKING:  # reading the config (which reads styles) must not load the history's modules
    from imagegen_tui.store import Provenance

PLACEHOLDER = "{prompt}"
# the request's names, as the sidebar and `generate` use them; model-specific limits (a quality
# dall-e-2 lacks, a custom size a model refuses) are the request's check when it is sent
PARAMS = ("size", "quality", "background", "output_format", "output_compression", "moderation")
QUALITIES = ("auto", "low", "medium", "high", "standard", "hd")
_KEYS = {"prompt", *PARAMS}


@dataclass(frozen=True)
class Style:
    name: str
    prompt: str | None = None  # the template; None leaves the prompt as it is
    params: Mapping[str, Any] = field(default_factory=dict)

    def expand(self, prompt: str) -> str:
        if self.prompt is None:
            return prompt
        if PLACEHOLDER in self.prompt:
            return self.prompt.replace(PLACEHOLDER, prompt)
        return f"{prompt}, {self.prompt}" if prompt else self.prompt

    def summary(self) -> str:
        """One line for a picker: what it adds and sets."""
        parts = [self.prompt if self.prompt and PLACEHOLDER in self.prompt else f"{PLACEHOLDER}, {self.prompt}"] if self.prompt else []
        parts += [f"{key} {value}" for key, value in self.params.items()]
        return " · ".join(parts)


@dataclass(frozen=True)
class Styled:
    """A prompt and parameters with styles applied, and how they came about."""

    prompt: str
    params: dict[str, Any]
    provenance: Provenance


def apply(styles: Sequence[Style], prompt: str, params: Mapping[str, Any]) -> Styled:
    """`styles` applied in order to the typed `prompt` and the user's `params` (None: not set,
    which a style may fill). Without styles, the prompt and parameters as they were."""
    from imagegen_tui.store import Provenance

    if not styles:
        return Styled(prompt, dict(params), Provenance())
    sent = prompt
    filled: dict[str, Any] = {}
    for style in styles:
        sent = style.expand(sent)
        filled.update(style.params)
    chosen = {key: value for key, value in params.items() if value is not None}
    return Styled(sent, {**dict(params), **filled, **chosen}, Provenance(typed_prompt=prompt, styles=tuple(s.name for s in styles)))


def blamed(problems: Sequence[tuple[str, str]], styled: Styled, known: Mapping[str, Style], params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A request's problems (field, message), each with a value a style filled in naming that
    style: the sidebar's field shows "provider default", and the command line gave no option."""
    filled = {key: name for name in styled.provenance.styles if name in known for key in known[name].params if params.get(key) is None}
    return [(field, f"{message} (set by the style {filled[field]!r})" if field in filled else message) for field, message in problems]


class UnknownStyle(ValueError):
    """A style asked for by name that the config does not define; the message lists those it does."""


def pick(known: Mapping[str, Style], names: Sequence[str]) -> list[Style]:
    """The styles named, in order, each once; UnknownStyle for a name the config lacks."""
    picked: list[Style] = []
    for name in dict.fromkeys(names):
        if name not in known:
            raise UnknownStyle(unknown_sentence(name, known))
        picked.append(known[name])
    return picked


def unknown_sentence(name: str, known: Mapping[str, Style]) -> str:
    if not known:
        return f"no style named {name!r}: config.toml defines none (add a [styles.NAME] table with prompt = \"{{prompt}}, …\")"
    close = nearest(name, known)
    hint = f"did you mean {close!r}? " if close else ""
    return f"no style named {name!r}; {hint}known: {', '.join(known)}"


def parse_styles(table: Any) -> dict[str, Style]:
    """config.toml's [styles]: each [styles.NAME] checked key by key; ConfigError names the key."""
    if not isinstance(table, dict):
        raise ConfigError("expected a table of styles, e.g. [styles.watercolor]", key="styles")
    return {name: _style(name, body) for name, body in table.items()}


def _style(name: str, body: Any) -> Style:
    where = f"styles.{name}"
    if not name.strip():
        raise ConfigError("a style needs a name", key=where)
    if not isinstance(body, dict):
        raise ConfigError('expected a table, e.g. [styles.watercolor] with prompt = "{prompt}, watercolor"', key=where)
    check_keys(body, _KEYS, where)
    if not body:
        raise ConfigError(f"is empty: give it a prompt (\"{PLACEHOLDER}, …\") or parameters ({', '.join(PARAMS)})", key=where)
    prompt = body.get("prompt")
    if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
        raise ConfigError(f'expected a non-empty string such as "{PLACEHOLDER}, watercolor"', key=f"{where}.prompt")
    return Style(name, prompt, {key: _param(key, value, f"{where}.{key}") for key, value in body.items() if key != "prompt"})


_CHOICES = {"quality": QUALITIES, "background": BACKGROUNDS, "output_format": FORMATS, "moderation": MODERATIONS}


def _param(key: str, value: Any, where: str) -> Any:
    if key == "output_compression":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise ConfigError(f"must be a whole number from 0 to 100 (got {value!r})", key=where)
        return value
    if not isinstance(value, str):
        raise ConfigError(f"expected a string (got {value!r})", key=where)
    if key == "size":
        if value != "auto" and parse_size(value) is None:
            raise ConfigError(f"{value!r} is not a size: auto, or WIDTHxHEIGHT such as 1536x1024", key=where)
        return value
    if key == "output_format":
        from imagegen_tui.request import FORMAT_ALIASES

        value = FORMAT_ALIASES.get(value.lower(), value.lower())
    choices = _CHOICES[key]
    if value not in choices:
        close = nearest(value, choices)
        hint = f"; did you mean {close!r}?" if close else ""
        raise ConfigError(f"{value!r} is not one of {', '.join(choices)}{hint}", key=where)
    return value
