"""The TUI and the user's files: a config problem that cannot be missed and is fixed without
leaving the app, a prompt that survives a closed app, a settings save that writes only what the
user changed, a re-run that never lands on another provider."""

from __future__ import annotations

import os
import re
import stat
import sys

from conftest import write_config
from ptyproc import PtyProcess, no_job_running
from imagegen_tui.state import StateFile
from test_tui import HAND_WRITTEN, history_rows, notices, running_app, settle, submit

BROKEN = 'profile = "demo"\n[profiles.demo]\ntimout = 60\n'


def _editor(tmp_path, text: str) -> str:
    """An $EDITOR that replaces the file it is given with `text`."""
    script = tmp_path / "editor.py"
    script.write_text(f"import sys\nopen(sys.argv[1], 'w').write({text!r})\n")
    return f"{sys.executable} {script}"


async def test_a_config_problem_stays_on_screen_and_nothing_is_sent(dirs):
    write_config(dirs, BROKEN)
    async with running_app() as (app, pilot):
        banner = app.query_one("#config-problem")
        assert banner.display and "unknown key 'timout'; did you mean 'timeout'?" in banner.render().plain
        await submit(pilot, "a fox that must not be sent")
        await settle(pilot)
        assert history_rows() == [] and "Not sent" in notices(app)
        await pilot.pause(10.5)  # longer than the start notice lives
        assert banner.display


