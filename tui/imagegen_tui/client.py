"""The OpenAI-compatible images client: send, retry, parse, and turn every failure into an
ImageAPIError a person can act on."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from imagegen_tui import __version__
from imagegen_tui.dialects import DIALECTS
from imagegen_tui.endpoint import Endpoint
from imagegen_tui.errors import ErrorKind, ImageAPIError, redact
from imagegen_tui.models import ModelCaps
from imagegen_tui.network import Network, ProxyFailed, caused_by, trust_hint
from imagegen_tui.request import EditRequest, ImageRequest
from imagegen_tui.results import (
    GenerationResult,
    ImagePayload,
    UnusableAnswer,
    Usage,
    decode_b64,
    echoed_params,
    format_notes,
    image_entries,
    is_data_url,
    parse_json_body,
    reported_cost,
    verify_image,
)
from imagegen_tui.retry import server_asked_delay

MAX_ANSWER_BYTES = 512 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
MAX_ERROR_BYTES = 64 * 1024
YIELD_EVERY = 1024 * 1024

PartialCallback = Callable[[int, int, ImagePayload], None]
"""Called with (image index, partial index, the partial image) as streamed previews arrive."""

GENERATIONS = "images/generations"
EDITS = "images/edits"
INPAINTING = "images/inpainting"  # LocalAI's, in place of edits


class _AttemptFailed(Exception):
    def __init__(self, error: ImageAPIError, *, sent: bool, headers: Mapping[str, str]) -> None:
        self.error, self.sent, self.headers = error, sent, headers
        error.sent = sent  # what a script is told: could running it again pay twice?


@dataclass(frozen=True)
class _Payload:
    """What every attempt of one request posts: the route, and the body as httpx takes it
    (`json=`, or `data=` and `files=` for a multipart form). Files are bytes, never open files,
    so a retry sends the same body again, whole."""

    route: str
    content: Mapping[str, Any]
    stream: bool

    @property
    def asked_format(self) -> str | None:
        """The output_format sent, if any: what the answer's bytes are compared with."""
        fields = self.content.get("json") or self.content.get("data") or {}
        return fields.get("output_format")

    @classmethod
    def of(cls, request: ImageRequest | EditRequest, caps: ModelCaps) -> _Payload:
        """Blocking for an edit (a mask redrawn, an image encoded): call from a thread."""
        if not isinstance(request, EditRequest):
            return cls(GENERATIONS, {"json": request.body(caps)}, request.stream)
        shape = DIALECTS[caps.dialect].edits
        if shape == "json":
            return cls(EDITS, {"json": request.json_body(caps)}, request.stream)
        data, files = request.form(caps)
        return cls(INPAINTING if shape == "inpainting" else EDITS, {"data": data, "files": files}, request.stream)


@dataclass
class _Call:
    """One generation's or edit's deadline, and whether any of its requests has reached the provider
    (then it may be billed, whatever happens next)."""

    deadline: asyncio.Timeout
    sent: bool = False

    def left(self) -> float:
        when = self.deadline.when()
        return float("inf") if when is None else when - asyncio.get_running_loop().time()

    async def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's progress events: the request is sent once its body has gone out."""
        if event.endswith("send_request_body.complete"):
            self.sent = True


