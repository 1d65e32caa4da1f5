"""The TUI as a real process on a real pseudo-terminal: what happens when it crashes, and when its
terminal goes away."""

from __future__ import annotations

import os

from imagegen_tui.state import StateFile
from ptyproc import PtyProcess, python_argv

KEY = "sk-test-abcdefghijklmnopqrstuvwx"
CRASHING = f'''
import sys
from imagegen_tui import cli
from imagegen_tui.ui.app import ImagegenApp

def start_job(self, request, profile, parent_id=None):
    api_key = {KEY!r}
    raise RuntimeError("a bug [/dim] while starting a job")

ImagegenApp.start_job = start_job
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
