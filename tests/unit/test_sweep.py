"""Sweep plans: the cells, their validation before anything is sent, the consent rules (more
than 100 calls need --yes), and the cost said only as far as an estimator knows it."""

from __future__ import annotations

import pytest

from imagegen_tui.estimate import Estimate
from imagegen_tui.models import caps_for_model
from imagegen_tui.request import ImageRequest
from imagegen_tui.sweep import (
    CONFIRM_ABOVE,
    Axis,
    Consent,
    PlanError,
    build,
    consent,
    parse_sweep,
    parse_sweeps,
    refusal,
)
from imagegen_tui.store import Provenance
from imagegen_tui.styles import Style
from imagegen_tui.variants import VariantError


def plan_of(prompt: str, *sweeps: str, estimator=None, **params):
    base = ImageRequest(prompt=prompt, model=params.pop("model", "gpt-image-1"), **params)
    return build(base, parse_sweeps(sweeps), caps_for_model, profile="demo", estimator=estimator)


def test_variants_times_parameters_in_order():
    plan = plan_of("a {red|blue} fox", "quality=low,high", "size=1024x1024,1536x1024")
    assert plan.calls == 8 and plan.images == 8
    assert [axis.name for axis in plan.axes] == ["{1}", "quality", "size"]
    first, last = plan.cells[0], plan.cells[-1]
    assert first.request.prompt == "a red fox" and first.request.quality == "low" and first.request.size == "1024x1024"
    assert dict(first.axes) == {"{1}": "red", "quality": "low", "size": "1024x1024"}
    assert last.request.prompt == "a blue fox" and dict(last.axes) == {"{1}": "blue", "quality": "high", "size": "1536x1024"}
    assert plan.provenance(last).sweep_id == plan.sweep_id and plan.provenance(last).sweep_axes == dict(last.axes)


def test_n_and_model_sweep_and_images_count():
    plan = plan_of("a fox", "n=1,3", "model=gpt-image-1,gpt-image-1-mini")
    assert plan.calls == 4 and plan.images == 1 + 1 + 3 + 3
    assert {cell.request.n for cell in plan.cells} == {1, 3}
    assert plan.summary()[0] == f"sweep {plan.sweep_id}: 4 calls, 8 images on profile demo (gpt-image-1, gpt-image-1-mini)"


def test_styles_apply_to_every_cell_which_keeps_its_typed_prompt_and_its_place():
    night = Style("night", "{prompt}, at night", {"size": "1536x1024", "quality": "high"})
    base = ImageRequest(prompt="a {red|blue} fox", model="gpt-image-1")
    plan = build(base, parse_sweeps(["quality=low,medium"]), caps_for_model, profile="demo", styles=[night])
    assert [cell.request.prompt for cell in plan.cells] == ["a red fox, at night"] * 2 + ["a blue fox, at night"] * 2
    assert {cell.request.size for cell in plan.cells} == {"1536x1024"}  # filled in by the style
    assert [cell.request.quality for cell in plan.cells] == ["low", "medium"] * 2  # the sweep's values win
    told = plan.provenance(plan.cells[2])
    assert (told.typed_prompt, told.styles, told.sweep_id, told.sweep_axes) == ("a blue fox", ("night",), plan.sweep_id, {"{1}": "blue", "quality": "low"})
    single = build(ImageRequest(prompt="a fox", model="gpt-image-1"), (), caps_for_model, profile="demo", styles=[night])
    assert single.provenance(single.cells[0]) == Provenance(typed_prompt="a fox", styles=("night",))  # no sweep


def test_a_value_a_style_filled_in_that_a_cell_refuses_names_the_style():
    wide = Style("wide", None, {"size": "1536x1024"})
    with pytest.raises(PlanError, match="set by the style 'wide'"):
        build(ImageRequest(prompt="a {red|blue} fox", model="dall-e-2"), (), caps_for_model, profile="demo", styles=[wide])


def test_one_bad_cell_refuses_the_whole_plan_naming_it():
    with pytest.raises(PlanError) as caught:
        plan_of("a {red|blue} fox", "quality=low,ultra")
    text = str(caught.value)
    assert text.startswith("2 of the 4 calls would be refused, so none was sent")
    assert "{1}=red quality=ultra" in text and "'ultra' is not offered" in text
    assert {field for field, _ in caught.value.problems} == {"quality"}


def test_a_model_s_own_limits_apply_to_its_cells():
    with pytest.raises(PlanError, match="model=dall-e-3 n=2"):
        plan_of("a fox", "model=gpt-image-1,dall-e-3", "n=1,2")


