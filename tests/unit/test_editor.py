"""The user's editor, as git picks it, run on a real file by a real process; the app around it is a
stand-in whose suspend() lends nothing (the real suspend is in tests/functional/test_tui_keys.py)."""

from __future__ import annotations

import shlex
import sys
from contextlib import nullcontext
from pathlib import Path

import pytest
from textual.app import SuspendNotSupported

from imagegen_tui.ui.editor import EditorError, NoTerminal, edit_text, editor_command, run_editor


class Lent:
    """An app whose terminal is lent without ceremony."""

    def suspend(self) -> nullcontext[None]:
        return nullcontext()


class Browser:
    def suspend(self) -> nullcontext[None]:
        raise SuspendNotSupported("no terminal")


def editor(tmp_path: Path, code: str) -> str:
    """A command line running `code` with `path` (the file to edit) and `data` (bytes) defined."""
    script = tmp_path / "editor.py"
    script.write_text(f"import sys\npath = sys.argv[-1]\ndata = open(path, 'rb').read()\n{code}\n")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


@pytest.mark.parametrize(
    "environ, command",
    [
        ({"VISUAL": "code --wait", "EDITOR": "nano"}, ["code", "--wait"]),
        ({"EDITOR": "vim -u NONE"}, ["vim", "-u", "NONE"]),
        ({"VISUAL": "  ", "EDITOR": "'my editor' -n"}, ["my editor", "-n"]),  # blank counts as unset
        ({}, ["vi"]),
    ],
)
def test_visual_then_editor_then_vi_split_as_a_shell_would(environ, command):
    assert editor_command(environ) == command


def test_an_editor_command_that_cannot_be_split_is_said():
    with pytest.raises(EditorError, match=r"\$EDITOR \('vim \"-u'\) cannot be read as a command: No closing quotation"):
        editor_command({"EDITOR": 'vim "-u'})


def test_an_editor_that_cannot_start_is_said_with_what_to_set(tmp_path, monkeypatch):
    monkeypatch.setenv("VISUAL", "no-such-editor-here --wait")
    with pytest.raises(EditorError, match=r"The editor 'no-such-editor-here --wait' could not be started \(No such file or directory\); set \$VISUAL or \$EDITOR"):
        run_editor(Lent(), tmp_path / "x.txt")


def test_no_terminal_to_lend(tmp_path, monkeypatch):
    monkeypatch.setenv("VISUAL", "true")
    with pytest.raises(NoTerminal, match="no terminal to lend"):
        edit_text(Browser(), "a fox")


def test_the_text_comes_back_with_the_editors_last_line_break_taken_off(tmp_path, monkeypatch):
    monkeypatch.setenv("VISUAL", editor(tmp_path, "open(path, 'wb').write(data.upper() + b'second line\\r\\n')"))
    assert edit_text(Lent(), "a fox\nin snow") == "A FOX\nIN SNOW\nsecond line"


def test_an_editor_that_removes_the_last_line_break_keeps_the_last_line(tmp_path, monkeypatch):
    monkeypatch.setenv("VISUAL", editor(tmp_path, "open(path, 'wb').write(b'no line break at the end')"))
    assert edit_text(Lent(), "a fox") == "no line break at the end"


def test_bytes_that_are_not_utf8_come_back_as_replacement_characters(tmp_path, monkeypatch):
    monkeypatch.setenv("VISUAL", editor(tmp_path, "open(path, 'wb').write(b'caf\\xe9\\n')"))
    assert edit_text(Lent(), "a fox") == "caf\ufffd"


def test_a_failing_editor_changes_nothing_and_leaves_no_file(tmp_path, monkeypatch):
    seen = tmp_path / "seen"
    monkeypatch.setenv("VISUAL", editor(tmp_path, f"open({str(seen)!r}, 'w').write(path)\nopen(path, 'w').write('half-written')\nsys.exit(1)"))
    with pytest.raises(EditorError, match="The editor exited with status 1."):
        edit_text(Lent(), "a fox")
    assert seen.read_text().endswith(".txt") and not Path(seen.read_text()).exists()
