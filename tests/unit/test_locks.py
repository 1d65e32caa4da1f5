"""Owned files (locks.py): told apart by an flock where fcntl exists, by the owner's pid in the
name where it does not (Windows); the second path is taken here by setting locks.fcntl to None."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from imagegen_tui import locks


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: no process has this id now
    return child.pid


def test_the_owner_is_read_from_the_name():
    assert locks.owner(locks.Path(".imagegen-123-x_9k.part"), ".imagegen-") == 123
    assert locks.owner(locks.Path("4242-deadbeef.lock"), "") == 4242
    assert locks.owner(locks.Path(".imagegen-x_9k.part"), ".imagegen-") is None  # named before pids were
    assert locks.owner(locks.Path("other-1-x.part"), ".imagegen-") is None


def test_process_alive_tells_a_running_process_from_a_finished_one():
    assert locks.process_alive(os.getpid())
    assert not locks.process_alive(dead_pid())


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "pid"])
def test_a_sweep_takes_only_files_whose_owner_is_gone(tmp_path, monkeypatch, flock):
    if not flock:
        monkeypatch.setattr(locks, "fcntl", None)
    fd, mine = locks.create_owned(tmp_path, ".imagegen-", ".part")
    assert mine.name.startswith(f".imagegen-{os.getpid()}-")
    gone = tmp_path / f".imagegen-{dead_pid()}-abandoned.part"
    gone.write_bytes(b"half an image")
    unnamed = tmp_path / ".imagegen-oldstyle.part"  # no pid: only an flock can judge it
    unnamed.write_bytes(b"")
    link = tmp_path / f".imagegen-{dead_pid()}-link.part"
    link.symlink_to(unnamed)
    try:
        removed = locks.sweep(tmp_path, ".imagegen-", ".part")
        left = sorted(p.name for p in tmp_path.iterdir())
        if flock:  # a free lock is abandonment, whatever the name says
            assert removed == 2 and left == sorted([mine.name, link.name])
        else:
            assert removed == 1 and left == sorted([mine.name, unnamed.name, link.name])
    finally:
        locks.release(fd, mine)
    assert not mine.exists()
