import json
import socket
import threading

import httpx
import pytest

from imagegen_tui.client import ImagesClient
from imagegen_tui.endpoint import Endpoint
from imagegen_tui.errors import ErrorKind, ImageAPIError
from imagegen_tui.models import caps_for_model, with_overrides
from imagegen_tui.request import ImageRequest
from imagegen_tui.retry import RetryPolicy

CAPS = with_overrides(caps_for_model("gpt-image-2"), transparent_background=True, streaming=True)
KEY = "fake-test-abcdefghijklmnopqrstuvwxyz"


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def request(prompt: str = "a fox", **kw) -> ImageRequest:
    return ImageRequest(prompt=prompt, model="gpt-image-2", **kw).validate(CAPS)


async def run(base_url: str, prompt: str = "a fox", *, sleeps=None, transport=None, key=KEY, policy=None, on_partial=None, timeout=5.0, **kw):
    endpoint = Endpoint(base_url=base_url, api_key=key, key_env="MODEL_GO_API_KEY", profile="model-go", timeout=timeout, retry=policy or RetryPolicy(jitter=lambda: 0.0))
    async with ImagesClient(endpoint, sleep=Sleeps() if sleeps is None else sleeps, transport=transport) as client:
        return await client.generate(request(prompt, **kw), CAPS, on_partial)


async def fails(base_url: str, prompt: str, **kw) -> ImageAPIError:
    with pytest.raises(ImageAPIError) as info:
        await run(base_url, prompt, **kw)
    return info.value


async def test_generates_verified_images_with_usage_and_request_id(demo):
    result = await run(demo.base_url, n=3, size="1536x1024", quality="high")
    assert [(i.width, i.height, i.format) for i in result.images] == [(1536, 1024, "png")] * 3
    assert result.usage.output_tokens == 3 * 4160 * 1536 * 1024 // (1024 * 1024)
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
    assert result.request_id.startswith("req_demo_")
    assert result.echoed == {"size": "1536x1024", "quality": "high", "background": "opaque", "output_format": "png"}
    assert len({i.data for i in result.images}) == 3  # distinct pictures


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
async def test_every_output_format(demo, fmt):
    result = await run(demo.base_url, output_format=fmt, size="1024x1024")
    assert result.images[0].format == fmt


async def test_url_answer_is_downloaded(demo):
    result = await run(demo.base_url, "a fox #url", n=2)
    assert [i.format for i in result.images] == ["png", "png"]


@pytest.mark.parametrize(
    "directive, kind, status",
    [
        ("#fail:401", ErrorKind.AUTH, 401),
        ("#fail:403", ErrorKind.PERMISSION, 403),
        ("#fail:404", ErrorKind.NOT_FOUND, 404),
        ("#fail:400", ErrorKind.BAD_REQUEST, 400),
        ("#fail:moderation", ErrorKind.MODERATION, 400),
        ("#fail:quota", ErrorKind.QUOTA, 429),
        ("#fail:500", ErrorKind.SERVER, 500),
    ],
)
async def test_error_kind_for_each_status(demo, directive, kind, status):
    sleeps = Sleeps()
    error = await fails(demo.base_url, f"x {directive}", sleeps=sleeps)
    assert (error.kind, error.status) == (kind, status)
    assert error.request_id and error.request_id.startswith("req_demo_")
    assert sleeps == []  # none of these is retried by default


async def test_401_sentence_says_what_to_do(demo):
    error = await fails(demo.base_url, "x #fail:401")
    assert str(error).startswith("401 from 127.0.0.1:")
    assert "the token was rejected; set it in the profile 'model-go' or in MODEL_GO_API_KEY" in str(error)


async def test_wrong_key_against_keyed_server(keyed_demo):
    error = await fails(keyed_demo.base_url, "x", key="fake-wrong-key-000000000000")
    assert error.kind is ErrorKind.AUTH
    assert "fake-wrong-key-000000000000" not in str(error) + repr(error)
    assert (await run(keyed_demo.base_url, key="demo-secret-key-123456")).images