def test_the_config_is_fixed_in_the_editor_without_leaving_the_app(dirs, tmp_path):
    """On a real terminal: ctrl+p → Edit config file suspends the app for $EDITOR, then reloads."""
    write_config(dirs, BROKEN)
    env = {**os.environ, "EDITOR": _editor(tmp_path, 'profile = "demo"\n')}
    with PtyProcess([sys.executable, "-m", "imagegen_tui", "--graphics", "halfcell"], env=env) as app:
        # the TUI's own band (the command warns on stderr before the TUI starts, and a terminal
        # probe then may still read what is typed)
        app.read_until(b"nothing is sent until it is fixed")
        app.read_quiet(0.3, timeout=3)  # settled (the cursor blinks every 0.5 s)
        app.send("\x10")  # ctrl+p
        app.read_until(b"earch for commands")
        app.send("Edit config file")
        app.read_quiet(0.3, timeout=3)
        app.send("\r")
        # escape sequences left out: a notice straddles widgets, and at each edge the terminal
        # may be sent a style or the cursor's place (the next cell)
        app.read_until(lambda out: b"Config reloaded." in re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", out))
        app.send("a fox after the fix\r")
        app.read_until(lambda _: [row.status for row in history_rows()] == ["done"])
        app.read_until(no_job_running)
        app.send("\x11")  # ctrl+q
        assert app.wait(20) == 0
    assert dirs.config_file.read_text() == 'profile = "demo"\n'
    assert [row.status for row in history_rows()] == ["done"]


async def test_ctrl_r_reloads_after_a_fix_made_outside(dirs):
    write_config(dirs, BROKEN)
    async with running_app() as (app, pilot):
        assert app.query_one("#config-problem").display
        dirs.config_file.write_text('profile = "demo"\n')
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not app.query_one("#config-problem").display


async def test_the_prompt_being_written_comes_back_at_the_next_start(dirs):
    async with running_app() as (app, pilot):
        app.query_one("#prompt-input").focus()
        await pilot.press(*"a lighthouse at dusk, unsent")
        await pilot.pause(1.3)  # kept a second after typing stops, before any quit
        await settle(pilot)
        assert StateFile().state.draft == "a lighthouse at dusk, unsent"
    async with running_app() as (app, pilot):
        assert app.query_one("#prompt-input").text == "a lighthouse at dusk, unsent"
        await submit(pilot, app.query_one("#prompt-input").text)
        await settle(pilot)
        app.exit()
    assert StateFile().state.draft == ""  # sent: nothing left to restore
    assert StateFile().state.recall[0] == "a lighthouse at dusk, unsent"


async def test_saving_settings_untouched_leaves_the_file_as_written(dirs):
    write_config(dirs, HAND_WRITTEN)
    os.chmod(dirs.config_file, 0o600)
    async with running_app() as (app, pilot):
        await pilot.press("f2")
        await settle(pilot)
        for name in ("openai", "model-go", "demo"):  # visiting profiles writes nothing by itself
            app.screen._fill(name)
            await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert dirs.config_file.read_text() == HAND_WRITTEN
    assert stat.S_IMODE(dirs.config_file.stat().st_mode) == 0o600


async def test_rerun_refuses_when_the_generation_s_profile_is_gone(dirs):
    write_config(dirs, 'profile = "local"\n[profiles.local]\nbase_url = "http://127.0.0.1:9/v1"\nkey_required = false\n')
    async with running_app() as (app, pilot):
        await submit(pilot, "a fox on a profile that will vanish")
        await settle(pilot)
    write_config(dirs, "")
    async with running_app() as (app, pilot):
        app.query_one("#history").focus()
        await pilot.press("r")
        await settle(pilot)
        assert "the profile 'local' of #1 no longer exists" in notices(app)
        assert len(history_rows()) == 1


async def test_images_that_could_not_be_saved_are_shown_and_saved_later_with_s(dirs):
    from datetime import date

    from imagegen_tui.ui.widgets.history import HistoryList

    dirs.output.mkdir(parents=True)
    blocker = dirs.output / date.today().isoformat()  # the template's {date} folder is a file
    blocker.write_text("in the way")
    async with running_app() as (app, pilot):
        await submit(pilot, "a paid fox that cannot land")
        await settle(pilot)
        [row] = history_rows()
        assert row.status == "failed" and row.error_kind == "unsaved" and row.images and row.images[0].kept
        picture = app.query_one("#preview-image")
        assert picture.display and picture.rendition is not None  # the paid image is on screen
        facts = app.query_one("#preview-info").render().plain
        assert "FAILED" in facts and "press s" in facts
        blocker.unlink()
        app.query_one(HistoryList).focus()
        await pilot.press("s")
        await settle(pilot)
        [row] = history_rows()
        assert row.status == "done" and not row.images[0].kept and row.images[0].path.is_relative_to(dirs.output)
        assert "1 image(s) saved into the output folder" in notices(app)


async def test_notices_do_not_pile_up_past_three(dirs):
    async with running_app(size=(80, 24)) as (app, pilot):
        for i in range(6):
            app.notify(f"notice {i}")
        await settle(pilot)
        assert [n.message for n in app._notifications] == ["notice 3", "notice 4", "notice 5"]


async def test_a_profile_with_verify_false_is_named_loudly_in_the_app(dirs, demo):
    write_config(dirs, f'profile = "corp"\n[profiles.corp]\nbase_url = "{demo.base_url}"\napi_key = "fake-corp-key-123456"\nverify = false\n'
                 f'[profiles.home]\nbase_url = "{demo.base_url}"\napi_key = "fake-home-key-123456"\n')
    async with running_app() as (app, pilot):
        await settle(pilot)
        assert "'corp' has verify = false: its TLS certificate is not checked" in notices(app)
        assert "corp (TLS NOT CHECKED)" in app.sub_title
        app.switch_profile(app.studio.config.profiles["home"])
        await settle(pilot)
        assert "TLS NOT CHECKED" not in app.sub_title


async def test_settings_saved_without_the_profile_in_use_switches_without_a_crash(dirs, demo):
    """The profile in use was deleted and another added: the sidebar must list the new one
    before it is shown (it crashed with InvalidSelectValueError)."""
    write_config(dirs, f'profile = "old"\n[profiles.old]\nbase_url = "{demo.base_url}"\napi_key = "fake-old-key-123456"\n')
    async with running_app() as (app, pilot):
        await settle(pilot)
        write_config(dirs, f'profile = "fresh"\n[profiles.fresh]\nbase_url = "{demo.base_url}"\napi_key = "fake-fresh-key-12345"\n')
        assert app.studio.reload_config() is None  # as the settings screen's save leaves it
        app.composer.settings_saved()
        await settle(pilot)
        assert app.profile.name == "fresh" and app.query_one("#p-profile").value == "fresh"