class ImagesClient:
    """One httpx connection pool per client; use as an async context manager."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.endpoint = endpoint
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport or Network(endpoint),
            # reads wait for as long as the whole call's deadline allows (see generate)
            timeout=httpx.Timeout(None, connect=endpoint.connect_timeout),
            follow_redirects=False,
            trust_env=True,
        )

    async def __aenter__(self) -> ImagesClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def list_models(self) -> list[str]:
        """GET /models: proves the URL and key work without a paid call."""
        url = self._url("models")
        try:
            async with asyncio.timeout(self.endpoint.timeout):
                response = await self._http.get(url, headers=self._headers(url))
        except TimeoutError:
            raise ImageAPIError(
                ErrorKind.TIMEOUT, f"the model list did not arrive within {self.endpoint.timeout:g} s",
                hint=f"check the base URL ({self.endpoint.base_url})", host=self.endpoint.host,
            ) from None
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        if response.status_code >= 400:
            raise self._status_error(response.status_code, response.headers, response.content[:MAX_ERROR_BYTES])
        try:
            data = response.json().get("data") or []
            return sorted(str(item.get("id")) for item in data if isinstance(item, dict) and item.get("id"))
        except (ValueError, AttributeError):
            raise self._bad_answer("the model list was not the expected JSON", response.headers.get("x-request-id")) from None

    async def generate(
        self, request: ImageRequest, caps: ModelCaps, on_partial: PartialCallback | None = None
    ) -> GenerationResult:
        """Run one validated generation (POST /images/generations). Streamed completions carry
        no image index, so n>1 with streaming becomes n parallel single-image calls.

        The profile's timeout bounds the whole call: connecting, every attempt, the waits
        between them. httpx's own read timeout cannot: it restarts with every byte, so a server
        trickling bytes or SSE keep-alive comments would hold a call for ever."""
        return await self._run(request, caps, on_partial)

    async def edit(
        self, request: EditRequest, caps: ModelCaps, on_partial: PartialCallback | None = None
    ) -> GenerationResult:
        """Run one validated edit (POST /images/edits, a multipart form), with generate's
        deadline, retries, errors and answers; streamed, its events are `image_edit.*`. n>1
        streamed becomes n parallel calls here too, each uploading the images again.

        A provider without edits answers 404 or 405 on the route: that is said as "this
        provider does not offer image edits", not as a wrong base URL. Edits refused by the
        profile's capabilities never get here: EditRequest.validate refuses them."""
        return await self._run(request, caps, on_partial)

    async def _run(self, request: ImageRequest | EditRequest, caps: ModelCaps, on_partial: PartialCallback | None) -> GenerationResult:
        started = time.monotonic()
        call: _Call | None = None
        try:
            async with asyncio.timeout(self.endpoint.timeout) as deadline:
                call = _Call(deadline)
                result = await self._request(request, caps, on_partial, call)
        except TimeoutError:
            if call is not None and call.deadline.expired():
                raise self._deadline_error(call.sent) from None
            raise
        result.elapsed = time.monotonic() - started
        return result

    async def _request(
        self, request: ImageRequest | EditRequest, caps: ModelCaps, on_partial: PartialCallback | None, call: _Call
    ) -> GenerationResult:
        split = request.stream and request.n > 1
        payload = await asyncio.to_thread(_Payload.of, replace(request, n=1) if split else request, caps)
        if not split:
            result = await self._call(payload, request.n, on_partial, 0, call)
        else:
            parts = await asyncio.gather(*(self._call(payload, 1, on_partial, index, call) for index in range(request.n)))
            result = GenerationResult(
                images=[image for part in parts for image in part.images],
                created=parts[0].created,
                usage=_sum_usage(part.usage for part in parts),
                request_id=", ".join(p.request_id for p in parts if p.request_id) or None,
                echoed=parts[0].echoed,
                notes=[note for part in parts for note in part.notes],
                gateway_cost=None if any(p.gateway_cost is None for p in parts) else sum(p.gateway_cost or 0.0 for p in parts),
                key_spend=max((p.key_spend for p in parts if p.key_spend is not None), default=None),
            )
        result.notes += format_notes(result.images, payload.asked_format)
        return result

    async def _call(self, payload: _Payload, wanted: int, on_partial: PartialCallback | None, index: int, call: _Call) -> GenerationResult:
        policy = self.endpoint.retry
        attempt = 0
        while True:
            try:
                return await self._attempt(payload, wanted, on_partial, index, call)
            except _AttemptFailed as failure:
                error = failure.error
                if attempt >= policy.max_retries or not policy.should_retry(
                    error.kind, error.status, failure.sent, failure.headers
                ):
                    raise error from None
                delay = policy.delay(attempt, failure.headers)
                if delay is None or delay >= call.left():  # waiting would only end in the deadline
                    raise error from None
                attempt += 1
                await self._sleep(delay)

    async def _attempt(
        self, payload: _Payload, wanted: int, on_partial: PartialCallback | None, index: int, call: _Call
    ) -> GenerationResult:
        url = self._url(payload.route)
        headers = {**self._headers(url), **self.endpoint.image_headers}
        headers["Accept"] = "text/event-stream" if payload.stream else "application/json"
        try:
            async with self._http.stream("POST", url, **payload.content, headers=headers, extensions={"trace": call.trace}) as response:
                request_id = response.headers.get("x-request-id")
                if response.status_code >= 400:
                    raw = await _read_bounded(response, MAX_ERROR_BYTES, truncate=True)
                    error = self._status_error(response.status_code, response.headers, raw, payload.route)
                    raise _AttemptFailed(error, sent=True, headers=response.headers)
                if response.status_code != 200:
                    error = self._bad_answer(f"unexpected HTTP status {response.status_code}", request_id)
                    raise _AttemptFailed(error, sent=True, headers={})
                try:
                    if "text/event-stream" in response.headers.get("content-type", ""):
                        result = await self._read_stream(response, wanted, on_partial, index)
                    else:
                        raw = await _read_bounded(response, MAX_ANSWER_BYTES)
                        result = await self._read_json(raw, wanted)
                except UnusableAnswer as exc:
                    raise _AttemptFailed(self._bad_answer(str(exc), request_id), sent=True, headers={}) from None
                result.request_id = request_id
                if (billed := reported_cost(response.headers.get("x-litellm-response-cost"))) is not None:
                    result.gateway_cost = billed
                result.key_spend = reported_cost(response.headers.get("x-litellm-key-spend"))
                return result
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _AttemptFailed(self._transport_error(exc), sent=False, headers={}) from None
        except httpx.TransportError as exc:
            raise _AttemptFailed(self._transport_error(exc), sent=True, headers={}) from None

    def _url(self, path: str) -> str:
        return f"{self.endpoint.base_url.rstrip('/')}/{path}"

    def _headers(self, url: str) -> dict[str, str]:
        headers = {"User-Agent": f"imagegen-tui/{__version__}", **self.endpoint.headers}
        if self.endpoint.api_key and self.endpoint.same_origin(url):
            if self.endpoint.key_header.lower() == "authorization":
                headers["Authorization"] = f"Bearer {self.endpoint.api_key}"
            else:
                headers[self.endpoint.key_header] = self.endpoint.api_key
        return headers

    async def _read_json(self, raw: bytes, wanted: int) -> GenerationResult:
        body = await asyncio.to_thread(parse_json_body, raw)
        entries, notes = _as_many_as_asked(image_entries(body), wanted)

        remote = [i for i, entry in enumerate(entries) if not entry.get("b64_json") and not is_data_url(entry["url"])]
        fetched = await asyncio.gather(*(self._download(entries[i]["url"]) for i in remote))
        # one worker thread for all images: several decoding at once only fight over the GIL
        # with the event loop, and gain nothing on a couple of cores
        images = await asyncio.to_thread(_decode_all, entries, dict(zip(remote, fetched)))
        created = body.get("created")
        return GenerationResult(
            images=list(images),
            created=created if isinstance(created, int) else None,
            usage=Usage.parse(body.get("usage")),
            echoed=echoed_params(body),
            notes=notes,
            gateway_cost=reported_cost(usage.get("cost")) if isinstance(usage := body.get("usage"), dict) else None,  # OpenRouter's
        )

    async def _read_stream(
        self, response: httpx.Response, wanted: int, on_partial: PartialCallback | None, index: int
    ) -> GenerationResult:
        """Dispatch on the JSON `type`, not the SSE `event:` line; blank partials are skipped."""
        images: list[ImagePayload] = []
        usages: list[Usage | None] = []
        echoed: dict[str, str] = {}
        created: int | None = None
        async for data in _sse_data(response):
            try:
                event = json.loads(data)
            except json.JSONDecodeError:
                raise UnusableAnswer("a streamed event was not valid JSON") from None
            if not isinstance(event, dict):
                continue
            kind = str(event.get("type", ""))
            if "error" in event or kind == "error":
                raise UnusableAnswer(f"the stream reported an error: {_error_text(event)}")
            if kind.endswith("partial_image"):
                if on_partial and event.get("b64_json"):
                    try:
                        partial = await asyncio.to_thread(_decode_and_verify, event["b64_json"])
                    except UnusableAnswer:
                        continue
                    on_partial(index, int(event.get("partial_image_index") or 0), partial)
            elif kind.endswith("completed"):
                images.append(await asyncio.to_thread(_decode_and_verify, event.get("b64_json")))
                usages.append(Usage.parse(event.get("usage")))
                echoed = echoed or echoed_params(event)
                created = event.get("created_at") if isinstance(event.get("created_at"), int) else created
        if not images:
            raise UnusableAnswer("the stream ended without a finished image")
        images, notes = _as_many_as_asked(images, wanted)
        return GenerationResult(images=images, created=created, usage=_sum_usage(usages), echoed=echoed, notes=notes)

    async def _download(self, url: str) -> bytes:
        """Fetch a `url` answer with the same client; the token goes only to the provider's origin."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise UnusableAnswer("an image URL in the answer is not http(s) or data:")
        try:
            async with self._http.stream("GET", url, headers=self._headers(url)) as response:
                if response.status_code != 200:
                    raise UnusableAnswer(f"downloading the image from {urlsplit(url).netloc} gave HTTP {response.status_code}")
                return await _read_bounded(response, MAX_DOWNLOAD_BYTES)
        except httpx.TransportError as exc:
            raise UnusableAnswer(f"downloading the image from {urlsplit(url).netloc} failed: {_what_broke(exc)}") from None

    # --- errors -----------------------------------------------------------------------------

    def _status_error(self, status: int, headers: Mapping[str, str], raw: bytes, route: str | None = None) -> ImageAPIError:
        info = _error_info(raw)
        message = redact(info.get("message") or "", (self.endpoint.api_key or "",)) or None
        code = info.get("code") or info.get("type")
        text = " ".join(filter(None, (info.get("code"), info.get("type"), message))).lower()
        kind, summary, hint = self._classify(status, text, bool(self.endpoint.api_key), route, info.get("param"))
        retry_after = server_asked_delay(headers)
        if kind is ErrorKind.RATE_LIMITED and retry_after is not None:
            hint = f"wait {retry_after:.0f} s and try again"
        return ImageAPIError(
            kind,
            summary,
            hint=hint,
            status=status,
            code=code,
            provider_message=message,
            request_id=headers.get("x-request-id"),
            host=self.endpoint.host,
            retry_after=retry_after,
        )

    def _classify(self, status: int, text: str, had_key: bool, route: str | None, param: str | None) -> tuple[ErrorKind, str, str | None]:
        where = f"the profile '{self.endpoint.profile}'" if self.endpoint.profile else "the profile"
        env = f" or in {self.endpoint.key_env}" if self.endpoint.key_env else ""
        if route in (EDITS, INPAINTING) and (status == 405 or (status == 404 and "model" not in text)):
            # the route itself is missing (a 404 about the model names it); a wrong base URL
            # would fail generations too, so that is not what to suggest
            return (
                ErrorKind.NOT_FOUND,
                f"this provider does not offer image edits (POST /{route})",
                f"use a profile whose provider has them, or set edits = false in the capabilities of {where} so they are not offered",
            )
        if status == 401:
            if not had_key:
                return ErrorKind.AUTH, "no token was sent", f"set one in {where}{env}"
            return ErrorKind.AUTH, "the token was rejected", f"set it in {where}{env}"
        if status == 403:
            return ErrorKind.PERMISSION, "this token may not use this model or endpoint", "check the account's access to the model"
        if status == 404:
            return ErrorKind.NOT_FOUND, "the endpoint or model was not found", f"check the base URL ({self.endpoint.base_url}) and the model name"
        if status == 402 or (status == 429 and ("quota" in text or "billing" in text or "credit" in text)):
            return ErrorKind.QUOTA, "the account is out of quota or credit", "add credit or check the plan; retrying will not help"
        if status == 429:
            return ErrorKind.RATE_LIMITED, "rate limited", "wait a moment and try again"
        if status == 408:
            return ErrorKind.TIMEOUT, "the provider timed out", "try again, or raise the profile's timeout"
        if status >= 500:
            return ErrorKind.SERVER, "the provider had an internal error", "try again later"
        if "moderation" in text or "safety" in text or "content_policy" in text:
            return ErrorKind.MODERATION, "the prompt was blocked by the provider's safety system", "change the prompt"
        return ErrorKind.BAD_REQUEST, _refused(param), None

    def _transport_error(self, exc: httpx.TransportError) -> ImageAPIError:
        host = self.endpoint.host
        if isinstance(exc, ProxyFailed):
            return exc.error
        if (untrusted := caused_by(exc, ssl.SSLCertVerificationError)) is not None:
            return ImageAPIError(ErrorKind.CERTIFICATE, f"its TLS certificate is not trusted ({untrusted.verify_message})", hint=trust_hint(self.endpoint), host=host)
        if isinstance(exc, httpx.ConnectTimeout):
            return ImageAPIError(
                ErrorKind.TIMEOUT,
                f"could not connect within {self.endpoint.connect_timeout:g} s (the profile's connect_timeout)",
                hint="nothing was sent; check the network and the base URL",
                host=host,
            )
        if isinstance(exc, httpx.ConnectError):
            return ImageAPIError(ErrorKind.NETWORK, "could not connect", hint=f"nothing was sent; check the network and the base URL ({self.endpoint.base_url})", host=host)
        return ImageAPIError(ErrorKind.NETWORK, _what_broke(exc), hint="the call may still be billed; check the network and try again", host=host)

    def _deadline_error(self, sent: bool) -> ImageAPIError:
        limit = f"within {self.endpoint.timeout:g} s (the whole call's time limit, retries included: the profile's timeout or --timeout)"
        if not sent:
            return ImageAPIError(ErrorKind.TIMEOUT, f"the request could not be sent {limit}", hint="nothing was billed; check the network and the base URL", host=self.endpoint.host, sent=False)
        return ImageAPIError(
            ErrorKind.TIMEOUT,
            f"no complete answer {limit}",
            hint="the call may still be billed; raise the limit for slow models",
            host=self.endpoint.host,
        )

    def _bad_answer(self, why: str, request_id: str | None) -> ImageAPIError:
        return ImageAPIError(
            ErrorKind.BAD_RESPONSE,
            f"the answer could not be used: {why}",
            request_id=request_id,
            host=self.endpoint.host,
        )


_BROKEN = (
    (httpx.RemoteProtocolError, "the server closed the connection before the answer was complete"),
    (httpx.ReadError, "the connection broke while the answer was arriving"),
    (httpx.WriteError, "the connection broke while the request was being sent"),
    (httpx.UnsupportedProtocol, "the URL is not http:// or https://"),
    (httpx.LocalProtocolError, "the request could not be sent as valid HTTP"),
)


def _refused(param: str | None) -> str:
    """What a 4xx refused, naming the fields when the provider named them."""
    if not param:
        return "the provider refused the request"
    fields = [field.strip() for field in param.split(",") if field.strip()]
    if len(fields) == 1:
        return f"the provider refused the value of {fields[0]}"
    return f"the provider refused the values of {', '.join(fields[:-1])} and {fields[-1]}"


def _what_broke(exc: httpx.TransportError) -> str:
    """What happened, in words: httpx's class names mean nothing to a person."""
    if isinstance(exc, ProxyFailed):
        return str(exc.error)
    return next((words for kind, words in _BROKEN if isinstance(exc, kind)), "the connection broke")


