"""The state file: what the app remembers by itself, never in config.toml."""

import json
import os
import stat

import pytest

from imagegen_tui import paths
from imagegen_tui.state import RECALL_MAX, State, StateFile, read_state


def test_changes_are_written_privately_and_read_back(dirs):
    state = StateFile()
    assert state.state == State() and state.problem is None and not paths.state_file().exists()
    assert state.change(lambda s: setattr(s, "theme", "nord"))
    assert stat.S_IMODE(paths.state_file().stat().st_mode) == 0o600
    assert StateFile().state.theme == "nord"
    assert sorted(p.name for p in paths.state_file().parent.iterdir()) == ["state.json"]


def test_only_a_real_change_is_written(dirs):
    state = StateFile()
    state.change(lambda s: setattr(s, "sidebar", False))
    before = os.stat(paths.state_file())
    assert not state.change(lambda s: setattr(s, "sidebar", False))
    after = os.stat(paths.state_file())
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_two_running_apps_keep_each_others_changes(dirs):
    first, second = StateFile(), StateFile()
    first.change(lambda s: setattr(s, "theme", "nord"))
    second.change(lambda s: s.last.update(demo={"size": "1536x1024"}))
    on_disk, _ = read_state(paths.state_file())
    assert on_disk.theme == "nord" and on_disk.last == {"demo": {"size": "1536x1024"}}


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b"\xff\xfe{}"])
def test_a_damaged_file_is_reported_and_started_afresh(dirs, data):
    paths.state_file().parent.mkdir(parents=True)
    paths.state_file().write_bytes(data)
    state = StateFile()
    assert state.state == State() and str(paths.state_file()) in state.problem and "afresh" in state.problem
    assert state.change(lambda s: setattr(s, "theme", "nord"))
    assert StateFile().problem is None  # replaced by a good one


def test_a_field_of_the_wrong_kind_is_forgotten_and_the_rest_kept(dirs):
    paths.state_file().parent.mkdir(parents=True)
    paths.state_file().write_text(json.dumps({"theme": "nord", "recall": [1, 2], "last": {"demo": "x"}, "version": 1}))
    state = StateFile()
    assert state.state == State(theme="nord")
    assert state.problem.endswith("last, recall could not be used and were forgotten")


def test_a_state_folder_that_cannot_be_written_keeps_the_change_for_the_session(dirs):
    paths.state_dir().parent.mkdir(parents=True)
    paths.state_dir().write_text("a file where the folder should be")
    state = StateFile()
    assert not state.change(lambda s: setattr(s, "theme", "nord"))
    assert state.state.theme == "nord" and "remembered for this session only" in state.problem