@pytest.mark.parametrize(
    "directive, words",
    [
        ("#fail:html", "HTML page"),
        ("#fail:notjson", "not valid JSON"),
        ("#fail:truncated", "not valid JSON"),
        ("#fail:badb64", "base64"),
        ("#fail:notimage", "not an image"),
        ("#fail:damaged", "damaged or truncated"),
        ("#fail:empty", "no images"),
    ],
)
async def test_bad_answers_are_bad_response(demo, directive, words):
    error = await fails(demo.base_url, f"x {directive}")
    assert error.kind is ErrorKind.BAD_RESPONSE
    assert words in str(error)


async def test_reset_connection_is_network_and_not_retried(demo):
    sleeps = Sleeps()
    error = await fails(demo.base_url, "x #fail:reset", sleeps=sleeps)
    assert error.kind is ErrorKind.NETWORK and sleeps == []


async def test_timeout_after_sending_is_not_retried(demo):
    sleeps = Sleeps()
    error = await fails(demo.base_url, "x #fail:timeout", sleeps=sleeps, timeout=0.5)
    assert error.kind is ErrorKind.TIMEOUT and "no complete answer within 0.5 s (the whole call's time limit" in str(error)
    assert "may still be billed" in str(error)
    assert sleeps == []


async def test_dropped_connection_retried_when_profile_opts_in(demo):
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=1, retry_timeouts=True, jitter=lambda: 0.0)
    error = await fails(demo.base_url, "x #fail:reset", sleeps=sleeps, policy=policy)
    assert error.kind is ErrorKind.NETWORK and sleeps == [0.5]


async def test_no_retry_wait_runs_past_the_deadline(demo):
    """Waiting 0.5 s with 0.3 s left could only end in the deadline: the error is shown instead."""
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=1, retry_timeouts=True, jitter=lambda: 0.0)
    error = await fails(demo.base_url, "x #fail:reset", sleeps=sleeps, policy=policy, timeout=0.3)
    assert error.kind is ErrorKind.NETWORK and sleeps == []


async def test_connection_refused_is_retried_then_network():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    error = await fails(f"http://127.0.0.1:{port}/v1", "x", sleeps=sleeps)
    assert error.kind is ErrorKind.NETWORK
    assert sleeps == [0.5, 1.0]  # two retries, exponential


async def test_429_then_success_honours_retry_after_ms(demo):
    sleeps = Sleeps()
    result = await run(demo.base_url, "x #flaky:429:2", sleeps=sleeps)
    assert result.images and sleeps == [0.05, 0.05]


@pytest.mark.parametrize("status", ["502", "503", "504"])
async def test_gateway_errors_are_retried(demo, status):
    sleeps = Sleeps()
    assert (await run(demo.base_url, f"x #flaky:{status}:1", sleeps=sleeps)).images
    assert sleeps == [0.5]


async def test_500_retried_only_when_opted_in(demo):
    await fails(demo.base_url, "x #flaky:500:1")
    sleeps = Sleeps()
    policy = RetryPolicy(retry_server_errors=True, jitter=lambda: 0.0)
    assert (await run(demo.base_url, "y #flaky:500:1", sleeps=sleeps, policy=policy)).images
    assert sleeps == [0.5]


async def test_retries_stop_after_max(demo):
    sleeps = Sleeps()
    error = await fails(demo.base_url, "x #fail:503", sleeps=sleeps)
    assert error.kind is ErrorKind.SERVER and sleeps == [0.5, 1.0]


async def test_streaming_partials_and_final(demo):
    partials = []
    result = await run(demo.base_url, stream=True, partial_images=2, on_partial=lambda i, p, img: partials.append((i, p, img.width)))
    assert partials == [(0, 0, 1024), (0, 1, 1024)]
    assert len(result.images) == 1 and result.usage.output_tokens == 1056


async def test_streaming_n_becomes_parallel_single_calls(demo):
    partials = []
    result = await run(demo.base_url, n=3, stream=True, partial_images=1, on_partial=lambda i, p, img: partials.append(i))
    assert len(result.images) == 3 and sorted(partials) == [0, 1, 2]
    assert result.usage.output_tokens == 3 * 1056


async def test_streaming_blank_partials_are_skipped(demo):
    partials = []
    result = await run(demo.base_url, "x #fail:blankpartials", stream=True, partial_images=2, on_partial=lambda *a: partials.append(a))
    assert partials == [] and len(result.images) == 1


async def test_stream_request_answered_with_plain_json(demo):
    result = await run(demo.base_url, "x #fail:nostream", stream=True, n=1)
    assert len(result.images) == 1


