import pytest

from imagegen_tui.errors import InvalidRequest
from imagegen_tui.models import caps_for_model, with_overrides
from imagegen_tui.request import ImageRequest

GPT2 = caps_for_model("gpt-image-2")
GPT1 = caps_for_model("gpt-image-1")


def problems(request: ImageRequest, caps=GPT2) -> dict[str, str]:
    with pytest.raises(InvalidRequest) as info:
        request.validate(caps)
    return dict(info.value.problems)


def req(**kw) -> ImageRequest:
    return ImageRequest(**{"prompt": "a fox", "model": "gpt-image-2", **kw})


def test_valid_request_passes_and_normalizes_jpg():
    out = req(output_format="JPG", output_compression=80).validate(GPT2)
    assert out.output_format == "jpeg"


@pytest.mark.parametrize("prompt", ["", "   \n"])
def test_empty_prompt_refused(prompt):
    assert "empty" in problems(req(prompt=prompt))["prompt"]


def test_prompt_limits_per_model():
    assert req(prompt="x" * 32000).validate(GPT2)
    assert "at most 32000" in problems(req(prompt="x" * 32001))["prompt"]
    assert "at most 4000" in problems(req(model="dall-e-3", prompt="x" * 4001), caps_for_model("dall-e-3"))["prompt"]
    assert "at most 1000" in problems(req(model="dall-e-2", prompt="x" * 1001), caps_for_model("dall-e-2"))["prompt"]


@pytest.mark.parametrize("n", [0, 11, -1])
def test_n_range(n):
    assert "between 1 and 10" in problems(req(n=n))["n"]


def test_dalle3_takes_one_image():
    assert "between 1 and 1" in problems(req(model="dall-e-3", n=2), caps_for_model("dall-e-3"))["n"]


@pytest.mark.parametrize("size", ["auto", "1024x1024", "1536x1024", "1024x1536", "1536x864", "3840x2160", "2160x3840", "768x2304", "16x16"])
def test_sizes_gpt_image_2_accepts(size):
    assert req(size=size).validate(GPT2).size == size


@pytest.mark.parametrize(
    "size, words",
    [
        ("1000x1000", "multiples of 16"),
        ("1024x3088", "aspect ratio"),
        ("3856x2160", "at most 3840x2160"),
        ("2176x2176", "at most 3840x2160"),
        ("big", "not offered"),
        ("0x1024", "multiples of 16"),
    ],
)
def test_sizes_gpt_image_2_refuses(size, words):
    assert words in problems(req(size=size))["size"]


def test_custom_size_only_where_model_allows():
    assert "not offered" in problems(req(model="gpt-image-1", size="1536x864"), GPT1)["size"]
    assert req(model="gpt-image-1", size="1536x1024").validate(GPT1)


def test_quality_per_model():
    assert "not offered" in problems(req(quality="hd"))["quality"]
    assert req(model="dall-e-3", quality="hd").validate(caps_for_model("dall-e-3"))


def test_compression_needs_jpeg_or_webp_and_range():
    assert "jpeg or webp" in problems(req(output_compression=50))["output_compression"]
    assert "jpeg or webp" in problems(req(output_format="png", output_compression=50))["output_compression"]
    assert "between 0 and 100" in problems(req(output_format="webp", output_compression=101))["output_compression"]


def test_transparent_background_rules():
    assert "not supported" in problems(req(background="transparent"))["background"]  # gpt-image-2: preview
    caps = with_overrides(GPT2, transparent_background=True)
    assert req(background="transparent", output_format="webp").validate(caps)
    assert "png or webp" in problems(req(background="transparent", output_format="jpeg"), caps)["background"]
    assert req(model="gpt-image-1", background="transparent").validate(GPT1)


def test_dalle_refuses_gpt_only_parameters():
    found = problems(req(model="dall-e-3", background="opaque", moderation="low"), caps_for_model("dall-e-3"))
    assert set(found) == {"background", "moderation"}


def test_every_problem_is_reported_at_once():
    found = problems(req(prompt="", n=20, size="7x7", quality="ultra"))
    assert set(found) == {"prompt", "n", "size", "quality"}
    assert str(InvalidRequest(list(found.items()))).startswith("prompt: ")


def test_body_sends_model_always_and_skips_defaults():
    body = req().validate(GPT2).body(GPT2)
    assert body == {"model": "gpt-image-2", "prompt": "a fox", "n": 1}


def test_body_dalle_asks_for_base64():
    caps = caps_for_model("dall-e-2")
    assert req(model="dall-e-2").validate(caps).body(caps)["response_format"] == "b64_json"


def test_partial_images_only_with_stream():
    assert "only with streaming" in problems(req(partial_images=2))["partial_images"]
    body = req(stream=True, partial_images=2).validate(GPT2).body(GPT2)
    assert body["stream"] is True and body["partial_images"] == 2


def test_params_round_trip():
    original = req(size="1536x1024", quality="high", n=3)
    assert ImageRequest.from_params(original.prompt, original.params()) == original
