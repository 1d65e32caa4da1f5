"""Through a real LiteLLM proxy (1.110.2) in front of the demo server, both started here on
127.0.0.1: the `litellm` dialect generates, each request reaches the provider exactly once
(x-litellm-num-retries: 0), errors come back as sentences without repeats, the gateway's bill
is recorded, and streaming is refused before anything is sent.

An opt-in group (`-m interop`): it needs LiteLLM's proxy, which is no dependency of ours. Point
IMAGEGEN_TUI_LITELLM at its `litellm` command (README, "LiteLLM")."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import write_config
from imagegen_tui import service
from imagegen_tui.client import ImagesClient
from imagegen_tui.config import Profile, load_config
from imagegen_tui.demo.server import DemoServer
from imagegen_tui.errors import ErrorKind, ImageAPIError, InvalidRequest
from imagegen_tui.request import ImageRequest
from imagegen_tui.store import HistoryStore

LITELLM = os.environ.get("IMAGEGEN_TUI_LITELLM")
UPSTREAM_KEY = "upstream-key-1234567890"
MASTER_KEY = "sk-fake-not-a-key-litellm-master"  # LiteLLM wants sk-; a proxy the test starts and stops
READY_WITHIN = 90.0  # seconds; about 13 on a quiet 2-core machine

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not LITELLM, reason="the interop group needs LiteLLM's proxy: set IMAGEGEN_TUI_LITELLM=/path/to/litellm (1.110.2)"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def upstream() -> Iterator[DemoServer]:
    with DemoServer(key=UPSTREAM_KEY) as server:
        yield server


@pytest.fixture(scope="module")
def gateway(upstream: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The proxy's base URL; its log is printed when it does not come up."""
    home = tmp_path_factory.mktemp("litellm")
    (home / "config.yaml").write_text(
        "model_list:\n  - model_name: gpt-image-2\n    litellm_params:\n      model: openai/gpt-image-2\n"
        f"      api_base: {upstream.base_url}\n      api_key: {UPSTREAM_KEY}\n"
        f"general_settings:\n  master_key: {MASTER_KEY}\n"
    )
    port = free_port()
    log = (home / "litellm.log").open("wb")
    env = {**os.environ, "HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_PROXY": "127.0.0.1,localhost"}
    proxy = subprocess.Popen(
        [str(LITELLM), "--config", str(home / "config.yaml"), "--host", "127.0.0.1", "--port", str(port)],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_WITHIN
        while True:
            try:
                if httpx.get(f"{base}/health/liveliness", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proxy.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"LiteLLM did not come up:\n{(home / 'litellm.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield f"{base}/v1"
    finally:
        proxy.terminate()
        try:
            proxy.wait(20)
        except subprocess.TimeoutExpired:
            proxy.kill()
        log.close()


@pytest.fixture
def profile(dirs, gateway: str) -> Profile:
    write_config(dirs, f'profile = "gw"\n[profiles.gw]\ndialect = "litellm"\nbase_url = "{gateway}"\napi_key = "{MASTER_KEY}"\n')
    config = load_config()
    assert config.error is None, config.error
    return config.profiles["gw"]


def upstream_calls(upstream: DemoServer) -> int:
    return upstream.httpd.generation_requests


async def one(profile: Profile, prompt: str, **kw):
    caps = profile.caps()
    async with ImagesClient(profile.endpoint({})) as client:
        return await client.generate(ImageRequest(prompt=prompt, model="gpt-image-2", **kw).validate(caps), caps)


def test_a_generation_through_litellm_is_one_upstream_call_and_its_bill_is_recorded(profile, upstream, dirs):
    before = upstream_calls(upstream)
    config = load_config()
    with HistoryStore.open_default() as store:
        outcome = asyncio.run(service.generate(config, profile, ImageRequest(prompt="a fox", model="gpt-image-2", n=2, size="1024x1024"), {}, store=store))
        row = store.get(outcome.history_id)
    assert upstream_calls(upstream) == before + 1
    assert len(outcome.saved) == 2 and all(path.exists() for path in (s.path for s in outcome.saved))
    # LiteLLM priced the call from its cost map and said so in x-litellm-response-cost
    assert outcome.result.gateway_cost is not None and outcome.result.gateway_cost > 0
    assert row.gateway_cost == outcome.result.gateway_cost and row.cost({}) == row.gateway_cost
    assert outcome.result.key_spend is not None and outcome.result.key_spend >= outcome.result.gateway_cost
    sent = upstream.httpd.image_headers[-1]
    assert sent["authorization"] == f"Bearer {UPSTREAM_KEY}"  # LiteLLM's own key upstream, never ours


def test_without_the_header_litellm_repeats_a_failed_call_upstream(gateway, upstream):
    """Why the dialect sends x-litellm-num-retries: 0: the same 500, asked for plainly."""
    before = upstream_calls(upstream)
    answer = httpx.post(f"{gateway}/images/generations", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                        json={"model": "gpt-image-2", "prompt": "a fox #fail:500"}, timeout=120)
    assert answer.status_code == 500
    assert upstream_calls(upstream) - before > 1


@pytest.mark.parametrize(("directive", "kind"), [("#fail:500", ErrorKind.SERVER), ("#fail:quota", ErrorKind.QUOTA), ("#fail:moderation", ErrorKind.MODERATION)])
def test_errors_come_back_as_sentences_after_one_upstream_call(profile, upstream, directive, kind):
    before = upstream_calls(upstream)
    with pytest.raises(ImageAPIError) as failed:
        asyncio.run(one(profile, f"a fox {directive}"))
    assert failed.value.kind is kind, str(failed.value)
    assert upstream_calls(upstream) == before + 1


def test_streaming_is_refused_before_anything_is_sent(profile, upstream):
    before = upstream_calls(upstream)
    with pytest.raises(InvalidRequest) as refused:
        asyncio.run(one(profile, "a fox", stream=True))
    assert "three times, each billed" in dict(refused.value.problems)["stream"]
    assert upstream_calls(upstream) == before


def test_streamed_anyway_litellm_fails_but_calls_upstream_once(profile, upstream):
    """What the refusal protects from, measured: a profile that turns streaming on gets
    LiteLLM's 500, after one (billed) upstream call thanks to the header, not three."""
    from dataclasses import replace

    from imagegen_tui.config import Capabilities

    forced = replace(profile, capabilities=Capabilities(streaming=True))
    before = upstream_calls(upstream)
    with pytest.raises(ImageAPIError) as failed:
        asyncio.run(one(forced, "a fox", stream=True))
    assert failed.value.status == 500
    assert upstream_calls(upstream) == before + 1



def test_extras_pass_through_litellm_to_the_upstream(profile, upstream):
    """Measured, not assumed: what of our extras (sent under the names given) reaches the
    upstream through LiteLLM's OpenAI route."""
    before = len(upstream.received)
    asyncio.run(one(profile, "a fox", extra={"seed": 42, "negative": "blurry", "true_cfg_scale": 4.0}))
    (sent,) = upstream.received[before:]
    assert {key: sent.fields.get(key) for key in ("seed", "negative", "true_cfg_scale")} == {"seed": 42, "negative": "blurry", "true_cfg_scale": 4.0}
