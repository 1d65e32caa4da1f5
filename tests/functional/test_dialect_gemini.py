"""Gemini's OpenAI compatibility, as a user runs it: only model, prompt, n and size are sent
(it ignores the rest, so they are refused rather than paid for and dropped), no edits, no
extras; the file's type is read from its bytes, since it ignores output_format."""

from __future__ import annotations

import pytest

from dialect_run import made, picture, ran, use

MODEL = "gemini-2.5-flash-image"


@pytest.fixture
def server(dirs, speaking):
    return use(dirs, speaking("gemini"), MODEL)


def test_only_what_it_honours_is_sent_and_the_file_follows_the_bytes(server):
    told = made("generate", "a fox #bytes:jpeg", "--size", "1024x1024", "-n", "2")
    (sent,) = server.received
    assert sent.fields == {"model": MODEL, "prompt": "a fox #bytes:jpeg", "n": 2, "size": "1024x1024"}
    assert [image["format"] for image in told["images"]] == ["jpeg", "jpeg"]
    assert all(path.endswith(".jpg") for path in told["paths"])


def test_what_it_would_ignore_is_refused_before_sending(server, tmp_path):
    out, _ = ran("generate", "a fox", "--format", "png", "--background", "opaque", "--seed", "1")
    assert out.returncode == 2
    for words in ("output_format: gemini-2.5-flash-image does not take this parameter", "background:", "take no extra parameters (seed)"):
        assert words in out.stderr
    out, _ = ran("edit", "a red hat", "--image", picture(tmp_path))
    assert out.returncode == 2 and "does not offer image edits" in out.stderr
    assert server.received == []


def test_its_errors_become_sentences(server):
    out, told = ran("generate", "a fox #fail:429")
    assert out.returncode == 1 and told["error"]["kind"] == "rate_limited"
