"""The terminal goes away while a paid call is under way: the command runs in a real
pseudo-terminal, then gets a real SIGHUP, or loses the terminal itself when the pty's master is
closed. It must finish the call, save and record the image, and exit cleanly."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run_cli, write_config


@pytest.fixture
def local(dirs, demo):
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    return demo


def in_terminal(*args: str) -> tuple[int, int]:
    """The command as the leader of a new session whose controlling terminal is a fresh pty."""
    pid, master = pty.fork()
    if pid == 0:  # the child: become the command at once
        os.execvpe(sys.executable, [sys.executable, "-m", "imagegen_tui", *args], dict(os.environ))
    return pid, master


def read_until(master: int, done: Callable[[bytes], bool], limit: float = 30.0) -> bytes:
    """What the terminal shows until `done` says so (`limit` only ends a hang; nothing is timed)."""
    shown, end = b"", time.monotonic() + limit
    while not done(shown):
        assert time.monotonic() < end, "the job never reached the provider"
        if select.select([master], [], [], 0.05)[0]:
            shown += os.read(master, 65536)
    return shown


def exit_status(pid: int, limit: float = 30.0) -> int:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError("the command did not finish after the terminal went away")


def hang_up(pid: int, master: int, how: str) -> None:
    if how == "SIGHUP":
        os.kill(pid, signal.SIGHUP)
        return
    os.close(master)  # the terminal window closed: the kernel hangs up the session


def last_generation() -> dict:
    out = run_cli("history", "list", "--json", "--limit", "1")
    return json.loads(out.stdout)["generations"][0]


@pytest.mark.parametrize("how", ["SIGHUP", "pty closed"])
def test_generate_finishes_and_records_the_paid_image_after_the_terminal_goes(local, how):
    pid, master = in_terminal("generate", "a fox in the dark #sleep:1")
    try:
        # sent, and the elapsed time on the terminal: the job is under way with a terminal attached
        read_until(master, lambda shown: local.httpd.generation_requests == 1 and b"gpt-image-2 via local" in shown)
        hang_up(pid, master, how)
        assert exit_status(pid) == 0
    finally:
        if how == "SIGHUP":
            os.close(master)
    row = last_generation()
    assert row["status"] == "done" and row["prompt"] == "a fox in the dark #sleep:1"
    assert len(row["images"]) == 1 and Path(row["images"][0]["path"]).exists()


def test_history_rerun_also_outlives_its_terminal(local):
    first = json.loads(run_cli("generate", "a slow fox #sleep:1", "--json").stdout)
    pid, master = in_terminal("history", "rerun", str(first["id"]))
    read_until(master, lambda shown: local.httpd.generation_requests == 2 and b"via local" in shown)
    hang_up(pid, master, "pty closed")
    assert exit_status(pid) == 0
    row = last_generation()
    assert row["parent_id"] == first["id"] and row["status"] == "done" and Path(row["images"][0]["path"]).exists()
