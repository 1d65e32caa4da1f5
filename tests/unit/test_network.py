"""Proxies and certificates, against real sockets on 127.0.0.1: a forward proxy of the tests'
own (tests/proxy.py) and the demo server, plain or behind TLS with a certificate from a
throwaway CA. conftest sets NO_PROXY=127.0.0.1,localhost for every test; these take it away."""

from __future__ import annotations

import pytest

from imagegen_tui.client import ImagesClient
from imagegen_tui.demo.server import DemoServer
from imagegen_tui.endpoint import Endpoint
from imagegen_tui.errors import ErrorKind, ImageAPIError
from imagegen_tui.network import Network
from imagegen_tui.retry import RetryPolicy
from proxy import ForwardProxy, authority, free_port, proxy  # noqa: F401 (authority, proxy: fixtures)
from test_client import CAPS, KEY, Sleeps, request

PASSWORD = "pw-hunter2-0123456789"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """No NO_PROXY, and the CAs httpx trusts by default (this machine sets SSL_CERT_FILE)."""
    for name in ("NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def tls_demo(authority):
    with DemoServer(key=KEY, tls=authority.server_context()) as server:
        yield server


async def generate(base_url: str, *, sleeps: Sleeps | None = None, network: Network | None = None, **endpoint):
    endpoint = Endpoint(base_url=base_url, api_key=KEY, profile="corp", retry=RetryPolicy(jitter=lambda: 0.0), timeout=20, **endpoint)
    async with ImagesClient(endpoint, sleep=sleeps if sleeps is not None else Sleeps(), transport=network) as client:
        return await client.generate(request(), CAPS)


async def refusal(base_url: str, **kw) -> ImageAPIError:
    with pytest.raises(ImageAPIError) as info:
        await generate(base_url, **kw)
    return info.value


# --- which way a request goes -------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
async def test_http_goes_through_the_proxy_the_environment_names(demo, proxy, monkeypatch, variable):
    monkeypatch.setenv(variable, proxy.url())
    assert (await generate(demo.base_url)).images
    assert proxy.lines == [f"POST {demo.base_url}/images/generations HTTP/1.1"]


async def test_https_goes_through_a_connect_tunnel_and_the_key_stays_inside_it(tls_demo, proxy, authority, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    result = await generate(tls_demo.base_url, ca_bundle=str(authority.pem))
    assert result.images  # the server demands the key: it arrived, through the tunnel
    assert proxy.lines == [f"CONNECT 127.0.0.1:{tls_demo.httpd.server_address[1]} HTTP/1.1"]
    assert KEY.encode() not in proxy.sent and b"Bearer" not in proxy.sent and b"a fox" not in proxy.sent


async def test_no_proxy_sends_its_hosts_straight_there(demo, proxy, monkeypatch):
    """localhost and 127.0.0.1 are the same server: only the name NO_PROXY lists is bypassed."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    monkeypatch.setenv("NO_PROXY", "localhost")
    by_name = demo.base_url.replace("127.0.0.1", "localhost")
    assert (await generate(by_name)).images
    assert proxy.lines == []
    assert (await generate(demo.base_url)).images
    assert proxy.lines == [f"POST {demo.base_url}/images/generations HTTP/1.1"]


async def test_the_profile_proxy_wins_over_the_environment(demo, proxy, monkeypatch):
    """As httpx's own proxy= argument: all of the profile's requests, NO_PROXY or not."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert (await generate(demo.base_url, proxy=proxy.url())).images
    assert proxy.lines == [f"POST {demo.base_url}/images/generations HTTP/1.1"]


async def test_the_embedded_demo_is_never_proxied(demo, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    assert (await generate(demo.base_url, direct=True)).images


async def test_plain_http_builds_no_ssl_context(demo, tls_demo, authority):
    """What the lazy transport is for: 40 ms of certificates are loaded only for https."""
    network = Network(Endpoint(base_url=demo.base_url, ca_bundle=str(authority.pem)))
    assert (await generate(demo.base_url, network=network)).images
    assert network._tls is None
    assert (await generate(tls_demo.base_url, network=network)).images
    assert network._tls is not None


# --- what a proxy does wrong is said as the proxy's ---------------------------------------------


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
async def test_a_proxy_refusing_connections_names_its_variable(tls_demo, monkeypatch, variable):
    port = free_port()
    monkeypatch.setenv(variable, f"http://user:{PASSWORD}@127.0.0.1:{port}")
    sleeps = Sleeps()
    error = await refusal(tls_demo.base_url, sleeps=sleeps)
    assert error.kind is ErrorKind.PROXY
    assert str(error) == f"the proxy 127.0.0.1:{port} refused the connection; nothing was sent to the provider; check {variable}"
    assert sleeps == [0.5, 1.0]  # nothing was sent: tried again, as a refused direct connection is


async def test_lower_case_wins_as_in_urllib(tls_demo, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{free_port()}")
    assert str(await refusal(tls_demo.base_url)).endswith("check https_proxy")


async def test_407_on_connect_asks_for_credentials_and_is_not_retried(tls_demo, authority, monkeypatch):
    with ForwardProxy(credentials=f"alice:{PASSWORD}") as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url())
        sleeps = Sleeps()
        error = await refusal(tls_demo.base_url, sleeps=sleeps, ca_bundle=str(authority.pem))
        assert (error.kind, error.status, sleeps) == (ErrorKind.PROXY, 407, [])
        assert str(error) == (
            f"407 from the proxy 127.0.0.1:{proxy.port}: it wants a user name and password; nothing was sent to the provider; "
            f"give them in HTTPS_PROXY: http://USER:PASSWORD@127.0.0.1:{proxy.port}"
        )
        monkeypatch.setenv("HTTPS_PROXY", proxy.url(f"alice:{PASSWORD}x"))
        error = await refusal(tls_demo.base_url, ca_bundle=str(authority.pem))
        assert str(error) == f"407 from the proxy 127.0.0.1:{proxy.port}: it refused the user name and password given; nothing was sent to the provider; check them in HTTPS_PROXY"
        assert PASSWORD not in str(error) + repr(error) + str(error.failure().as_json())
        monkeypatch.setenv("HTTPS_PROXY", proxy.url(f"alice:{PASSWORD}"))
        assert (await generate(tls_demo.base_url, ca_bundle=str(authority.pem))).images
        assert proxy.lines == [f"CONNECT 127.0.0.1:{tls_demo.httpd.server_address[1]} HTTP/1.1"] * 3


async def test_407_to_a_forwarded_http_request_is_the_proxys(demo, monkeypatch):
    with ForwardProxy(credentials=f"alice:{PASSWORD}") as proxy:
        error = await refusal(demo.base_url, proxy=proxy.url())
    assert (error.kind, error.status) == (ErrorKind.PROXY, 407)
    assert str(error).startswith(f"407 from the proxy 127.0.0.1:{proxy.port}: it wants a user name and password; nothing was sent to the provider; give them in proxy in [profiles.corp]")
    assert demo.httpd.generation_requests == 0


async def test_a_refused_tunnel_is_the_proxys(tls_demo, monkeypatch):
    with ForwardProxy(refuse_tunnels=True) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url())
        error = await refusal(tls_demo.base_url)
    port = tls_demo.httpd.server_address[1]
    assert (error.kind, error.status) == (ErrorKind.PROXY, 403)
    assert str(error) == (
        f"403 from the proxy 127.0.0.1:{proxy.port}: it refused to connect to 127.0.0.1:{port}; nothing was sent to the provider; "
        "check HTTPS_PROXY, or ask whoever runs the proxy to allow this host"
    )


async def test_a_provider_the_proxy_cannot_reach(proxy, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    port = free_port()
    error = await refusal(f"https://127.0.0.1:{port}/v1")
    assert (error.kind, error.status) == (ErrorKind.PROXY, 502)
    assert str(error) == f"502 from the proxy 127.0.0.1:{proxy.port}: it could not reach 127.0.0.1:{port}; nothing was sent to the provider; check the base URL, or try again later"


async def test_an_https_proxy_is_checked_with_the_profiles_cas(tls_demo, authority, monkeypatch):
    with ForwardProxy(tls=authority.server_context()) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url())
        sleeps = Sleeps()
        error = await refusal(tls_demo.base_url, sleeps=sleeps)
        assert (error.kind, sleeps) == (ErrorKind.CERTIFICATE, [])
        assert str(error).startswith(f"the proxy 127.0.0.1:{proxy.port} has a TLS certificate that is not trusted (")
        assert str(error).endswith("nothing was sent to the provider; check HTTPS_PROXY, or add its CA to the profile's ca_bundle")
        assert proxy.lines == []  # the CONNECT never left
        assert (await generate(tls_demo.base_url, ca_bundle=str(authority.pem))).images
        assert proxy.lines == [f"CONNECT 127.0.0.1:{tls_demo.httpd.server_address[1]} HTTP/1.1"]


async def test_a_socks4_proxy_is_refused_in_words(tls_demo, monkeypatch):
    monkeypatch.setenv("ALL_PROXY", f"socks4://user:{PASSWORD}@127.0.0.1:1080")
    error = await refusal(tls_demo.base_url)
    assert str(error) == (
        "the proxy 127.0.0.1:1080 is given as a socks4:// URL in ALL_PROXY, a kind of proxy imagegen-tui cannot use; "
        "nothing was sent to the provider; write it as http://, https://, socks5:// or socks5h://"
    )


# --- certificates ---------------------------------------------------------------------------------


async def test_an_untrusted_provider_certificate_says_where_to_add_the_ca(tls_demo):
    sleeps = Sleeps()
    error = await refusal(tls_demo.base_url, sleeps=sleeps)
    assert (error.kind, sleeps, tls_demo.httpd.generation_requests) == (ErrorKind.CERTIFICATE, [], 0)
    assert str(error) == (
        f"127.0.0.1:{tls_demo.httpd.server_address[1]}: its TLS certificate is not trusted (unable to get local issuer certificate); "
        "nothing was sent to the provider; trusted: certifi's CAs; if your company's CA signs it, "
        "put that CA's PEM file in ca_bundle of the profile 'corp' (or in SSL_CERT_FILE)"
    )


async def test_the_profiles_ca_bundle_is_trusted_besides_the_usual_cas(tls_demo, authority):
    assert (await generate(tls_demo.base_url, ca_bundle=str(authority.pem))).images


async def test_ssl_cert_file_is_honoured(tls_demo, authority, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.pem))
    assert (await generate(tls_demo.base_url)).images


async def test_ssl_cert_dir_is_honoured(tls_demo, authority, tmp_path, monkeypatch):
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / f"{_subject_hash(authority.pem)}.0").write_bytes(authority.pem.read_bytes())  # as c_rehash names it
    monkeypatch.setenv("SSL_CERT_DIR", str(folder))
    assert (await generate(tls_demo.base_url)).images


async def test_a_missing_ssl_cert_file_is_named(tls_demo, tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "gone.pem"))
    error = await refusal(tls_demo.base_url)
    assert error.kind is ErrorKind.CERTIFICATE
    assert f"the CA file in SSL_CERT_FILE ({tmp_path / 'gone.pem'}) cannot be used (No such file or directory); nothing was sent to the provider" in str(error)


async def test_verify_false_checks_nothing(tls_demo):
    assert (await generate(tls_demo.base_url, verify=False)).images


def _subject_hash(pem) -> str:
    """The name OpenSSL looks a CA up by in a certificate folder."""
    import subprocess

    return subprocess.run(["openssl", "x509", "-noout", "-subject_hash", "-in", str(pem)], capture_output=True, text=True, check=True).stdout.strip()
