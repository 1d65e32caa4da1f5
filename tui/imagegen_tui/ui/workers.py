"""Background work that cannot take the app down.

Textual's workers exit the app when they raise. Here a failing worker is reported instead, by
`report_failure`, which the app calls for every worker of its own that ends in error: jobs may be
running, and they are paid for. A history that cannot be read or written is said as it is;
anything else is a bug, told in one line with a crash report beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from textual import work
from textual.worker import Worker

in_thread = partial(work, thread=True, exit_on_error=False)


def app_thread(*, group: str, exclusive: bool = False) -> Callable[[Callable[..., None]], Callable[..., Worker[None]]]:
    """`in_thread` for a room (a widget, or a controller with an `app`) whose work must be
    reported when it fails: the worker belongs to the app, because Textual tells only a worker's
    own node how it ended (Worker.StateChanged does not bubble), and only the app reports."""

    def decorate(method: Callable[..., None]) -> Callable[..., Worker[None]]:
        @wraps(method)
        def start(self: Any, *args: Any, **kwargs: Any) -> Worker[None]:
            return self.app.run_worker(partial(method, self, *args, **kwargs), name=method.__name__, group=group, exclusive=exclusive, exit_on_error=False, thread=True)

        return start

    return decorate


def report_failure(app: Any, error: BaseException, what: str = "working in the background") -> None:
    """Said in a notice of a line or two; a bug's details go to the report it names."""
    from imagegen_tui import crashlog
    from imagegen_tui.store import StoreError

    if isinstance(error, StoreError):
        app.notify(f"The history could not be used: {error}", severity="error", timeout=15)
        return
    report = crashlog.write_report(error, what, crashlog.known_secrets(app.studio.config))
    where = f"report: {report}" if report else "no report could be written"
    app.notify(f"A bug, {what} ({type(error).__name__}); {where}", severity="error", timeout=15)
