"""An OpenAI-compatible images server that runs offline, for first runs, demos and tests.

It answers POST /v1/images/generations and POST /v1/images/edits (a multipart form) like the
real API (JSON or SSE streaming, usage, x-request-id) and misbehaves on request: a prompt
containing a directive such as `#fail:401`, `#fail:timeout` or `#flaky:429:1` produces that
failure on either route, so every error path can be shown and tested against real sockets.
Given a dialect, it speaks as that server family does (demo/dialects.py: the personality reads
the request and shapes the answer; this module conducts) and records what it understood.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from imagegen_tui.demo import artist
from imagegen_tui.demo.dialects import EDITS, GENERATIONS, Personality, Reading, Received, Upload, personality
from imagegen_tui.demo.wire import FormPart, Refused, parse_form
from imagegen_tui.models import custom_size_problem

MODELS = ("gpt-image-2", "gpt-image-1.5", "gpt-image-1", "gpt-image-1-mini")
MAX_BODY = 1024 * 1024
MAX_EDIT_BODY = 64 * 1024 * 1024  # a few large inputs; the real API takes up to 16 of 50 MB
EDIT_FIELDS = frozenset({
    "prompt", "model", "n", "size", "quality", "background", "output_format", "output_compression",
    "user", "input_fidelity", "stream", "partial_images", "response_format",
})
HANG_SECONDS = 600.0
_DIRECTIVE = re.compile(r"#(fail|flaky|url|dataurl|bytes|sleep|photo|trickle|keepalive|huge|revised|extra|fewer|billed|costed)(?::([a-z0-9._]+))?(?::(\d+))?")
_OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160, "auto": 1056}
KEEPALIVE_EVERY = 1.0
GATEWAY_KEY_SPEND = "12.5"  # what #billed says the key has spent in all

# Text that would drive a terminal or a markup renderer if shown raw: Rich/Textual markup, a
# scenario tag, an OSC 52 clipboard write, a screen clear, a C1 CSI, and emoji that must survive.
EVIL = "[/dim] [b]bold?[/b] [[scenario:slow:8]] \x1b]52;c;aGVsbG8=\x07 \x1b[2J \x9b31m red? 🦊🔥 done"

FAILURES: dict[str, tuple[int, str, str | None, str | None, str]] = {  # status, type, code, param, message
    "400": (400, "invalid_request_error", "invalid_value", "size", "Invalid value for 'size'."),
    "401": (401, "invalid_request_error", "invalid_api_key", None, "Incorrect API key provided."),
    "403": (403, "invalid_request_error", None, None, "Your organization must be verified to use the model."),
    "404": (404, "invalid_request_error", "model_not_found", None, "The model does not exist or you do not have access to it."),
    "moderation": (400, "image_generation_user_error", "moderation_blocked", None, "Your request was rejected by the safety system."),
    "429": (429, "requests", "rate_limit_exceeded", None, "Rate limit reached for images per minute. Please try again shortly."),
    "quota": (429, "insufficient_quota", "insufficient_quota", None, "You exceeded your current quota, please check your plan and billing details."),
    "500": (500, "server_error", None, None, "The server had an error while processing your request."),
    "502": (502, "server_error", None, None, "Bad gateway."),
    "503": (503, "server_error", None, None, "The engine is currently overloaded, please try again later."),
    "504": (504, "server_error", None, None, "Gateway timeout."),
    "evil": (400, "invalid_request_error", "invalid_value", None, f"Invalid prompt: {EVIL}"),
}

# Failures in FastAPI's shape, as vLLM-Omni and other Python servers answer: {"detail": …}, a
# validation error's list of fields (each `loc` inside the body, and why) or a bare sentence.
DETAILS: dict[str, tuple[int, str | list[dict[str, Any]]]] = {
    "422": (422, [
        {"type": "string_pattern_mismatch", "loc": ["body", "size"], "msg": "String should match pattern '^\\d+x\\d+$'", "input": "huge"},
        {"type": "less_than_equal", "loc": ["body", "extra", "steps"], "msg": "Input should be less than or equal to 150", "input": 900, "ctx": {"le": 150}},
    ]),
    "detail": (400, "Unsupported size for this pipeline: 4096x4096"),
}
FORMATS = ("png", "jpeg", "webp")


class DemoServer:
    """Serve on a loopback port in a background thread; `base_url` is what a profile calls."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0, key: str | None = None, tls: ssl.SSLContext | None = None, edits: bool = True,
        models: bool = True, dialect: str = "openai",
    ) -> None:
        """`tls`: serve https with this server-side context (for testing certificates and
        proxy tunnels); the handshake happens in each request's own thread, on its first read,
        so a client that never finishes one holds up nobody else. `edits=False`: no
        /images/edits route (404), like a gateway that offers generations only. `models=False`: no
        /models route (404), like most local image servers. `dialect`: answer as that server
        family does (demo/dialects.py; ValueError for no such dialect), recording in `received`
        what it read of each image request."""
        speaker = personality(dialect)
        self.httpd = _HTTPServer((host, port), _Handler)
        self.httpd.personality = speaker
        self.httpd.latency = latency
        self.httpd.key = key
        self.httpd.edits = edits
        self.httpd.models = models
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
            self.httpd.scheme = "https"
        self._thread: threading.Thread | None = None

    @property
    def dialect(self) -> str:
        return self.httpd.personality.name

    @property
    def received(self) -> list[Received]:
        """Each image request the server read, in order, as it understood it."""
        with self.httpd.lock:
            return list(self.httpd.received)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{self.httpd.scheme}://{host}:{port}/v1"

    def start(self) -> DemoServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="imagegen-demo", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def close(self) -> None:
        self.httpd.stopping.set()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    latency: float
    key: str | None
    edits: bool
    models: bool
    personality: Personality
    log = None  # a callable taking one line, set by `serve-demo`
    scheme = "http"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.flaky: dict[str, int] = {}
        self.generation_requests = 0  # POSTs to the generations route, whatever their fate
        self.edit_requests = 0  # and to the edits route
        self.image_headers: list[dict[str, str]] = []  # the headers of each of those POSTs, in order
        self.received: list[Received] = []
        self.files: OrderedDict[str, tuple[bytes, str]] = OrderedDict()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that refused our certificate, or left, is not the server's error."""
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            super().handle_error(request, client_address)

    def keep_file(self, data: bytes, ext: str) -> str:
        name = f"{secrets.token_hex(8)}.{ext}"
        with self.lock:
            self.files[name] = (data, ext)
            while len(self.files) > 64:
                self.files.popitem(last=False)
        return name


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "imagegen-tui-demo"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            self.server.log(f"{self.address_string()} {format % args}")

    # --- routes -------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models") and self.server.models:
            if self._authorized():
                models = self.server.personality.models or MODELS
                listing = {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "imagegen-tui-demo"} for m in models]}
                self._send(200, json.dumps(listing).encode(), {"Content-Type": "application/json"})
            return
        match = re.fullmatch(r"/v1/files/([0-9a-f]{16}\.(png|jpg|webp))", self.path)
        with self.server.lock:
            found = self.server.files.get(match.group(1)) if match else None
        if found is None:
            self._error(404, "invalid_request_error", None, f"No such route: GET {self.path}")
            return
        data, ext = found
        self._send(200, data, {"Content-Type": f"image/{'jpeg' if ext == 'jpg' else ext}"})

    def do_POST(self) -> None:
        route = self.path.rstrip("/").removeprefix("/v1")
        kind = self.server.personality.routes.get(route) if route != EDITS or self.server.edits else None
        length = int(self.headers.get("Content-Length") or 0)
        if length > (MAX_BODY if kind is None or route == GENERATIONS else MAX_EDIT_BODY):
            self._error(413, "invalid_request_error", None, "Request body too large.")
            return
        raw = self.rfile.read(length)
        if kind is None:
            self._error(404, "invalid_request_error", None, f"No such route: POST {self.path}")
            return
        with self.server.lock:
            if route == GENERATIONS:
                self.server.generation_requests += 1
            else:
                self.server.edit_requests += 1
            self.server.image_headers.append({name.lower(): value for name, value in self.headers.items()})
        if not self._authorized():
            return
        if not self.server.personality.native:
            self._dialect(route, kind, raw)
        elif route == EDITS:
            self._edit(raw)
        else:
            self._generate(raw)

    def _generate(self, raw: bytes) -> None:
        try:
            body = _json_body(raw)
        except Refused as refused:
            self._refuse(refused)
            return
        self._record(GENERATIONS, body, [], self.server.personality.understand(body))
        self._serve(body, _generation)

    def _edit(self, raw: bytes) -> None:
        """The form's fields in the types the JSON route takes and its files checked, then
        served as a generation is, drawn from the uploaded images."""
        try:
            parts = parse_form(self.headers.get("Content-Type", ""), raw)
            fields = {part.name: part.text() for part in parts if part.filename is None}
            body = _typed_fields(fields)
            self._record(EDITS, fields, [part for part in parts if part.filename is not None], self.server.personality.understand(body))
            uploads = _Uploads.of(parts)
        except Refused as refused:
            self._refuse(refused)
            return
        self._serve(body, uploads.painter, uploads.default_size())

    def _dialect(self, route: str, kind: str, raw: bytes) -> None:
        """A request read as the personality's server reads it, recorded, then served by the
        same conductor as OpenAI's (directives and all) and answered in the server's shape."""
        try:
            if kind == "json":
                fields, files = _json_body(raw), []
            else:
                parts = parse_form(self.headers.get("Content-Type", ""), raw)
                fields = {part.name: part.text() for part in parts if part.filename is None}
                files = [part for part in parts if part.filename is not None]
            reading = self.server.personality.read(route, fields, files)
        except Refused as refused:
            self._refuse(refused)
            return
        self._record(route, fields, files, reading.understood)
        if reading.sources:
            self._serve(reading.body, _Uploads(reading.sources, reading.sizes, reading.mask).painter, reading=reading)
        else:
            self._serve(reading.body, _generation, reading=reading)

    def _record(self, route: str, fields: dict[str, Any], files: list[FormPart], understood: dict[str, Any]) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        uploads = tuple(Upload(part.name, part.filename, len(part.data)) for part in files)
        with self.server.lock:
            self.server.received.append(Received(route, headers, dict(fields), uploads, understood))

    # --- answering ----------------------------------------------------------------------------

    def _serve(self, body: dict[str, Any], paint: Callable[[str, dict[str, Any]], _Painter], default_size: str = "1024x1024", reading: Reading | None = None) -> None:
        """Answer one request as the directives in its prompt say, else with `paint`'s pictures
        of the checked parameters; `auto` (or no size) is `default_size`. With a personality's
        `reading`, drawn from its seed too and answered in its server's shape."""
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            self._error(400, "invalid_request_error", "empty_string", "Invalid 'prompt': empty string.", "prompt")
            return
        directives = {name: (arg, count) for name, arg, count in _DIRECTIVE.findall(prompt.lower())}
        delay = self.server.latency + float(directives.get("sleep", ("0", ""))[0] or 0)
        if "flaky" in directives:
            status, count = directives["flaky"]
            with self.server.lock:
                seen = self.server.flaky.get(prompt, 0)
                self.server.flaky[prompt] = seen + 1
            if seen < int(count or 1) and status in FAILURES:
                self._failure(status)
                return
        failure = directives.get("fail", (None, ""))[0]
        if "keepalive" in directives:
            self._keepalive(float(directives["keepalive"][0] or KEEPALIVE_EVERY))
            return
        if failure in FAILURES:
            self._failure(failure)
            return
        if failure in DETAILS:
            status, detail = DETAILS[failure]
            self._send(status, json.dumps({"detail": detail}).encode(), {"Content-Type": "application/json"})
            return
        if failure == "timeout":
            self.server.stopping.wait(HANG_SECONDS)
            return
        if failure == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            self.connection.close()
            return
        try:
            params = _params(body, default_size)
        except Refused as refused:
            self._refuse(refused)
            return
        params["photo"] = "photo" in directives
        params["seed"] = reading.seed if reading is not None else None
        params["asked_format"] = params["format"]  # echoed as asked, whatever #bytes made
        if directives.get("bytes", ("", ""))[0] in FORMATS:
            params["format"] = directives["bytes"][0]
        painter = paint(prompt, params)
        if reading is not None:
            painter = self._finished(painter, reading)
        if delay and not body.get("stream"):
            self.server.stopping.wait(delay)
        if body.get("stream") and failure != "nostream":
            self._stream(prompt, params, delay, failure, painter)
            return
        params["huge"] = "huge" in directives
        params["revised"] = EVIL if directives.get("revised", ("", ""))[0] == "evil" else None
        params["count"] = _image_count(params["n"], directives)
        params["data_url"] = (directives["dataurl"][0] or "base64") if "dataurl" in directives else None
        # as a gateway that bills: LiteLLM's cost headers (#billed:USD), OpenRouter's usage.cost (#costed:USD)
        params["billed"], params["costed"] = directives.get("billed", ("", ""))[0], directives.get("costed", ("", ""))[0]
        as_url = "url" in directives or (reading is not None and reading.as_url)
        self._answer(prompt, params, failure, as_url, float(directives.get("trickle", ("0", ""))[0] or 0), painter, reading)

    def _finished(self, painter: _Painter, reading: Reading) -> _Painter:
        """The painter whose pictures the personality's server finishes its own way."""
        final, personality = painter.final, self.server.personality
        return replace(painter, final=lambda i: personality.finish(final(i), reading, i))

    def _answer(self, prompt: str, p: dict[str, Any], failure: str | None, as_url: bool, pace: float, painter: _Painter, reading: Reading | None = None) -> None:
        if failure == "html":
            self._send(200, b"<!DOCTYPE html><html><body><h1>Sign in to continue</h1></body></html>", {"Content-Type": "text/html"})
            return
        if failure == "notjson":
            self._send(200, b"upstream said: OK", {"Content-Type": "application/json"})
            return
        if p["huge"]:
            drawn = [artist.huge_png()]
        else:
            drawn = [painter.final(i) for i in range(min(p["n"], p["count"]))]
        images = [drawn[i % len(drawn)] for i in range(p["count"])]
        entries: list[dict[str, Any]] = []
        for data in images:
            if failure == "badb64":
                entries.append({"b64_json": "!!not*base64!!"})
            elif failure == "notimage":
                entries.append({"b64_json": base64.b64encode(b"these bytes are not an image").decode()})
            elif failure == "damaged":
                entries.append({"b64_json": base64.b64encode(data[: len(data) // 2]).decode()})
            elif failure == "fileurl":
                entries.append({"url": "file:///etc/passwd"})  # neither fetchable nor data: must be refused, never opened
            elif p["data_url"]:
                entries.append({"url": _data_url(data, p["format"], p["data_url"] == "pct")})
            elif as_url:
                name = self.server.keep_file(data, "jpg" if p["format"] == "jpeg" else p["format"])
                host, port = self.server.server_address[:2]
                entries.append({"url": f"{self.server.scheme}://{host}:{port}/v1/files/{name}"})
            else:
                entries.append({"b64_json": base64.b64encode(data).decode()})
            if p["revised"]:
                entries[-1]["revised_prompt"] = p["revised"]
        answer = {"created": int(time.time()), "data": [] if failure == "empty" else entries, **_echo(p), "usage": _usage(prompt, p, painter.image_tokens)}
        if p["costed"]:
            answer["usage"]["cost"] = float(p["costed"])
        if reading is not None:
            answer = self.server.personality.shape(answer, reading)
        payload = json.dumps(answer).encode()
        if failure == "truncated":
            payload = payload[: len(payload) // 2]
        billed = {"x-litellm-response-cost": p["billed"], "x-litellm-key-spend": GATEWAY_KEY_SPEND} if p["billed"] else {}
        self._send(200, payload, {"Content-Type": "application/json", **billed}, pace)

    def _keepalive(self, every: float) -> None:
        """An SSE stream that only ever says it is alive, every `every` seconds: a client whose
        only limit is a read timeout waits for ever."""
        self._start_stream()
        waited = 0.0
        try:
            while waited < HANG_SECONDS and not self.server.stopping.wait(every):
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                waited += every
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("x-request-id", _request_id())
        self.end_headers()
        self.close_connection = True

    def _stream(self, prompt: str, p: dict[str, Any], delay: float, failure: str | None, painter: _Painter) -> None:
        self._start_stream()
        steps = p["partial_images"]
        try:
            for i in range(p["n"]):
                for step in range(steps):
                    self.server.stopping.wait(delay / (steps + 1) / p["n"])
                    data = b"" if failure == "blankpartials" else painter.partial(i, step, steps)
                    self._event(f"{painter.events}.partial_image", {"b64_json": base64.b64encode(data).decode(), "partial_image_index": step, **_echo(p)})
                self.server.stopping.wait(delay / (steps + 1) / p["n"])
                data = painter.final(i)
                usage = _usage(prompt, {**p, "n": 1}, painter.image_tokens)
                self._event(f"{painter.events}.completed", {"b64_json": base64.b64encode(data).decode(), **_echo(p), "usage": usage})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _event(self, kind: str, fields: dict[str, Any]) -> None:
        event = {"type": kind, "created_at": int(time.time()), **fields}
        self.wfile.write(f"event: {kind}\ndata: {json.dumps(event)}\n\n".encode())
        self.wfile.flush()

    # --- plumbing -----------------------------------------------------------------------------

    def _authorized(self) -> bool:
        key = self.server.key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}" or self.headers.get("api-key") == key:  # Azure's header too
            return True
        given = (self.headers.get("Authorization") or self.headers.get("api-key") or "").removeprefix("Bearer ").strip()
        shown = f"{given[:3]}****{given[-4:]}" if len(given) > 10 else "****"
        self._error(401, "invalid_request_error", "invalid_api_key", f"Incorrect API key provided: {shown}.")
        return False

    def _refuse(self, refused: Refused) -> None:
        self._error(refused.status, "invalid_request_error", refused.code, refused.message, refused.param)

    def _failure(self, name: str) -> None:
        status, kind, code, param, message = FAILURES[name]
        extra = {"retry-after-ms": "50"} if code == "rate_limit_exceeded" else {}
        self._error(status, kind, code, message, param, extra)

    def _error(self, status: int, kind: str, code: str | None, message: str, param: str | None = None, headers: dict[str, str] | None = None) -> None:
        """An error in the shape the personality's server answers with."""
        status, body = self.server.personality.error(status, message, kind, code, param)
        self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _send(self, status: int, payload: bytes, headers: dict[str, str], pace: float = 0.0) -> None:
        """Send the answer; with `pace`, one byte every `pace` seconds after the headers."""
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(payload)), "x-request-id": _request_id()}.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            if not pace:
                self.wfile.write(payload)
                return
            for offset in range(len(payload)):
                if self.server.stopping.wait(pace):
                    return
                self.wfile.write(payload[offset : offset + 1])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Refused(None, "We could not parse the JSON body of your request.", None)
    return body


def _image_count(n: int, directives: dict[str, tuple[str, str]]) -> int:
    """How many images to answer with: n, or what #extra:K / #fewer:K ask for."""
    if "extra" in directives:
        return int(directives["extra"][0] or n + 1)
    if "fewer" in directives:
        return min(n, int(directives["fewer"][0] or n - 1))
    return n


def _request_id() -> str:
    return f"req_demo_{secrets.token_hex(8)}"


def _params(body: dict[str, Any], default_size: str = "1024x1024") -> dict[str, Any]:
    """Check the body as the real API would; Refused when it would refuse. `auto` (or no size)
    is `default_size`."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise Refused("model", "The demo provider needs 'model' (the real API would fall back to dall-e-2).")
    n = body.get("n", 1)
    if not isinstance(n, int) or not 1 <= n <= 10:
        raise Refused("n", f"Invalid 'n': {n!r}. Expected a value between 1 and 10.")
    size = body.get("size") or "auto"
    match = re.fullmatch(r"(\d+)x(\d+)", default_size if size == "auto" else size) if isinstance(size, str) else None
    if match and all(16 <= int(v) <= 3840 for v in match.groups()):
        width, height = int(match.group(1)), int(match.group(2))
    else:
        raise Refused("size", f"Invalid value for 'size': {size!r}.")
    fmt = body.get("output_format") or "png"
    if fmt not in ("png", "jpeg", "webp"):
        raise Refused("output_format", f"Invalid value for 'output_format': {fmt!r}.")
    background = body.get("background") or "auto"
    if background == "transparent" and fmt == "jpeg":
        raise Refused("background", "Transparent background requires output_format png or webp.")
    compression = body.get("output_compression")
    if compression is not None and (not isinstance(compression, int) or not 0 <= compression <= 100):
        raise Refused("output_compression", "Invalid 'output_compression': expected 0-100.")
    quality = body.get("quality") or "auto"
    partials = body.get("partial_images") or 0
    if not isinstance(partials, int) or not 0 <= partials <= 3:
        raise Refused("partial_images", "Invalid 'partial_images': expected 0-3.")
    return {
        "n": n,
        "width": width,
        "height": height,
        "format": fmt,
        "transparent": background == "transparent",
        "compression": compression if fmt != "png" else None,
        "quality": "medium" if quality == "auto" else quality,
        "partial_images": partials,
    }


def _echo(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "size": f"{p['width']}x{p['height']}",
        "quality": p["quality"],
        "background": "transparent" if p["transparent"] else "opaque",
        "output_format": p.get("asked_format", p["format"]),
    }


def _data_url(data: bytes, fmt: str, percent: bool) -> str:
    """An RFC 2397 data: URL of the image: base64, or (`percent`) percent-encoded bytes."""
    if percent:
        return f"data:image/{fmt}," + urllib.parse.quote_from_bytes(data, safe="")
    return f"data:image/{fmt};base64," + base64.b64encode(data).decode()


def _usage(prompt: str, p: dict[str, Any], image_tokens: int = 0) -> dict[str, Any]:
    text = max(1, len(prompt) // 4)
    per_image = _OUTPUT_TOKENS.get(p["quality"], 1056) * p["width"] * p["height"] // (1024 * 1024)
    output = per_image * p["n"]
    return {
        "input_tokens": text + image_tokens,
        "output_tokens": output,
        "total_tokens": text + image_tokens + output,
        "input_tokens_details": {"text_tokens": text, "image_tokens": image_tokens},
    }


# --- what is drawn ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Painter:
    """One request's pictures: the finished image `index`, a partial one (step of steps), the
    events that carry them when streamed, and the input image tokens they cost."""

    events: str
    final: Callable[[int], bytes]
    partial: Callable[[int, int, int], bytes]
    image_tokens: int = 0


def _generation(prompt: str, p: dict[str, Any]) -> _Painter:
    size = (p["width"], p["height"])
    return _Painter(
        "image_generation",
        lambda i: artist.render(prompt, *size, i, p["transparent"], p["format"], p["compression"], p["photo"], p["seed"]),
        lambda i, step, steps: artist.render_partial(prompt, *size, i, p["transparent"], p["format"], step, steps, p["seed"]),
    )


@dataclass(frozen=True)
class _Uploads:
    """An edit's files, checked as OpenAI checks them: at least one image, each a PNG, WebP or
    JPEG; a mask, if any, a PNG with alpha of the first image's size."""

    sources: tuple[bytes, ...]
    sizes: tuple[tuple[int, int], ...]
    mask: bytes | None

    @classmethod
    def of(cls, parts: list[FormPart]) -> _Uploads:
        images = [part for part in parts if part.name in ("image", "image[]") and part.filename is not None]
        mask = next((part for part in parts if part.name == "mask" and part.filename is not None), None)
        if not images:
            raise Refused("image", "Missing required parameter: 'image'.", "missing_required_parameter")
        sizes = []
        for number, part in enumerate(images, 1):
            try:
                sizes.append(artist.input_size(part.data, ("PNG", "JPEG", "WEBP")))
            except ValueError as exc:
                raise Refused("image", f"Invalid image file for image {number} ({part.filename}): {exc}.", "invalid_image_format") from None
        if mask is not None:
            try:
                mask_size = artist.input_size(mask.data, ("PNG",), alpha=True)
            except ValueError as exc:
                raise Refused("mask", f"Invalid mask: {exc}.", "invalid_image_format") from None
            if mask_size != sizes[0]:
                (w, h), (width, height) = mask_size, sizes[0]
                message = f"Invalid mask: it is {w}x{h} but the image is {width}x{height}; they must have the same dimensions."
                raise Refused("mask", message, "invalid_image_dimensions")
        return cls(tuple(part.data for part in images), tuple(sizes), mask.data if mask is not None else None)

    def default_size(self) -> str:
        """The first image's size, when it is one the API could make; else 1024x1024."""
        width, height = self.sizes[0]
        return f"{width}x{height}" if custom_size_problem(width, height) is None else "1024x1024"

    def painter(self, prompt: str, p: dict[str, Any]) -> _Painter:
        shape = (p["width"], p["height"], p["transparent"])
        return _Painter(
            "image_edit",
            lambda i: artist.render_edit(prompt, self.sources, self.mask, *shape, i, p["format"], p["compression"], p["seed"]),
            lambda i, step, steps: artist.render_edit_partial(prompt, self.sources, self.mask, *shape, i, p["format"], step, steps, p["seed"]),
            sum(_image_tokens(*size) for size in self.sizes),
        )


def _image_tokens(width: int, height: int) -> int:
    """Tokens for one input image, counted in 512-pixel tiles as OpenAI's older models did."""
    return 85 + 170 * (-(-width // 512)) * (-(-height // 512))


_INTEGER_FIELDS = ("n", "output_compression", "partial_images")


def _typed_fields(fields: dict[str, str]) -> dict[str, Any]:
    """Form fields (all text) as the JSON route's types; unknown ones refused, as OpenAI does
    (there is no `moderation` on edits)."""
    for name in fields:
        if name not in EDIT_FIELDS:
            raise Refused(name, f"Unknown parameter: '{name}'.", "unknown_parameter")
    body: dict[str, Any] = dict(fields)
    for name in _INTEGER_FIELDS:
        if name in body:
            try:
                body[name] = int(body[name])
            except ValueError:
                raise Refused(name, f"Invalid '{name}': expected an integer, got {body[name]!r}.") from None
    if "stream" in body:
        if body["stream"] not in ("true", "false"):
            raise Refused("stream", f"Invalid 'stream': expected true or false, got {body['stream']!r}.")
        body["stream"] = body["stream"] == "true"
    if body.get("input_fidelity") not in (None, "high", "low"):
        raise Refused("input_fidelity", f"Invalid value for 'input_fidelity': {body['input_fidelity']!r}.")
    return body