def _as_many_as_asked(items: list[Any], wanted: int) -> tuple[list[Any], list[str]]:
    """At most the n images asked for, with a note when the provider sent more or fewer."""
    if len(items) > wanted:
        kept = "the first was kept" if wanted == 1 else f"the first {wanted} were kept"
        return items[:wanted], [f"the provider returned {len(items)} images for n={wanted}; {kept} and the other {len(items) - wanted} dropped"]
    if len(items) < wanted:
        return items, [f"the provider returned {len(items)} of {wanted} images"]
    return items, []


def _decode_all(entries: list[dict[str, Any]], downloads: dict[int, bytearray]) -> list[ImagePayload]:
    images = []
    for i, entry in enumerate(entries):
        revised = entry.get("revised_prompt")
        data = downloads[i] if i in downloads else decode_b64(entry.get("b64_json") or entry["url"])  # base64, or a data: URL
        images.append(verify_image(data, revised if isinstance(revised, str) else None))
    return images


def _decode_and_verify(b64: str | bytes | None) -> ImagePayload:
    return verify_image(decode_b64(b64))


def _sum_usage(parts: Iterable[Usage | None]) -> Usage | None:
    total: Usage | None = None
    for usage in parts:
        if usage is not None:
            total = usage if total is None else total + usage
    return total


