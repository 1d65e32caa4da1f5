"""The demo server's misbehaviours, read off real sockets: each is what a client's defences are
tested against, so each must really happen on the wire."""

from __future__ import annotations

import base64
import json
import socket
import struct
import zlib

import httpx
import pytest

from imagegen_tui.demo.server import EVIL


def post(server, prompt: str, **body) -> socket.socket:
    host, port = server.httpd.server_address[:2]
    payload = json.dumps({"model": "gpt-image-2", "prompt": prompt, "size": "64x64", **body}).encode()
    sock = socket.create_connection((host, port), timeout=10)
    sock.sendall(b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
    return sock


def read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(1)  # byte by byte: nothing of the body is read here
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, rest


def answer(server, prompt: str, **body) -> tuple[int, dict]:
    with post(server, prompt, **body) as sock:
        status, headers, body_bytes = read_head(sock)
        length = int(headers["content-length"])
        while len(body_bytes) < length:
            body_bytes += sock.recv(65536)
    return status, json.loads(body_bytes)


def test_trickle_sends_the_answer_one_byte_at_a_time(demo):
    with post(demo, "a fox #trickle:0.2") as sock:
        status, headers, early = read_head(sock)
        assert status == 200 and early == b"" and int(headers["content-length"]) > 1000
        chunks = [sock.recv(65536) for _ in range(4)]
    assert chunks == [b"{", b'"', b"c", b"r"]  # {"created": …, one byte per write


def test_keepalive_sends_only_comments(demo):
    with post(demo, "a fox #keepalive:0.05", stream=True) as sock:
        status, headers, body = read_head(sock)
        while body.count(b"\n\n") < 3:
            body += sock.recv(65536)
    assert status == 200 and headers["content-type"] == "text/event-stream"
    assert body.startswith(b": keep-alive\n\n: keep-alive\n\n: keep-alive\n\n") and b"data:" not in body


def test_huge_is_a_valid_30000_pixel_square_png_that_is_small_on_the_wire(demo):
    status, body = answer(demo, "a fox #huge")
    png = base64.b64decode(body["data"][0]["b64_json"])
    assert status == 200 and len(png) < 200_000
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (30000, 30000)
    position, idat = 8, b""
    while position < len(png):  # every chunk's CRC holds
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        chunk = png[position + 8 : position + 8 + length]
        assert struct.unpack(">I", png[position + 8 + length : position + 12 + length])[0] == zlib.crc32(kind + chunk)
        idat += chunk if kind == b"IDAT" else b""
        position += 12 + length
    inflater, size = zlib.decompressobj(), 0
    while idat:
        size += len(inflater.decompress(idat, 1 << 24))
        idat = inflater.unconsumed_tail
    assert size == 30000 * (1 + 30000 // 8)  # a filter byte and 3750 bytes of bits per row


def test_fail_evil_and_revised_evil_carry_the_hostile_text(demo):
    status, body = answer(demo, "a fox #fail:evil")
    assert status == 400 and EVIL in body["error"]["message"]
    for needle in ("[/dim]", "[b]", "[[scenario:slow:8]]", "\x1b]52;c;", "\x1b[2J", "\x9b", "🦊"):
        assert needle in EVIL
    status, body = answer(demo, "a fox #revised:evil", n=2)
    assert status == 200 and [d["revised_prompt"] for d in body["data"]] == [EVIL, EVIL]


@pytest.mark.parametrize("prompt, n, count", [("#extra:50", 1, 50), ("#fewer:1", 3, 1), ("plain", 2, 2)])
def test_extra_and_fewer_images_than_asked(demo, prompt, n, count):
    status, body = answer(demo, f"foxes {prompt}", n=n)
    assert status == 200 and len(body["data"]) == count


def test_generation_requests_are_counted(demo):
    assert demo.httpd.generation_requests == 0
    answer(demo, "a fox")
    answer(demo, "a fox #fail:401")
    assert demo.httpd.generation_requests == 2


# --- edits: a multipart form ----------------------------------------------------------------------


def png(size=(64, 64), colour="red", mode="RGB", fmt="PNG") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, fmt)
    return buffer.getvalue()


def edit(server, prompt: str = "make it blue", images=(("image", png()),), mask: bytes | None = None, **fields) -> httpx.Response:
    files = [(key, (f"in{i}.png", data, "image/png")) for i, (key, data) in enumerate(images)]
    if mask is not None:
        files.append(("mask", ("mask.png", mask, "image/png")))
    data = {"model": "gpt-image-2", "prompt": prompt, **{k: str(v) for k, v in fields.items()}}
    return httpx.post(f"{server.base_url}/images/edits", data=data, files=files, timeout=10)


def decoded(answer: httpx.Response):
    import io

    from PIL import Image

    return [Image.open(io.BytesIO(base64.b64decode(item["b64_json"]))) for item in answer.json()["data"]]


def test_an_edit_is_the_first_images_size_unless_asked(demo):
    assert [i.size for i in decoded(edit(demo, images=[("image", png((96, 48)))]))] == [(96, 48)]
    assert [i.size for i in decoded(edit(demo, images=[("image", png((90, 50)))]))] == [(1024, 1024)]  # not a size the API makes
    answer = edit(demo, images=[("image", png((96, 48)))], size="64x32", n=2, output_format="webp", quality="low")
    assert [(i.size, i.format) for i in decoded(answer)] == [((64, 32), "WEBP")] * 2
    assert answer.json()["size"] == "64x32" and answer.json()["quality"] == "low"


def test_an_edit_costs_input_image_tokens(demo):
    usage = edit(demo, images=[("image[]", png()), ("image[]", png((600, 600)))]).json()["usage"]
    assert usage["input_tokens_details"]["image_tokens"] == (85 + 170) + (85 + 170 * 4)
    assert usage["input_tokens"] == usage["input_tokens_details"]["text_tokens"] + usage["input_tokens_details"]["image_tokens"]


def test_a_transparent_edit_keeps_the_first_images_transparency(demo):
    from imagegen_tui.masks import rect, region_mask

    source = png(mode="RGBA", colour=(0, 0, 0, 0))
    [image] = decoded(edit(demo, images=[("image", source)], mask=region_mask((64, 64), [rect("0,0,8,8")]), background="transparent"))
    assert image.mode == "RGBA" and image.getpixel((40, 40))[3] == 0
    [opaque] = decoded(edit(demo, images=[("image", source)]))
    assert opaque.convert("RGBA").getpixel((40, 40))[3] == 255


@pytest.mark.parametrize(
    "kwargs, status, param, words",
    [
        ({"images": [], "mask": png(mode="RGBA")}, 400, "image", "Missing required parameter: 'image'."),
        ({"images": [("image", png(fmt="GIF"))]}, 400, "image", "Invalid image file for image 1 (in0.png): the file is GIF; expected PNG or JPEG or WEBP."),
        ({"mask": png((32, 32), mode="RGBA")}, 400, "mask", "Invalid mask: it is 32x32 but the image is 64x64; they must have the same dimensions."),
        ({"mask": png()}, 400, "mask", "Invalid mask: it has no alpha channel (mode RGB)."),
        ({"moderation": "low"}, 400, "moderation", "Unknown parameter: 'moderation'."),
        ({"n": "two"}, 400, "n", "Invalid 'n': expected an integer, got 'two'."),
        ({"prompt": "x #fail:401"}, 401, None, "Incorrect API key provided."),
    ],
    ids=["no-image", "gif", "mask-size", "mask-alpha", "moderation", "n", "directive"],
)
def test_edits_are_refused_as_openai_refuses_them(demo, kwargs, status, param, words):
    answer = edit(demo, **kwargs)
    error = answer.json()["error"]
    assert (answer.status_code, error["param"], error["message"]) == (status, param, words)
    assert demo.httpd.edit_requests == 1 and demo.httpd.generation_requests == 0


def test_an_edit_that_is_not_a_form_is_refused(demo):
    answer = httpx.post(f"{demo.base_url}/images/edits", json={"model": "gpt-image-2", "prompt": "x"})
    assert answer.status_code == 400 and "expected multipart/form-data" in answer.json()["error"]["message"]


def test_a_streamed_edit_sends_image_edit_events(demo):
    files = [("image", ("a.png", png(), "image/png"))]
    data = {"model": "gpt-image-2", "prompt": "x", "stream": "true", "partial_images": "2"}
    with httpx.stream("POST", f"{demo.base_url}/images/edits", data=data, files=files) as answer:
        kinds = [json.loads(line[6:])["type"] for line in answer.iter_lines() if line.startswith("data: ")]
    assert kinds == ["image_edit.partial_image"] * 2 + ["image_edit.completed"]


def test_a_demo_without_edits_has_no_such_route():
    from imagegen_tui.demo.server import DemoServer

    with DemoServer(edits=False) as server:
        answer = edit(server)
        assert answer.status_code == 404 and answer.json()["error"]["message"] == "No such route: POST /v1/images/edits"
        assert server.httpd.edit_requests == 0
        assert httpx.post(f"{server.base_url}/images/generations", json={"model": "gpt-image-2", "prompt": "x", "size": "64x64"}).status_code == 200


def test_fail_422_is_fastapis_validation_list(demo):
    status, body = answer(demo, "a fox #fail:422")
    assert status == 422 and set(body) == {"detail"}
    assert [(item["loc"], item["msg"]) for item in body["detail"]] == [
        (["body", "size"], "String should match pattern '^\\d+x\\d+$'"),
        (["body", "extra", "steps"], "Input should be less than or equal to 150"),
    ]


def test_fail_detail_is_a_bare_sentence(demo):
    assert answer(demo, "a fox #fail:detail") == (400, {"detail": "Unsupported size for this pipeline: 4096x4096"})


@pytest.mark.parametrize("directive, prefix", [("#dataurl", "data:image/webp;base64,"), ("#dataurl:pct", "data:image/webp,RIFF")])
def test_dataurl_answers_carry_the_image_in_the_url(demo, directive, prefix):
    status, body = answer(demo, f"a fox {directive}", output_format="webp")
    (entry,) = body["data"]
    assert status == 200 and set(entry) == {"url"} and entry["url"].startswith(prefix)
    assert ("%" in entry["url"]) == directive.endswith(":pct")  # base64, or the bytes percent-encoded (RIFF…)


def test_bytes_draws_another_format_than_asked_and_echoes_the_one_asked(demo):
    status, body = answer(demo, "a fox #bytes:png", output_format="jpeg")
    assert status == 200 and body["output_format"] == "jpeg"
    assert base64.b64decode(body["data"][0]["b64_json"]).startswith(b"\x89PNG\r\n\x1a\n")
