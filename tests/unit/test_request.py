import pytest

from imagegen_tui.errors import InvalidRequest
from imagegen_tui.models import caps_for_model, with_overrides
from imagegen_tui.request import EditRequest, ImageRequest, InputImage

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


# --- edits -----------------------------------------------------------------------------------------


def picture(size=(64, 48), fmt="PNG", mode="RGB") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, "red").save(buffer, fmt)
    return buffer.getvalue()


PNG = InputImage(picture(), "fox.png")


def edit(**kw) -> EditRequest:
    return EditRequest(**{"prompt": "make it blue", "model": "gpt-image-2", "images": (PNG,), **kw})


def test_a_valid_edit_passes_and_keeps_its_images_as_a_tuple():
    out = edit(images=[PNG, InputImage(picture(fmt="WEBP"), "b.webp")], output_format="JPG").validate(GPT2)
    assert out.output_format == "jpeg" and isinstance(out.images, tuple) and len(out.images) == 2


def test_edits_share_the_generation_checks():
    found = problems(edit(prompt="", n=11, size="1000x1000", partial_images=2, background="transparent", output_format="jpeg"), with_overrides(GPT2, transparent_background=True))
    assert set(found) == {"prompt", "n", "size", "partial_images", "background"}
    assert "multiples of 16" in found["size"] and "png or webp" in found["background"]
    assert edit(size="1536x864").validate(GPT2).size == "1536x864"


def test_edits_have_no_moderation():
    with pytest.raises(TypeError):
        edit(moderation="low")


@pytest.mark.parametrize("count, words", [(0, "at least one image is required"), (17, "at most 16 (got 17)")])
def test_one_to_sixteen_images(count, words):
    assert problems(edit(images=(PNG,) * count))["images"] == words
    assert edit(images=(PNG,) * 16).validate(GPT2)


def test_an_image_is_what_its_bytes_say_not_its_name():
    named_jpeg = InputImage(picture(), "photo.jpg")
    assert named_jpeg.mime == "image/png" and edit(images=(named_jpeg,)).validate(GPT2)
    gif = InputImage(picture(fmt="GIF"), "cat.png")
    assert gif.mime is None
    assert problems(edit(images=(PNG, gif)))["images"] == "image 2 ('cat.png') is not a PNG, WebP or JPEG file (judged by its content, not its name)"
    assert InputImage(picture(fmt="JPEG"), "x").mime == "image/jpeg" and InputImage(picture(fmt="WEBP"), "x").mime == "image/webp"


def test_a_damaged_image_is_refused():
    cut = InputImage(picture()[:30], "cut.png")
    assert problems(edit(images=(cut,)))["images"] == "image 1 ('cut.png') cannot be read as an image (damaged or cut off?)"


def test_each_image_must_be_under_50_mb():
    from imagegen_tui.request import MAX_INPUT_BYTES

    padded = InputImage(picture() + b"\0" * (MAX_INPUT_BYTES - len(picture())), "big.png")  # bytes after IEND
    assert problems(edit(images=(padded,)))["images"] == "image 1 ('big.png') is 50.0 MB; each must be under 50 MB"


def test_the_mask_must_be_an_alpha_png_the_size_of_the_first_image():
    from imagegen_tui.masks import rect, region_mask

    good = InputImage(region_mask((64, 48), [rect("0,0,8,8")]), "mask.png")
    assert edit(mask=good, images=(PNG, InputImage(picture((10, 10)), "ref.png"))).validate(GPT2)
    wrong = InputImage(region_mask((48, 64), [rect("0,0,8,8")]), "mask.png")
    assert problems(edit(mask=wrong))["mask"].startswith("the mask is 48x64 but the first image is 64x48")
    assert problems(edit(mask=InputImage(picture(), "m.png")))["mask"].startswith("has no alpha channel")


def test_input_fidelity():
    assert edit(input_fidelity="high").validate(GPT2).input_fidelity == "high"
    assert problems(edit(input_fidelity="medium"))["input_fidelity"] == "'medium' is not one of high, low"
    mini = caps_for_model("gpt-image-1-mini")
    assert problems(edit(model="gpt-image-1-mini", input_fidelity="low"), mini)["input_fidelity"] == "gpt-image-1-mini does not take this parameter"
    assert edit(model="gpt-image-1-mini").validate(mini)


def test_no_edits_where_the_capabilities_say_none():
    message = "this provider does not offer image edits with gpt-image-2 (the model has none, or the profile's capabilities say edits = false)"
    assert problems(edit(), with_overrides(GPT2, edits=False))["model"] == message
    assert "does not offer image edits with dall-e-3" in problems(edit(model="dall-e-3"), caps_for_model("dall-e-3"))["model"]


def test_form_sends_every_field_as_text_and_one_image_as_image():
    from imagegen_tui.masks import rect, region_mask

    mask = region_mask((64, 48), [rect("0,0,8,8")])
    request = edit(n=2, size="1024x1024", quality="high", output_format="webp", output_compression=50, input_fidelity="high",
                   user="u-1", stream=True, partial_images=1, mask=InputImage(mask, "painted.png")).validate(GPT2)
    fields, files = request.form(GPT2)
    assert fields == {
        "model": "gpt-image-2", "prompt": "make it blue", "n": "2", "size": "1024x1024", "quality": "high", "output_format": "webp",
        "output_compression": "50", "input_fidelity": "high", "user": "u-1", "stream": "true", "partial_images": "1",
    }
    assert files == [("image", ("fox.png", PNG.data, "image/png")), ("mask", ("painted.png", mask, "image/png"))]


def test_form_sends_several_images_as_image_brackets():
    webp = InputImage(picture(fmt="WEBP"), "b.webp")
    fields, files = edit(images=(PNG, webp)).validate(GPT2).form(GPT2)
    assert fields == {"model": "gpt-image-2", "prompt": "make it blue", "n": "1"}
    assert [(key, name, mime) for key, (name, _, mime) in files] == [("image[]", "fox.png", "image/png"), ("image[]", "b.webp", "image/webp")]


def test_form_asks_dall_e_for_base64_where_a_profile_turns_its_edits_on():
    caps = with_overrides(caps_for_model("dall-e-2"), edits=True)
    assert edit(model="dall-e-2").validate(caps).form(caps)[0]["response_format"] == "b64_json"
