"""`imagegen-tui generate` behind a proxy and with a company CA, as a user runs it: the real
command in its own process, a forward proxy of the tests' own (tests/proxy.py) logging what
passes, and the demo server behind TLS with a certificate from a throwaway CA. conftest sets
NO_PROXY=127.0.0.1,localhost for every test; these take it away."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_config
from imagegen_tui.demo.server import DemoServer
from imagegen_tui.store import HistoryStore
from proxy import ForwardProxy, authority, free_port, proxy  # noqa: F401 (authority, proxy: fixtures)

KEY = "fake-corp-0123456789abcdef"
WARNING = "WARNING: the profile 'corp' has verify = false: the provider's TLS certificate is not checked"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """No NO_PROXY, httpx's default CAs (this machine sets SSL_CERT_FILE), and the key."""
    for name in ("NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CORP_KEY", KEY)


@pytest.fixture
def tls_demo(authority):
    with DemoServer(key=KEY, tls=authority.server_context()) as server:
        yield server


def corp(dirs, base_url: str, extra: str = "") -> None:
    write_config(dirs, f'profile = "corp"\n[profiles.corp]\nbase_url = "{base_url}"\napi_key_env = "CORP_KEY"\n{extra}')


def generate() -> dict:
    out = run_cli("generate", "a fox behind a proxy", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def refused():
    """The command, failing: exit 1, its one error line, and nothing saved."""
    out = run_cli("generate", "a fox behind a proxy")
    assert out.returncode == 1 and out.stdout == "", out.stderr
    return out.stderr.strip()


def images(dirs) -> list:
    return list(dirs.output.rglob("*.png")) if dirs.output.exists() else []


def test_http_goes_through_http_proxy(dirs, proxy, monkeypatch):
    with DemoServer(key=KEY) as demo:
        corp(dirs, demo.base_url)
        monkeypatch.setenv("HTTP_PROXY", proxy.url())
        assert len(generate()["paths"]) == 1
    assert proxy.lines == [f"POST {demo.base_url}/images/generations HTTP/1.1"]


def test_https_goes_through_a_tunnel_trusting_the_profiles_ca_bundle(dirs, proxy, tls_demo, authority, monkeypatch):
    corp(dirs, tls_demo.base_url, f'ca_bundle = "{authority.pem}"\n')
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    assert len(generate()["paths"]) == 1 and len(images(dirs)) == 1
    assert proxy.lines == [f"CONNECT 127.0.0.1:{tls_demo.httpd.server_address[1]} HTTP/1.1"]
    assert KEY.encode() not in proxy.sent


def test_no_proxy_bypasses_the_proxy(dirs, proxy, tls_demo, authority, monkeypatch):
    corp(dirs, tls_demo.base_url, f'ca_bundle = "{authority.pem}"\n')
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.1")
    assert len(generate()["paths"]) == 1
    assert proxy.lines == []


def test_the_profiles_proxy_wins_over_the_environment(dirs, proxy, tls_demo, authority, monkeypatch):
    corp(dirs, tls_demo.base_url, f'ca_bundle = "{authority.pem}"\nproxy = "{proxy.url()}"\n')
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")
    assert len(generate()["paths"]) == 1
    assert proxy.lines == [f"CONNECT 127.0.0.1:{tls_demo.httpd.server_address[1]} HTTP/1.1"]


def test_the_embedded_demo_never_goes_through_a_proxy(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    out = run_cli("generate", "a fox", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["profile"] == "demo", out.stderr


def test_without_the_ca_the_certificate_is_refused_and_nothing_is_saved(dirs, tls_demo):
    corp(dirs, tls_demo.base_url)
    assert refused() == (
        f"error: 127.0.0.1:{tls_demo.httpd.server_address[1]}: its TLS certificate is not trusted (unable to get local issuer certificate); "
        "nothing was sent to the provider; trusted: certifi's CAs; if your company's CA signs it, "
        "put that CA's PEM file in ca_bundle of the profile 'corp' (or in SSL_CERT_FILE)"
    )
    assert images(dirs) == [] and tls_demo.httpd.generation_requests == 0
    store = HistoryStore.open_default()
    try:
        assert store.get(1).error_kind == "certificate"
    finally:
        store.close()


def test_ssl_cert_file_makes_tls_succeed(dirs, tls_demo, authority, monkeypatch):
    corp(dirs, tls_demo.base_url)
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.pem))
    assert len(generate()["paths"]) == 1


def test_verify_false_works_and_warns_on_every_run(dirs, tls_demo):
    corp(dirs, tls_demo.base_url, "verify = false\n")
    for _ in range(2):
        out = run_cli("generate", "a fox")
        assert out.returncode == 0 and len(out.stdout.splitlines()) == 1
        assert out.stderr.startswith(WARNING)
    rerun = run_cli("history", "rerun", "1")
    assert rerun.returncode == 0 and rerun.stderr.startswith(WARNING)
    assert len(images(dirs)) == 3


def test_a_proxy_refusing_connections_is_named_with_its_variable(dirs, tls_demo, monkeypatch):
    corp(dirs, tls_demo.base_url)
    port = free_port()
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    assert refused() == f"error: the proxy 127.0.0.1:{port} refused the connection; nothing was sent to the provider; check https_proxy"
    assert images(dirs) == []


def test_a_proxy_asking_for_credentials_is_named_with_the_profile_key(dirs, tls_demo, authority):
    with ForwardProxy(credentials="alice:pw-0123456789") as proxy:
        corp(dirs, tls_demo.base_url, f'ca_bundle = "{authority.pem}"\nproxy = "{proxy.url()}"\n')
        assert refused() == (
            f"error: 407 from the proxy 127.0.0.1:{proxy.port}: it wants a user name and password; nothing was sent to the provider; "
            f"give them in proxy in [profiles.corp]: http://USER:PASSWORD@127.0.0.1:{proxy.port}"
        )
        corp(dirs, tls_demo.base_url, f'ca_bundle = "{authority.pem}"\nproxy = "{proxy.url("alice:pw-0123456789")}"\n')
        assert len(generate()["paths"]) == 1


def test_a_refused_tunnel_is_the_proxys(dirs, tls_demo, monkeypatch):
    with ForwardProxy(refuse_tunnels=True) as proxy:
        corp(dirs, tls_demo.base_url)
        monkeypatch.setenv("ALL_PROXY", proxy.url())
        assert refused() == (
            f"error: 403 from the proxy 127.0.0.1:{proxy.port}: it refused to connect to 127.0.0.1:{tls_demo.httpd.server_address[1]}; "
            "nothing was sent to the provider; check ALL_PROXY, or ask whoever runs the proxy to allow this host"
        )


def test_a_socks_proxy_without_socks_support_says_what_to_install(dirs, tls_demo, tmp_path, monkeypatch):
    hidden = tmp_path / "no-socksio"
    hidden.mkdir()
    (hidden / "socksio.py").write_text("raise ImportError('socksio is hidden from this test')\n")
    monkeypatch.setenv("PYTHONPATH", str(hidden))
    corp(dirs, tls_demo.base_url)
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    assert refused() == (
        "error: the proxy 127.0.0.1:1080 is a SOCKS proxy (ALL_PROXY), and SOCKS support is not installed; "
        "nothing was sent to the provider; pip install 'imagegen-tui[socks]'"
    )


def test_a_missing_ca_bundle_is_a_config_error(dirs, tls_demo):
    missing = dirs.root / "corp-ca.pem"
    corp(dirs, tls_demo.base_url, f'ca_bundle = "{missing}"\n')
    out = run_cli("generate", "a fox")
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {dirs.config_file}: profiles.corp.ca_bundle: no such file: {missing}"
    assert tls_demo.httpd.generation_requests == 0
