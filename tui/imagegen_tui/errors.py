"""The exceptions the core raises, each carrying what a person needs to act on it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from imagegen_tui.textsafe import one_line

if TYPE_CHECKING:
    from imagegen_tui.saving import SavedImage


class ErrorKind(StrEnum):
    """Every way a command can fail, as scripts see it (`--json`'s error.kind), the history
    records it (error_kind) and the README's table lists it. The exit status follows the kind."""

    # the provider said no, or the way there failed: exit 1
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
    PROXY = "proxy"  # the proxy failed the request; nothing reached the provider
    CERTIFICATE = "certificate"  # a TLS certificate is not trusted: trying again cannot help
    BAD_RESPONSE = "bad_response"
    # refused before anything was sent: exit 2
    USAGE = "usage"  # the command line: an unknown option, a bad value, no such generation
    CONFIG = "config"  # the config file, or a profile that cannot send (no key, no such profile)
    INVALID_REQUEST = "invalid_request"  # the image parameters, each problem naming its field
    BUDGET = "budget"  # refused before sending: it would cross a budget (exit 1: the request is fine, the money is not)
    # on this machine: exit 1
    DISK = "disk"  # the output folder cannot take files; nothing was sent
    UNSAVED = "unsaved"  # paid-for images that could not all be saved; kept for `history recover`
    HISTORY = "history"  # the history database cannot be opened or written
    INTERNAL = "internal"  # a bug: the sentence names the report
    INTERRUPTED = "interrupted"  # ctrl+c (exit 130, as for other programs)

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES.get(self, 1)


_EXIT_CODES = {ErrorKind.USAGE: 2, ErrorKind.CONFIG: 2, ErrorKind.INVALID_REQUEST: 2, ErrorKind.INTERRUPTED: 130}


class Failure(Exception):
    """How a command ended when it failed, told twice: `sentence` for a person (stderr) and
    `as_json()` for a script (stdout under --json). `retryable`: running the same command again,
    unchanged, may succeed without paying twice (after `retry_after` seconds when given).
    `billed`: False when nothing was charged, True when the images were paid for, None when
    it may have been (the request reached the provider and no answer said otherwise)."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        retryable: bool = False,
        billed: bool | None = False,
        request_id: str | None = None,
        sentence: str | None = None,
        **details: object,
    ) -> None:
        super().__init__(message)
        self.kind, self.message, self.retryable, self.billed, self.request_id = kind, message, retryable, billed, request_id
        self.sentence = f"error: {message}" if sentence is None else sentence
        self.details = details  # the kind's own fields: an API error's status, a config error's key…

    @property
    def exit_code(self) -> int:
        return self.kind.exit_code

    def as_json(self) -> dict[str, object]:
        error = {"kind": self.kind.value, "message": self.message, "request_id": self.request_id, "retryable": self.retryable, "billed": self.billed, **self.details}
        return {"ok": False, "error": error, "exit_code": self.exit_code}


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
        proxy: str | None = None,
        sent: bool = True,
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
        self.proxy = proxy  # host:port of the proxy that failed (never its user or password)
        self.sent = sent  # the request reached the provider (when unsure, say it did: it may be billed)
        super().__init__(self.sentence())

    def sentence(self) -> str:
        """One line, every control character shown as an escape: the provider's message and
        request id are text from outside, and may try to drive the terminal."""
        if self.proxy:  # the summary goes on from "the proxy HOST:PORT", or says what its status meant
            text = f"{self.status} from the proxy {self.proxy}: {self.summary}" if self.status else f"the proxy {self.proxy} {self.summary}"
        else:
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

    def failure(self) -> Failure:
        """Retryable exactly when the default retry rules would have tried again (a rate limit,
        a gateway's 502-504, a request that never reached the provider): those never pay twice.
        Nothing that never reached the provider, or was refused with a 4xx, is billed; anything
        else that reached it may be."""
        from imagegen_tui.retry import RetryPolicy

        retryable = RetryPolicy().should_retry(self.kind, self.status, self.sent, {})
        billed = False if not self.sent or retryable or (self.status is not None and self.status < 500) else None
        return Failure(
            self.kind, self.sentence(), retryable=retryable, billed=billed, request_id=self.request_id,
            status=self.status, code=self.code, provider_message=self.provider_message, retry_after=self.retry_after, proxy=self.proxy,
        )


class InvalidRequest(ValueError):
    """Parameters refused before anything is sent; each problem names its field."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))

    def failure(self) -> Failure:
        fields = [{"field": field, "message": message} for field, message in self.problems]
        return Failure(ErrorKind.INVALID_REQUEST, f"invalid parameters: {self}", fields=fields)


class OutputError(OSError):
    """Images could not be saved where asked. `str()` is the whole sentence: what failed, whether
    anything was sent or billed, and where the images that did arrive are."""

    def __init__(self, sentence: str, kind: ErrorKind, saved: Sequence[SavedImage] = ()) -> None:
        super().__init__(sentence)
        self.kind = kind  # DISK: nothing was sent; UNSAVED: images arrived and wait for recovery
        self.saved = list(saved)  # the images that did reach the output folder

    def failure(self) -> Failure:
        return Failure(self.kind, str(self), billed=self.kind is ErrorKind.UNSAVED, paths=[str(image.path) for image in self.saved])


class ConfigError(Exception):
    """A problem with the config file or a profile, kept in parts a screen can lay out: the file
    (None when the problem is not in one), the dotted key (`profiles.openai`), the line (TOML
    gives one for syntax errors) and what is wrong. `str()` joins them into one sentence."""

    def __init__(self, message: str, *, key: str | None = None, line: int | None = None, file: Path | None = None) -> None:
        self.message = message
        self.key = key
        self.line = line
        self.file = file
        super().__init__(message)

    def __str__(self) -> str:
        where = ", ".join(part for part in (str(self.file) if self.file else "", f"line {self.line}" if self.line else "") if part)
        return ": ".join(part for part in (where, self.key or "", self.message) if part)

    def in_file(self, file: Path) -> ConfigError:
        return ConfigError(self.message, key=self.key, line=self.line, file=file)

    def failure(self) -> Failure:
        return Failure(ErrorKind.CONFIG, str(self), file=str(self.file) if self.file else None, key=self.key, line=self.line)


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` is most likely a typo of, if any is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return close[0] if close else None


def check_keys(keys: Iterable[str], known: Collection[str], table: str | None = None) -> None:
    """Refuse the first unknown key, with the nearest known name: a typo is the usual cause."""
    for key in keys:
        if key not in known:
            close = nearest(key, known)
            hint = f"did you mean {close!r}?" if close else f"known: {', '.join(sorted(known))}"
            raise ConfigError(f"unknown key {key!r}; {hint}", key=table)


class ProfileUnusable(InvalidRequest):
    """Nothing may be sent with this profile: the config file has a problem, or the profile has
    no key or no usable base_url. An InvalidRequest on the field "profile", so every caller that
    refuses bad parameters before sending refuses this too; `problem` keeps the parts."""

    def __init__(self, problem: ConfigError) -> None:
        self.problem = problem
        super().__init__([("profile", str(problem))])

    def failure(self) -> Failure:
        return self.problem.failure()


_TOKENISH = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}|\bsk-[A-Za-z0-9_-]{8,}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove keys from text that may be shown or stored (a provider may echo the token)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _TOKENISH.sub(lambda m: (m.group(1) or "") + "[redacted]", text)
