"""CPU-heavy pure functions run in a helper process, so they hold neither the event loop's GIL
nor its core.

Why a process and not only a thread: textual-image's Sixel encoder is Python and C, and some
of its C calls hold the GIL for long stretches (counting every pixel's colour took 70 ms in one
call for a 1410x940 picture). From a worker thread that still stalled the event loop by 93 ms
(measured: tests/bench/bench_tui.py, the viewer). In a process of its own the encoder runs on
the other core while the app keeps answering keys; the calling thread only waits.

One helper process, started on first use (about 0.1 s, in the calling thread) and kept for the
session. It is spawned, not forked: the app has threads. It cannot touch the terminal: its
standard streams are /dev/null and it ignores Ctrl+C. Where a process cannot be had (no working
semaphores, a sandbox that forbids it) or it died, the work is done in the calling thread, as
before: slower for the loop, never wrong.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_unavailable = False  # a process could not be had, or died: run in the caller from then on
log = logging.getLogger(__name__)


def run(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in the helper process, or here if there is none. Blocking: call it from
    a worker thread. `function` must be a module-level function and its arguments and result
    picklable (bytes and numbers: pickling a picture's pixels is one copy)."""
    pool = _get_pool()
    if pool is not None:
        try:
            future = pool.submit(function, *args)
        except (BrokenProcessPool, OSError) as exc:  # it died, or could not be started
            _give_up(exc)
            return function(*args)
        except RuntimeError:  # shut down meanwhile: the app is ending
            return function(*args)
        try:
            return future.result()
        except BrokenProcessPool as exc:  # it died (killed, out of memory): the function's own errors pass
            _give_up(exc)
    return function(*args)


def warm() -> None:
    """Start the helper process now (from a thread), so the first picture does not wait for it."""
    run(_nothing)


def close() -> None:
    """Stop the helper process (the app is ending); a later `run` starts another."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _get_pool() -> ProcessPoolExecutor | None:
    global _pool, _unavailable
    with _lock:
        if _pool is None and not _unavailable:
            try:
                _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet)
            except (ImportError, OSError, ValueError) as exc:  # e.g. no sem_open on this platform
                log.info("no helper process (%s); encoding in threads", exc)
                _unavailable = True
        return _pool


def _give_up(exc: BaseException) -> None:
    global _pool, _unavailable
    log.info("helper process lost (%s); encoding in threads", exc)
    with _lock:
        pool, _pool = _pool, None
        _unavailable = True
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _quiet() -> None:
    """In the helper: nothing from it may reach the terminal, and keys are not its to read."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _nothing() -> None:
    return None
