"""Every body the client can send, and every answer the demo server gives, against OpenAI's
published schemas (tests/data is extracted from ../shared/openai-openapi/openapi.yaml)."""

import json
from pathlib import Path

import httpx
import jsonschema
import pytest

from imagegen_tui.models import BACKGROUNDS, FORMATS, GPT_QUALITIES, GPT_SIZES, MODERATIONS, caps_for_model, with_overrides
from imagegen_tui.request import ImageRequest

DATA = Path(__file__).resolve().parents[1] / "data" / "openai-images-schemas.json"
SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "openai-openapi" / "openapi.yaml"
SCHEMAS = json.loads(DATA.read_text())


def validator(name: str, strict: bool = False) -> jsonschema.Draft202012Validator:
    defs = json.loads(json.dumps(SCHEMAS["$defs"]))
    if strict:  # the spec allows unknown keys; we must never send one
        defs[name]["additionalProperties"] = False
    return jsonschema.Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{name}"})


REQUEST = validator("CreateImageRequest", strict=True)
ALL_CAPS = with_overrides(caps_for_model("gpt-image-2"), transparent_background=True, streaming=True)


def body_for(**kw) -> dict:
    model = kw.pop("model", "gpt-image-2")
    caps = ALL_CAPS if model == "gpt-image-2" else caps_for_model(model)
    return ImageRequest(prompt="a lighthouse at dusk", model=model, **kw).validate(caps).body(caps)


CASES = (
    [{}]
    + [{"size": s} for s in GPT_SIZES + ("1536x864", "3840x2160")]
    + [{"quality": q} for q in GPT_QUALITIES]
    + [{"n": n} for n in (1, 4, 10)]
    + [{"background": b, "output_format": "png"} for b in BACKGROUNDS]
    + [{"output_format": f} for f in FORMATS]
    + [{"output_format": f, "output_compression": c} for f in ("jpeg", "webp") for c in (0, 55, 100)]
    + [{"moderation": m} for m in MODERATIONS]
    + [{"user": "user-1234"}]
    + [{"stream": True}, {"stream": True, "partial_images": 0}, {"stream": True, "partial_images": 3}]
    + [{"model": "dall-e-3", "quality": "hd", "size": "1792x1024"}, {"model": "dall-e-2", "size": "256x256", "n": 3}]
    + [{"model": "gpt-image-1", "background": "transparent", "output_format": "webp", "output_compression": 70}]
)


@pytest.mark.parametrize("params", CASES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "defaults")
def test_request_body_matches_spec(params):
    body = body_for(**params)
    REQUEST.validate(body)
    for key, value in params.items():
        assert body[key] == value


def test_strict_validator_catches_unknown_fields():
    with pytest.raises(jsonschema.ValidationError):
        REQUEST.validate({"prompt": "x", "model": "gpt-image-2", "seed": 3})


async def test_demo_json_answer_matches_spec(demo):
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{demo.base_url}/images/generations", json=body_for(n=2, size="1024x1536", quality="low"))
    assert answer.status_code == 200
    validator("ImagesResponse").validate(answer.json())


async def test_demo_stream_events_match_spec(demo):
    event_schema = validator("ImageGenStreamEvent")
    kinds = []
    async with httpx.AsyncClient() as http:
        async with http.stream("POST", f"{demo.base_url}/images/generations", json=body_for(stream=True, partial_images=2)) as answer:
            async for line in answer.aiter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    event_schema.validate(event)
                    kinds.append(event["type"])
    assert kinds == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]


async def test_demo_errors_match_spec(demo):
    async with httpx.AsyncClient() as http:
        for directive in ("#fail:401", "#fail:429", "#fail:moderation", "#fail:500"):
            answer = await http.post(f"{demo.base_url}/images/generations", json={"model": "gpt-image-2", "prompt": f"x {directive}"})
            validator("ErrorResponse").validate(answer.json())


def test_vendored_schemas_match_shared_spec():
    if not SHARED_SPEC.exists():
        pytest.skip("../shared/openai-openapi/openapi.yaml is not beside this checkout")
    import importlib.util

    tool = Path(__file__).resolve().parents[1] / "tools" / "extract_openai_schemas.py"
    spec = importlib.util.spec_from_file_location("extract", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert json.loads(json.dumps(module.extract(SHARED_SPEC), sort_keys=True)) == SCHEMAS
