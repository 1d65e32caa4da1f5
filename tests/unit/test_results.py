import base64
import json
import random

import pytest

import urllib.parse

from imagegen_tui.results import UnusableAnswer, decode_b64, decode_data_url, parse_json_body

PNG = base64.b64encode(b"\x89PNG fake bytes ///+++ " * 50).decode()


def as_text(body: dict) -> dict:
    """Lifted values come back as bytes; compare them as text."""
    for entry in body.get("data", []):
        for key in ("b64_json", "url"):
            if isinstance(entry.get(key), (bytes, bytearray)):
                entry[key] = entry[key].decode()
    return body


@pytest.mark.parametrize(
    "answer",
    [
        {"created": 1, "data": [{"b64_json": PNG}, {"b64_json": PNG[::-1]}], "usage": {"total_tokens": 3}},
        {"created": 1, "data": [{"revised_prompt": 'she said "b64_json": "no"', "b64_json": PNG}]},
        {"data": [{"url": "https://cdn.example/x.png"}], "note": {"b64_json": "not an image entry"}},
        {"data": [{"url": "https://cdn.example/x.png"}, {"b64_json": None, "url": "data:image/png;base64," + PNG}]},
        {"data": [{"url": "data:image/png;base64," + PNG, "revised_prompt": "a url"}], "note": {"url": "data:,not an entry"}},
        {"data": [{"revised_prompt": "C:\\dir\\", "b64_json": PNG}, {"revised_prompt": 'a \\"quoted\\" \\\\', "url": "data:;base64," + PNG}]},
    ],
)
@pytest.mark.parametrize("indent", [None, 2])
def test_same_result_as_json_loads(answer, indent):
    raw = json.dumps(answer, indent=indent).encode()
    assert as_text(parse_json_body(raw)) == json.loads(raw)


def test_escaped_slashes_fall_back_to_a_full_parse():
    raw = json.dumps({"data": [{"b64_json": PNG}]}).replace("/", "\\/").encode()  # as PHP's json_encode writes
    body = parse_json_body(raw)
    assert decode_b64(body["data"][0]["b64_json"]) == base64.b64decode(PNG)


def test_truncated_inside_a_value_is_unusable():
    raw = json.dumps({"data": [{"b64_json": PNG}]}).encode()
    with pytest.raises(UnusableAnswer, match="not valid JSON"):
        parse_json_body(raw[: len(raw) // 2])


def test_decode_accepts_text_bytes_and_data_urls():
    data = base64.b64decode(PNG)
    assert decode_b64(PNG) == decode_b64(PNG.encode()) == decode_b64("data:image/png;base64," + PNG) == data
    with pytest.raises(UnusableAnswer):
        decode_b64(b"")


def test_data_urls_are_lifted_out_of_the_parse_and_http_urls_are_not():
    raw = json.dumps({"data": [{"url": "data:image/png;base64," + PNG}, {"url": "https://cdn.example/x.png"}]}).encode()
    body = parse_json_body(raw)
    assert isinstance(body["data"][0]["url"], (bytes, bytearray))  # cut out before json.loads saw it
    assert body["data"][1]["url"] == "https://cdn.example/x.png"
    assert decode_b64(body["data"][0]["url"]) == base64.b64decode(PNG)


def test_data_url_base64_and_percent_encoded():
    data = base64.b64decode(PNG)
    percent = "data:image/png," + urllib.parse.quote_from_bytes(data, safe="")
    escaped_b64 = "data:image/png;base64," + PNG.replace("/", "%2F").replace("+", "%2B")
    assert decode_data_url(percent) == decode_data_url(percent.encode()) == decode_data_url(escaped_b64) == data
    assert decode_data_url("DATA:;BASE64," + PNG) == data  # scheme and flag in any case, no media type
    assert decode_data_url("data:text/plain,hello%20there") == b"hello there"  # the type is not believed: verify_image reads the bytes


@pytest.mark.parametrize("safe", ["", "/=:;,_ ", "".join(chr(c) for c in range(32, 127) if chr(c) != "%")])
def test_percent_decoding_is_urllibs(safe):
    """Decoded at C speed through quoted-printable, and still exactly what urllib decodes: every
    byte value, literal `=`, spaces, lowercase hex, across the slices' edges."""
    rng = random.Random(15)
    data = bytes(rng.randrange(256) for _ in range(700_000)) + b"=%=\r\n _"
    url = urllib.parse.quote_from_bytes(data, safe=safe)
    url = url.replace("%2F", "%2f")
    assert decode_data_url("data:," + url) == urllib.parse.unquote_to_bytes(url) == data


@pytest.mark.parametrize("url, why", [
    ("data:image/png;base64", "holds no data"), ("data:image/png;base64,", "holds no data"), ("data:image/png;base64,***", "damaged"),
    ("data:image/png,100%", "a % not followed by two hex digits"), ("data:image/png,%zz", "a % not followed"), ("data:;base64,%4", "a % not followed"),
])
def test_bad_data_urls_are_unusable(url, why):
    with pytest.raises(UnusableAnswer, match=why):
        decode_data_url(url)


def test_strings_with_escaped_quotes_and_backslashes_do_not_stop_the_lifting():
    raw = json.dumps({"data": [{"revised_prompt": 'a \\"fox\\" in C:\\dir\\', "b64_json": PNG}, {"revised_prompt": "\\", "url": "data:;base64," + PNG}]}).encode()
    body = parse_json_body(raw)
    assert [type(entry[key]) for entry, key in zip(body["data"], ("b64_json", "url"))] == [bytes, bytes]
    assert as_text(body) == json.loads(raw)