# --- what a real server cannot easily produce: MockTransport ------------------------------------


def mock(handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


async def test_key_echoed_by_provider_is_redacted():
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": f"Invalid key {KEY} for Bearer {KEY}", "type": "auth", "code": None, "param": None}})

    error = await fails("https://gw.example/v1", "x", transport=mock(handler))
    assert KEY not in str(error) and KEY not in repr(error) and KEY not in json.dumps(error.failure().as_json())
    assert "[redacted]" in error.provider_message


async def test_retry_after_seconds_and_cap():
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(1)
        wait = "7" if len(calls) == 1 else "500"
        return httpx.Response(429, headers={"retry-after": wait}, json={"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded", "param": None}})

    sleeps = Sleeps()
    error = await fails("https://gw.example/v1", "x", transport=mock(handler), sleeps=sleeps, timeout=60)
    assert sleeps == [7.0]  # then 500 s asked: over the 120 s cap, so no retry
    assert len(calls) == 2
    assert error.kind is ErrorKind.RATE_LIMITED and error.retry_after == 500
    assert "wait 500 s" in str(error)


async def test_x_should_retry_overrides():
    statuses = iter([500, 200])

    def handler(req: httpx.Request) -> httpx.Response:
        status = next(statuses)
        if status == 500:
            return httpx.Response(500, headers={"x-should-retry": "true"}, json={"error": {"message": "boom"}})
        return httpx.Response(200, json=ok_answer())

    assert (await run("https://gw.example/v1", transport=mock(handler))).images

    def refuse(req: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"x-should-retry": "false"}, json={"error": {"message": "no"}})

    sleeps = Sleeps()
    await fails("https://gw.example/v1", "x", transport=mock(refuse), sleeps=sleeps)
    assert sleeps == []


def ok_answer(**extra) -> dict:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return {"created": 1, "data": [{"b64_json": base64.b64encode(buf.getvalue()).decode(), "revised_prompt": "a red square"}], **extra}


async def test_gateway_usage_naming_and_revised_prompt():
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_answer(usage={"prompt_tokens": 12, "completion_tokens": 4160}))

    result = await run("https://gw.example/v1", transport=mock(handler))
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens) == (12, 4160, 4172)
    assert result.images[0].revised_prompt == "a red square"


async def test_request_sent_is_what_the_profile_says():
    seen = {}

    def handler(req: httpx.Request) -> httpx.Response:
        seen.update(url=str(req.url), auth=req.headers.get("authorization"), title=req.headers.get("x-title"), body=json.loads(req.content))
        return httpx.Response(200, json=ok_answer())

    endpoint = Endpoint(base_url="https://gw.example/v1/", api_key=KEY, headers={"X-Title": "imagegen-tui"})
    async with ImagesClient(endpoint, transport=mock(handler)) as client:
        await client.generate(request("a fox", size="1024x1536"), CAPS)
    assert seen == {"url": "https://gw.example/v1/images/generations", "auth": f"Bearer {KEY}", "title": "imagegen-tui", "body": {"model": "gpt-image-2", "prompt": "a fox", "n": 1, "size": "1024x1536"}}


async def test_url_on_another_host_gets_no_token():
    seen = {}

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.host == "cdn.example":
            seen["auth"] = req.headers.get("authorization")
            import base64

            return httpx.Response(200, content=base64.b64decode(ok_answer()["data"][0]["b64_json"]))
        return httpx.Response(200, json={"created": 1, "data": [{"url": "https://cdn.example/img.png"}]})

    result = await run("https://gw.example/v1", transport=mock(handler))
    assert result.images[0].width == 8 and seen == {"auth": None}


def test_endpoint_repr_hides_key():
    assert KEY not in repr(Endpoint(base_url="https://x/v1", api_key=KEY))


def test_redact_removes_token_shapes_and_the_exact_key():
    from imagegen_tui.errors import redact

    openai_like = "s" + "k-" + "A1b2" * 8  # built here so no token-shaped literal is committed
    text = redact(f"key {openai_like} header Bearer abc.def-ghi_jkl and mine: my-own-secret", ("my-own-secret",))
    assert openai_like not in text and "abc.def-ghi_jkl" not in text and "my-own-secret" not in text
    assert text.count("[redacted]") == 3


