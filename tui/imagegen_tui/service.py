"""One generation from validated parameters to saved files: the path both the headless command
and the TUI take, so they cannot drift apart."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from imagegen_tui import budget, recovery
from imagegen_tui.client import ImagesClient, PartialCallback
from imagegen_tui.config import Config, Profile
from imagegen_tui.errors import ErrorKind, ImageAPIError, OutputError, ProfileUnusable
from imagegen_tui.request import AnyRequest, EditRequest
from imagegen_tui.results import GenerationResult, Usage
from imagegen_tui.saving import SavedImage, SaveTarget, Unsaved, check_writable, save_result
from imagegen_tui.sources import Source
from imagegen_tui.store import HistoryStore, Provenance, StoreError

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
    request: AnyRequest
    profile: str
    provider: str
    result: GenerationResult
    saved: list[SavedImage]
    notes: list[str] = field(default_factory=list)  # what the person should hear beside the images


CANCELLED_UNSENT = "cancelled before its request was sent: nothing was billed"
CANCELLED_SENT = "cancelled while waiting for the answer: the provider may still finish it and bill the call"


async def generate(
    config: Config,
    profile: Profile,
    request: AnyRequest,
    environ: Mapping[str, str],
    *,
    store: HistoryStore | None = None,
    parent_id: int | None = None,
    sources: Sequence[Source] = (),
    provenance: Provenance = Provenance(),
    slot: asyncio.Semaphore | None = None,
    output_dir: Path | None = None,
    on_partial: PartialCallback | None = None,
    on_event: Callable[[str, int | None], None] | None = None,
    on_saved: Callable[[SavedImage], None] | None = None,
) -> Outcome:
    """Validate, record, check the output folder, call the provider, save, complete the record.

    Raises InvalidRequest before anything is sent or recorded (ProfileUnusable when the config
    file has a problem or the profile has no key or no usable base_url; BudgetExceeded when its
    estimate would take a budget past its limit); OutputError when the
    output folder cannot take files (then nothing is sent) or when the images that arrived could
    not all be saved (the rest are kept for `history recover`); ImageAPIError for anything the
    provider or network does wrong. Whatever is raised, the history row ends failed or
    cancelled with its prompt and parameters, never left running. Once the answer has arrived
    it is paid for: a cancellation then waits until its images are saved and recorded.
    `on_event` hears "recorded" or "queued" (with the history id), then "started" when a
    `slot` is free; `on_saved`, on the event loop, each image as soon as it is on disk (a
    preview can start decoding the first while the rest are written and recorded)."""
    if (problem := config.problem(profile, environ)) is not None:
        raise ProfileUnusable(problem)
    caps = profile.caps(request.model)
    request = request.validate(caps)
    endpoint = profile.endpoint(environ, embedded_demo_url() if profile.demo else None)
    provider = DEMO_PROVIDER if profile.demo else endpoint.host
    uid = new_generation_id()
    folder = output_dir or config.output.folder
    # A free slot is taken before anything else is awaited (acquiring an unlocked semaphore
    # does not yield), so a job recorded as running never waits behind one sent just before it.
    queued = held = False
    if slot is not None:
        queued = slot.locked()
        if not queued:
            held = await slot.acquire()
    row = _Row(store)
    sent = False
    try:
        await row.begin(partial(budget.check, store, config, profile, request), uid, request, profile.name, provider, parent_id=parent_id, queued=queued,
                        kind="edit" if isinstance(request, EditRequest) else "generate", sources=sources, provenance=provenance)
        notify = on_event or (lambda event, row_id: None)
        notify("queued" if queued else "recorded", row.id)
        await _check_output(folder)
        if slot is not None and queued:
            held = await slot.acquire()
            notify("started", row.id)
            await row.update("mark it started", HistoryStore.start)
            await _check_output(folder)  # it may have changed while the job waited
        else:
            notify("started", row.id)
        sent = True
        async with ImagesClient(endpoint) as client:
            if isinstance(request, EditRequest):
                result = await client.edit(request, caps, on_partial)
            else:
                result = await client.generate(request, caps, on_partial)
    except (asyncio.CancelledError, KeyboardInterrupt):
        row.now("record its cancellation", HistoryStore.fail, "cancelled", CANCELLED_SENT if sent else CANCELLED_UNSENT, cancelled=True)
        raise
    except Exception as exc:
        await row.update("record its failure", HistoryStore.fail, *_failure(exc))
        raise
    finally:
        if held:
            slot.release()  # the saving below needs no slot: the next job may start
    target = SaveTarget(
        folder, config.output.template, profile.name, provider, uid, datetime.now(), config.output.slug, tuple(sources),
        provenance.typed_prompt, provenance.styles,
    )
    saving = asyncio.ensure_future(_save(request, result, target, row, chosen=output_dir is not None, on_saved=on_saved))
    cancelled = False
    while not saving.done():
        try:
            await asyncio.shield(saving)
        except asyncio.CancelledError:
            cancelled = True  # the answer is paid for: its images are saved and recorded first
    saved = saving.result()
    if cancelled:
        raise asyncio.CancelledError
    return Outcome(row.id, uid, request, profile.name, provider, result, saved, result.notes + row.notes)


async def _check_output(folder: Path) -> None:
    try:
        await asyncio.to_thread(check_writable, folder)
    except OSError as exc:
        raise OutputError(
            f"the output folder {folder} cannot take files: {recovery.reason(exc)}; nothing was sent to the provider, so nothing was billed",
            ErrorKind.DISK,
        ) from exc


async def _save(request: AnyRequest, result: GenerationResult, target: SaveTarget, row: _Row, *, chosen: bool, on_saved: Callable[[SavedImage], None] | None = None) -> list[SavedImage]:
    """Save and record the images; those that cannot be saved are kept for recovery, and the
    row, failed, says where. `chosen`: the folder is this call's, not the configured one."""
    usage = result.usage or Usage()
    try:
        loop = asyncio.get_running_loop()
        told = None if on_saved is None else (lambda image: loop.call_soon_threadsafe(on_saved, image))
        saved = await asyncio.to_thread(save_result, request, result, target, told)
    except Unsaved as unsaved:
        kept = await asyncio.to_thread(recovery.keep, target.generation_id, unsaved.pending)
        sentence = recovery.unsaved_sentence(target.folder, unsaved, kept, len(result.images), row.id, chosen=chosen)
        await row.update(
            "record the images", HistoryStore.complete, unsaved.saved + kept.images, usage,
            elapsed=result.elapsed, request_id=result.request_id, error=("unsaved", sentence), gateway_cost=result.gateway_cost,
        )
        raise OutputError(sentence, ErrorKind.UNSAVED, unsaved.saved) from unsaved.cause
    await row.update("record the images", HistoryStore.complete, saved, usage, elapsed=result.elapsed, request_id=result.request_id,
                     gateway_cost=result.gateway_cost)
    return saved


