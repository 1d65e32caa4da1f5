"""ImagesClient.edit against the demo server on loopback: the same deadline, retries, errors and
answers as generate, a multipart body, and a sentence for a provider without edits."""

import io

import httpx
import pytest
from PIL import Image

from imagegen_tui.client import ImagesClient
from imagegen_tui.demo.server import DemoServer
from imagegen_tui.endpoint import Endpoint
from imagegen_tui.errors import ErrorKind, ImageAPIError, InvalidRequest
from imagegen_tui.masks import ellipse, prepare_mask, rect, region_mask
from imagegen_tui.models import caps_for_model, with_overrides
from imagegen_tui.request import EditRequest, InputImage
from imagegen_tui.retry import RetryPolicy

CAPS = with_overrides(caps_for_model("gpt-image-2"), transparent_background=True, streaming=True)
KEY = "fake-test-abcdefghijklmnopqrstuvwxyz"
SIZE = (128, 96)
INSIDE = [(40, 30), (64, 48), (87, 65)]  # in the rect 32,24,64,48 (x 32-95, y 24-71)
OUTSIDE = [(0, 0), (31, 48), (96, 48), (64, 23), (64, 72), (127, 95)]


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source() -> Image.Image:
    """Every pixel different from its neighbours: a change anywhere shows."""
    return Image.frombytes("RGB", SIZE, bytes(v for y in range(SIZE[1]) for x in range(SIZE[0]) for v in (x * 2, y * 2, (x + y) % 256)))


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


SOURCE = InputImage(encoded(source()), "room.png")


def edit_request(prompt: str = "paint it teal", **kw) -> EditRequest:
    return EditRequest(**{"prompt": prompt, "model": "gpt-image-2", "images": (SOURCE,), **kw}).validate(CAPS)


async def run(base_url: str, request: EditRequest, *, sleeps=None, transport=None, policy=None, on_partial=None, timeout=10.0, caps=CAPS):
    endpoint = Endpoint(base_url=base_url, api_key=KEY, profile="gw", timeout=timeout, retry=policy or RetryPolicy(jitter=lambda: 0.0))
    async with ImagesClient(endpoint, sleep=Sleeps() if sleeps is None else sleeps, transport=transport) as client:
        return await client.edit(request, caps, on_partial)


async def fails(base_url: str, request: EditRequest, **kw) -> ImageAPIError:
    with pytest.raises(ImageAPIError) as info:
        await run(base_url, request, **kw)
    return info.value


def pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


async def test_inside_the_mask_changes_and_outside_stays_as_it_was(demo):
    mask = InputImage(region_mask(SIZE, [rect("32,24,64,48")]), "mask.png")
    result = await run(demo.base_url, edit_request(mask=mask))
    [image] = result.images
    assert (image.width, image.height, image.format) == (*SIZE, "png")
    before, after = source(), pixels(image.data)
    assert all(after.getpixel(p) != before.getpixel(p) for p in INSIDE)
    assert all(after.getpixel(p) == before.getpixel(p) for p in OUTSIDE)
    assert result.request_id.startswith("req_demo_") and result.usage.input_image_tokens > 0


async def test_a_painted_black_and_white_mask_works_once_prepared(demo):
    painted = Image.new("L", SIZE, 0)
    painted.paste(255, (32, 24, 96, 72))  # white where the room should change
    prepared = prepare_mask(encoded(painted), SIZE)
    assert prepared.note is not None
    [image] = (await run(demo.base_url, edit_request(mask=InputImage(prepared.data, "painted.png")))).images
    before, after = source(), pixels(image.data)
    assert all(after.getpixel(p) != before.getpixel(p) for p in INSIDE)
    assert all(after.getpixel(p) == before.getpixel(p) for p in OUTSIDE)


async def test_without_a_mask_the_whole_image_is_redrawn(demo):
    [image] = (await run(demo.base_url, edit_request())).images
    before, after = source(), pixels(image.data)
    assert all(after.getpixel(p) != before.getpixel(p) for p in INSIDE + OUTSIDE)


