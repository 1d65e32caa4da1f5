"""Where and how to call one provider: the plain data a profile hands to the client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from imagegen_tui.retry import RetryPolicy


@dataclass(frozen=True)
class Endpoint:
    """Where and how to call one provider; built from a profile."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    key_env: str | None = None
    profile: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 360.0
    connect_timeout: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    def same_origin(self, url: str) -> bool:
        mine, theirs = urlsplit(self.base_url), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)
