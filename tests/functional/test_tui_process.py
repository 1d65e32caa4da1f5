"""The TUI as a real process on a real pseudo-terminal: what happens when it crashes, and when its
terminal goes away."""

from __future__ import annotations

import os
import signal
import sys
import termios
import time

import pytest

from conftest import write_config
from imagegen_tui.state import StateFile
from imagegen_tui.store import Filters, HistoryStore
from ptyproc import PtyProcess, python_argv

KEY = "sk-fake-not-a-key-abcdefghijkl"
CRASHING = f'''
import sys
from imagegen_tui import cli
from imagegen_tui.ui.jobs import Jobs

def start_job(self, request, profile, *args, **kwargs):
    api_key = {KEY!r}
    raise RuntimeError("a bug [/dim] while starting a job")

Jobs.start = start_job
sys.exit(cli.main(["--graphics", "halfcell"]))
'''


def test_a_crash_exits_nonzero_with_one_line_and_a_report_without_locals(dirs):
    env = {**os.environ, "MODEL_GO_API_KEY": KEY}
    with PtyProcess(python_argv(CRASHING), env=env) as app:
        app.read_until(b"escribe an image")  # the prompt box (its first letter carries the cursor)
        app.send("a fox at dawn\r")
        code = app.wait(30)
    shown = app.output.decode("utf-8", "replace")
    assert code == 1
    assert "unexpected error while running the terminal interface: RuntimeError: a bug [/dim] while starting a job" in shown
    assert "Traceback" not in shown and "locals" not in shown and KEY not in shown
    [report] = (dirs.root / "state").rglob("crash-*.txt")
    text = report.read_text()
    assert str(report) in shown.replace("\r\n", "")
    assert "in start_job" in text and "RuntimeError" in text
    assert KEY not in text and "api_key =" not in text
    assert StateFile().state.draft == "a fox at dawn"  # the prompt being sent is back at the next start


def _start(dirs, prompt_keys: str, config: str = "") -> PtyProcess:
    if config:
        write_config(dirs, config)
    app = PtyProcess([sys.executable, "-m", "imagegen_tui", "--graphics", "halfcell"])
    app.read_until(b"escribe an image")
    app.read_quiet(0.3, timeout=3)  # settled (the cursor blinks every 0.5 s)
    app.send(prompt_keys)
    return app


def _rows() -> list:
    with HistoryStore.open_default() as store:
        return store.page(Filters())


def test_closing_the_terminal_mid_job_still_saves_the_paid_image(dirs):
    with _start(dirs, "a lighthouse, the terminal closes #sleep:3\r") as app:
        app.read_until(b"1 running")
        app.hang_up()  # as an SSH drop, a closed xterm window or tmux kill-session do
        assert app.wait(30) == 0
    [row] = _rows()
    assert row.status == "done" and row.images[0].path.exists()


def test_sighup_with_the_terminal_still_there_leaves_it_clean(dirs):
    with _start(dirs, "a fox under a hangup #sleep:2\r") as app:
        app.read_until(b"1 running")
        before = len(app.output)
        app.signal(signal.SIGHUP)
        after_hangup = app.read_until(b"\x1b[?1049l")[before:]
        attributes = termios.tcgetattr(app.fd)
        assert attributes[3] & termios.ICANON and attributes[3] & termios.ECHO  # cooked again
        assert b"\x1b[?25h" in after_hangup and b"\x1b[?1000l" in after_hangup  # cursor back, mouse off
        tail = len(app.output)
        assert app.wait(30) == 0
        assert b"\x1b[?1049h" not in app.output[tail:]  # nothing drawn on the shell's screen afterwards
    [row] = _rows()
    assert row.status == "done" and row.images[0].path.exists()


