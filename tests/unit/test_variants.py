"""Prompt variants: every combination, escapes, and braces that cannot be read refused with
where they are."""

from __future__ import annotations

import pytest

from hostile import HOSTILE

from imagegen_tui.variants import VariantError, escape, expand, parse


def prompts(text: str) -> list[str]:
    return [variant.prompt for variant in expand(text)]


def test_every_combination_the_first_group_slowest():
    assert prompts("a {red|blue|green} fox in {snow|fog}") == [
        "a red fox in snow", "a red fox in fog", "a blue fox in snow",
        "a blue fox in fog", "a green fox in snow", "a green fox in fog",
    ]
    assert expand("a {red|blue} fox")[1].choices == ("blue",)
    assert parse("a {red|blue|green} fox in {snow|fog}").count == 6


def test_choices_are_trimmed_and_may_be_empty():
    assert prompts("a { red | blue } fox") == ["a red fox", "a blue fox"]
    assert prompts("a {|big} fox") == ["a fox", "a big fox"]  # an empty choice leaves no double space
    assert prompts("{|big} fox at {|night}") == ["fox at", "fox at night", "big fox at", "big fox at night"]
    assert prompts("a{|-big} fox") == ["a fox", "a-big fox"]  # the text around a group is otherwise kept as written


def test_a_prompt_without_groups_is_itself():
    assert prompts("a fox | a hound") == ["a fox | a hound"]
    assert parse("a fox").groups == ()


@pytest.mark.parametrize("text, sent", [
    (r"a \{red|blue\} fox", "a {red|blue} fox"),
    (r'json \{"a": 1\}', 'json {"a": 1}'),
    (r"a back\\slash", "a back\\slash"),
    (r"C:\path\to", r"C:\path\to"),  # a backslash before anything else is text
    ("trailing\\", "trailing\\"),
])
def test_escapes_are_the_characters_themselves(text, sent):
    assert prompts(text) == [sent]


def test_an_escaped_bar_inside_a_group_is_a_choice_s_text():
    assert prompts(r"a {red\|blue|green} fox") == ["a red|blue fox", "a green fox"]


@pytest.mark.parametrize("text, words", [
    ("a {red|{dark|light} blue} fox", ["nested", "character 8", "character 3", "\\{"]),
    ("a {red|blue fox", ["never closed", "character 3", "\\{"]),
    ("a red} fox", ["closes no group", "character 6", "\\}"]),
    ("a {} fox", ["empty", "character 3"]),
    ("a { } fox", ["empty"]),
    ("a {red|red} fox", ["'red' twice"]),
    ("a {|} fox", ["an empty choice twice"]),
    ("a sign that reads ${x}", ["offers only 'x'", "character 20", "\\{ and \\}"]),
    ('json {"a": 1}', ["offers only"]),
])
def test_braces_that_cannot_be_read_are_refused_clearly(text, words):
    with pytest.raises(VariantError) as caught:
        expand(text)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("text", [*HOSTILE, "a {red|blue} fox", r"\{\}\|\\", "{", "}|{", "ends with \\"])
def test_escaped_text_stands_for_itself(text):
    assert prompts(escape(text)) == [text]