def _error_info(raw: bytes | bytearray) -> dict[str, str]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        text = raw.decode("utf-8", "replace").strip()
        if text.lower().startswith(("<!doctype", "<html")):
            return {"message": "an HTML error page instead of an API answer"}
        return {"message": text[:300]}
    return _error_fields(body)


def _error_fields(body: Any) -> dict[str, str]:
    """OpenAI's {"error": {...}}, a bare {"error": "text"}, {"message": ...}, {"detail": "text"}
    or FastAPI's validation list {"detail": [{"loc": [...], "msg": ...}]} (vLLM-Omni, LocalAI…),
    whose fields become `param` and whose reasons become the message."""
    if not isinstance(body, dict):
        return {}
    error = body.get("error", body)
    if isinstance(error, str):
        return {"message": error}
    if not isinstance(error, dict):
        return {}
    info = {key: error.get(key) for key in ("message", "code", "type", "param")}
    detail = error.get("detail")
    if not info["message"] and isinstance(detail, str):
        info["message"] = detail
    elif not info["message"] and isinstance(detail, list):
        problems = [(_field_name(item.get("loc")), item.get("msg")) for item in detail if isinstance(item, dict)]
        problems = [(field, str(msg)) for field, msg in problems if field or msg]
        info["message"] = "; ".join(f"{field}: {msg}" if field else msg for field, msg in problems)
        info["param"] = info["param"] or ", ".join(dict.fromkeys(field for field, _ in problems if field))
    return {key: str(value) for key, value in info.items() if value not in (None, "")}