def _failure(exc: Exception) -> tuple[str, str]:
    """(error kind, sentence) for the history row of a generation that failed with `exc`."""
    if isinstance(exc, (ImageAPIError, OutputError)):
        return exc.kind.value, str(exc)
    return ErrorKind.INTERNAL.value, f"unexpected error: {type(exc).__name__}: {exc}"


class _Row:
    """The generation's history row, when there is a history. A broken history must not cost
    an image, so what it fails to record becomes a note instead of an error."""

    def __init__(self, store: HistoryStore | None) -> None:
        self.store = store
        self.id: int | None = None
        self.notes: list[str] = []

    async def begin(self, admit: Callable[[], object], *args: Any, **kwargs: Any) -> None:
        """`admit` (the budget check) and the recording, in one worker thread under one lock:
        two jobs started at once cannot both take the last of a budget."""
        await asyncio.to_thread(self._begin, admit, *args, **kwargs)

    def _begin(self, admit: Callable[[], object], *args: Any, **kwargs: Any) -> None:
        with budget.recording():
            admit()
            if self.store is not None:
                self.id = self._guarded("record this generation", self.store.begin, *args, **kwargs)

    async def update(self, what: str, method: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """`method` (a HistoryStore method) on this row, in a worker thread."""
        await asyncio.to_thread(self.now, what, method, *args, **kwargs)

    def now(self, what: str, method: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Blocking, for where awaiting is no longer possible (a cancellation)."""
        if self.store is not None and self.id is not None:
            self._guarded(what, method, self.store, self.id, *args, **kwargs)

    def _guarded(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except StoreError as exc:
            self.notes.append(f"the history could not {what}: {exc}")
            return None
