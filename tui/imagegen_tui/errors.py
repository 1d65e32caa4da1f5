"""The exceptions the core raises, each carrying what a person needs to act on it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from imagegen_tui.textsafe import one_line


class ErrorKind(StrEnum):
    AUTH = "auth"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    MODERATION = "moderation"
    RATE_LIMITED = "rate_limited"
    QUOTA = "quota"
    SERVER = "server"
    TIMEOUT = "timeout"
    NETWORK = "network"
    BAD_RESPONSE = "bad_response"


class ImageAPIError(Exception):
    """A generation that failed at the provider, on the way there, or in its answer.

    `str()` is the one sentence shown to the user: who answered, what went wrong, what to do.
    """

    def __init__(
        self,
        kind: ErrorKind,
        summary: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
        provider_message: str | None = None,
        request_id: str | None = None,
        host: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.kind = kind
        self.summary = summary
        self.hint = hint
        self.status = status
        self.code = code
        self.provider_message = provider_message
        self.request_id = request_id
        self.host = host
        self.retry_after = retry_after
        super().__init__(self.sentence())

    def sentence(self) -> str:
        """One line, every control character shown as an escape: the provider's message and
        request id are text from outside, and may try to drive the terminal."""
        origin = f"{self.status} from {self.host}" if self.status else (self.host or "provider")
        text = f"{origin}: {self.summary}"
        if self.hint:
            text += f"; {self.hint}"
        if self.provider_message and self.provider_message not in text:
            text += f' (provider said: "{self.provider_message}")'
        if self.request_id:
            text += f" [request {self.request_id}]"
        return one_line(text)

    def __repr__(self) -> str:
        return f"ImageAPIError(kind={self.kind.value!r}, status={self.status!r}, code={self.code!r})"

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "status": self.status,
            "code": self.code,
            "message": self.sentence(),
            "provider_message": self.provider_message,
            "request_id": self.request_id,
        }


class InvalidRequest(ValueError):
    """Parameters refused before anything is sent; each problem names its field."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


class OutputError(OSError):
    """Images could not be saved where asked. `str()` is the whole sentence: what failed, whether
    anything was sent or billed, and where the images that did arrive are."""

    def __init__(self, sentence: str, kind: str, saved: Sequence[object] = ()) -> None:
        super().__init__(sentence)
        self.kind = kind  # "disk": nothing was sent; "unsaved": images arrived and wait for recovery
        self.saved = list(saved)  # the images that did reach the output folder


class ConfigError(Exception):
    """The config file cannot be read, parsed or saved; the message names the file."""


_TOKENISH = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}|\bsk-[A-Za-z0-9_-]{8,}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove keys from text that may be shown or stored (a provider may echo the token)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _TOKENISH.sub(lambda m: (m.group(1) or "") + "[redacted]", text)