async def test_list_models_is_a_free_connection_check(demo, keyed_demo):
    async with ImagesClient(Endpoint(base_url=demo.base_url)) as client:
        assert "gpt-image-2" in await client.list_models()
    async with ImagesClient(Endpoint(base_url=keyed_demo.base_url, api_key="fake-wrong-key-000000")) as client:
        with pytest.raises(ImageAPIError) as info:
            await client.list_models()
    assert info.value.kind is ErrorKind.AUTH


async def test_a_trickling_answer_ends_at_the_deadline_not_per_read(demo):
    """One byte every 0.2 s keeps a read timeout from ever firing; the deadline still does."""
    error = await fails(demo.base_url, "x #trickle:0.2", timeout=1.0)
    assert error.kind is ErrorKind.TIMEOUT
    assert "no complete answer within 1 s (the whole call's time limit, retries included" in str(error)
    assert "the call may still be billed" in str(error)


async def test_keepalive_comments_do_not_hold_a_stream_past_the_deadline(demo):
    error = await fails(demo.base_url, "x #keepalive:0.1", timeout=1.0, stream=True)
    assert error.kind is ErrorKind.TIMEOUT and "no complete answer within 1 s" in str(error)


@pytest.fixture
def unanswered_port():
    """A listener whose one-place queue is already taken: connecting to it hangs, on loopback."""
    with socket.socket() as listener, socket.socket() as first:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        first.connect(listener.getsockname())
        yield listener.getsockname()[1]


async def test_connect_timeout_names_the_connect_limit(unanswered_port):
    sleeps = Sleeps()
    endpoint = Endpoint(base_url=f"http://127.0.0.1:{unanswered_port}/v1", timeout=30, connect_timeout=0.3, retry=RetryPolicy(max_retries=1, jitter=lambda: 0.0))
    with pytest.raises(ImageAPIError) as info:
        async with ImagesClient(endpoint, sleep=sleeps) as client:
            await client.generate(request(), CAPS)
    assert str(info.value).endswith("could not connect within 0.3 s (the profile's connect_timeout); nothing was sent; check the network and the base URL")
    assert sleeps == [0.5]  # nothing was sent, so it was tried again


async def test_a_deadline_hit_while_connecting_says_nothing_was_billed(unanswered_port):
    endpoint = Endpoint(base_url=f"http://127.0.0.1:{unanswered_port}/v1", timeout=0.5, connect_timeout=10)
    with pytest.raises(ImageAPIError) as info:
        async with ImagesClient(endpoint) as client:
            await client.generate(request(), CAPS)
    assert "the request could not be sent within 0.5 s" in str(info.value) and "nothing was billed" in str(info.value)


async def test_a_server_closing_without_an_answer_is_said_in_words():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def hang_up() -> None:
            conn, _ = listener.accept()
            request = b""
            while b"\r\n\r\n" not in request:  # the request, read whole: closing with bytes
                request += conn.recv(65536)  # unread would reset the connection instead
            head, _, body = request.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
            while len(body) < length:
                body += conn.recv(65536)
            conn.close()  # and no answer

        thread = threading.Thread(target=hang_up)
        thread.start()
        error = await fails(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "x")
        thread.join()
    assert error.kind is ErrorKind.NETWORK
    assert "the server closed the connection before the answer was complete; the call may still be billed" in str(error)
    assert "RemoteProtocolError" not in str(error)


async def test_hostile_provider_text_is_kept_exact_in_data_but_shown_escaped(demo):
    from imagegen_tui.demo.server import EVIL

    result = await run(demo.base_url, "x #revised:evil")
    assert result.images[0].revised_prompt == EVIL  # stored as the provider sent it
    error = await fails(demo.base_url, "x #fail:evil")
    assert error.provider_message.endswith(EVIL)
    shown = str(error)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\\x1b]52;c;aGVsbG8=\\x07" in shown and "\\x9b31m" in shown and "🦊🔥" in shown and "[[scenario:slow:8]]" in shown


async def test_an_image_of_900_million_pixels_is_a_bad_answer(demo):
    error = await fails(demo.base_url, "x #huge")
    assert error.kind is ErrorKind.BAD_RESPONSE
    assert "the image returned has 900,000,000 pixels, more than is safe to open" in str(error)
