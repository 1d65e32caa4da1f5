"""text-generation-webui, as a user runs it: `image_seed`, `steps`, `cfg_scale`,
`negative_prompt`; its own A1111 text in the PNG is kept (it holds the seed a random one drew
with); generations only, so an edit is refused before anything is sent; FastAPI errors."""

from __future__ import annotations

import pytest

from dialect_run import made, picture, png_text, ran, recorded, use

MODEL = "Tongyi-MAI/Z-Image-Turbo"


@pytest.fixture
def server(dirs, speaking):
    return use(dirs, speaking("textgen"), MODEL)


def test_extras_are_sent_under_its_names(server):
    told = made("generate", "a fox", "--size", "256x256", "--seed", "42", "--steps", "8", "--guidance", "2.5", "--negative", "blurry")
    (sent,) = server.received
    assert sent.fields == {"model": MODEL, "prompt": "a fox", "n": 1, "size": "256x256", "image_seed": 42, "steps": 8,
                           "cfg_scale": 2.5, "negative_prompt": "blurry"}
    assert {k: sent.understood[k] for k in ("seed", "steps", "guidance", "negative")} == {"seed": 42, "steps": 8, "guidance": 2.5, "negative": "blurry"}
    assert recorded(told["id"])["params"]["extra"] == {"seed": 42, "steps": 8, "guidance": 2.5, "negative": "blurry"}


def test_the_servers_own_a1111_text_is_kept_with_the_seed_it_drew_with(server):
    told = made("generate", "a fox", "--size", "64x64", "--seed", "-1")
    text = png_text(told["paths"][0])
    assert text.count("Seed: ") == 1 and "Sampler: Euler" in text  # the server's, not a second one of ours
    assert "Seed: -1" not in text  # the seed it really drew with
    assert recorded(told["id"])["params"]["extra"] == {"seed": -1}  # what was asked


def test_an_edit_is_refused_before_anything_is_sent(server, tmp_path):
    out, _ = ran("edit", "a red hat", "--image", picture(tmp_path))
    assert out.returncode == 2 and "does not offer image edits" in out.stderr
    assert server.received == []


def test_its_errors_become_sentences(server):
    out, told = ran("generate", "a fox #fail:503")
    assert out.returncode == 1 and told["error"]["kind"] == "server"
    assert "overloaded" in told["error"]["message"]


def test_its_model_is_listed(server):
    assert made("models")["models"] == [MODEL]
