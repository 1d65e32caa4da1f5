"""The helper process that encodes Sixel pictures away from the event loop's GIL: it gives the
same bytes as encoding in place, it really is another process, and without one the work is
still done."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from imagegen_tui.demo import artist
from imagegen_tui.ui import graphics, offload


def test_sixel_from_the_helper_process_is_the_same_as_encoded_here():
    image = artist.draw("a lighthouse on a cliff at dusk", 160, 120, 0, photo=True).convert("RGB")
    here = graphics._encode_pixels(image.mode, image.size, image.tobytes())
    assert graphics.encode_sixel(image) == here
    assert here.startswith("\x1bP") and here.endswith("\x1b\\")


def test_the_work_runs_in_another_process():
    assert offload.run(os.getpid) != os.getpid()


def test_without_a_process_the_work_is_done_in_the_caller(monkeypatch):
    monkeypatch.setattr(offload, "_start", lambda: None)
    assert offload.run(os.getpid) == os.getpid()
    image = Image.new("RGB", (12, 12), (255, 0, 0))
    assert graphics.encode_sixel(image) == graphics._encode_pixels("RGB", (12, 12), image.tobytes())


def test_the_function_s_own_error_reaches_the_caller():
    with pytest.raises(ValueError, match="invalid literal"):
        offload.run(int, "not a number")
    assert offload.run(os.getpid) != os.getpid()  # and the helper carries on


def test_a_helper_that_died_is_given_up_and_the_work_done_here():
    offload.run(os.getpid)  # started
    helper = offload._helper
    assert helper is not None
    helper.kill()
    helper.wait()
    try:
        assert offload.run(os.getpid) == os.getpid()
        assert offload._unavailable and offload._helper is None
    finally:
        offload._unavailable = False  # other tests get a helper again


async def test_the_helper_starts_while_a_textual_app_runs():
    """Textual swaps sys.stderr for a capture with no file descriptor while it runs:
    multiprocessing refused to start a process then ("bad value(s) in fds_to_keep")."""
    import asyncio

    from textual.app import App

    offload.close()
    async with App().run_test():
        assert await asyncio.to_thread(offload.run, os.getpid) != os.getpid()
