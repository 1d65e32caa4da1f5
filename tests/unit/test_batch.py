"""Batch files: their lines, the keys that make a re-run resume, and lines refused before
anything is sent."""

from __future__ import annotations

import re

import pytest

from imagegen_tui.batch import BatchError, line_key, plan, read_lines
from imagegen_tui.models import caps_for_model
from imagegen_tui.request import ImageRequest

BASE = ImageRequest(prompt="", model="gpt-image-1")


def planned(text: str, done: set[str] = frozenset(), *, again: bool = False, base: ImageRequest = BASE):
    return plan("prompts.txt", read_lines(text), base, caps_for_model, profile="demo", done_keys=lambda keys: set(keys) & done, again=again)


def test_plain_and_json_lines_comments_and_blanks():
    lines = read_lines('a fox\n\n# a comment\n  {"prompt": "a hound", "quality": "low", "n": 2}\na {red|blue} owl\n')
    assert [(line.number, line.prompt, dict(line.params)) for line in lines] == [
        (1, "a fox", {}), (4, "a hound", {"quality": "low", "n": 2}), (5, "a {red|blue} owl", {}),
    ]


@pytest.mark.parametrize("text, words", [
    ('{"prompt": "a fox"', "line 1: not valid JSON"),
    ('a fox\n{"prompt": "a fox",}', 'line 2: not valid JSON'),
    ('{"quality": "low"}', 'a "prompt" text'),
    ('{"prompt": "a fox", "colour": "red"}', "'colour' is not a parameter"),
    ('{"prompt": "a fox", "n": "2"}', 'n must be a number (got "2")'),
    ('{"prompt": "a fox", "n": true}', "n must be a number (got true)"),
])
def test_lines_that_are_not_ours_are_refused_with_their_number(text, words):
    with pytest.raises(BatchError, match=re.escape(words)):
        read_lines(text)


def test_a_line_s_parameters_replace_the_command_line_s():
    result = planned('a fox\n{"prompt": "a hound", "quality": "high"}', base=ImageRequest(prompt="", model="gpt-image-1", quality="low"))
    assert [(job.line, job.request.prompt, job.request.quality) for job in result.jobs] == [(1, "a fox", "low"), (2, "a hound", "high")]
    assert result.summary()[0] == "batch prompts.txt: 2 calls, 2 images on profile demo"
    assert result.summary()[1] == "cost: unknown (no estimate is available)"


def test_keys_follow_prompt_parameters_profile_and_occurrence():
    request = ImageRequest(prompt="a fox", model="gpt-image-1")
    key = line_key(request, "demo", 1)
    assert key == line_key(ImageRequest(prompt="a fox", model="gpt-image-1"), "demo", 1)
    assert key != line_key(ImageRequest(prompt="a fox", model="gpt-image-1", quality="low"), "demo", 1)
    assert key != line_key(ImageRequest(prompt="a fox!", model="gpt-image-1"), "demo", 1)
    assert key != line_key(request, "openai", 1)
    assert key != line_key(request, "demo", 2)


def test_done_lines_are_skipped_unless_again():
    first = planned("a fox\na hound\na fox")
    assert len({job.key for job in first.jobs}) == 3  # the same line twice asks for two runs
    done = {first.jobs[0].key, first.jobs[1].key}
    resumed = planned("a fox\na hound\na fox", done)
    assert [job.line for job in resumed.jobs] == [3] and resumed.done == 2
    assert "2 lines already done, skipped" in resumed.summary()[0]
    assert [job.line for job in planned("a fox\na hound\na fox", done, again=True).jobs] == [1, 2, 3]


def test_a_bad_line_refuses_the_whole_file_naming_it():
    with pytest.raises(BatchError) as caught:
        planned('a fox\n{"prompt": "a hound", "quality": "ultra"}\n{"prompt": "  "}')
    text = str(caught.value)
    assert text.startswith("2 problems in prompts.txt, so nothing was sent")
    assert "quality: line 2: 'ultra' is not offered" in text and "prompt: line 3: the prompt is empty" in text


def test_a_line_s_seed_goes_over_the_command_line_s_extras_and_the_openai_dialect_refuses_it():
    from dataclasses import replace

    from imagegen_tui.dialects import DIALECTS, apply

    base = ImageRequest(prompt="", model="m", extra={"seed": 1, "steps": 8})
    local = lambda model: apply(caps_for_model(model), DIALECTS["vllm-omni"])  # noqa: E731
    result = plan("p.txt", read_lines('a fox\n{"prompt": "a hound", "seed": 7}'), base, local, profile="gpu", done_keys=lambda keys: set())
    assert [job.request.extra for job in result.jobs] == [{"seed": 1, "steps": 8}, {"seed": 7, "steps": 8}]
    with pytest.raises(BatchError, match=re.escape("line 1: seed must be a whole number")):
        read_lines('{"prompt": "a fox", "seed": "x"}')
    with pytest.raises(BatchError) as refused:
        planned('{"prompt": "a fox", "seed": 7}', base=replace(BASE, model="gpt-image-1"))
    assert "line 1: profiles of the openai dialect take no extra parameters (seed)" in str(refused.value.problems)
