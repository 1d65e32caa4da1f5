"""Ollama (0.14 to 0.32.5), as a user runs it: one image per call, only a seed of the
vocabulary, edits as JSON with the image as a data: URL and no mask, answers without usage,
its own error shape, its model list."""

from __future__ import annotations

import pytest

from dialect_run import made, picture, ran, recorded, use

MODEL = "x/z-image-turbo"


@pytest.fixture
def server(dirs, speaking):
    return use(dirs, speaking("ollama"), MODEL)


def test_a_seed_is_sent_and_the_answer_needs_no_usage(server):
    told = made("generate", "a fox", "--size", "128x128", "--seed", "9", "--set", "keep_alive=5m")
    (sent,) = server.received
    assert sent.fields == {"model": MODEL, "prompt": "a fox", "n": 1, "size": "128x128", "seed": 9, "keep_alive": "5m"}
    assert sent.understood["seed"] == 9
    assert told["usage"] is None and told["images"][0]["width"] == 128
    assert recorded(told["id"])["params"]["extra"] == {"keep_alive": "5m", "seed": 9}


def test_what_it_does_not_read_is_refused_before_sending(server):
    out, _ = ran("generate", "a fox", "--steps", "8", "-n", "2")
    assert out.returncode == 2
    assert "does not read steps (it reads seed)" in out.stderr and "n: must be between 1 and 1" in out.stderr
    assert server.received == []


def test_edits_are_json_with_the_image_as_a_data_url(server, tmp_path):
    told = made("edit", "a red hat", "--image", picture(tmp_path), "--seed", "3")
    (sent,) = server.received
    assert sent.route == "/images/edits" and sent.files == ()
    assert sent.fields["image"].startswith("data:image/png;base64,") and sent.fields["seed"] == 3
    assert sent.understood["images"] == 1 and sent.understood["seed"] == 3
    assert recorded(told["id"])["params"]["extra"] == {"seed": 3}
    out, _ = ran("edit", "a red hat", "--image", picture(tmp_path), "--mask-rect", "0,0,32,64")
    assert out.returncode == 2 and "edits take no mask" in out.stderr
    assert len(server.received) == 1


def test_its_errors_become_sentences(server):
    out, told = ran("generate", "a fox #fail:404")
    assert out.returncode == 1 and told["error"]["kind"] == "not_found"
    assert "does not exist" in told["error"]["message"]


def test_its_models_are_listed(server):
    assert made("models")["models"] == ["x/flux2-klein", MODEL]
