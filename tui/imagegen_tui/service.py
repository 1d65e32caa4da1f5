"""One generation from validated parameters to saved files: the path both the headless command
and the TUI take, so they cannot drift apart."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from imagegen_tui.client import ImagesClient, PartialCallback
from imagegen_tui.config import Config, Profile
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import GenerationResult
from imagegen_tui.saving import SavedImage, SaveTarget, save_result

DEMO_PROVIDER = "demo (synthesized locally)"
DEMO_NOTICE = (
    "Demo provider: images are synthesized on this machine and nothing is sent anywhere. "
    "To use model-go, set MODEL_GO_API_KEY (OpenAI: OPENAI_API_KEY) or add a profile to the "
    "config file (imagegen-tui config path)."
)

_demo_lock = threading.Lock()
_demo_server = None


def embedded_demo_url() -> str:
    """Start the in-process demo server once, on a free loopback port, and return its URL."""
    global _demo_server
    with _demo_lock:
        if _demo_server is None:
            from imagegen_tui.demo.server import DemoServer

            _demo_server = DemoServer().start()
        return _demo_server.base_url


def new_generation_id() -> str:
    return secrets.token_hex(6)


@dataclass
class Outcome:
    generation_id: str
    request: ImageRequest
    profile: str
    provider: str
    result: GenerationResult
    saved: list[SavedImage]


async def generate(
    config: Config,
    profile: Profile,
    request: ImageRequest,
    environ: Mapping[str, str],
    *,
    output_dir: Path | None = None,
    on_partial: PartialCallback | None = None,
    generation_id: str | None = None,
) -> Outcome:
    """Validate, call the provider, save. Raises InvalidRequest before anything is sent, and
    ImageAPIError for anything the provider or network does wrong."""
    caps = profile.caps(request.model)
    request = request.validate(caps)
    endpoint = profile.endpoint(environ, embedded_demo_url() if profile.demo else None)
    provider = DEMO_PROVIDER if profile.demo else endpoint.host
    async with ImagesClient(endpoint) as client:
        result = await client.generate(request, caps, on_partial)
    target = SaveTarget(
        folder=output_dir or config.output.folder,
        template=config.output.template,
        profile=profile.name,
        provider=provider,
        generation_id=generation_id or new_generation_id(),
        when=datetime.now(),
    )
    saved = await asyncio.to_thread(save_result, request, result, target)
    return Outcome(target.generation_id, request, profile.name, provider, result, saved)
