"""Extras: typed from the command line and the config, refused where a server cannot take them,
and placed under each dialect's own names (the bodies as they would be sent; each server's
reading of them, over sockets, is in tests/functional/test_dialect_*.py)."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from conftest import write_config
from imagegen_tui.config import load_config
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.extras import merged, parse_setting, shown
from imagegen_tui.metadata import parameters_text
from imagegen_tui.request import EditRequest, ImageRequest, InputImage

EVERYTHING = {"seed": 42, "steps": 8, "guidance": 7.5, "negative": "blurry hands"}


def profile(dirs, dialect: str, more: str = ""):
    write_config(dirs, f'profile = "p"\n[profiles.p]\ndialect = "{dialect}"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nkey_required = false\n{more}')
    config = load_config()
    assert config.error is None, config.error
    return config.profiles["p"]


def body(dirs, dialect: str, extra: dict, prompt: str = "a fox") -> dict:
    caps = profile(dirs, dialect).caps("m")
    return ImageRequest(prompt=prompt, model="m", extra=extra).validate(caps).body(caps)


def refused(dirs, dialect: str, extra: dict, prompt: str = "a fox") -> dict[str, str]:
    caps = profile(dirs, dialect).caps("m")
    with pytest.raises(InvalidRequest) as caught:
        ImageRequest(prompt=prompt, model="m", extra=extra).validate(caps)
    return dict(caught.value.problems)


@pytest.mark.parametrize(("text", "expected"), [
    ("seed=42", ("seed", 42)),
    ("guidance=7.5", ("guidance", 7.5)),
    ("negative=blurry hands", ("negative", "blurry hands")),  # not TOML: the text itself
    ('negative="a, b"', ("negative", "a, b")),
    ("tiling=true", ("tiling", True)),
    ("loras=[1, 2]", ("loras", [1, 2])),
    ("seed=", ("seed", None)),  # drops the profile's default
    (" steps = 8 ", ("steps", 8)),
])
def test_a_setting_is_typed_as_toml_and_else_kept_as_text(text, expected):
    assert parse_setting(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("seed", "write KEY=VALUE"),
    ("=3", "write KEY=VALUE"),
    ("seed=forty", "seed must be a whole number (got 'forty')"),
    ("steps=0", "steps must be between 1 and 1000 (got 0)"),
    ("seed=true", "seed must be a whole number (got True)"),
    ("guidance=lots", "guidance must be a number between 0 and 100"),
    ("negative=3", "negative must be text (got 3)"),
    ("size=512x512", "'size' is an image parameter of its own"),
    ("my key=1", "'my key' is not a parameter name"),
])
def test_a_bad_setting_is_refused_with_a_sentence(text, why):
    with pytest.raises(ValueError) as caught:
        parse_setting(text)
    assert why in str(caught.value)


def test_later_layers_win_and_none_takes_a_default_out():
    assert merged({"seed": 1, "steps": 8}, {"seed": None}, {"guidance": 7}) == {"steps": 8, "guidance": 7}
    assert shown({"tiling": True, "negative": 'say "hi"', "seed": 42}) == 'seed=42 negative="say \\"hi\\"" tiling=true'  # ours first


def test_the_config_types_a_profiles_default_extras(dirs):
    assert profile(dirs, "vllm-omni", "[profiles.p.extra]\nsteps = 20\ntrue_cfg_scale = 4.0\n").extra == {"steps": 20, "true_cfg_scale": 4.0}
    write_config(dirs, '[profiles.p]\ndialect = "textgen"\nbase_url = "http://127.0.0.1:9/v1"\n[profiles.p.extra]\nseed = "x"\n')
    error = load_config().error
    assert error is not None and error.key == "profiles.p.extra.seed" and "whole number" in error.message


@pytest.mark.parametrize("dialect", ["openai", "azure", "gemini"])
def test_dialects_that_take_no_extras_refuse_them_naming_them(dirs, dialect):
    problems = refused(dirs, dialect, {"seed": 42, "true_cfg_scale": 4})
    assert list(problems) == ["extra"]
    assert "take no extra parameters (seed, true_cfg_scale)" in problems["extra"] and "Nothing was sent" in problems["extra"]


@pytest.mark.parametrize(("dialect", "expected"), [
    ("vllm-omni", {"seed": 42, "num_inference_steps": 8, "guidance_scale": 7.5, "negative_prompt": "blurry hands"}),
    ("textgen", {"image_seed": 42, "steps": 8, "cfg_scale": 7.5, "negative_prompt": "blurry hands"}),
    ("litellm", EVERYTHING),  # passed on to the upstream under the names given
])
def test_extras_go_into_the_body_under_the_servers_names(dirs, dialect, expected):
    sent = body(dirs, dialect, EVERYTHING)
    assert {k: v for k, v in sent.items() if k not in ("model", "prompt", "n")} == expected
    assert sent["prompt"] == "a fox"


def test_localai_reads_step_and_the_negative_prompt_after_a_bar(dirs):
    sent = body(dirs, "localai", {"seed": 42, "steps": 8, "negative": "blurry hands"})
    assert sent == {"model": "m", "prompt": "a fox|blurry hands", "n": 1, "seed": 42, "step": 8, "response_format": "b64_json"}
    assert refused(dirs, "localai", {"guidance": 7.5}) == {"guidance": "LocalAI does not read guidance (it reads seed, steps, negative)"}
    assert "take the '|' out of the prompt" in refused(dirs, "localai", {"negative": "x"}, prompt="cats | dogs")["negative"]


def test_sd_server_reads_extras_only_from_a_tag_in_the_prompt(dirs):
    sent = body(dirs, "sd-server", {**EVERYTHING, "sample_method": "euler"})
    assert set(sent) == {"model", "prompt", "n"}
    text, tag = sent["prompt"].split(" <sd_cpp_extra_args>")
    assert text == "a fox" and tag.endswith("</sd_cpp_extra_args>")
    assert json.loads(tag.removesuffix("</sd_cpp_extra_args>")) == {
        "seed": 42, "steps": 8, "cfg_scale": 7.5, "negative_prompt": "blurry hands", "sample_method": "euler"}


def test_ollama_reads_only_a_seed_of_the_vocabulary(dirs):
    assert body(dirs, "ollama", {"seed": 7, "keep_alive": "5m"})["seed"] == 7
    assert refused(dirs, "ollama", {"steps": 8, "negative": "x"}) == {
        "steps": "Ollama 0.14 to 0.32.5 (image generation was removed in 0.32.6) does not read steps (it reads seed)",
        "negative": "Ollama 0.14 to 0.32.5 (image generation was removed in 0.32.6) does not read negative (it reads seed)",
    }


def test_extras_are_kept_in_our_words_and_come_back_with_a_rerun():
    request = ImageRequest(prompt="a fox", model="m", extra={"seed": 42})
    assert request.params()["extra"] == {"seed": 42}
    assert ImageRequest.from_params("a fox", request.params()).extra == {"seed": 42}
    assert "extra" not in ImageRequest(prompt="a fox", model="m").params()  # older records keep their identity


def test_the_png_parameters_text_uses_a1111s_keys():
    text = parameters_text({"prompt": "a fox", "params": {"model": "m", "size": "512x512", "extra": {**EVERYTHING, "sampler": "euler a"}}})
    assert text.splitlines() == ["a fox", "Negative prompt: blurry hands", "Steps: 8, CFG scale: 7.5, Seed: 42, Model: m, Size: 512x512, sampler: euler a"]


# --- edits ----------------------------------------------------------------------------------

def picture(mode: str = "RGB", colour: object = "red") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (32, 32), colour).save(out, "PNG")
    return out.getvalue()


def hole_mask() -> bytes:
    """Ours: fully transparent (change) on the left half, opaque on the right."""
    mask = Image.new("RGBA", (32, 32), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 16, 32))
    out = io.BytesIO()
    mask.save(out, "PNG")
    return out.getvalue()


def test_localai_edits_are_inpainting_with_a_white_where_repainted_mask(dirs):
    caps = profile(dirs, "localai").caps("m")
    request = EditRequest(prompt="a hat", model="m", images=(InputImage(picture(), "in.png"),), mask=InputImage(hole_mask(), "mask.png"),
                          extra={"steps": 12}).validate(caps)
    fields, files = request.form(caps)
    assert fields == {"model": "m", "steps": "12", "prompt": "a hat"}
    assert [name for name, _ in files] == ["image", "mask"]
    sent = Image.open(io.BytesIO(files[1][1][1]))
    assert sent.getpixel((4, 16)) == 255 and sent.getpixel((28, 16)) == 0  # white = repaint
    without = EditRequest(prompt="a hat", model="m", images=(InputImage(picture(), "in.png"),))
    with pytest.raises(InvalidRequest) as caught:
        without.validate(caps)
    assert "edits only by inpainting, which needs a mask" in str(caught.value)
    with pytest.raises(InvalidRequest) as caught:
        EditRequest(prompt="a hat", model="m", images=(InputImage(picture(), "in.png"),), mask=InputImage(hole_mask(), "m.png"),
                    extra={"seed": 1}).validate(caps)
    assert dict(caught.value.problems) == {"seed": "LocalAI does not read seed in its edits (it reads steps)"}


def test_ollama_edits_are_json_with_the_image_as_a_data_url(dirs):
    caps = profile(dirs, "ollama").caps("m")
    request = EditRequest(prompt="a hat", model="m", size="64x64", images=(InputImage(picture(), "in.png"),), extra={"seed": 3}).validate(caps)
    sent = request.json_body(caps)
    assert sent["image"].startswith("data:image/png;base64,") and sent["seed"] == 3 and sent["size"] == "64x64"
    with pytest.raises(InvalidRequest) as caught:
        EditRequest(prompt="a hat", model="m", images=(InputImage(picture(), "a.png"), InputImage(picture(), "b.png")),
                    mask=InputImage(hole_mask(), "m.png")).validate(caps)
    assert set(dict(caught.value.problems)) == {"images", "mask"}


def test_multipart_edits_carry_extras_as_form_text(dirs):
    caps = profile(dirs, "vllm-omni").caps("m")
    fields, _ = EditRequest(prompt="a hat", model="m", images=(InputImage(picture(), "in.png"),),
                            extra={"seed": 5, "guidance": 4.0, "flags": [1, 2]}).validate(caps).form(caps)
    assert fields["seed"] == "5" and fields["guidance_scale"] == "4.0" and fields["flags"] == "[1, 2]"
