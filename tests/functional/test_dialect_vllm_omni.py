"""vLLM-Omni, as a user runs it: the extras under its names in the JSON body (num_inference_steps,
guidance_scale, negative_prompt, seed and any other field), multipart edits, FastAPI errors, its
model list; recorded in our words and in the PNG's A1111 text."""

from __future__ import annotations

import pytest

from dialect_run import made, picture, pixels, png_text, ran, recorded, use

MODEL = "Qwen/Qwen-Image"


@pytest.fixture
def server(dirs, speaking):
    return use(dirs, speaking("vllm-omni"), MODEL, extra="steps = 20\ntrue_cfg_scale = 4.0")


def test_extras_are_sent_under_its_names_and_kept_in_ours(server):
    told = made("generate", "a fox", "--size", "512x512", "--seed", "42", "--guidance", "3.5", "--negative", "blurry, ugly", "--set", "steps=8")
    (sent,) = server.received
    assert sent.fields == {"model": MODEL, "prompt": "a fox", "n": 1, "size": "512x512", "seed": 42, "num_inference_steps": 8,
                           "guidance_scale": 3.5, "negative_prompt": "blurry, ugly", "true_cfg_scale": 4.0}
    assert sent.understood == {"prompt": "a fox", "model": MODEL, "n": 1, "size": "512x512", "seed": 42, "steps": 8,
                               "guidance": 3.5, "negative": "blurry, ugly", "true_cfg_scale": 4.0}
    assert recorded(told["id"])["params"]["extra"] == told["extra"] == {"steps": 8, "true_cfg_scale": 4.0, "seed": 42, "guidance": 3.5, "negative": "blurry, ugly"}
    prompt, negative, pairs = png_text(told["paths"][0]).splitlines()
    assert (prompt, negative) == ("a fox", "Negative prompt: blurry, ugly")
    assert pairs.startswith(f"Steps: 8, CFG scale: 3.5, Seed: 42, Model: {MODEL}, Size: 512x512, Images: 1, true_cfg_scale: 4.0, ")


def test_a_rerun_repeats_the_extras_and_the_same_seed_draws_the_same_picture(server):
    first = made("generate", "a fox", "--size", "64x64", "--seed", "7")
    again = made("history", "rerun", str(first["id"]))
    other = made("generate", "a fox", "--size", "64x64", "--seed", "8")
    assert [r.understood.get("seed") for r in server.received] == [7, 7, 8]
    assert [r.understood.get("steps") for r in server.received] == [20, 20, 20]  # the profile's default each time
    first_pixels, again_pixels, other_pixels = (pixels(told) for told in (first, again, other))
    assert first_pixels == again_pixels and first_pixels != other_pixels


def test_a_dropped_default_is_not_sent(server):
    made("generate", "a fox", "--size", "64x64", "--set", "steps=", "--set", "true_cfg_scale=")
    assert "num_inference_steps" not in server.received[0].fields and "true_cfg_scale" not in server.received[0].fields


def test_edits_are_multipart_with_extras_as_form_fields(server, tmp_path):
    told = made("edit", "a red hat", "--image", picture(tmp_path), "--mask-rect", "0,0,32,64", "--seed", "3")
    (sent,) = server.received
    assert sent.route == "/images/edits" and sent.fields["seed"] == "3" and sent.fields["num_inference_steps"] == "20"
    assert sent.understood["seed"] == 3 and sent.understood["mask"] is True
    assert recorded(told["id"])["params"]["extra"] == {"steps": 20, "true_cfg_scale": 4.0, "seed": 3}


def test_its_fastapi_errors_become_sentences_and_nothing_is_repeated(server):
    out, told = ran("generate", "a fox #fail:422")
    assert out.returncode == 1 and told["error"]["kind"] == "bad_request"
    assert "size" in told["error"]["message"]
    assert len(server.received) == 1


def test_a_bad_value_is_refused_before_sending(server):
    out, told = ran("generate", "a fox", "--set", "guidance=lots")
    assert out.returncode == 2 and "guidance must be a number" in out.stderr
    assert server.received == []


def test_its_models_are_listed(server):
    assert made("models")["models"] == [MODEL]
