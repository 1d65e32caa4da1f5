"""The one object the terminal interface talks to: it runs jobs and answers history queries,
so widgets never build a request, touch SQL or write a file. No Textual here.

Blocking calls (SQLite, config writes) are meant to be called from worker threads; `run` is a
coroutine for a worker on the event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagegen_tui.config import Config, Profile, save_config
from imagegen_tui.request import ImageRequest
from imagegen_tui.store import DeleteReport, Filters, Generation, HistoryStore, StoredImage
from imagegen_tui.thumbnails import ensure_thumbnail

if TYPE_CHECKING:
    from imagegen_tui.client import PartialCallback
    from imagegen_tui.recovery import Recovered
    from imagegen_tui.service import Outcome

PARAM_KEYS = ("model", "size", "quality", "n", "background", "output_format", "output_compression", "moderation", "stream")
PARTIAL_IMAGES = 2  # streamed previews a job shows before its final images


class Studio:
    def __init__(self, config: Config, store: HistoryStore | None, environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.store = store
        self.environ = os.environ if environ is None else environ
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.quitting = False  # set when the app exits with jobs running: they become interrupted

    # --- profiles and parameters -------------------------------------------------------------

    def active_profile(self, requested: str | None = None) -> Profile:
        return self.config.active_profile(self.environ, requested)

    def last_params(self, profile: Profile) -> dict[str, Any]:
        """What the sidebar showed last time for this profile (model defaults to the profile's)."""
        remembered = self.config.ui.last.get(profile.name, {})
        params = {key: remembered.get(key) for key in PARAM_KEYS}
        params["model"] = params["model"] or profile.model
        params["n"] = params["n"] or 1
        if params["stream"] is None:
            params["stream"] = self._streams_by_default(profile)
        return params

    @staticmethod
    def _streams_by_default(profile: Profile) -> bool:
        """Only where the profile says so: a gateway may mishandle stream=true."""
        return bool(profile.capabilities.streaming)

    def params_of(self, generation: Generation, profile: Profile) -> dict[str, Any]:
        """A generation's parameters as the sidebar shows them (the rest from the profile's last)."""
        return {**self.last_params(profile), **{k: v for k, v in generation.params.items() if k in PARAM_KEYS}}

    def remember(self, profile: Profile, params: Mapping[str, Any], *, active: bool = False) -> None:
        """Keep the sidebar's values per profile (and, when the user picked it, the active
        profile) in the config file; writes only when something changed. Defaults are not
        stored, so a fresh start writes nothing and demo stays a fallback, not a choice."""
        defaults = {"model": profile.model, "n": 1, "stream": self._streams_by_default(profile)}
        values = {k: v for k, v in params.items() if k in PARAM_KEYS and v is not None and defaults.get(k) != v}
        chosen = profile.name if active else self.config.active
        if self.config.ui.last.get(profile.name, {}) == values and self.config.active == chosen:
            return
        self.config.ui.last[profile.name] = values
        self.config.active = chosen
        self.save_config()

    def save_config(self) -> Path | None:
        """None when the file on disk is damaged and so must not be overwritten."""
        if self.config.error is not None:
            return None
        return save_config(self.config)

    def request(self, prompt: str, profile: Profile, params: Mapping[str, Any]) -> ImageRequest:
        """A validated request; raises InvalidRequest naming each bad field."""
        values = {k: params.get(k) for k in PARAM_KEYS}
        model = values.pop("model") or profile.model
        stream = bool(values.pop("stream")) and profile.caps(model).streaming
        request = ImageRequest(
            prompt=prompt, model=model, n=int(values.pop("n") or 1), stream=stream,
            partial_images=PARTIAL_IMAGES if stream else None, **values,
        )
        return request.validate(profile.caps(request.model))

    # --- jobs ------------------------------------------------------------------------------

    def slot(self, profile: Profile) -> asyncio.Semaphore:
        if profile.name not in self._slots:
            self._slots[profile.name] = asyncio.Semaphore(self.config.ui.concurrency)
        return self._slots[profile.name]

    async def run(
        self,
        request: ImageRequest,
        profile: Profile,
        *,
        parent_id: int | None = None,
        on_partial: PartialCallback | None = None,
        on_event: Callable[[str, int | None], None] | None = None,
    ) -> Outcome:
        from imagegen_tui import service  # httpx loads with the first job, not at start-up

        rows: list[int] = []

        def heard(event: str, row: int | None) -> None:
            if row is not None:
                rows.append(row)
            if on_event:
                on_event(event, row)

        try:
            return await service.generate(
                self.config, profile, request, self.environ, store=self.store, parent_id=parent_id,
                slot=self.slot(profile), on_partial=on_partial, on_event=heard,
            )
        except asyncio.CancelledError:
            if self.quitting and self.store and rows:
                self.store.interrupt(rows[0])
            raise

    async def test_connection(self, profile: Profile) -> str:
        """A sentence for the settings screen; makes no paid call."""
        from imagegen_tui import service
        from imagegen_tui.client import ImagesClient
        from imagegen_tui.errors import ImageAPIError

        base = service.embedded_demo_url() if profile.demo else None
        try:
            async with ImagesClient(replace(profile.endpoint(self.environ, base), retry=replace(profile.endpoint(self.environ).retry, max_retries=0))) as client:
                models = await client.list_models()
        except ImageAPIError as exc:
            return f"✗ {exc}"
        image_models = [m for m in models if "image" in m or m.startswith("dall-e")]
        shown = ", ".join(image_models[:6]) or ", ".join(models[:6]) or "none listed"
        has = "" if not models or profile.model in models else f"; note: {profile.model} is not in its list"
        return f"✓ connected: {len(models)} models ({shown}){has}"

    def rerun_request(self, generation: Generation) -> tuple[ImageRequest, Profile]:
        """The same request again, on its profile if it still exists; streaming is dropped
        where that profile or model can no longer stream."""
        profile = self.config.profiles.get(generation.profile) or self.active_profile()
        request = generation.request()
        if request.stream and not profile.caps(request.model).streaming:
            request = replace(request, stream=False, partial_images=None)
        return request, profile

    # --- history (blocking: call from a thread) --------------------------------------------

    def count(self, filters: Filters) -> int:
        return self.store.count(filters) if self.store else 0

    def page(self, filters: Filters, offset: int, limit: int) -> list[Generation]:
        return self.store.page(filters, limit=limit, offset=offset) if self.store else []

    def get(self, gen_id: int) -> Generation | None:
        return self.store.get(gen_id) if self.store else None

    def favourite(self, gen_id: int, on: bool) -> None:
        if self.store:
            self.store.set_favourite(gen_id, on)

    def delete(self, gen_id: int, files: bool) -> DeleteReport | None:
        return self.store.delete(gen_id, files=files) if self.store else None

    def recover(self, gen_id: int, folder: Path | None = None) -> Recovered:
        """Save the images a failed save kept aside (those with `kept` set) into the output
        folder, or `folder`; the generation becomes done when all are saved. Raises OSError,
        before moving anything, when the folder cannot take files."""
        from imagegen_tui.recovery import Recovered, recover

        if self.store is None:
            return Recovered()
        return recover(self.store, gen_id, folder or self.config.output.folder, self.config.output.template)

    def thumbnail(self, image: StoredImage) -> Path | None:
        return ensure_thumbnail(self.store, image) if self.store else None

    def models(self) -> list[str]:
        """Models seen in the history, for the filter."""
        return self.store.models() if self.store else []
