"""CPU-heavy pure functions run in a helper process, so they hold neither the event loop's GIL
nor its core.

Why a process and not only a thread: textual-image's Sixel encoder is Python and C, and some
of its C calls hold the GIL for long stretches (counting every pixel's colour took 70 ms in one
call for a 1410x940 picture). From a worker thread that still stalled the event loop by 93 ms.
In a process of its own the encoder runs on the other core while the app keeps answering keys;
the calling thread only waits on a pipe.

One helper, started on first use (about 0.1 s, in the calling thread) and kept for the session:
a plain child interpreter (`python -m imagegen_tui.ui.offload`) fed over its standard input and
answering on its standard output, one call at a time. Not multiprocessing: while Textual runs,
sys.stderr is its capture object with no file descriptor, which multiprocessing's resource
tracker refuses ("bad value(s) in fds_to_keep"), and the app's main module must not be imported
again. The helper cannot touch the terminal: its stderr is /dev/null, it is in a session of its
own (no Ctrl+C, no hang-up from the terminal), and it ends when the app closes its pipe or goes.
Where it cannot be started, or dies, the work is done in the calling thread, as before: slower
for the loop, never wrong.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()  # one call at a time through the pipe
_helper: subprocess.Popen[bytes] | None = None
_unavailable = False  # it could not be started, or died: run in the caller from then on
log = logging.getLogger(__name__)
_LENGTH = struct.Struct("!Q")


def run(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in the helper process, or here if there is none. Blocking: call it from
    a worker thread. `function` must be a module-level function and its arguments and result
    picklable (bytes and numbers: pickling a picture's pixels is one copy). Its own errors are
    raised here."""
    global _helper, _unavailable
    with _lock:
        helper = _start()
        if helper is not None:
            try:
                assert helper.stdin is not None and helper.stdout is not None
                _send(helper.stdin, (function, args))
                ok, value = _receive(helper.stdout)
            except (OSError, EOFError, pickle.PickleError, struct.error) as exc:  # it died
                log.info("helper process lost (%s); working in threads", exc)
                _stop(helper)
                _helper, _unavailable = None, True
            else:
                if ok:
                    return value  # type: ignore[no-any-return]
                raise value
    return function(*args)


def warm() -> None:
    """Start the helper now (from a thread), so the first picture does not wait for it."""
    run(_nothing)


def close() -> None:
    """Stop the helper (the app is ending); a later `run` starts another."""
    global _helper
    with _lock:
        helper, _helper = _helper, None
    if helper is not None:
        _stop(helper)


def _start() -> subprocess.Popen[bytes] | None:
    global _helper, _unavailable
    if _helper is None and not _unavailable:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        try:
            _helper = subprocess.Popen(
                [sys.executable, "-m", "imagegen_tui.ui.offload"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env, start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            log.info("no helper process (%s); working in threads", exc)
            _unavailable = True
    return _helper


def _stop(helper: subprocess.Popen[bytes]) -> None:
    try:
        if helper.stdin is not None:
            helper.stdin.close()  # it ends when its input does
    except OSError:
        pass
    try:
        helper.wait(timeout=1)
    except subprocess.TimeoutExpired:
        helper.kill()


def _send(pipe: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_LENGTH.pack(len(data)))
    pipe.write(data)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> Any:
    head = pipe.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the helper closed its output")
    (length,) = _LENGTH.unpack(head)
    data = pipe.read(length)
    if len(data) < length:
        raise EOFError("the helper's answer was cut off")
    return pickle.loads(data)


def _nothing() -> None:
    return None


def _serve() -> None:
    """In the helper: answer calls until the app closes the pipe."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            function, args = _receive(requests)
        except EOFError:
            return
        try:
            answer = (True, function(*args))
        except Exception as exc:  # the caller gets the function's own error
            answer = (False, exc)
        _send(answers, answer)


if __name__ == "__main__":
    _serve()
