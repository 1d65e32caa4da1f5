"""Styles: applying them to a typed prompt and parameters, and [styles] in config.toml."""

from __future__ import annotations

import pytest

from imagegen_tui.config import load_config
from imagegen_tui.store import Provenance
from imagegen_tui.styles import Style, UnknownStyle, apply, blamed, pick
from conftest import write_config

WATERCOLOR = Style("watercolor", "{prompt}, watercolor, soft paper texture", {"quality": "low", "size": "1024x1536"})
NIGHT = Style("night", "at night", {"size": "1536x1024", "background": "opaque"})
FRAMED = Style("framed", "a framed print of {prompt}, signed {prompt}")
DRAFT = Style("draft", None, {"quality": "low"})


def test_no_style_leaves_prompt_and_parameters_as_typed():
    styled = apply([], "a fox", {"quality": None, "n": 2})
    assert (styled.prompt, styled.params, styled.provenance) == ("a fox", {"quality": None, "n": 2}, Provenance())


def test_styles_nest_in_order_and_a_template_without_placeholder_is_appended():
    styled = apply([WATERCOLOR, NIGHT], "a fox", {})
    assert styled.prompt == "a fox, watercolor, soft paper texture, at night"
    assert apply([NIGHT, WATERCOLOR], "a fox", {}).prompt == "a fox, at night, watercolor, soft paper texture"
    assert apply([WATERCOLOR, FRAMED], "owl", {}).prompt == "a framed print of owl, watercolor, soft paper texture, signed owl, watercolor, soft paper texture"
    assert apply([DRAFT], "owl", {}).prompt == "owl"  # parameters only
    assert styled.provenance == Provenance(typed_prompt="a fox", styles=("watercolor", "night"))


def test_a_later_style_wins_and_what_the_user_set_wins_over_every_style():
    params = {"model": "gpt-image-2", "n": 1, "size": None, "quality": "high", "background": None}
    styled = apply([WATERCOLOR, NIGHT], "a fox", params)
    assert styled.params == {"model": "gpt-image-2", "n": 1, "size": "1536x1024", "quality": "high", "background": "opaque"}
    assert apply([NIGHT, WATERCOLOR], "a fox", params).params["size"] == "1024x1536"


def test_pick_keeps_order_drops_repeats_and_names_the_known_ones():
    known = {"watercolor": WATERCOLOR, "night": NIGHT}
    assert pick(known, ["night", "watercolor", "night"]) == [NIGHT, WATERCOLOR]
    with pytest.raises(UnknownStyle, match=r"no style named 'watercolr'; did you mean 'watercolor'\? known: watercolor, night"):
        pick(known, ["watercolr"])
    with pytest.raises(UnknownStyle, match=r"config.toml defines none \(add a \[styles.NAME\] table"):
        pick({}, ["night"])


def test_styles_are_read_from_the_config_in_order(dirs):
    write_config(dirs, """
[styles.watercolor]
prompt = "{prompt}, watercolor, soft paper texture"
quality = "low"
output_format = "JPG"
output_compression = 80

[styles.draft]
size = "auto"
moderation = "low"
""")
    config = load_config()
    assert config.error is None
    assert list(config.styles) == ["watercolor", "draft"]
    assert config.styles["watercolor"] == Style("watercolor", "{prompt}, watercolor, soft paper texture", {"quality": "low", "output_format": "jpeg", "output_compression": 80})
    assert config.styles["draft"].params == {"size": "auto", "moderation": "low"}
    assert not config.configured  # styles say nothing about providers: the demo may still be chosen by itself


@pytest.mark.parametrize(("text", "expected"), [
    ('[styles.w]\nprompt = "{prompt}, w"\nqualty = "low"', "styles.w: unknown key 'qualty'; did you mean 'quality'?"),
    ('[styles.w]\nprompt = "{prompt}, w"\nmodel = "dall-e-3"', "styles.w: unknown key 'model'; known: background, moderation, output_compression, output_format, prompt, quality, size"),
    ('[styles.w]\nquality = "hgh"', "styles.w.quality: 'hgh' is not one of auto, low, medium, high, standard, hd; did you mean 'high'?"),
    ('[styles.w]\nsize = "big"', "styles.w.size: 'big' is not a size: auto, or WIDTHxHEIGHT such as 1536x1024"),
    ('[styles.w]\noutput_compression = 101', "styles.w.output_compression: must be a whole number from 0 to 100 (got 101)"),
    ('[styles.w]\nbackground = 1', "styles.w.background: expected a string (got 1)"),
    ('[styles.w]\nprompt = "  "', "styles.w.prompt: expected a non-empty string"),
    ("[styles.w]", "styles.w: is empty: give it a prompt"),
    ('styles = "watercolor"', "styles: expected a table of styles"),
    ('[styles]\nw = "{prompt}, w"', "styles.w: expected a table"),
])
def test_a_bad_style_is_a_config_error_naming_its_key(dirs, text, expected):
    path = write_config(dirs, text + "\n")
    before = path.read_bytes()
    config = load_config()
    assert config.error is not None and expected in str(config.error)
    assert config.styles == {}  # nothing half-read is used
    assert path.read_bytes() == before


def test_a_problem_with_a_value_a_style_filled_in_names_the_last_style_that_set_it():
    known = {"watercolor": WATERCOLOR, "night": NIGHT}
    params = {"quality": None, "size": None, "background": "opaque"}
    styled = apply([WATERCOLOR, NIGHT], "a fox", params)
    problems = [("size", "too big"), ("quality", "not offered"), ("background", "not here"), ("n", "too many")]
    assert blamed(problems, styled, known, params) == [
        ("size", "too big (set by the style 'night')"), ("quality", "not offered (set by the style 'watercolor')"),
        ("background", "not here"), ("n", "too many"),  # the user's own values: no style to name
    ]
