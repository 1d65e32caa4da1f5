"""The models a profile's server lists (GET /models), and the copy of that list kept per profile in
the cache folder.

Listing is free (no image is made), so `imagegen-tui models` asks every time; the TUI's model
field completes from the kept copy at once and asks the server again only when the copy is a day
old or was made for another base URL, so a start costs no request and a server that is down
costs no wait. Many servers have no /models (local image servers, some gateways): that is an
answer too, kept like a list, never an error. httpx is imported with the first request, not with
this module: the TUI reads the copy before its first job.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from imagegen_tui import paths
from imagegen_tui.config import Profile
from imagegen_tui.errors import ImageAPIError
from imagegen_tui.privatefile import write_private

MAX_AGE = 24 * 3600.0  # a server's models change with its releases, not by the hour
NOT_LISTED = (404, 405)  # the route does not exist: the server does not list its models


@dataclass(frozen=True)
class Listing:
    """What a server said about its models: `models` is None when it has no /models route."""

    base_url: str
    models: tuple[str, ...] | None
    fetched: float

    def fresh(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) - self.fetched < MAX_AGE


def cache_file(profile: str) -> Path:
    """One file per profile; the name is hashed, since a profile's name may be any string."""
    return paths.cache_dir() / "models" / f"{hashlib.sha256(profile.encode()).hexdigest()[:24]}.json"


def cached(profile: Profile) -> Listing | None:
    """The kept listing of `profile` (blocking: disk), if it was made for its base URL and is readable."""
    try:
        data = json.loads(cache_file(profile.name).read_text(encoding="utf-8"))
        models = data["models"]
        listing = Listing(
            base_url=str(data["base_url"]),
            models=None if models is None else tuple(str(m) for m in models),
            fetched=float(data["fetched"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return listing if listing.base_url == profile.base_url else None


def keep(profile: Profile, listing: Listing) -> None:
    """Write the listing beside the others (blocking: disk); a cache that cannot be written only
    means asking again next time."""
    text = json.dumps({"profile": profile.name, "base_url": listing.base_url, "models": listing.models, "fetched": listing.fetched})
    try:
        write_private(cache_file(profile.name), text)
    except OSError:
        pass


async def fetch(profile: Profile, environ: Mapping[str, str]) -> Listing:
    """Ask the profile's server (the embedded demo's for the demo profile), once: no retries, a
    list is not worth waiting for. ImageAPIError for any failure but a missing route."""
    from imagegen_tui.client import ImagesClient

    base = None
    if profile.demo:
        from imagegen_tui import service

        base = service.embedded_demo_url()
    endpoint = profile.endpoint(environ, base)
    endpoint = replace(endpoint, retry=replace(endpoint.retry, max_retries=0))
    try:
        async with ImagesClient(endpoint) as client:
            models: tuple[str, ...] | None = tuple(await client.list_models())
    except ImageAPIError as exc:
        if exc.status not in NOT_LISTED:
            exc.sent = False  # a listing makes nothing: asking again can never pay twice
            raise
        models = None
    return Listing(base_url=profile.base_url, models=models, fetched=time.time())


def suggestions(profile: Profile, listed: Iterable[str] = ()) -> tuple[str, ...]:
    """What the model field completes, first match first: the profile's own models (the config's
    choice), then the listed image models, then the rest a gateway lists (chat models too)."""
    listed = tuple(listed)
    images = [m for m in listed if "image" in m or m.startswith("dall-e")]
    return tuple(dict.fromkeys((*(profile.models or (profile.model,)), *images, *listed)))
