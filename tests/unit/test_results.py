import base64
import json

import pytest

from imagegen_tui.results import UnusableAnswer, decode_b64, parse_json_body

PNG = base64.b64encode(b"\x89PNG fake bytes ///+++ " * 50).decode()


def as_text(body: dict) -> dict:
    """Lifted values come back as bytes; compare them as text."""
    for entry in body.get("data", []):
        if isinstance(entry.get("b64_json"), bytes):
            entry["b64_json"] = entry["b64_json"].decode()
    return body


@pytest.mark.parametrize(
    "answer",
    [
        {"created": 1, "data": [{"b64_json": PNG}, {"b64_json": PNG[::-1]}], "usage": {"total_tokens": 3}},
        {"created": 1, "data": [{"revised_prompt": 'she said "b64_json": "no"', "b64_json": PNG}]},
        {"data": [{"url": "https://cdn.example/x.png"}], "note": {"b64_json": "not an image entry"}},
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
