"""The last resort: an unexpected exception becomes one line for the person and a full report on
disk for whoever fixes it.

The report is the traceback without local variables (a frame in the client holds the key) with
every known key redacted, written at mode 0600 into the state folder.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from secrets import token_hex

from imagegen_tui import __version__, paths
from imagegen_tui.endpoint import proxy_password
from imagegen_tui.errors import redact
from imagegen_tui.textsafe import one_line


def write_report(exc: BaseException, what: str, secrets: Iterable[str] = ()) -> Path | None:
    """The report's path; None when it could not be written (the line then says so)."""
    text = "".join(traceback.format_exception(exc))
    body = (
        f"imagegen-tui {__version__} · Python {sys.version.split()[0]} · {sys.platform}\n"
        f"while: {what}\n"
        f"at: {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n\n{text}"
    )
    body = redact(body, tuple(secrets))
    folder = paths.crash_dir()
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{token_hex(3)}.txt"  # two jobs, one bug, one second
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(body)
    except OSError:
        return None
    return path


def sentence(exc: BaseException, what: str, report: Path | None, secrets: Iterable[str] = ()) -> str:
    """One line: what failed, the exception in brief, and where the report is."""
    brief = one_line(redact(str(exc), tuple(secrets)))[:200] or type(exc).__name__
    where = f"the full report is in {report}" if report else "no report could be written (the state folder is not writable)"
    return f"unexpected error while {what}: {type(exc).__name__}: {brief}; {where}"


def known_secrets(config: object | None = None, environ: dict[str, str] | None = None) -> list[str]:
    """Every key the process may hold: the profiles' own and the variables they name, and the
    passwords in proxy URLs (the profiles' and HTTPS_PROXY & co.)."""
    environ = dict(os.environ) if environ is None else environ
    # a short value ("1", "yes") is no key, and redacting it everywhere would wreck the report
    found = [value for name, value in environ.items() if name.endswith(("_API_KEY", "_TOKEN", "_KEY")) and len(value) >= 8]
    proxies = [value for name, value in environ.items() if name.lower().endswith("_proxy")]
    for profile in getattr(config, "profiles", {}).values():
        if getattr(profile, "api_key", None):
            found.append(profile.api_key)
        if getattr(profile, "proxy", None):
            proxies.append(profile.proxy)
    return found + [password for url in proxies if (password := proxy_password(url))]