def test_the_prompt_s_braces_are_checked():
    with pytest.raises(VariantError, match="never closed"):
        plan_of("a {red fox", "quality=low,high")


@pytest.mark.parametrize("spec, words", [
    ("quality", "PARAMETER=VALUE"),
    ("style=a,b", "one of quality, size, model, n"),
    ("quality=low,", "a value is empty"),
    ("quality=low,low", "listed twice"),
    ("n=1,two", "'two' is not a number"),
])
def test_bad_sweeps_are_refused_clearly(spec, words):
    with pytest.raises(PlanError, match=words):
        parse_sweep(spec)


def test_a_parameter_swept_twice_is_refused():
    with pytest.raises(PlanError, match="given twice"):
        parse_sweeps(["quality=low", "quality=high"])


def test_more_than_100_calls_need_yes_even_on_a_terminal():
    assert consent(CONFIRM_ABOVE + 1, yes=False, terminal=True) is Consent.REFUSE
    assert consent(CONFIRM_ABOVE + 1, yes=True, terminal=False) is Consent.GO
    assert consent(CONFIRM_ABOVE, yes=False, terminal=True) is Consent.ASK
    assert "more than 100" in refusal(CONFIRM_ABOVE + 1, terminal=True) and "--yes" in refusal(CONFIRM_ABOVE + 1, terminal=True)


def test_smaller_plans_ask_on_a_terminal_and_refuse_without_one():
    assert consent(4, yes=False, terminal=True) is Consent.ASK
    assert consent(4, yes=False, terminal=False) is Consent.REFUSE
    assert "no terminal" in refusal(4, terminal=False)
    assert consent(1, yes=False, terminal=False) is Consent.GO  # one call is any generate


def test_a_101_call_plan_is_counted_as_such():
    plan = plan_of("a {" + "|".join(f"c{i}" for i in range(101)) + "} fox")
    assert plan.calls == 101 and consent(plan.calls, yes=False, terminal=True) is Consent.REFUSE


def test_cost_is_unknown_without_an_estimator():
    assert plan_of("a {red|blue} fox").summary()[-1] == "cost: unknown (no estimate is available)"


def test_cost_sums_what_the_estimates_know_and_says_where_they_came_from():
    def estimator(request):
        known = {"low": Estimate(1, "ledger", 12, 20, 272, 0.01), "high": Estimate(1, "ledger", 12, 20, 4160, 0.17)}
        return known.get(request.quality) or Estimate(1, "published", 0, 0, 1056, None)

    plan = plan_of("a {red|blue} fox", "quality=low,high", estimator=estimator)
    assert plan.summary()[-1] == "cost: ≈ $0.36 (from 12 of yours)"
    partly = plan_of("a fox", "quality=low,medium", estimator=estimator)
    assert partly.summary()[-1] == "cost: ≈ $0.010 for 1 of the 2 calls, the other 1 unknown, ≈ 1,056 tokens with no price (from 12 of yours; OpenAI's published token counts, output only)"
    none = plan_of("a fox", "quality=medium,auto", estimator=estimator)
    assert none.summary()[-1] == "cost: unknown, ≈ 2,112 tokens with no price (OpenAI's published token counts, output only)"


def test_summary_lists_each_axis():
    plan = plan_of("a {red|blue} fox", "size=1024x1024,1536x1024")
    assert plan.summary()[1:3] == ["  {1}: red, blue", "  size: 1024x1024, 1536x1024"]
    assert plan.axes[0] == Axis("{1}", ("red", "blue")) and plan.axes[0].prompt_group


def test_seeds_and_other_extras_sweep_for_servers_that_take_them():
    from imagegen_tui.dialects import DIALECTS, apply

    local = lambda model: apply(caps_for_model(model), DIALECTS["sd-server"])  # noqa: E731
    base = ImageRequest(prompt="a {red|blue} fox", model="sd-cpp-local", extra={"steps": 8})
    plan = build(base, [parse_sweep("seed=1,2"), parse_sweep("guidance=3.5,7")], local, profile="gpu")
    assert [(cell.axes["{1}"], cell.request.extra) for cell in plan.cells[:3]] == [
        ("red", {"steps": 8, "seed": 1, "guidance": 3.5}), ("red", {"steps": 8, "seed": 1, "guidance": 7.0}), ("red", {"steps": 8, "seed": 2, "guidance": 3.5}),
    ]
    with pytest.raises(PlanError, match="4 of the 4 calls would be refused"):
        build(ImageRequest(prompt="a fox", model="gpt-image-2"), [parse_sweep("seed=1,2,3,4")], caps_for_model, profile="openai")
    with pytest.raises(PlanError, match="'x' is not a number"):
        parse_sweep("steps=8,x")
