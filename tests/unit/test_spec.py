"""Every body the client can send (generations' JSON, edits' multipart form), and every answer
the demo server gives, against OpenAI's published schemas (tests/data is extracted from
../shared/openai-openapi/openapi.yaml by tests/tools/extract_openai_schemas.py)."""

import io
import json
from pathlib import Path

import httpx
import jsonschema
import pytest

from imagegen_tui.config import Profile
from imagegen_tui.dialects import DIALECTS
from imagegen_tui.models import BACKGROUNDS, FORMATS, GPT_QUALITIES, GPT_SIZES, INPUT_FIDELITIES, MODERATIONS, caps_for_model, with_overrides
from imagegen_tui.request import EditRequest, ImageRequest, InputImage

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


# what generations and edits both take, every value of each
SHARED_CASES = (
    [{}]
    + [{"size": s} for s in GPT_SIZES + ("1536x864", "3840x2160")]
    + [{"quality": q} for q in GPT_QUALITIES]
    + [{"n": n} for n in (1, 4, 10)]
    + [{"background": b, "output_format": "png"} for b in BACKGROUNDS]
    + [{"output_format": f} for f in FORMATS]
    + [{"output_format": f, "output_compression": c} for f in ("jpeg", "webp") for c in (0, 55, 100)]
    + [{"user": "user-1234"}]
    + [{"stream": True}, {"stream": True, "partial_images": 0}, {"stream": True, "partial_images": 3}]
    + [{"model": "gpt-image-1", "background": "transparent", "output_format": "webp", "output_compression": 70}]
)

CASES = (
    SHARED_CASES
    + [{"moderation": m} for m in MODERATIONS]
    + [{"model": "dall-e-3", "quality": "hd", "size": "1792x1024"}, {"model": "dall-e-2", "size": "256x256", "n": 3}]
)


@pytest.mark.parametrize("params", CASES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "defaults")
def test_request_body_matches_spec(params):
    body = body_for(**params)
    REQUEST.validate(body)
    for key, value in params.items():
        assert body[key] == value


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("params", [{}, {"n": 1, "size": "1024x1024"}, {"model": "dall-e-3", "size": "1024x1024"}], ids=["defaults", "n,size", "dall-e-3"])
def test_every_dialects_body_matches_spec(dialect, params):
    """A dialect changes what may be asked and how the key travels, never the body's shape."""
    params = dict(params)
    profile = Profile("p", base_url="http://127.0.0.1:9/v1", dialect=dialect, model=params.pop("model", "gpt-image-2"))
    caps = profile.caps()
    REQUEST.validate(ImageRequest(prompt="a lighthouse at dusk", model=profile.model, **params).validate(caps).body(caps))


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


# --- edits: the multipart form, as the demo server received it ------------------------------------

EDIT = validator("CreateImageEditRequest", strict=True)
EDIT_PROPERTIES = SCHEMAS["$defs"]["CreateImageEditRequest"]["properties"]


def json_types(schema: dict) -> set[str]:
    """Every JSON type a schema allows, through $ref and anyOf."""
    if "$ref" in schema:
        return json_types(SCHEMAS["$defs"][schema["$ref"].rsplit("/", 1)[1]])
    found = {schema["type"]} if "type" in schema else set()
    for option in schema.get("anyOf", []):
        found |= json_types(option)
    return found


def as_schema_document(parts) -> dict:
    """A form in the schema's types: a form carries only text, so each field is read as the type
    its property allows (n=2 is 2, stream=true is True); a file is binary, which the schema
    describes as a string; `image[]` parts make the `image` array."""
    document: dict = {}
    for part in parts:
        if part.filename is not None:
            value = part.data.decode("latin-1")
            if part.name.endswith("[]"):
                document.setdefault(part.name[:-2], []).append(value)
            else:
                document[part.name] = value
            continue
        types = json_types(EDIT_PROPERTIES.get(part.name, {}))
        text = part.text()
        document[part.name] = int(text) if "integer" in types else {"true": True, "false": False}[text] if "boolean" in types else text
    return document


def inputs(count: int) -> tuple[InputImage, ...]:
    from PIL import Image

    formats = ("PNG", "JPEG", "WEBP")
    made = []
    for i in range(count):
        buffer = io.BytesIO()
        Image.new("RGB", (48, 32), (i * 15, 80, 160)).save(buffer, formats[i % 3])
        made.append(InputImage(buffer.getvalue(), f"input-{i}.{formats[i % 3].lower()}"))
    return tuple(made)