def _field_name(loc: Any) -> str:
    """FastAPI's `loc` (["body", "extra", "steps"], ["query", "n"]) as the field a person set:
    `extra.steps`, `n`; list positions as `[0]`."""
    if not isinstance(loc, list):
        return ""
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).lstrip(".")


def _error_text(event: dict[str, Any]) -> str:
    return _error_fields(event).get("message", "unknown error")


async def _read_bounded(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytearray:
    """The body, refusing more than `limit` bytes.

    Gathered into one preallocated buffer (joining 25 MB of chunks at the end is one long
    copy on the event loop), and yielding to the loop every MB: when the body is already
    buffered, awaiting the socket does not."""
    declared = response.headers.get("content-length", "")
    body = bytearray(int(declared)) if declared.isdigit() and int(declared) <= limit else bytearray()
    size = 0
    next_yield = YIELD_EVERY
    async for chunk in response.aiter_bytes():
        end = size + len(chunk)
        if end > limit:
            if truncate:
                body[size:] = chunk[: limit - size]
                return body[:limit]
            raise UnusableAnswer(f"the answer is larger than {limit // (1024 * 1024)} MiB")
        body[size:end] = chunk  # within the preallocated length this copies just the chunk
        size = end
        if size >= next_yield:
            next_yield += YIELD_EVERY
            await asyncio.sleep(0)
    if size < len(body):
        del body[size:]  # the server sent less than it declared
    return body


async def _sse_data(response: httpx.Response) -> AsyncIterator[str]:
    """The `data` of each server-sent event (multi-line data joined), per the SSE spec."""
    lines: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if lines:
                data = "\n".join(lines)
                lines = []
                if data.strip() != "[DONE]":
                    yield data
            continue
        if line.startswith("data:"):
            value = line[5:]
            lines.append(value[1:] if value.startswith(" ") else value)
    if lines and "\n".join(lines).strip() != "[DONE]":
        yield "\n".join(lines)
