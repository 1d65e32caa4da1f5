"""Dialects: a profile's `dialect` is read and checked, it shapes what may be asked (streaming,
sizes, n, edits, response_format) and how the key and the dialect's headers travel (over real
sockets to the demo server), and a gateway's bill reaches the history and the ledger."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import pytest
from PIL import Image

from conftest import write_config
from imagegen_tui import budget, service
from imagegen_tui.client import ImagesClient
from imagegen_tui.config import load_config
from imagegen_tui.demo.server import GATEWAY_KEY_SPEND, DemoServer
from imagegen_tui.dialects import DIALECTS, EXTRAS, LITELLM_NO_STREAMING
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.request import EditRequest, ImageRequest, InputImage
from imagegen_tui.store import HistoryStore

KEY = "demo-secret-key-123456"


def profile_of(dirs, table: str, name: str = "p"):
    write_config(dirs, f'profile = "{name}"\n[profiles.{name}]\n{table}\n')
    config = load_config()
    assert config.error is None, config.error
    return config, config.profiles[name]


def problems(profile, **kw) -> dict[str, str]:
    request = ImageRequest(prompt="a fox", model=kw.pop("model", profile.model), **kw)
    try:
        request.validate(profile.caps(request.model))
    except InvalidRequest as refused:
        return dict(refused.problems)
    return {}


def test_a_profile_speaks_openai_unless_it_says_otherwise(dirs):
    _, profile = profile_of(dirs, 'base_url = "http://127.0.0.1:9/v1"')
    assert profile.dialect == "openai"
    assert load_config().profiles["openai"].dialect == "openai"


def test_an_unknown_dialect_is_refused_naming_the_nearest(dirs):
    write_config(dirs, '[profiles.gw]\nbase_url = "http://127.0.0.1:9/v1"\ndialect = "litelm"\n')
    error = load_config().error
    assert error is not None and error.key == "profiles.gw.dialect"
    assert "'litelm' is not a dialect" in error.message and "did you mean 'litellm'?" in error.message
    write_config(dirs, '[profiles.gw]\nbase_url = "http://127.0.0.1:9/v1"\ndialect = 3\n')
    assert load_config().error.message == "expected a string, got a whole number"


def test_a_new_profile_takes_its_dialects_key_variable_and_key_rule(dirs):
    _, azure = profile_of(dirs, 'dialect = "azure"\nbase_url = "https://me.openai.azure.com/openai/v1"')
    assert azure.api_key_env == "AZURE_OPENAI_API_KEY" and azure.key_required
    _, local = profile_of(dirs, 'dialect = "vllm-omni"\nbase_url = "http://127.0.0.1:8000/v1"\nmodel = "Qwen/Qwen-Image"')
    assert local.api_key_env is None and not local.key_required
    _, own = profile_of(dirs, 'dialect = "litellm"\nbase_url = "http://127.0.0.1:4000/v1"\napi_key_env = "MY_GATEWAY_KEY"')
    assert own.api_key_env == "MY_GATEWAY_KEY"


def test_litellm_refuses_streaming_saying_why_until_the_profile_turns_it_on(dirs):
    _, gateway = profile_of(dirs, 'dialect = "litellm"\nbase_url = "http://127.0.0.1:4000/v1"')
    assert problems(gateway, stream=True) == {"stream": LITELLM_NO_STREAMING}
    assert "three times, each billed" in LITELLM_NO_STREAMING
    _, fixed = profile_of(dirs, 'dialect = "litellm"\nbase_url = "http://127.0.0.1:4000/v1"\n[profiles.p.capabilities]\nstreaming = true')
    assert problems(fixed, stream=True) == {}


def test_response_format_goes_only_where_the_dialect_or_model_needs_it(dirs):
    def body(table: str, model: str) -> dict:
        _, profile = profile_of(dirs, table)
        caps = profile.caps(model)
        return ImageRequest(prompt="a fox", model=model).validate(caps).body(caps)

    gateway = 'dialect = "litellm"\nbase_url = "http://127.0.0.1:4000/v1"'
    assert "response_format" not in body(gateway, "gpt-image-2")  # LiteLLM #10501: empty data
    assert body(gateway, "dall-e-3")["response_format"] == "b64_json"
    localai = 'dialect = "localai"\nbase_url = "http://127.0.0.1:8080/v1"\nmodel = "sd"'
    assert body(localai, "sd")["response_format"] == "b64_json"  # else it answers with URLs


def test_local_servers_draw_any_size_and_ollama_one_image(dirs):
    _, openai = profile_of(dirs, 'base_url = "http://127.0.0.1:9/v1"')
    assert "size" in problems(openai, size="500x300")  # gpt-image-2's multiples of 16
    _, sd = profile_of(dirs, 'dialect = "sd-server"\nbase_url = "http://127.0.0.1:7860/v1"\nmodel = "sd-cpp-local"')
    assert problems(sd, size="500x300") == {}
    _, ollama = profile_of(dirs, 'dialect = "ollama"\nbase_url = "http://127.0.0.1:11434/v1"\nmodel = "z"')
    assert problems(ollama, n=2) == {"n": "must be between 1 and 1 for z (got 2)"}


def test_gemini_refuses_what_it_would_silently_ignore(dirs):
    _, gemini = profile_of(dirs, 'dialect = "gemini"\nbase_url = "https://generativelanguage.googleapis.com/v1beta/openai"\nmodel = "gemini-2.5-flash-image"')
    assert set(problems(gemini, background="opaque", output_format="png")) == {"background", "output_format"}
    assert problems(gemini, n=2, size="1024x1024") == {}
    assert not gemini.caps().edits and not gemini.caps().streaming


def test_extras_are_named_from_the_one_vocabulary():
    for dialect in DIALECTS.values():
        assert set(dialect.extras) <= set(EXTRAS), dialect.name
        assert not (dialect.negative_joined and "negative" in dialect.extras), dialect.name
    assert DIALECTS["vllm-omni"].extras == {"seed": "seed", "steps": "num_inference_steps", "guidance": "guidance_scale", "negative": "negative_prompt"}
    assert DIALECTS["textgen"].extras["seed"] == "image_seed" and DIALECTS["localai"].extras["steps"] == "step"
    assert DIALECTS["sd-server"].extras_place == "prompt-tag" and DIALECTS["localai"].negative_joined
    assert not DIALECTS["openai"].extras and not DIALECTS["azure"].extras and not DIALECTS["gemini"].extras


def test_each_dialect_says_how_edits_are_sent():
    shapes = {name: dialect.edits for name, dialect in DIALECTS.items()}
    assert shapes == {
        "openai": "multipart", "litellm": "multipart", "azure": "multipart", "gemini": None, "localai": "inpainting",
        "sd-server": "multipart", "vllm-omni": "multipart", "textgen": None, "ollama": "json",
    }


# --- over real sockets ----------------------------------------------------------------------

def png() -> InputImage:
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(picture, "PNG")
    return InputImage(picture.getvalue(), "in.png")


def test_litellm_asks_for_no_retries_on_every_image_call_and_openai_does_not(dirs, demo):
    async def calls(profile) -> None:
        async with ImagesClient(profile.endpoint({})) as client:
            caps = profile.caps()
            await client.generate(ImageRequest(prompt="a fox", model="gpt-image-2", size="1024x1024").validate(caps), caps)
            await client.edit(EditRequest(prompt="a fox", model="gpt-image-2", images=(png(),)).validate(caps), caps)
            await client.list_models()

    _, gateway = profile_of(dirs, f'dialect = "litellm"\nbase_url = "{demo.base_url}"\nkey_required = false')
    asyncio.run(calls(gateway))
    assert [h.get("x-litellm-num-retries") for h in demo.httpd.image_headers] == ["0", "0"]
    _, plain = profile_of(dirs, f'base_url = "{demo.base_url}"\nkey_required = false')
    asyncio.run(calls(plain))
    assert [h.get("x-litellm-num-retries") for h in demo.httpd.image_headers[2:]] == [None, None]


def test_azure_sends_the_key_in_api_key_and_never_as_a_bearer(dirs):
    with DemoServer(key=KEY) as server:
        _, azure = profile_of(dirs, f'dialect = "azure"\nbase_url = "{server.base_url}"\napi_key = "{KEY}"')

        async def call():
            async with ImagesClient(azure.endpoint({})) as client:
                caps = azure.caps()
                result = await client.generate(ImageRequest(prompt="a fox", model="gpt-image-2").validate(caps), caps)
                return result, await client.list_models()

        result, models = asyncio.run(call())
        assert len(result.images) == 1 and "gpt-image-2" in models
        sent = server.httpd.image_headers[0]
        assert sent["api-key"] == KEY and "authorization" not in sent


# --- the gateway's bill ---------------------------------------------------------------------

@pytest.fixture
def store(dirs) -> Iterator[HistoryStore]:
    with HistoryStore.open_default() as s:
        yield s


PRICED = '[prices."gpt-image-2"]\nper_image = 0.5\n[budget]\ndaily = 10.0\n'


def test_the_gateways_bill_is_recorded_and_preferred_to_our_prices(dirs, demo, store):
    write_config(dirs, f'profile = "gw"\n{PRICED}[profiles.gw]\ndialect = "litellm"\nbase_url = "{demo.base_url}"\nkey_required = false\n')
    config = load_config()
    gateway = config.profiles["gw"]

    def run(prompt: str, n: int = 1):
        return asyncio.run(service.generate(config, gateway, ImageRequest(prompt=prompt, model="gpt-image-2", size="256x256", n=n), {}, store=store))

    billed = run("a fox #billed:0.042", n=2)
    assert billed.result.gateway_cost == 0.042 and billed.result.key_spend == float(GATEWAY_KEY_SPEND)
    costed = run("a fox #costed:0.07")  # OpenRouter-style usage.cost
    assert costed.result.gateway_cost == 0.07
    plain = run("a fox")
    first, second, third = (store.get(outcome.history_id) for outcome in (billed, costed, plain))
    assert first.gateway_cost == 0.042 and first.cost(config.prices) == 0.042  # not 2 x 0.50
    assert second.cost(config.prices) == 0.07
    assert third.gateway_cost is None and third.cost(config.prices) == 0.5
    # the budget counts the bills where they exist and our prices elsewhere: 0.042 + 0.07 + 0.5
    (daily,) = budget.status(store, config, ["gw"])
    assert daily.spent == pytest.approx(0.612)


def test_a_figure_that_is_no_cost_is_not_recorded(dirs, demo):
    _, gateway = profile_of(dirs, f'dialect = "litellm"\nbase_url = "{demo.base_url}"\nkey_required = false')

    async def call(prompt: str):
        async with ImagesClient(gateway.endpoint({})) as client:
            caps = gateway.caps()
            return await client.generate(ImageRequest(prompt=prompt, model="gpt-image-2").validate(caps), caps)

    assert asyncio.run(call("a fox #costed:nan")).gateway_cost is None


def test_history_stats_count_the_gateways_bill_and_price_the_rest(dirs, demo, store):
    write_config(dirs, f'profile = "gw"\n{PRICED}[profiles.gw]\ndialect = "litellm"\nbase_url = "{demo.base_url}"\nkey_required = false\n')
    config = load_config()
    for prompt in ("a fox #billed:0.042", "a fox #billed:0.01", "a fox"):
        asyncio.run(service.generate(config, config.profiles["gw"], ImageRequest(prompt=prompt, model="gpt-image-2", size="256x256"), {}, store=store))
    for by in (None, "model", "profile", "day"):
        (row,) = store.stats(by=by, prices=config.prices)
        assert row.cost == pytest.approx(0.552) and row.images == 3, by
    (unpriced,) = store.stats(prices={})  # the unbilled one has no price: the total is unknown
    assert unpriced.cost is None and unpriced.unpriced_models == ["gpt-image-2"]
    # the billed rows are read off a partial index of their own: stats without a gateway read nothing more
    query = "SELECT model, total(gateway_cost), total(output_tokens) FROM generations INDEXED BY generations_billed WHERE gateway_cost IS NOT NULL AND created_at >= 0 AND status = 'done' GROUP BY model"
    assert "COVERING INDEX generations_billed" in " ".join(str(tuple(r)) for r in store._read(f"EXPLAIN QUERY PLAN {query}"))
