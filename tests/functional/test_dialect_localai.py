"""LocalAI, as a user runs it: `response_format: b64_json` always asked (it answers with URLs
otherwise), `step` and `seed` in the body and the negative prompt after a bar in the prompt,
edits as inpainting with a white-where-repainted mask, its own error shape, its model list."""

from __future__ import annotations

import pytest
from PIL import Image

from dialect_run import made, picture, ran, recorded, use

MODEL = "stablediffusion"


@pytest.fixture
def server(dirs, speaking):
    return use(dirs, speaking("localai"), MODEL)


def test_extras_are_sent_as_it_reads_them(server):
    told = made("generate", "a fox", "--size", "256x256", "--seed", "42", "--steps", "8", "--negative", "blurry")
    (sent,) = server.received
    assert sent.fields == {"model": MODEL, "prompt": "a fox|blurry", "n": 1, "size": "256x256", "seed": 42, "step": 8, "response_format": "b64_json"}
    assert sent.understood == {"prompt": "a fox", "model": MODEL, "n": 1, "size": "256x256", "response_format": "b64_json",
                               "seed": 42, "steps": 8, "negative": "blurry"}
    assert recorded(told["id"])["prompt"] == "a fox"  # ours, without the bar
    assert told["images"][0]["width"] == 256


def test_guidance_and_a_bar_in_the_prompt_are_refused_before_sending(server):
    out, told = ran("generate", "a fox", "--guidance", "7")
    assert out.returncode == 2 and "LocalAI does not read guidance (it reads seed, steps, negative)" in out.stderr
    out, _ = ran("generate", "cats | dogs", "--negative", "blurry")
    assert out.returncode == 2 and "take the '|' out of the prompt" in out.stderr
    assert server.received == []


def test_edits_go_to_inpainting_with_the_mask_it_wants(server, tmp_path):
    told = made("edit", "a red hat", "--image", picture(tmp_path), "--mask-rect", "0,0,32,64", "--steps", "12")
    (sent,) = server.received
    assert sent.route == "/images/inpainting"
    assert sent.fields == {"model": MODEL, "steps": "12", "prompt": "a red hat"}
    assert [upload.field for upload in sent.files] == ["image", "mask"]
    assert sent.understood["steps"] == 12 and sent.understood["mask"] is True
    with Image.open(told["paths"][0]) as out:  # the left half repainted, the right kept
        rgb = out.convert("RGB")
        assert rgb.getpixel((16, 32)) != (128, 128, 128) and rgb.getpixel((48, 32)) == (128, 128, 128)
    assert recorded(told["id"])["params"]["extra"] == {"steps": 12}


def test_an_edit_without_a_mask_or_with_a_seed_is_refused_before_sending(server, tmp_path):
    out, _ = ran("edit", "a red hat", "--image", picture(tmp_path))
    assert out.returncode == 2 and "LocalAI edits only by inpainting, which needs a mask" in out.stderr
    out, _ = ran("edit", "a red hat", "--image", picture(tmp_path), "--mask-rect", "0,0,32,64", "--seed", "1")
    assert out.returncode == 2 and "LocalAI does not read seed in its edits (it reads steps)" in out.stderr
    assert server.received == []


def test_its_errors_become_sentences(server):
    out, told = ran("generate", "a fox #fail:400")
    assert out.returncode == 1 and told["error"]["kind"] == "bad_request"
    assert "Invalid value for 'size'." in told["error"]["message"]


def test_its_models_are_listed(server):
    assert made("models")["models"] == ["flux.1-dev", MODEL]
