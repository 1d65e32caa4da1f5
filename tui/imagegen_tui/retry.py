"""When to try a failed request again, and how long to wait first.

Stricter than the official SDK: an image call that reached the provider may already be billed,
so a 500 or a timeout after sending is retried only when the profile opts in.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from imagegen_tui.errors import ErrorKind

RETRYABLE_STATUSES = frozenset({502, 503, 504})
MAX_SERVER_WAIT = 120.0  # a longer retry-after is not waited for: the error is shown instead
BASE_DELAY = 0.5
MAX_BACKOFF = 8.0


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    retry_server_errors: bool = False  # 500: the provider may have billed it
    retry_timeouts: bool = False  # read timeouts and dropped connections after sending
    jitter: Callable[[], float] = random.random

    def should_retry(self, kind: ErrorKind, status: int | None, sent: bool, headers: Mapping[str, str]) -> bool:
        verdict = headers.get("x-should-retry", "").lower()
        if verdict == "false":
            return False
        if verdict == "true":
            return True
        if kind is ErrorKind.CERTIFICATE:  # the same certificate would be refused again
            return False
        if status is None:
            if not sent:
                return True
            return self.retry_timeouts
        if status == 429:
            return kind is ErrorKind.RATE_LIMITED
        if status == 500:
            return self.retry_server_errors
        return status in RETRYABLE_STATUSES

    def delay(self, attempt: int, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before retry number `attempt` (0-based), None when the server asks
        for longer than we are willing to wait."""
        asked = server_asked_delay(headers)
        if asked is not None:
            return asked if asked <= MAX_SERVER_WAIT else None
        backoff = min(BASE_DELAY * 2**attempt, MAX_BACKOFF)
        return backoff * (1 - 0.25 * self.jitter())


def server_asked_delay(headers: Mapping[str, str]) -> float | None:
    """retry-after-ms (OpenAI's) wins over retry-after (seconds or an HTTP date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    from datetime import datetime, timezone

    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