EDIT_CASES = (
    SHARED_CASES
    + [{"input_fidelity": f} for f in INPUT_FIDELITIES]
    + [{"stream": True, "n": 2}]
    + [{"images": 2}, {"images": 16}, {"mask": True}, {"images": 3, "mask": True, "input_fidelity": "high"}]
    + [{"model": "gpt-image-1-mini", "quality": "low"}, {"model": "dall-e-2", "size": "256x256", "n": 3}]
)


@pytest.fixture
def received(monkeypatch) -> list:
    """Every form the demo server parses, as it came off the socket."""
    from imagegen_tui.demo import server

    forms = []
    parse = server.parse_form

    def keep(content_type: str, raw: bytes):
        forms.append(parse(content_type, raw))
        return forms[-1]

    monkeypatch.setattr(server, "parse_form", keep)
    return forms


@pytest.mark.parametrize("params", EDIT_CASES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "defaults")
async def test_every_edit_form_matches_spec(demo, received, params):
    from imagegen_tui.client import ImagesClient
    from imagegen_tui.endpoint import Endpoint
    from imagegen_tui.errors import ImageAPIError
    from imagegen_tui.masks import rect, region_mask

    params = dict(params)
    model = params.pop("model", "gpt-image-2")
    caps = ALL_CAPS if model == "gpt-image-2" else with_overrides(caps_for_model(model), edits=True)
    images = inputs(params.pop("images", 1))
    mask = InputImage(region_mask((48, 32), [rect("25%,25%,50%,50%")]), "mask.png") if params.pop("mask", False) else None
    # the directive makes the demo refuse at once: what is checked is what it received
    request = EditRequest(prompt="a lighthouse at dusk #fail:400", model=model, images=images, mask=mask, **params).validate(caps)
    async with ImagesClient(Endpoint(base_url=demo.base_url)) as client:
        with pytest.raises(ImageAPIError):
            await client.edit(request, caps)
    # streamed, n=2 is two n=1 requests at once; the first refusal cancels the other, which may
    # not have left yet on a busy machine: every form that did arrive is checked
    assert 1 <= len(received) <= (request.n if request.stream else 1)
    for parts in received:
        document = as_schema_document(parts)
        EDIT.validate(document)
        assert "moderation" not in document
        for key, value in params.items():
            assert document[key] == (1 if key == "n" and request.stream else value)
        files = [(part.name, part.filename, part.content_type, part.data) for part in parts if part.filename is not None]
        key = "image" if len(images) == 1 else "image[]"
        sent = [(key, image.name, image.mime, image.data) for image in images]
        assert files == sent + ([("mask", "mask.png", "image/png", mask.data)] if mask else [])


def test_strict_edit_validator_catches_unknown_fields():
    with pytest.raises(jsonschema.ValidationError):
        EDIT.validate({"prompt": "x", "image": "bytes", "moderation": "low"})


async def test_demo_edit_answers_match_spec(demo):
    image = inputs(1)[0]
    files = [("image", (image.name, image.data, image.mime))]
    async with httpx.AsyncClient() as http:
        # the answer's size enum lists only the standard sizes, not the custom ones it echoes
        answer = await http.post(f"{demo.base_url}/images/edits", data={"model": "gpt-image-2", "prompt": "x", "n": "2", "size": "1024x1024"}, files=files)
        assert answer.status_code == 200
        validator("ImagesResponse").validate(answer.json())
        kinds = []
        data = {"model": "gpt-image-2", "prompt": "x", "size": "1024x1024", "stream": "true", "partial_images": "2"}
        async with http.stream("POST", f"{demo.base_url}/images/edits", data=data, files=files) as streamed:
            async for line in streamed.aiter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    validator("ImageEditStreamEvent").validate(event)
                    kinds.append(event["type"])
        assert kinds == ["image_edit.partial_image"] * 2 + ["image_edit.completed"]
        refused = await http.post(f"{demo.base_url}/images/edits", data={"model": "gpt-image-2", "prompt": "x", "moderation": "low"}, files=files)
        assert refused.status_code == 400
        validator("ErrorResponse").validate(refused.json())
