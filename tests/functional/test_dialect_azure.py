"""Azure OpenAI (v1 API), as a user runs it: the key in the `api-key` header on every call
(generations, edits, the model list) and never as a bearer token; OpenAI's parameters as they
are, extras refused before sending; OpenAI's errors."""

from __future__ import annotations

import pytest

from dialect_run import made, picture, ran, use
from imagegen_tui.demo.server import DemoServer

KEY = "azure-key-1234567890abcdef"


@pytest.fixture
def server(dirs):
    with DemoServer(dialect="azure", key=KEY) as server:
        use(dirs, server, "gpt-image-1", key=KEY)
        yield server


def test_generations_edits_and_models_send_the_key_as_api_key(server, tmp_path):
    made("generate", "a fox", "--size", "1024x1024", "--quality", "low", "--format", "webp")
    made("edit", "a red hat", "--image", picture(tmp_path), "--mask-rect", "0,0,32,64", "--fidelity", "high")
    assert "gpt-image-1" in made("models")["models"]
    generated, edited = server.received
    assert generated.fields == {"model": "gpt-image-1", "prompt": "a fox", "n": 1, "size": "1024x1024", "quality": "low", "output_format": "webp"}
    assert edited.route == "/images/edits" and edited.fields["input_fidelity"] == "high"
    for sent in (generated, edited):
        assert sent.headers["api-key"] == KEY and "authorization" not in sent.headers


def test_extras_are_refused_naming_them(server):
    out, _ = ran("generate", "a fox", "--seed", "42", "--set", "steps=8")
    assert out.returncode == 2 and "profiles of the azure dialect take no extra parameters (steps, seed)" in out.stderr
    assert server.received == []


def test_its_errors_become_sentences(server):
    out, told = ran("generate", "a fox #fail:moderation")
    assert out.returncode == 1 and told["error"]["kind"] == "moderation"
    assert len(server.received) == 1