async def test_references_are_sent_as_image_brackets_and_shown_as_insets(demo):
    red = InputImage(encoded(Image.new("RGB", (20, 20), (255, 0, 0)), "JPEG"), "red.jpg")
    mask = InputImage(region_mask(SIZE, [ellipse("25%,25%,50%,50%")]), "mask.png")
    result = await run(demo.base_url, edit_request(images=(SOURCE, red), mask=mask))
    after = pixels(result.images[0].data)
    r, g, b = after.getpixel((64, 48))  # the middle of the area: the one inset
    assert r > 200 and g < 60 and b < 60
    assert after.getpixel((0, 0)) == source().getpixel((0, 0))


async def test_n_formats_and_sizes_are_honoured(demo):
    result = await run(demo.base_url, edit_request(n=2, size="64x48", output_format="webp", output_compression=80))
    assert [(i.format, i.width, i.height) for i in result.images] == [("webp", 64, 48)] * 2
    assert result.echoed["size"] == "64x48"


async def test_a_streamed_edit_sends_partials_then_the_image(demo):
    partials = []
    result = await run(demo.base_url, edit_request(stream=True, partial_images=2), on_partial=lambda i, p, img: partials.append((i, p, img.width)))
    assert partials == [(0, 0, SIZE[0]), (0, 1, SIZE[0])] and len(result.images) == 1
    assert result.usage.input_image_tokens > 0


async def test_a_streamed_edit_of_n_images_is_n_calls(demo):
    partials = []
    result = await run(demo.base_url, edit_request(n=3, stream=True, partial_images=1), on_partial=lambda i, p, img: partials.append(i))
    assert len(result.images) == 3 and sorted(partials) == [0, 1, 2]
    assert demo.httpd.edit_requests == 3


async def test_a_gateway_error_is_retried_with_the_whole_form_again(demo):
    sleeps = Sleeps()
    mask = InputImage(region_mask(SIZE, [rect("32,24,64,48")]), "mask.png")
    result = await run(demo.base_url, edit_request("x #flaky:503:1", mask=mask), sleeps=sleeps)
    assert sleeps == [0.5] and demo.httpd.edit_requests == 2
    assert pixels(result.images[0].data).getpixel((0, 0)) == source().getpixel((0, 0))


async def test_errors_are_typed_as_for_generations(demo):
    error = await fails(demo.base_url, edit_request("x #fail:500"))
    assert (error.kind, error.status, error.sent) == (ErrorKind.SERVER, 500, True)
    error = await fails(demo.base_url, edit_request("x #fail:timeout"), timeout=0.5)
    assert error.kind is ErrorKind.TIMEOUT and "may still be billed" in str(error)
    error = await fails(demo.base_url, edit_request("x #fail:damaged"))
    assert error.kind is ErrorKind.BAD_RESPONSE


async def test_a_404_about_the_model_is_not_taken_for_a_missing_route(demo):
    error = await fails(demo.base_url, edit_request("x #fail:404"))
    assert error.kind is ErrorKind.NOT_FOUND and "the endpoint or model was not found" in str(error)


async def test_a_provider_without_edits_is_said_to_offer_none():
    with DemoServer(edits=False) as server:
        sleeps = Sleeps()
        error = await fails(server.base_url, edit_request(), sleeps=sleeps)
    host = server.base_url.split("/")[2]
    assert str(error).startswith(
        f"404 from {host}: this provider does not offer image edits (POST /images/edits); "
        "use a profile whose provider has them, or set edits = false in the capabilities of the profile 'gw' so they are not offered"
    )
    assert error.kind is ErrorKind.NOT_FOUND and sleeps == []
    assert error.failure().as_json()["error"]["billed"] is False


async def test_a_405_is_said_the_same_way():
    """Servers answer 405 when the path exists for other methods; the demo has no such path."""

    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(405, json={"detail": "Method Not Allowed"})

    error = await fails("https://gw.example/v1", edit_request(), transport=httpx.MockTransport(handler))
    assert str(error).startswith("405 from gw.example: this provider does not offer image edits (POST /images/edits)")


async def test_edits_a_profile_says_it_lacks_are_refused_before_anything_is_sent(demo):
    caps = with_overrides(CAPS, edits=False)
    with pytest.raises(InvalidRequest) as info:
        EditRequest(prompt="x", model="gpt-image-2", images=(SOURCE,)).validate(caps)
    assert info.value.problems == [("model", "this provider does not offer image edits with gpt-image-2 (the model has none, or the profile's capabilities say edits = false)")]
    assert info.value.failure().as_json()["exit_code"] == 2
    assert demo.httpd.edit_requests == 0

