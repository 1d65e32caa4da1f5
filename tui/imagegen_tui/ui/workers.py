"""Background work that cannot take the app down.

Textual's workers exit the app when they raise. Here a failing worker is reported instead, by
`report_failure`, which the app calls for every worker that ends in error: jobs may be running,
and they are paid for. A history that cannot be read or written is said as it is; anything else
is a bug, told in one line with a crash report beside it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual import work

in_thread = partial(work, thread=True, exit_on_error=False)


def report_failure(app: Any, error: BaseException) -> None:
    from imagegen_tui import crashlog
    from imagegen_tui.store import StoreError

    if isinstance(error, StoreError):
        app.notify(f"The history could not be used: {error}", severity="error", timeout=15)
        return
    secrets = crashlog.known_secrets(app.studio.config)
    report = crashlog.write_report(error, "working in the background", secrets)
    app.notify(crashlog.sentence(error, "working in the background", report, secrets), severity="error", timeout=20)
