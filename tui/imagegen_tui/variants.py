"""Prompt variants: `a {red|blue} fox in {snow|fog}` stands for every combination of its
choices. `\\{`, `\\}`, `\\|` and `\\\\` are the characters themselves; a `|` outside braces is
text. Groups cannot nest, and an empty, unclosed or stray brace, or a group of one choice, is
refused with where it is: a prompt that meant something else must never be sent as a guess,
many times over."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

ESCAPABLE = "{}|\\"


class VariantError(ValueError):
    """A prompt whose braces cannot be read; `str()` is the sentence, naming the character."""


@dataclass(frozen=True)
class Variant:
    """One prompt of the expansion and the choice it took in each group, in order."""

    prompt: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """A prompt read into its text pieces and its groups of choices: pieces[0], a choice of
    groups[0], pieces[1], … pieces[-1]."""

    pieces: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]

    @property
    def count(self) -> int:
        total = 1
        for group in self.groups:
            total *= len(group)
        return total

    def expand(self) -> list[Variant]:
        """Every combination, the first group varying slowest (as written, read left to right)."""
        return [self.fill(choices) for choices in itertools.product(*self.groups)]

    def fill(self, choices: tuple[str, ...]) -> Variant:
        """An empty choice leaves no double space behind: `a {|big} fox` is "a fox", and one at
        the start or end leaves no space there."""
        text = self.pieces[0]
        for choice, piece in zip(choices, self.pieces[1:], strict=True):
            if not choice and (not text or text[-1].isspace()) and piece[:1].isspace():
                piece = piece[1:]
            elif not choice and not piece and text[-1:].isspace():
                text = text[:-1]
            text += choice + piece
        return Variant(text, choices)


def parse(prompt: str) -> Template:
    """Read `prompt`'s groups; VariantError for a brace that cannot be read. Choices are
    trimmed (`{ red | blue }` is red and blue) and may be empty (`a {|big} fox`), but a group
    must offer something and never the same choice twice."""
    pieces: list[str] = []
    groups: list[tuple[str, ...]] = []
    text: list[str] = []  # the piece or choice being read
    choices: list[str] | None = None  # inside a group: its choices so far
    opened = 0  # where the open group began (1-based, for the sentence)
    chars = iter(enumerate(prompt, start=1))
    for at, char in chars:
        if char == "\\":
            following = next(chars, None)
            if following is not None and following[1] in ESCAPABLE:
                text.append(following[1])
            else:  # a lone backslash is text, and so is what follows it
                text.append(char)
                if following is not None:
                    text.append(following[1])
        elif char == "{":
            if choices is not None:
                raise VariantError(f"variants cannot be nested: the {{ at character {at} is inside the group opened at character {opened}; write \\{{ for a literal brace")
            pieces.append("".join(text))
            text, choices, opened = [], [], at
        elif char == "}":
            if choices is None:
                raise VariantError(f"the }} at character {at} closes no group; write \\}} for a literal brace")
            choices.append("".join(text).strip())
            groups.append(_checked(choices, opened))
            text, choices = [], None
        elif char == "|" and choices is not None:
            choices.append("".join(text).strip())
            text = []
        else:
            text.append(char)
    if choices is not None:
        raise VariantError(f"the {{ at character {opened} is never closed; close it with }} or write \\{{ for a literal brace")
    pieces.append("".join(text))
    return Template(tuple(pieces), tuple(groups))


def _checked(choices: list[str], opened: int) -> tuple[str, ...]:
    if choices == [""]:
        raise VariantError(f"the group at character {opened} is empty: give its choices, as in {{red|blue}}, or write \\{{\\}} for literal braces")
    if len(choices) == 1:  # `${x}`, `{"a": 1}`: far more often text than a choice of one
        raise VariantError(f"the group at character {opened} offers only {choices[0]!r}: give it another choice ({{a|b}}), or write \\{{ and \\}} for literal braces")
    for choice in choices:
        if choices.count(choice) > 1:
            shown = repr(choice) if choice else "an empty choice"
            raise VariantError(f"the group at character {opened} offers {shown} twice")
    return tuple(choices)


def escape(text: str) -> str:
    """`text` written so that it stands for itself alone (expand(escape(t)) is [t])."""
    return re.sub(r"([{}|\\])", r"\\\1", text)


def expand(prompt: str) -> list[Variant]:
    """Every prompt `prompt` stands for (one, its escapes undone, when it has no groups)."""
    return parse(prompt).expand()
