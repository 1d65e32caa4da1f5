"""Answers and errors in the shapes other servers give (DESIGN.md, "Backends and their
dialects"), each served by the demo server over real sockets: data: URLs for images, FastAPI's
{"detail": …} errors, and bytes in another format than the one asked for."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from imagegen_tui.errors import ErrorKind
import test_client_edits as edits
from test_client import Sleeps, fails, run


@pytest.mark.parametrize("directive", ["#dataurl", "#dataurl:pct"])
@pytest.mark.parametrize("fmt", ["png", "webp"])
async def test_data_url_answers_are_images(demo, directive, fmt):
    result = await run(demo.base_url, f"a fox {directive}", n=2, size="1024x1536", output_format=fmt)
    assert [(i.format, i.width, i.height) for i in result.images] == [(fmt, 1024, 1536)] * 2
    assert len({i.data for i in result.images}) == 2 and result.notes == []
    with Image.open(io.BytesIO(result.images[0].data)) as image:
        assert (image.format.lower(), image.size) == (fmt, (1024, 1536))


async def test_a_data_url_goes_through_the_same_pixel_limit_as_base64(demo):
    error = await fails(demo.base_url, "a fox #dataurl #huge")
    assert error.kind is ErrorKind.BAD_RESPONSE
    assert "900,000,000 pixels, more than is safe to open" in str(error)


async def test_a_url_neither_http_nor_data_is_refused(demo):
    error = await fails(demo.base_url, "a fox #fail:fileurl")
    assert error.kind is ErrorKind.BAD_RESPONSE and "an image URL in the answer is not http(s) or data:" in str(error)


async def test_fastapi_validation_list_names_each_field_and_reason(demo):
    sleeps = Sleeps()
    error = await fails(demo.base_url, "a fox #fail:422", sleeps=sleeps)
    assert (error.kind, error.status) == (ErrorKind.BAD_REQUEST, 422)
    assert "the provider refused the values of size and extra.steps" in str(error)
    assert error.provider_message == "size: String should match pattern '^\\d+x\\d+$'; extra.steps: Input should be less than or equal to 150"
    assert sleeps == []  # a refused request is not sent again
    failure = error.failure()
    assert failure.billed is False and failure.retryable is False and failure.details["status"] == 422


async def test_fastapi_detail_sentence_is_kept(demo):
    error = await fails(demo.base_url, "a fox #fail:detail")
    assert (error.kind, error.status) == (ErrorKind.BAD_REQUEST, 400)
    assert str(error).startswith(f"400 from {error.host}: the provider refused the request")
    assert error.provider_message == "Unsupported size for this pipeline: 4096x4096"


async def test_openai_error_with_a_param_names_the_field(demo):
    error = await fails(demo.base_url, "a fox #fail:400")  # {"error": {"param": "size", …}}, as OpenAI answers
    assert str(error).startswith(f"400 from {error.host}: the provider refused the value of size (provider said: \"Invalid value for 'size'.\")")


@pytest.mark.parametrize("stream", [False, True])
async def test_the_format_is_read_from_the_bytes_not_from_what_was_asked(demo, stream):
    result = await run(demo.base_url, "a fox #bytes:png", n=2, output_format="jpeg", stream=stream)
    assert [i.format for i in result.images] == ["png", "png"]
    assert [i.extension for i in result.images] == ["png", "png"]
    assert result.notes == ["the provider answered PNG though JPEG was asked; saved as .png, as the bytes are"]


async def test_no_note_when_the_bytes_are_what_was_asked(demo):
    result = await run(demo.base_url, "a fox #bytes:webp", output_format="webp")
    assert result.images[0].format == "webp" and result.notes == []


async def test_edits_take_the_same_answers_and_errors(demo):
    """One answer path for both routes: an edit answered with data: URLs in another format than
    asked, and an edit refused with a FastAPI list."""
    result = await edits.run(demo.base_url, edits.edit_request("paint it teal #dataurl:pct #bytes:webp", output_format="png", n=2))
    assert [(i.format, i.width, i.height) for i in result.images] == [("webp", *edits.SIZE)] * 2
    assert result.notes == ["the provider answered WEBP though PNG was asked; saved as .webp, as the bytes are"]
    error = await edits.fails(demo.base_url, edits.edit_request("paint it teal #fail:422"))
    assert (error.kind, error.status) == (ErrorKind.BAD_REQUEST, 422) and "size and extra.steps" in str(error)
