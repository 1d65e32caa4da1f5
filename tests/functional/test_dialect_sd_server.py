"""stable-diffusion.cpp's sd-server, as a user runs it: the extras travel only inside the prompt,
as `<sd_cpp_extra_args>{json}</sd_cpp_extra_args>`, for generations and edits; the history and
the file keep the prompt as typed; `{"error": "text"}` errors; its one model."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from dialect_run import made, picture, png_text, ran, recorded, use

MODEL = "sd-cpp-local"
TAG = "<sd_cpp_extra_args>"


@pytest.fixture
def server(dirs, speaking):
    return use(dirs, speaking("sd-server"), MODEL, extra='sample_method = "euler"')


def test_extras_ride_in_a_tag_at_the_end_of_the_prompt(server):
    told = made("generate", "a fox", "--size", "128x128", "--seed", "42", "--steps", "8", "--guidance", "7", "--negative", "blurry")
    (sent,) = server.received
    typed, tag = sent.fields["prompt"].split(f" {TAG}")
    assert typed == "a fox"
    assert json.loads(tag.removesuffix("</sd_cpp_extra_args>")) == {
        "sample_method": "euler", "seed": 42, "steps": 8, "cfg_scale": 7, "negative_prompt": "blurry"}
    assert set(sent.fields) == {"model", "prompt", "n", "size"}  # nothing else in the body
    assert {k: sent.understood[k] for k in ("prompt", "seed", "steps", "guidance", "negative")} == {
        "prompt": "a fox", "seed": 42, "steps": 8, "guidance": 7, "negative": "blurry"}
    assert recorded(told["id"])["prompt"] == "a fox"
    assert png_text(told["paths"][0]).splitlines()[:2] == ["a fox", "Negative prompt: blurry"]


def test_edits_send_image_list_a_painted_mask_and_the_tag(server, tmp_path):
    """It reads only `image[]`, and the mask as a grey picture (white = repaint): ours, whose
    transparent pixels mark the change, would read as all black, nothing repainted."""
    told = made("edit", "a red hat", "--image", picture(tmp_path), "--mask-rect", "0,0,32,64", "--seed", "5")
    (sent,) = server.received
    assert sent.route == "/images/edits" and TAG in sent.fields["prompt"]
    assert [upload.field for upload in sent.files] == ["image[]", "mask"]
    assert sent.understood["seed"] == 5 and sent.understood["prompt"] == "a red hat"
    with Image.open(told["paths"][0]) as out:  # the left half repainted, the right kept
        rgb = out.convert("RGB")
        assert rgb.getpixel((16, 32)) != (128, 128, 128) and rgb.getpixel((48, 32)) == (128, 128, 128)


def test_its_text_errors_become_sentences(server):
    out, told = ran("generate", "a fox #fail:500")
    assert out.returncode == 1 and told["error"]["kind"] == "server"
    assert "The server had an error" in told["error"]["message"]


def test_its_one_model_is_listed(server):
    assert made("models")["models"] == [MODEL]
