"""How a request reaches the provider: straight, or through the proxy that the profile or the
environment names; and which certificates it trusts.

httpx honours HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY only in the transport it builds
itself, and that transport builds an SSL context up front (about 40 ms here) even when every URL
is http://, as with the demo server or a LAN gateway. So the client brings its own transport,
`Network`, which routes each request by httpx's own rules (its environment reading and URL
patterns, not a copy of them) and builds each connection pool, and the one SSL context, on
first use.

A failure at the proxy is said as the proxy's, naming where the proxy setting came from, and
nothing in it shows a proxy's user or password.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

# httpx's rules for the proxy variables, the same its own client applies (both in httpx 0.27 and 0.28)
from httpx._utils import URLPattern, get_environment_proxies

from imagegen_tui.endpoint import PROXY_SCHEMES, Endpoint, shown_proxy
from imagegen_tui.errors import ErrorKind, ImageAPIError

NOTHING_SENT = "nothing was sent to the provider"


class ProxyFailed(httpx.ConnectError):
    """The proxy, not the provider, failed the request: nothing reached the provider, so it is
    a connection error to the client (tried again like one, unless the proxy answered)."""

    def __init__(self, error: ImageAPIError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Proxy:
    url: str  # may hold a user and password: only `where` is ever shown
    source: str  # where the user set it: "HTTPS_PROXY", "proxy in [profiles.corp]"

    @property
    def where(self) -> str:
        return shown_proxy(self.url)

    def fail(self, summary: str, hint: str, *, status: int | None = None, kind: ErrorKind = ErrorKind.PROXY) -> ProxyFailed:
        return ProxyFailed(ImageAPIError(kind, summary, hint=hint, status=status, proxy=self.where))

    def refused(self, reason: str, target: str) -> ProxyFailed:
        """The proxy answered CONNECT (or the SOCKS handshake) with something else than yes."""
        status = int(reason[:3]) if reason[:3].isdigit() else None
        if status == 407:
            return self.wants_credentials()
        if status in (502, 503, 504):
            return self.fail(f"it could not reach {target}", f"{NOTHING_SENT}; check the base URL, or try again later", status=status)
        hint = f"{NOTHING_SENT}; check {self.source}, or ask whoever runs the proxy to allow this host"
        if status is None:  # a SOCKS proxy's refusal, in its words
            return self.fail(f"refused to connect to {target} ({reason})", hint)
        return self.fail(f"it refused to connect to {target}", hint, status=status)

    def wants_credentials(self) -> ProxyFailed:
        if urlsplit(self.url).username:
            return self.fail("it refused the user name and password given", f"{NOTHING_SENT}; check them in {self.source}", status=407)
        return self.fail(
            "it wants a user name and password",
            f"{NOTHING_SENT}; give them in {self.source}: {urlsplit(self.url).scheme}://USER:PASSWORD@{self.where}",
            status=407,
        )

    def unreachable(self, exc: httpx.TransportError, connect_timeout: float) -> ProxyFailed:
        hint = f"{NOTHING_SENT}; check {self.source}"
        if isinstance(exc, httpx.ConnectTimeout):
            return self.fail(f"did not answer within {connect_timeout:g} s (the profile's connect_timeout)", hint)
        if (untrusted := caused_by(exc, ssl.SSLCertVerificationError)) is not None:
            return self.fail(f"has a TLS certificate that is not trusted ({untrusted.verify_message})", f"{hint}, or add its CA to the profile's ca_bundle", kind=ErrorKind.CERTIFICATE)
        if (tls := caused_by(exc, ssl.SSLError)) is not None:
            return self.fail(f"could not agree on TLS ({tls.reason or tls})", f"{hint}: is it really an https:// proxy?")
        if caused_by(exc, ConnectionRefusedError) is not None:
            return self.fail("refused the connection", hint)
        cause = caused_by(exc, OSError)
        return self.fail(f"could not be reached ({(cause.strerror or cause) if cause else 'the connection failed'})", hint)


class Network(httpx.AsyncBaseTransport):
    """Sends each request as httpx's own client would with trust_env (the profile's `proxy`
    overriding the environment's, as httpx's `proxy=` does), through pools built on first use."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._routes = sorted(_routes(endpoint).items(), key=lambda route: route[0])  # URLPattern's priority, as httpx sorts its mounts
        self._pools: dict[tuple[str, Proxy | None], httpx.AsyncHTTPTransport] = {}
        self._tls: ssl.SSLContext | None = None

    def proxy_for(self, url: httpx.URL) -> Proxy | None:
        return next((proxy for pattern, proxy in self._routes if pattern.matches(url)), None)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self.proxy_for(request.url)
        pool = self._pool(request.url.scheme, proxy)
        if proxy is None:
            return await pool.handle_async_request(request)
        return await self._through(proxy, pool, request)

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()

    def tls(self) -> ssl.SSLContext:
        """The one SSL context, built on first need: httpx's own (certifi's CAs, or those of
        SSL_CERT_FILE / SSL_CERT_DIR when set), with the profile's ca_bundle added; with
        verify = false, one that checks nothing."""
        if self._tls is None:
            self._tls = trusted(self.endpoint)
        return self._tls

    def _pool(self, scheme: str, proxy: Proxy | None) -> httpx.AsyncHTTPTransport:
        if (scheme, proxy) not in self._pools:
            # an http:// provider needs no certificates, unless an https:// proxy is on the way
            verify: ssl.SSLContext | bool = self.tls() if scheme == "https" else False
            settings = None if proxy is None else _proxy_settings(proxy, self.tls)
            try:
                self._pools[scheme, proxy] = httpx.AsyncHTTPTransport(verify=verify, proxy=settings)
            except ImportError:  # httpx without socksio
                raise ImageAPIError(
                    ErrorKind.PROXY, f"is a SOCKS proxy ({proxy.source}), and SOCKS support is not installed",
                    hint=f"{NOTHING_SENT}; pip install 'imagegen-tui[socks]'", proxy=proxy.where if proxy else None,
                ) from None
        return self._pools[scheme, proxy]

    async def _through(self, proxy: Proxy, pool: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        """Send through `proxy`, turning what the proxy does wrong into its own sentences. A
        connection error is the proxy's until the tunnel's TLS to the provider has begun
        (httpcore's "proxy.start_tls" / "socks.start_tls"; "connection.start_tls" is the TLS
        to an https:// proxy itself)."""
        tunnelled = False
        outer = request.extensions.get("trace")

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            nonlocal tunnelled
            tunnelled = tunnelled or (event.endswith("start_tls.started") and not event.startswith("connection."))
            if outer is not None:
                await outer(event, info)

        request.extensions["trace"] = trace
        target = f"{request.url.host}:{request.url.port or (443 if request.url.scheme == 'https' else 80)}"
        try:
            response = await pool.handle_async_request(request)
        except httpx.ProxyError as exc:
            raise proxy.refused(str(exc), target) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if tunnelled:
                raise  # the provider's, through the tunnel
            raise proxy.unreachable(exc, self.endpoint.connect_timeout) from None
        if response.status_code == 407:  # a plain http:// request, forwarded: no tunnel to refuse
            await response.aclose()
            raise proxy.wants_credentials()
        return response


def _routes(endpoint: Endpoint) -> dict[URLPattern, Proxy | None]:
    """URL pattern → proxy (None: straight there), as httpx's client mounts them."""
    if endpoint.direct:
        return {}
    if endpoint.proxy:
        return {URLPattern("all://"): Proxy(endpoint.proxy, f"proxy in [profiles.{endpoint.profile}]")}
    return {
        URLPattern(pattern): None if url is None else Proxy(url, _variable(pattern.split("://")[0]))
        for pattern, url in get_environment_proxies().items()
    }


def _variable(scheme: str) -> str:
    """The variable urllib read the `scheme` proxy from (the lower-case one wins, as there);
    macOS and Windows may have it from the system's settings instead."""
    names = sorted((name for name, value in os.environ.items() if value and name.lower() == f"{scheme}_proxy"), key=lambda name: name != name.lower())
    return names[0] if names else "the system's proxy settings"


def _proxy_settings(proxy: Proxy, tls: Callable[[], ssl.SSLContext]) -> httpx.Proxy:
    """httpx's Proxy; an https:// proxy is checked with the same CAs as the provider."""
    scheme = urlsplit(proxy.url).scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise ImageAPIError(
            ErrorKind.PROXY, f"is given as a {scheme}:// URL in {proxy.source}, a kind of proxy imagegen-tui cannot use",
            hint=f"{NOTHING_SENT}; write it as http://, https://, socks5:// or socks5h://", proxy=proxy.where,
        )
    try:
        return httpx.Proxy(proxy.url, ssl_context=tls() if scheme == "https" else None)
    except (ValueError, httpx.InvalidURL):  # their messages quote the URL, password and all
        raise ImageAPIError(ErrorKind.PROXY, f"in {proxy.source} is not a URL httpx can use", hint=NOTHING_SENT, proxy=proxy.where) from None


def trusted(endpoint: Endpoint) -> ssl.SSLContext:
    """httpx's SSL context (trust_env: SSL_CERT_FILE, else SSL_CERT_DIR, else certifi), plus the
    profile's ca_bundle; a file that cannot be used is named, with nothing sent."""
    if not endpoint.verify:
        return httpx.create_ssl_context(verify=False)
    try:
        context = httpx.create_ssl_context(verify=True, trust_env=True)
    except (OSError, ssl.SSLError) as exc:
        name = "SSL_CERT_FILE" if os.environ.get("SSL_CERT_FILE") else "SSL_CERT_DIR"
        raise _unusable(endpoint, f"{name} ({os.environ.get(name)})", exc) from None
    if endpoint.ca_bundle:
        try:
            context.load_verify_locations(cafile=endpoint.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise _unusable(endpoint, f"ca_bundle of the profile {endpoint.profile!r} ({endpoint.ca_bundle})", exc) from None
    return context


def _unusable(endpoint: Endpoint, what: str, exc: OSError) -> ImageAPIError:
    why = exc.strerror or getattr(exc, "reason", None) or str(exc)
    return ImageAPIError(ErrorKind.CERTIFICATE, f"the CA file in {what} cannot be used ({why})", hint=NOTHING_SENT, host=endpoint.host)


def trust_hint(endpoint: Endpoint) -> str:
    """What to do when the provider's certificate is not trusted: where its CA can be added."""
    now = next((f"{name} ({os.environ[name]})" for name in ("SSL_CERT_FILE", "SSL_CERT_DIR") if os.environ.get(name)), "certifi's CAs")
    now += f" and ca_bundle ({endpoint.ca_bundle})" if endpoint.ca_bundle else ""
    return f"{NOTHING_SENT}; trusted: {now}; if your company's CA signs it, put that CA's PEM file in ca_bundle of the profile {endpoint.profile!r} (or in SSL_CERT_FILE)"


E = TypeVar("E", bound=BaseException)


def caused_by(exc: BaseException, kind: type[E]) -> E | None:
    """The first `kind` among `exc` and its causes: httpx wraps httpcore's error, which wraps
    the socket's or ssl's."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
