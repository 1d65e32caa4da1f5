"""One generation from validated parameters to saved files: the path both the headless command
and the TUI take, so they cannot drift apart."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from imagegen_tui.client import ImagesClient, PartialCallback
from imagegen_tui.config import Config, Profile
from imagegen_tui.errors import ImageAPIError, ProfileUnusable
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import GenerationResult, Usage
from imagegen_tui.saving import SavedImage, SaveTarget, save_result
from imagegen_tui.store import HistoryStore

DEMO_PROVIDER = "demo (synthesized locally)"

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
    history_id: int | None
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
    store: HistoryStore | None = None,
    parent_id: int | None = None,
    slot: asyncio.Semaphore | None = None,
    output_dir: Path | None = None,
    on_partial: PartialCallback | None = None,
    on_event: Callable[[str, int | None], None] | None = None,
) -> Outcome:
    """Validate, record, call the provider, save, complete the record.

    Raises InvalidRequest before anything is sent or recorded (ProfileUnusable when the config
    file has a problem or the profile has no key or no usable base_url), ImageAPIError for
    anything the provider or network does wrong, OSError when the files cannot be written; the history row
    ends failed or cancelled in each case, with its prompt and parameters. `on_event` hears
    "recorded" or "queued" (with the history id), then "started" when a `slot` is free."""
    if (problem := config.problem(profile, environ)) is not None:
        raise ProfileUnusable(problem)
    caps = profile.caps(request.model)
    request = request.validate(caps)
    endpoint = profile.endpoint(environ, embedded_demo_url() if profile.demo else None)
    provider = DEMO_PROVIDER if profile.demo else endpoint.host
    uid = new_generation_id()
    queued = slot is not None and slot.locked()
    row = await asyncio.to_thread(store.begin, uid, request, profile.name, provider, parent_id=parent_id, queued=queued) if store else None
    notify = on_event or (lambda event, row_id: None)
    notify("queued" if queued else "recorded", row)
    try:
        async with slot or contextlib.nullcontext():
            notify("started", row)
            if queued and store and row is not None:
                await asyncio.to_thread(store.start, row)
            async with ImagesClient(endpoint) as client:
                result = await client.generate(request, caps, on_partial)
        target = SaveTarget(
            folder=output_dir or config.output.folder,
            template=config.output.template,
            profile=profile.name,
            provider=provider,
            generation_id=uid,
            when=datetime.now(),
        )
        saved = await asyncio.to_thread(save_result, request, result, target)
    except ImageAPIError as exc:
        if store and row is not None:
            await asyncio.to_thread(store.fail, row, exc.kind.value, str(exc))
        raise
    except OSError as exc:
        if store and row is not None:
            await asyncio.to_thread(store.fail, row, "disk", f"could not save the images: {exc}")
        raise
    except (asyncio.CancelledError, KeyboardInterrupt):
        if store and row is not None:
            store.fail(row, "cancelled", "cancelled before the images arrived", cancelled=True)
        raise
    if store and row is not None:
        await asyncio.to_thread(store.complete, row, saved, result.usage or Usage(), elapsed=result.elapsed, request_id=result.request_id)
    return Outcome(row, uid, request, profile.name, provider, result, saved)
