"""The demo server's personalities, read off real sockets with plain httpx: each local server's
answer and error shapes, where it reads each extra (what it `understood`), its edits or their
absence, as DESIGN.md's "Backends and their dialects" says. The client's mappings are tested
against these."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys

import httpx
import pytest
from PIL import Image

from imagegen_tui.demo.server import DemoServer
from imagegen_tui.metadata import PNG_SIGNATURE

GREY = (128, 128, 128)


def post(server: DemoServer, route: str, body: dict | None = None, **form) -> httpx.Response:
    """A JSON `body`, or a form (`data`, `files`), as any client would send it."""
    return httpx.post(f"{server.base_url}{route}", timeout=10, **({"json": body} if body is not None else form))


def generate(server: DemoServer, **body) -> httpx.Response:
    return post(server, "/images/generations", {"size": "64x64", **body})


def png(width: int = 64, height: int = 64, colour: tuple[int, ...] = GREY, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def half_mask(mode: str) -> bytes:
    """The left half marked for change: white in an L mask (LocalAI), transparent in RGBA (OpenAI)."""
    image = Image.new(mode, (64, 64), 0 if mode == "L" else (0, 0, 0, 255))
    image.paste(255 if mode == "L" else (0, 0, 0, 0), (0, 0, 32, 64))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def picture(entry: dict) -> bytes:
    return base64.b64decode(entry["b64_json"])


def pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def understood(server: DemoServer) -> dict:
    return server.received[-1].understood


# --- openai and the gateways: as always, and recorded ---------------------------------------------


@pytest.mark.parametrize("dialect", ["openai", "litellm", "azure", "gemini"])
def test_the_openai_speakers_answer_as_ever_and_do_not_read_extras(speaking, dialect):
    server = speaking(dialect)
    answer = generate(server, model="gpt-image-2", prompt="a fox", seed=42, steps=8)
    assert answer.status_code == 200
    payload = answer.json()
    assert set(payload) == {"created", "data", "size", "quality", "background", "output_format", "usage"}
    assert pixels(picture(payload["data"][0])).size == (64, 64)
    received = server.received[-1]
    assert received.route == "/images/generations" and received.fields["seed"] == 42
    assert received.understood == {"model": "gpt-image-2", "prompt": "a fox", "size": "64x64"}
    failed = generate(server, model="gpt-image-2", prompt="#fail:429")
    assert failed.status_code == 429 and failed.json()["error"]["code"] == "rate_limit_exceeded"


def test_an_openai_edit_is_recorded_with_its_files(speaking):
    server = speaking("openai")
    answer = post(server, "/images/edits", data={"model": "gpt-image-2", "prompt": "a door", "n": "2"},
                  files=[("image[]", ("room.png", png(), "image/png")), ("image[]", ("cat.png", png(32, 32), "image/png"))])
    assert answer.status_code == 200 and len(answer.json()["data"]) == 2
    received = server.received[-1]
    assert received.route == "/images/edits" and received.headers["content-type"].startswith("multipart/form-data")
    assert [(f.field, f.filename, f.size) for f in received.files] == [("image[]", "room.png", len(png())), ("image[]", "cat.png", len(png(32, 32)))]
    assert received.fields == {"model": "gpt-image-2", "prompt": "a door", "n": "2"}
    assert received.understood == {"model": "gpt-image-2", "prompt": "a door", "n": 2}


def test_no_such_dialect_is_said():
    with pytest.raises(ValueError, match="'localia' is not a dialect.*'localai'"):
        DemoServer(dialect="localia")


# --- LocalAI ----------------------------------------------------------------------------------


def test_localai_answers_a_fetchable_url_by_default_with_usage(speaking):
    server = speaking("localai")
    payload = generate(server, prompt="a fox").json()
    assert set(payload) == {"created", "id", "data", "usage"} and set(payload["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    (entry,) = payload["data"]
    assert set(entry) == {"url"}
    fetched = httpx.get(entry["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content.startswith(PNG_SIGNATURE)
    assert understood(server)["response_format"] == "url"


def test_localai_answers_base64_when_asked(speaking):
    server = speaking("localai")
    (entry,) = generate(server, prompt="a fox", response_format="b64_json").json()["data"]
    assert set(entry) == {"b64_json"} and pixels(picture(entry)).size == (64, 64)
    assert understood(server)["response_format"] == "b64_json"


def test_localai_reads_step_seed_and_the_negative_after_the_bar(speaking):
    server = speaking("localai")
    assert generate(server, prompt="a fox|blurry|dark", step=8, seed=42, response_format="b64_json").status_code == 200
    assert understood(server) == {
        "prompt": "a fox", "negative": "blurry|dark", "steps": 8, "seed": 42, "model": "stablediffusion", "n": 1, "size": "64x64", "response_format": "b64_json",
    }


def test_localai_does_not_read_our_names(speaking):
    server = speaking("localai")
    assert generate(server, model="flux.1-dev", prompt="a fox", steps=8, negative_prompt="blurry", guidance_scale=3).status_code == 200
    assert understood(server) == {"prompt": "a fox", "model": "flux.1-dev", "n": 1, "size": "64x64", "response_format": "url"}


def test_localai_turns_a_size_without_x_into_512(speaking):
    server = speaking("localai")
    (entry,) = generate(server, prompt="a fox", size="big", response_format="b64_json").json()["data"]
    assert understood(server)["size"] == "512x512" and pixels(picture(entry)).size == (512, 512)


def test_localai_has_no_edits_and_errors_in_its_shape(speaking):
    server = speaking("localai")
    missing = post(server, "/images/edits", files={"image": ("a.png", png(), "image/png")}, data={"prompt": "x"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404 and missing.json()["error"]["type"] == ""
    failed = generate(server, prompt="a fox #fail:401")
    assert failed.status_code == 401 and failed.json() == {"error": {"code": 401, "message": "Incorrect API key provided.", "type": ""}}


def test_localai_inpaints_where_the_mask_is_white(speaking):
    server = speaking("localai")
    answer = post(server, "/images/inpainting", data={"model": "stablediffusion", "prompt": "a red door", "steps": "12"},
                  files={"image": ("room.png", png(), "image/png"), "mask": ("mask.png", half_mask("L"), "image/png")})
    assert answer.status_code == 200
    (entry,) = answer.json()["data"]
    assert set(entry) == {"url"}
    result = pixels(httpx.get(entry["url"], timeout=10).content)
    assert result.size == (64, 64)
    assert result.getpixel((48, 32)) == GREY and result.getpixel((16, 32)) != GREY  # black kept, white repainted
    received = server.received[-1]
    assert received.route == "/images/inpainting"
    assert [(f.field, f.filename) for f in received.files] == [("image", "room.png"), ("mask", "mask.png")]
    assert received.understood == {"prompt": "a red door", "model": "stablediffusion", "steps": 12, "n": 1, "size": "64x64", "images": 1, "mask": True}


@pytest.mark.parametrize("leave_out", ["model", "prompt", "image", "mask"])
def test_localai_inpainting_needs_model_prompt_image_and_mask(speaking, leave_out):
    server = speaking("localai")
    data = {name: value for name, value in {"model": "stablediffusion", "prompt": "a door"}.items() if name != leave_out}
    files = {name: (f"{name}.png", png(), "image/png") for name in ("image", "mask") if name != leave_out}
    answer = post(server, "/images/inpainting", data=data, files=files)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 400 and leave_out in answer.json()["error"]["message"]


# --- stable-diffusion.cpp's sd-server -----------------------------------------------------------------


def test_sd_server_reads_extras_only_from_the_prompt_tag(speaking):
    server = speaking("sd-server")
    tag = '<sd_cpp_extra_args>{"steps":8,"seed":42,"cfg_scale":7,"negative_prompt":"blurry"}</sd_cpp_extra_args>'
    answer = generate(server, model="gpt-image-2", prompt=f"a fox {tag}", quality="high", response_format="url", seed=5, steps=30)
    assert answer.status_code == 200
    payload = answer.json()
    assert set(payload) == {"created", "data", "output_format"} and payload["output_format"] == "png"
    assert set(payload["data"][0]) == {"b64_json"}  # response_format ignored
    assert understood(server) == {"prompt": "a fox", "steps": 8, "seed": 42, "guidance": 7.0, "negative": "blurry", "n": 1, "size": "64x64", "output_format": "png"}


def test_sd_server_refuses_a_tag_that_is_not_json(speaking):
    server = speaking("sd-server")
    answer = generate(server, prompt='a fox <sd_cpp_extra_args>{"steps": 8,}</sd_cpp_extra_args>')
    assert answer.status_code == 400
    assert isinstance(answer.json()["error"], str) and "sd_cpp_extra_args" in answer.json()["error"]


def test_sd_server_lists_only_its_model_and_errors_as_text(speaking):
    server = speaking("sd-server")
    assert [m["id"] for m in httpx.get(f"{server.base_url}/models", timeout=10).json()["data"]] == ["sd-cpp-local"]
    failed = generate(server, prompt="a fox #fail:500")
    assert failed.status_code == 500 and failed.json() == {"error": "The server had an error while processing your request."}


def test_sd_server_edits_a_multipart_form_of_image_list_and_a_painted_mask(speaking):
    server = speaking("sd-server")

    def edit(mask: bytes, field: str = "image[]") -> httpx.Response:
        return post(server, "/images/edits", data={"prompt": 'a door <sd_cpp_extra_args>{"seed":3}</sd_cpp_extra_args>'},
                    files=[(field, ("room.png", png(), "image/png")), ("mask", ("mask.png", mask, "image/png"))])

    answer = edit(half_mask("L"))  # white = repaint
    assert answer.status_code == 200
    result = pixels(picture(answer.json()["data"][0]))
    assert result.getpixel((48, 32)) == GREY and result.getpixel((16, 32)) != GREY
    assert understood(server) == {"prompt": "a door", "seed": 3, "n": 1, "size": "64x64", "output_format": "png", "images": 1, "mask": True}
    openai_shaped = pixels(picture(edit(half_mask("RGBA")).json()["data"][0]))  # its alpha is not read: all black, all kept
    assert openai_shaped.getpixel((16, 32)) == GREY
    refused = edit(half_mask("L"), field="image")
    assert refused.status_code == 400 and refused.json() == {"error": "at least one image[] required"}


# --- vLLM-Omni ---------------------------------------------------------------------------------


def test_vllm_omni_reads_its_names_and_ignores_others(speaking):
    server = speaking("vllm-omni")
    answer = generate(server, prompt="a fox", negative_prompt="blurry", num_inference_steps=20, guidance_scale=4.5, true_cfg_scale=2, seed=7, steps=99, cfg_scale=1, n=2)
    assert answer.status_code == 200
    payload = answer.json()
    assert set(payload) == {"created", "data"} and len(payload["data"]) == 2
    assert all(entry["url"] is None and entry["revised_prompt"] is None and entry["b64_json"] for entry in payload["data"])
    assert understood(server) == {
        "prompt": "a fox", "negative": "blurry", "steps": 20, "guidance": 4.5, "true_cfg_scale": 2.0, "seed": 7, "model": "Qwen/Qwen-Image", "n": 2, "size": "64x64",
    }


@pytest.mark.parametrize(("field", "value"), [("n", 11), ("size", "huge"), ("num_inference_steps", "many")])
def test_vllm_omni_refuses_bad_fields_as_fastapi_does(speaking, field, value):
    server = speaking("vllm-omni")
    answer = generate(server, prompt="a fox", **{field: value})
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", field] and problem["msg"]


def test_vllm_omni_fails_in_fastapi_shape(speaking):
    server = speaking("vllm-omni")
    answer = generate(server, prompt="a fox #fail:503")
    assert answer.status_code == 503 and answer.json() == {"detail": "The engine is currently overloaded, please try again later."}


def test_vllm_omni_edits_a_multipart_form(speaking):
    server = speaking("vllm-omni")
    answer = post(server, "/images/edits", data={"prompt": "a door", "num_inference_steps": "12", "seed": "4"}, files={"image": ("room.png", png(), "image/png")})
    assert answer.status_code == 200 and answer.json()["data"][0]["url"] is None
    assert pixels(picture(answer.json()["data"][0])).size == (64, 64)
    assert understood(server) == {"prompt": "a door", "steps": 12, "seed": 4, "model": "Qwen/Qwen-Image", "n": 1, "size": "64x64", "images": 1, "mask": False}


def test_the_same_seed_draws_the_same_picture_and_another_seed_another(speaking):
    server = speaking("vllm-omni")
    first, again, other = (picture(generate(server, prompt="a fox", seed=seed).json()["data"][0]) for seed in (1, 1, 2))
    assert first == again and first != other


# --- text-generation-webui ------------------------------------------------------------------------


def parameters_chunk(data: bytes) -> str:
    return Image.open(io.BytesIO(data)).text["parameters"]


def test_textgen_writes_a1111_parameters_of_what_it_read(speaking):
    server = speaking("textgen")
    answer = generate(server, prompt="a fox", negative_prompt="blurry", steps=12, cfg_scale=3.5, image_seed=42, seed=7, num_inference_steps=50)
    assert answer.status_code == 200
    (entry,) = answer.json()["data"]
    assert parameters_chunk(picture(entry)) == "a fox\nNegative prompt: blurry\nSteps: 12, Sampler: Euler, CFG scale: 3.5, Seed: 42, Size: 64x64"
    assert understood(server) == {"prompt": "a fox", "negative": "blurry", "steps": 12, "guidance": 3.5, "seed": 42, "n": 1, "size": "64x64"}


def test_textgen_draws_batches_each_with_the_next_seed(speaking):
    server = speaking("textgen")
    data = [picture(entry) for entry in generate(server, prompt="a fox", image_seed=10, batch_size=2, batch_count=2).json()["data"]]
    assert [parameters_chunk(d).rsplit("Seed: ", 1)[1].split(",")[0] for d in data] == ["10", "11", "12", "13"]
    assert understood(server)["n"] == 2 and understood(server)["batch_count"] == 2


def test_textgen_picks_a_seed_for_minus_one_and_falls_back_to_1024_for_a_bad_size(speaking):
    server = speaking("textgen")
    (entry,) = generate(server, prompt="a fox", image_seed=-1, size="wide").json()["data"]
    text = parameters_chunk(picture(entry))
    assert int(text.rsplit("Seed: ", 1)[1].split(",")[0]) >= 0 and text.endswith("Size: 1024x1024")
    assert understood(server)["seed"] == -1 and understood(server)["size"] == "1024x1024"


def test_textgen_has_no_edits(speaking):
    server = speaking("textgen")
    answer = post(server, "/images/edits", files={"image": ("a.png", png(), "image/png")}, data={"prompt": "x"})
    assert answer.status_code == 404 and isinstance(answer.json()["detail"], str)


# --- Ollama -------------------------------------------------------------------------------------


def test_ollama_draws_one_picture_whatever_n_says(speaking):
    server = speaking("ollama")
    payload = generate(server, model="x/z-image-turbo", prompt="a fox", n=3, response_format="url", seed=9, steps=4).json()
    assert set(payload) == {"created", "data"} and len(payload["data"]) == 1 and set(payload["data"][0]) == {"b64_json"}
    assert understood(server) == {"prompt": "a fox", "model": "x/z-image-turbo", "n": 1, "size": "64x64", "seed": 9}


def test_ollama_needs_a_model_and_errors_in_its_shape(speaking):
    server = speaking("ollama")
    answer = generate(server, prompt="a fox")
    assert answer.status_code == 400
    assert answer.json() == {"error": {"message": "model is required", "type": "api_error", "param": None, "code": None}}


@pytest.mark.parametrize("as_data_url", [False, True])
def test_ollama_edits_are_json_drawn_from_the_image(speaking, as_data_url):
    server = speaking("ollama")

    def edit(colour: tuple[int, int, int]) -> bytes:
        image = base64.b64encode(png(48, 32, colour)).decode()
        body = {"model": "x/z-image-turbo", "prompt": "a door", "image": f"data:image/png;base64,{image}" if as_data_url else image, "seed": 3}
        answer = post(server, "/images/edits", body)
        assert answer.status_code == 200, answer.text
        return picture(answer.json()["data"][0])

    dark, light = edit((20, 20, 20)), edit((230, 230, 230))
    assert pixels(dark).size == (48, 32) and dark != light  # the input's size, and drawn from it
    assert understood(server) == {"prompt": "a door", "model": "x/z-image-turbo", "n": 1, "size": "48x32", "seed": 3, "images": 1}
    assert server.received[-1].fields["seed"] == 3 and server.received[-1].files == ()  # the JSON body as sent


def test_ollama_refuses_a_multipart_edit(speaking):
    server = speaking("ollama")
    answer = post(server, "/images/edits", files={"image": ("a.png", png(), "image/png")}, data={"model": "x/z-image-turbo", "prompt": "x"})
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "api_error"


# --- every personality ---------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["localai", "sd-server", "vllm-omni", "textgen", "ollama"])
def test_directives_fail_in_each_servers_own_shape(speaking, dialect):
    server = speaking(dialect)
    answer = generate(server, model="m", prompt="a fox #fail:quota")
    assert answer.status_code == 429
    assert "You exceeded your current quota" in json.dumps(answer.json())


def test_serve_demo_says_which_dialect_it_speaks():
    proc = subprocess.Popen([sys.executable, "-m", "imagegen_tui", "serve-demo", "--port", "0", "--quiet", "--dialect", "sd-server"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("imagegen-tui demo provider speaking sd-server: stable-diffusion.cpp's sd-server; listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[-1].strip()
        assert [m["id"] for m in httpx.get(f"{url}/models", timeout=10).json()["data"]] == ["sd-cpp-local"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
