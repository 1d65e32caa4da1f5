"""Where and how to call one provider: the plain data a profile hands to the client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from imagegen_tui.retry import RetryPolicy

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")  # what httpx can send through


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
    proxy: str | None = field(default=None, repr=False)  # the profile's; None: the environment's
    ca_bundle: str | None = None  # a PEM file of CAs trusted besides the usual ones
    verify: bool = True  # false: certificates are not checked (the profile is warned about)
    direct: bool = False  # the embedded demo server, on this machine: never through a proxy
    key_header: str = "Authorization"  # how the key travels: "Authorization: Bearer KEY", or Azure's "api-key: KEY"
    image_headers: Mapping[str, str] = field(default_factory=dict)  # the dialect's, on every image call (dialects.py)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    def same_origin(self, url: str) -> bool:
        mine, theirs = urlsplit(self.base_url), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)


def shown_proxy(url: str) -> str:
    """A proxy URL as it may be shown: host and port only, never its user and password."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def proxy_password(url: str) -> str | None:
    """The password in a proxy URL, for crash reports to redact."""
    try:
        return urlsplit(url if "://" in url else f"http://{url}").password or None
    except ValueError:
        return None
