"""The comparison's core: which images picks stand for, the parameters that differ, prompts word
by word, and `ID[:I]` read as the command line and the marks write it."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagegen_tui.compare import (
    Pick,
    Span,
    changed_words,
    cost,
    elide,
    parameters,
    parse_pick,
    prompt_diffs,
    resolve,
    unknown,
    word_diff,
    words,
)
from imagegen_tui.prices import Price
from imagegen_tui.store import Generation, Provenance, StoredImage


def gen(gen_id: int, prompt: str = "a red fox in snow", *, images: int = 1, model: str = "gpt-image-2", tokens: int | None = 1000, saved_as: str | None = "png", **params: object) -> Generation:
    """`saved_as`: the format its files were found to be (from their bytes), whatever was asked."""
    return Generation(
        id=gen_id, uid=f"u{gen_id}", created_at=0.0, profile="demo", provider="demo", model=model, prompt=prompt,
        params={"model": model, "size": None, "quality": None, **params}, n=images, size=params.get("size"), quality=params.get("quality"),  # type: ignore[arg-type]
        status="done", error_kind=None, error_message=None, started_at=None, finished_at=None, elapsed=None,
        input_tokens=10 if tokens else None, output_tokens=tokens, total_tokens=(tokens + 10) if tokens else None,
        input_text_tokens=10 if tokens else None, input_image_tokens=0 if tokens else None, request_id=None,
        favourite=False, note=None, parent_id=None, image_count=images,
        images=[StoredImage(gen_id * 10 + i, gen_id, i, Path(f"/x/{gen_id}-{i}.png"), 1024, 1024, saved_as, 1, None, None) for i in range(1, images + 1)],
    )


@pytest.mark.parametrize(("spec", "pick"), [("12", Pick(12)), ("12:2", Pick(12, 2)), (" 7:1 ", Pick(7, 1))])
def test_a_pick_is_an_id_or_an_id_and_an_image(spec, pick):
    assert parse_pick(spec) == pick
    assert str(pick) == spec.strip()


@pytest.mark.parametrize(("spec", "says"), [
    ("12:", r"write ID \(12\) or ID:IMAGE"), ("x", "write ID"), ("12:2:3", "write ID"), ("-1", "write ID"), ("", "write ID"),
    ("0", "start at 1"), ("3:0", "start at 1"),
])
def test_a_bad_pick_is_refused_with_a_sentence(spec, says):
    with pytest.raises(ValueError, match=says):
        parse_pick(spec)


def test_whole_generations_give_all_their_images_while_that_stays_within_four():
    gens = {1: gen(1, images=4), 2: gen(2, images=2), 3: gen(3, images=2), 4: gen(4)}
    labels = lambda items: [item.label for item in items]  # noqa: E731
    assert labels(resolve([Pick(1)], gens)) == ["#1:1", "#1:2", "#1:3", "#1:4"]  # one n=4: its four
    assert labels(resolve([Pick(2), Pick(3)], gens)) == ["#2:1", "#2:2", "#3:1", "#3:2"]
    assert labels(resolve([Pick(2), Pick(3), Pick(4)], gens)) == ["#2:1", "#3:1", "#4"]  # 5 > 4: first images
    assert labels(resolve([Pick(3, 2), Pick(2), Pick(4)], gens)) == ["#3:2", "#2:1", "#2:2", "#4"]  # in the order picked
    assert labels(resolve([Pick(2, 1), Pick(2)], gens)) == ["#2:1", "#2:2"]  # an image picked twice counts once


def test_a_missing_image_and_unknown_ids_are_named():
    gens = {2: gen(2, images=2)}
    assert unknown([Pick(2), Pick(9), Pick(9, 1), Pick(8)], gens) == [9, 8]
    with pytest.raises(ValueError, match="#2 has no image 3; it has 2"):
        resolve([Pick(2, 3)], gens)


def test_only_the_parameters_that_differ_are_listed_and_the_rest_are_the_same():
    items = resolve([Pick(1), Pick(2), Pick(3)], {1: gen(1, quality="low"), 2: gen(2, quality="high", size="1536x1024"), 3: gen(3, quality="high")})
    differing, same = parameters(items)
    assert differing == {"size": ["default", "1536x1024", "default"], "quality": ["low", "high", "high"]}
    assert same["model"] == "gpt-image-2" and same["format"] == "png" and "pixels" in same


def test_models_formats_profiles_and_styles_count_as_differences():
    a, b = gen(1), gen(2, model="gpt-image-1.5", output_format="webp", saved_as="webp")
    b.profile = "openai"
    b.provenance = Provenance(styles=("watercolor",))
    differing, _ = parameters(resolve([Pick(1), Pick(2)], {1: a, 2: b}))
    assert differing["model"] == ["gpt-image-2", "gpt-image-1.5"] and differing["format"] == ["png", "webp"]
    assert differing["profile"] == ["demo", "openai"] and differing["styles"] == ["none", "watercolor"]


def test_the_format_is_the_files_own_not_the_one_asked():
    """Asked PNG, given JPEG (a provider that ignores output_format): the file is a JPEG. A
    generation without images has only what was asked; one whose format is unknown, too."""
    asked_png = {1: gen(1, output_format="png", saved_as="jpeg"), 2: gen(2, output_format="png"), 3: gen(3, images=0, output_format="webp"),
                 4: gen(4, output_format="png", saved_as=None)}
    differing, _ = parameters(resolve([Pick(1), Pick(2), Pick(3), Pick(4)], asked_png))
    assert differing["format"] == ["jpeg", "png", "webp", "png"]


def test_a_value_from_outside_is_one_visible_line():
    differing, _ = parameters(resolve([Pick(1), Pick(2)], {1: gen(1), 2: gen(2, model="evil\x1b[2J\nmodel")}))
    assert differing["model"][1] == "evil\\x1b[2J model"


def test_cost_is_the_price_else_the_tokens_else_unknown():
    prices = {"gpt-image-2": Price(input_text=5.0, output_image=40.0)}
    assert cost(gen(1, tokens=1000), prices) == "0.040"
    assert cost(gen(1, tokens=1000, images=2), {}) == "1,010 tokens for 2 images"
    assert cost(gen(1, tokens=None), prices) == "unknown"


def test_words_split_punctuation_off_and_keep_where_spaces_were():
    assert [(w.text, w.spaced) for w in words("a fox,  in\nsnow's light")] == [
        ("a", False), ("fox", True), (",", False), ("in", True), ("snow's", True), ("light", True)]


def test_the_word_diff_marks_removed_then_added_words_and_reads_back_as_each_prompt():
    spans = word_diff("a red fox in snow", "a blue fox in snow, at night")
    assert spans == [Span("same", "a"), Span("removed", " red"), Span("added", " blue"), Span("same", " fox in snow"), Span("added", ", at night")]
    assert "".join(s.text for s in spans if s.op != "removed") == "a blue fox in snow, at night"
    assert "".join(s.text for s in spans if s.op != "added") == "a red fox in snow"


def test_the_reference_shows_the_words_the_others_change():
    assert changed_words("a red fox in snow", ["a blue fox in snow", "a red fox in fog"]) == [
        Span("same", "a"), Span("removed", " red"), Span("same", " fox in"), Span("removed", " snow")]


def test_same_prompts_give_no_diff_and_different_ones_are_against_the_first():
    same = resolve([Pick(1), Pick(2)], {1: gen(1), 2: gen(2)})
    assert prompt_diffs(same) is None
    items = resolve([Pick(1), Pick(2)], {1: gen(1), 2: gen(2, "a red fox in fog")})
    diffs = prompt_diffs(items)
    assert diffs is not None and diffs[1][-1] == Span("added", " fog") and diffs[0][-1] == Span("removed", " snow")


def test_long_unchanged_runs_are_cut_to_a_few_words_around_each_change():
    before = " ".join(f"w{i}" for i in range(20))
    after = before.replace("w10", "changed")
    shown = elide(word_diff(before, after), context=2)
    assert "".join(s.text for s in shown) == "… w8 w9 w10 changed w11 w12 …"
    assert elide(word_diff("a b", "a c")) == word_diff("a b", "a c")  # short: nothing to cut


def test_captions_show_prompts_and_values_as_text_never_markup():
    from imagegen_tui.ui.screens.compare import caption

    hostile = "a fox [bold]x[/bold] \x1b[2J [@click=app.quit]y[/]"
    items = resolve([Pick(1), Pick(2)], {1: gen(1, "a fox"), 2: gen(2, hostile, model="m[red]\x07")})
    shown = caption(items, 1, {}).plain
    assert "[bold]x[/bold]" in shown and "\\x1b[2J" in shown and "[@click=app.quit]y[/]" in shown
    assert "model m[red]\\x07" in shown and "\x1b" not in shown and "\x07" not in shown

