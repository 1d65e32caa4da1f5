"""The user's keys in the running app: [keys] in config.toml rebinds an action, the footer and the
help screen show the key in effect, a typo is said with the id meant, a reload applies a change;
and the prompt goes to the user's editor: on a real terminal (a pty) and where there is none."""

from __future__ import annotations

import json
import os
import shlex
import sys

from textual.widgets import DataTable

from conftest import write_config
from ptyproc import PtyProcess, no_job_running
from test_tui import history_rows, notices, running_app, settle, submit
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.prompt import PromptArea


def footer(app) -> dict[str, str]:
    """What the footer shows now: description -> key as displayed."""
    return {str(key.description): str(key.key_display) for key in app.screen.query("FooterKey")}


def help_keys(app) -> dict[str, str]:
    """The help screen's table: id -> keys."""
    table = app.screen.query_one(DataTable)
    return {str(row[2]): str(row[0]) for row in (table.get_row_at(index) for index in range(table.row_count)) if str(row[2])}


async def test_rerun_rebound_to_shift_r_in_the_keys_table(dirs):
    write_config(dirs, '[keys]\n"history.rerun" = "R"\n')
    async with running_app() as (app, pilot):
        assert "keys" not in notices(app)  # nothing to say about it
        await submit(pilot, "a lighthouse")
        await settle(pilot)
        app.query_one(HistoryList).focus()
        await pilot.pause()
        assert footer(app)["Re-run"] == "R"
        await pilot.press("r")
        await settle(pilot)
        assert len(history_rows()) == 1  # r no longer re-runs
        await pilot.press("R")
        await settle(pilot)
        rows = history_rows()
        assert len(rows) == 2 and rows[0].parent_id == rows[1].id and rows[0].status == "done"
        await pilot.press("f1")
        await pilot.pause()
        listed = help_keys(app)
        assert listed["history.rerun"] == "R" and listed["preview.rerun"] == "r"


async def test_an_unknown_action_is_said_with_the_nearest_id_and_the_rest_applies(dirs):
    write_config(dirs, '[keys]\nhisotry.rerun = "R"\n"app.search" = "ctrl+t"\n')
    async with running_app() as (app, pilot):
        assert "[keys] hisotry.rerun: no such action; did you mean history.rerun?" in notices(app)
        assert app.query_one("#config-problem").display is False  # not a reason to refuse sending
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.focused is app.query_one("#search")
        assert footer(app)["Search"] == "^t"


async def test_a_reload_applies_the_changed_keys(dirs):
    write_config(dirs, '[keys]\n"app.toggle_sidebar" = "f8"\n')
    async with running_app() as (app, pilot):
        sidebar = app.query_one("#sidebar")
        shown = sidebar.display
        await pilot.press("f8")
        assert sidebar.display is not shown
        dirs.config_file.write_text('[keys]\n"app.toggle_sidebar" = "f9"\n')
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("f8")
        assert sidebar.display is not shown  # f8 does nothing now
        await pilot.press("f9")
        assert sidebar.display is shown
        dirs.config_file.write_text("")
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("ctrl+b")  # the table gone: the default again
        assert sidebar.display is not shown


async def test_the_editor_key_is_in_the_footer_and_says_when_there_is_no_terminal_to_lend(dirs):
    async with running_app() as (app, pilot):
        area = app.query_one(PromptArea)
        area.load_text("a fox, unchanged")
        area.focus()
        await pilot.pause()
        assert footer(app)["Editor"] == "f4"
        await pilot.press("f4")  # the test driver cannot lend its terminal, as in a browser
        await pilot.pause()
        assert "There is no terminal to lend an editor here" in notices(app)
        assert area.text == "a fox, unchanged" and area.has_focus
        await pilot.press("ctrl+e")  # still the end of the line
        await pilot.press("!")
        assert area.text == "a fox, unchanged!"


EDITOR = """\
import json, os, sys
path = sys.argv[-1]
text = open(path, encoding="utf-8").read()
with open(sys.argv[1], "a") as log:  # what the editor was given, for the test to look at
    log.write(json.dumps({"args": sys.argv[2:-1], "path": path, "mode": oct(os.stat(path).st_mode & 0o777), "text": text}) + "\\n")
if text.startswith("fail"):
    sys.exit(3)
open(path, "w", encoding="utf-8").write(text.rstrip("\\n").upper() + "\\nsecond line \\x07 with a bell\\n")
"""


def test_the_prompt_is_written_in_the_users_editor_on_a_real_terminal(dirs, tmp_path):
    """$VISUAL wins over $EDITOR and may carry arguments; the editor gets the prompt in a private
    .txt file, which is gone afterwards; a failing editor leaves the prompt as it was; what the
    editor saved comes back (its last line break taken off, a control character made visible)
    and is what Enter sends."""
    script, log = tmp_path / "editor.py", tmp_path / "editor.log"
    script.write_text(EDITOR)
    env = {**os.environ, "VISUAL": f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {shlex.quote(str(log))} 'two words'", "EDITOR": "no-such-editor"}
    with PtyProcess([sys.executable, "-m", "imagegen_tui", "--graphics", "halfcell"], env=env) as app:
        app.read_until(b"escribe an image")
        app.read_quiet(0.3, timeout=3)
        app.send("fail, please")
        app.read_quiet(0.3, timeout=3)
        app.send("\x1bOS")  # F4
        app.read_until(b"status 3")
        app.send("\x15")  # ctrl+u: the line cleared (the prompt was kept)
        app.read_quiet(0.3, timeout=3)  # (a binding's action runs after keys typed at once)
        app.send("a fox")
        app.read_quiet(0.3, timeout=3)
        app.send("\x1be")  # alt+e
        app.read_until(lambda _: log.exists() and len(log.read_text().splitlines()) == 2)
        app.read_quiet(0.5, timeout=5)
        app.send("\r")
        app.read_until(lambda _: [row.status for row in history_rows()] == ["done"])
        app.read_until(no_job_running)
        app.send("\x11")  # ctrl+q
        assert app.wait(20) == 0
    failed, edited = [json.loads(line) for line in log.read_text().splitlines()]
    assert failed["args"] == edited["args"] == ["two words"]
    assert failed["text"] == "fail, please\n" and edited["text"] == "a fox\n"
    assert edited["path"].endswith(".txt") and edited["mode"] == "0o600"
    assert not os.path.exists(failed["path"]) and not os.path.exists(edited["path"])
    [row] = history_rows()
    assert row.prompt == "A FOX\nsecond line \\x07 with a bell"
