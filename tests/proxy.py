"""A forward proxy on 127.0.0.1 for the tests, speaking what company proxies speak: plain HTTP
requests in absolute form, forwarded, and CONNECT tunnels for https. It logs each request line
and keeps every byte clients sent through it; it can demand a user and password (407), refuse
tunnels (403), or speak TLS itself (an https:// proxy)."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme

HEAD_END = b"\r\n\r\n"


class ForwardProxy:
    def __init__(self, *, credentials: str | None = None, refuse_tunnels: bool = False, tls: ssl.SSLContext | None = None) -> None:
        self.lines: list[str] = []  # the request line of each request, in order
        self.sent = bytearray()  # every byte clients sent: heads, bodies, tunnelled bytes
        self.credentials = credentials  # "user:password" to demand in Proxy-Authorization
        self.refuse_tunnels = refuse_tunnels
        self.tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def url(self, userinfo: str = "") -> str:
        return f"{'https' if self.tls else 'http'}://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _keep(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
        return sock

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self._keep(conn)
            head = _read_head(conn)
            self.sent += head
            line, *header_lines = head.decode("latin-1").split("\r\n")
            self.lines.append(line)
            headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines if h)}
            if self.credentials and headers.get("proxy-authorization") != "Basic " + base64.b64encode(self.credentials.encode()).decode():
                conn.sendall(b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="tests"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
                return
            method, target, _ = line.split(" ", 2)
            if method == "CONNECT":
                self._tunnel(conn, target)
            else:
                self._forward(conn, method, target, header_lines, int(headers.get("content-length", "0")))
        except (OSError, ValueError):
            pass
        finally:
            conn.close()

    def _tunnel(self, conn: socket.socket, target: str) -> None:
        if self.refuse_tunnels:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        try:
            upstream = self._keep(socket.create_connection((host, int(port)), timeout=10))
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        back = threading.Thread(target=_pipe, args=(upstream, conn, None), daemon=True)
        back.start()
        _pipe(conn, upstream, self.sent)
        back.join()

    def _forward(self, conn: socket.socket, method: str, target: str, header_lines: list[str], length: int) -> None:
        """One request per connection: sent on with Connection: close, answered the same."""
        url = urlsplit(target)
        body = bytearray()
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return
            body += chunk
        self.sent += body
        kept = [h for h in header_lines if h and not h.lower().startswith(("proxy-", "connection:"))]
        path = url.path + (f"?{url.query}" if url.query else "")
        request = "\r\n".join([f"{method} {path} HTTP/1.1", *kept, "Connection: close"]) + "\r\n\r\n"
        with self._keep(socket.create_connection((url.hostname, url.port or 80), timeout=30)) as upstream:
            upstream.sendall(request.encode("latin-1") + bytes(body))
            answer = _read_head(upstream)
            status, *rest = answer[: -len(HEAD_END)].split(b"\r\n")
            rest = [h for h in rest if not h.lower().startswith(b"connection:")]
            conn.sendall(b"\r\n".join([status, *rest, b"Connection: close"]) + HEAD_END)
            _pipe(upstream, conn, None)


def _read_head(sock: socket.socket) -> bytes:
    head = b""
    while HEAD_END not in head:
        chunk = sock.recv(1)  # byte by byte: what follows the head is not ours to take
        if not chunk:
            raise ValueError("closed before the end of the head")
        head += chunk
    return head


def _pipe(source: socket.socket, sink: socket.socket, record: bytearray | None) -> None:
    try:
        while chunk := source.recv(65536):
            if record is not None:
                record += chunk
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def free_port() -> int:
    """A port nobody listens on (for a proxy that refuses connections)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Authority:
    """A throwaway certificate authority (trustme), standing for a company's: its PEM file,
    and server contexts with certificates it signed for 127.0.0.1 and localhost."""

    def __init__(self, folder: Path, name: str = "company-ca.pem") -> None:
        self.ca = trustme.CA()
        self.pem = folder / name
        self.ca.cert_pem.write_to_path(str(self.pem))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    """A throwaway company CA; a test module imports this fixture by name."""
    return Authority(tmp_path)


@pytest.fixture
def proxy():
    """A forward proxy on 127.0.0.1, running for the test."""
    with ForwardProxy() as running:
        yield running