def test_a_queued_job_is_not_sent_after_the_terminal_goes(dirs):
    # both prompts in one write: the second is queued long before the first (3 s) is done
    with _start(dirs, "first, sent #sleep:3\rsecond, waits its turn\r", config='profile = "demo"\n[ui]\nconcurrency = 1\n') as app:
        app.read_until(b"1 queued")
        app.hang_up()
        assert app.wait(30) == 0
    second, first = _rows()
    assert first.status == "done" and first.images[0].path.exists()
    assert second.status == "interrupted" and second.images == []
    assert "nothing was sent" in second.error_message


def _typed_slowly(app: PtyProcess, text: str) -> None:
    for word in text.split(" "):
        app.send(word + " ")
        time.sleep(0.03)


def _quit_keeping_the_draft(app: PtyProcess, shown: bytes) -> None:
    """ctrl+q once the app shows `shown` on its own screen (not the terminal's echo of it before
    the app took the terminal over: then ctrl+q would be the terminal's XON and go nowhere)."""
    app.read_until(lambda out: shown in out[out.find(b"\x1b[?1049h"):] if b"\x1b[?1049h" in out else False, timeout=30)
    app.send("\x11")
    assert app.wait(30) == 0


@pytest.mark.parametrize("graphics", ["auto", "halfcell"])
def test_keys_typed_while_the_app_starts_reach_the_prompt_in_order(dirs, graphics):
    """`auto` probes the terminal (textual-image reads stdin for its answers) before the app
    starts: what was typed before it must not be taken for an answer and lost."""
    with PtyProcess([sys.executable, "-m", "imagegen_tui", "--graphics", graphics]) as app:
        _typed_slowly(app, "a fox typed before the first frame")  # at once: the app is not up yet
        _quit_keeping_the_draft(app, b"first frame")
    assert StateFile().state.draft == "a fox typed before the first frame "


def test_keys_typed_while_a_large_job_lands_reach_the_prompt_in_order(dirs):
    with _start(dirs, "a large photo landing #photo #sleep:1\r") as app:  # 1.9 MB: decoded, saved and shown while keys come
        app.read_until(b"1 running")
        _typed_slowly(app, "the next prompt, typed while the photos arrive and are saved")
        deadline = time.monotonic() + 60
        while _rows()[0].status != "done":  # landed: decoded, saved, recorded, previewed
            assert time.monotonic() < deadline, "the job did not finish"
            app.read_quiet(0.2, timeout=1)
        _typed_slowly(app, "and after")
        _quit_keeping_the_draft(app, b"and after")
    assert StateFile().state.draft == "the next prompt, typed while the photos arrive and are saved and after "
    [row] = _rows()
    assert row.status == "done"


@pytest.mark.parametrize(
    ("burst", "draft"),
    [
        ("\x15new words", "new words"),  # ctrl+u: the line so far goes, then the new words
        ("\x17new", "old new"),  # ctrl+w: the word before, then "new"
        ("ab\x1b[Dc", "old wordsacb"),  # left arrow between letters
    ],
)
def test_a_bound_key_and_the_letters_typed_behind_it_act_in_order(dirs, burst, draft):
    """In one write, as keys typed while the loop is busy arrive: the key's action must not run
    after the letters that came behind it."""
    with _start(dirs, "old words") as app:
        app.read_until(b"old words")
        app.send(burst)
        app.read_quiet(1.0)
        app.send("\x11")
        assert app.wait(30) == 0
    assert StateFile().state.draft == draft


def test_quitting_does_not_wait_for_a_server_that_never_lists_its_models(dirs):
    """The model field asks the profile's server for its models after the first frame; one
    that accepts the connection and never answers must not keep the quitting app (a thread
    would, until the profile's timeout)."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        write_config(dirs, f'profile = "mute"\n[profiles.mute]\nbase_url = "http://127.0.0.1:{port}/v1"\napi_key = "{KEY}"\ntimeout = 300\n')
        with PtyProcess([sys.executable, "-m", "imagegen_tui", "--graphics", "halfcell"]) as app:
            app.read_until(b"escribe an image", timeout=30)
            silent.settimeout(20)
            held, _ = silent.accept()  # the listing's request has come: it will never be answered
            with held:
                app.send("\x11")
                assert app.wait(15) == 0
