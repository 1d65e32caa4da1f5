"""The TUI driven with Pilot, against the embedded demo provider over loopback, with a real
SQLite history and real files in temporary folders. Half-cell graphics are forced: detection
would depend on the terminal running the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.worker import WorkerCancelled

from conftest import write_config
from imagegen_tui.config import load_config
from imagegen_tui.demo.server import DemoServer
from imagegen_tui.errors import ProfileUnusable
from imagegen_tui.metadata import read_metadata
from imagegen_tui.request import ImageRequest
from imagegen_tui.state import StateFile
from imagegen_tui.store import Filters, HistoryStore
from imagegen_tui.studio import Studio
from imagegen_tui.ui import graphics
from imagegen_tui.ui.app import ImagegenApp
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.jobs import JobsPanel
from imagegen_tui.ui.widgets.preview import Preview
from imagegen_tui.ui.widgets.prompt import PromptArea
from imagegen_tui.ui.widgets.sidebar import ParamSidebar


@asynccontextmanager
async def running_app(size: tuple[int, int] = (120, 40), notifications: bool = False) -> AsyncIterator[tuple[ImagegenApp, object]]:
    """`notifications`: notices are drawn as toasts (Pilot leaves them out by default)."""
    store = HistoryStore.open_default()
    app = ImagegenApp(Studio(load_config(), store), graphics.setup("halfcell"))
    try:
        async with app.run_test(size=size, notifications=notifications) as pilot:
            await settle(pilot)
            yield app, pilot
    finally:
        store.close()


async def settle(pilot) -> None:
    """Let jobs, and the history reloads they trigger, finish."""
    for _ in range(4):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # a superseded history reload (exclusive workers) is not an error
            pass
        await pilot.pause()


async def shown_picture(pilot):
    """The preview's picture, once it is up: it is asked for after layout and prepared in a
    thread, so a frame or two after the jobs are done."""
    for _ in range(50):
        found = pilot.app.screen.query("#preview-image")
        if found and found.first().display and found.first().rendition is not None:
            return found.first()
        await settle(pilot)
    raise AssertionError("no picture was shown")


async def submit(pilot, prompt: str) -> None:
    area = pilot.app.query_one(PromptArea)
    area.load_text(prompt)
    area.focus()
    await pilot.press("enter")


def history_rows(status: str | None = None):
    with HistoryStore.open_default() as store:
        return store.page(Filters(status=status))


def notices(app) -> str:
    return "\n".join(n.message for n in app._notifications)  # titles are folded into messages


async def test_prompt_to_saved_file_history_and_preview(dirs):
    async with running_app() as (app, pilot):
        await submit(pilot, "a red fox in the snow")
        await settle(pilot)
        [row] = history_rows()
        assert row.status == "done" and row.prompt == "a red fox in the snow"
        path = row.images[0].path
        assert path.is_relative_to(dirs.output) and read_metadata(path)["prompt"] == "a red fox in the snow"
        history = app.query_one(HistoryList)
        assert history.total == 1 and history.current.id == row.id
        preview = app.query_one(Preview)
        assert preview.generation.id == row.id
        picture = await shown_picture(pilot)
        assert picture.rendition.protocol == "halfcell"
        assert max(picture.rendition.image.size) <= max(preview.size.width, preview.size.height * 2)  # downscaled to the pane
        assert picture.region.size == picture.rendition.cells
        assert "saved" not in notices(app)  # the preview shows the result: no notice over it
        area = app.query_one(PromptArea)
        assert area.text == ""  # sent: the box is free for the next prompt
        area.focus()
        await pilot.press("up")
        assert area.text == "a red fox in the snow"  # and ↑ brings it back for a variation


async def test_n4_grid_and_moving_between_images(dirs):
    async with running_app() as (app, pilot):
        app.query_one("#p-n").value = "4"
        await submit(pilot, "four lighthouses")
        await settle(pilot)
        strip = app.query_one("#preview-strip")
        assert strip.display and len(strip.children) == 4 and all(box.children for box in strip.children)  # four thumbnails
        preview = app.query_one(Preview)
        preview.focus()
        await pilot.press("right", "right")
        await settle(pilot)
        assert preview.index == 2 and "image 3/4" in str(app.query_one("#preview-info").render())
        assert Path(str(preview._shown[0])) == history_rows()[0].images[2].path


async def test_two_jobs_at_once(dirs):
    async with running_app() as (app, pilot):
        await submit(pilot, "first #sleep:1.5")
        await submit(pilot, "second #sleep:1.5")
        await pilot.pause(0.5)
        assert len(app.query_one(JobsPanel).jobs) == 2
        await settle(pilot)
        assert sorted(g.status for g in history_rows()) == ["done", "done"]
        assert not app.query_one(JobsPanel).jobs


async def test_cancel_a_running_job(dirs):
    async with running_app() as (app, pilot):
        await submit(pilot, "never finishes #sleep:30")
        await pilot.pause(0.5)
        assert history_rows()[0].status == "running"
        await pilot.press("ctrl+g")
        await settle(pilot)
        [row] = history_rows()
        assert row.status == "cancelled" and row.images == []
        assert not list(dirs.output.rglob("*.png"))


@pytest.mark.parametrize(
    "directive, kind, words",
    [("#fail:401", "auth", "Settings (F2)"), ("#fail:quota", "quota", "retrying will not help")],
)
async def test_errors_are_shown_and_the_prompt_kept(dirs, directive, kind, words):
    async with running_app() as (app, pilot):
        prompt = f"a castle {directive}"
        await submit(pilot, prompt)
        await settle(pilot)
        [row] = history_rows()
        assert row.status == "failed" and row.error_kind == kind and row.prompt == prompt
        assert "failed" not in notices(app).lower()  # told once: in the preview of that job
        app.query_one(PromptArea).focus()
        await pilot.press("up")
        assert app.query_one(PromptArea).text == prompt  # one key away after a provider error
        message = str(app.query_one("#preview-message").render())
        assert "FAILED" in message and words in message


async def test_invalid_parameters_refused_inline_before_sending(dirs):
    async with running_app() as (app, pilot):
        app.query_one("#p-size").value = "1000x1000"
        await pilot.pause()
        assert "multiples of 16" in str(app.query_one("#e-size").render())
        await submit(pilot, "a fox")
        await settle(pilot)
        assert history_rows() == []  # nothing sent, nothing recorded
        assert "Not sent" in notices(app) and app.query_one(PromptArea).text == "a fox"


async def test_reuse_settings_and_rerun(dirs):
    async with running_app() as (app, pilot):
        app.query_one("#p-size").value = "1536x1024"
        await submit(pilot, "a wide harbour")
        await settle(pilot)
        app.query_one("#p-size").value = ""
        app.query_one(PromptArea).load_text("")
        app.query_one(HistoryList).focus()
        await pilot.press("u")
        await pilot.pause()
        assert app.query_one(PromptArea).text == "a wide harbour"
        assert app.query_one(ParamSidebar).values()["size"] == "1536x1024"
        app.query_one(HistoryList).focus()
        await pilot.press("r")
        await settle(pilot)
        rows = history_rows()
        assert len(rows) == 2 and rows[0].parent_id == rows[1].id and rows[0].size == "1536x1024"


async def test_rerun_of_an_edit_sends_an_edit_with_its_kept_inputs(dirs, tmp_path):
    from conftest import run_cli

    base = tmp_path / "base.png"
    from PIL import Image

    Image.new("RGB", (256, 256), (100, 100, 100)).save(base)
    made = run_cli("edit", "a red roof", "--image", str(base), "--mask-rect", "0,0,50%,50%")
    assert made.returncode == 0, made.stderr
    base.unlink()  # the file it named is gone: the kept copy is sent
    async with running_app() as (app, pilot):
        await settle(pilot)
        app.query_one(HistoryList).focus()
        await pilot.press("r")
        await settle(pilot)
        info = " ".join(app.query_one("#preview-info").render().plain.split())
    again, first = history_rows()
    assert f"edited from base.png, with a mask (re-run of #{first.id})" in info
    assert (again.kind, again.status, again.parent_id) == ("edit", "done", first.id)
    assert [(s.role, s.sha256) for s in again.sources] == [(s.role, s.sha256) for s in first.sources]


async def test_search_and_filters(dirs):
    async with running_app() as (app, pilot):
        for prompt in ("a red fox", "a blue whale", "a broken call #fail:500"):
            await submit(pilot, prompt)
            await settle(pilot)
        history = app.query_one(HistoryList)
        assert history.total == 3
        await pilot.press("ctrl+f")
        await pilot.press(*"whal")
        await pilot.pause(0.3)
        await settle(pilot)
        assert history.total == 1 and history.current.prompt == "a blue whale"
        app.query_one("#search").value = ""
        app.query_one("#filter-status").value = "failed"
        await pilot.pause(0.3)
        await settle(pilot)
        assert history.total == 1 and history.current.status == "failed"


async def test_favourite_and_delete_with_files(dirs):
    async with running_app() as (app, pilot):
        await submit(pilot, "keep or delete")
        await settle(pilot)
        app.query_one(HistoryList).focus()
        await pilot.press("f")
        await settle(pilot)
        assert history_rows()[0].favourite
        path = history_rows()[0].images[0].path
        await pilot.press("delete")
        await pilot.pause()
        app.screen.query_one("#confirm-check").value = True
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert history_rows() == [] and not path.exists()


async def test_settings_saved_and_reloaded(dirs):
    async with running_app() as (app, pilot):
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#g-template").value = "{model}/{slug}-{index}"
        await pilot.pause()
        assert "gpt-image-2/a-lighthouse-at-dusk-oil-painting-1.png" in str(screen.query_one("#g-example").render())
        screen.query_one("#f-api_key").value = "fake-key-for-settings-0000"
        await pilot.press("ctrl+s")
        await settle(pilot)
    config = load_config()
    assert config.output.template == "{model}/{slug}-{index}"
    assert config.profiles["demo"].api_key == "fake-key-for-settings-0000"
    assert oct(dirs.config_file.stat().st_mode & 0o777) == "0o600"


async def test_small_terminal_80x24(dirs):
    async with running_app(size=(80, 24)) as (app, pilot):
        assert not app.query_one("#sidebar").display
        app.query_one("#p-size").value = "1536x1024"
        await submit(pilot, "small screen fox")
        await settle(pilot)
        assert history_rows()[0].status == "done"
        image = (await shown_picture(pilot)).region
        stage = app.query_one("#preview-main").region
        assert stage.contains_region(image) and image.width >= stage.width - 3  # fitted, not cropped
        await pilot.press("ctrl+b")
        assert app.query_one("#sidebar").display


async def test_the_sidebar_follows_the_width_until_it_is_toggled(dirs):
    async with running_app(size=(120, 40)) as (app, pilot):
        sidebar = app.query_one("#sidebar")
        assert sidebar.display
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not sidebar.display  # the preview gets its room back
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert sidebar.display
        await pilot.press("ctrl+b")  # the user's choice: kept whatever the width
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        assert not sidebar.display


async def test_quit_with_a_running_job_asks_then_marks_it_interrupted(dirs):
    async with running_app() as (app, pilot):
        await submit(pilot, "cut off by quitting #sleep:30")
        await pilot.pause(0.5)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("y")
        await pilot.pause(0.5)
    [row] = history_rows()
    assert row.status == "interrupted" and row.prompt == "cut off by quitting #sleep:30"


async def test_first_run_says_demo_and_how_to_add_a_key(dirs):
    async with running_app() as (app, pilot):
        welcome = str(app.query_one("#preview-message").render())  # in the empty preview, not a notice over it
        assert "MODEL_GO_API_KEY" in welcome and "demo" in app.sub_title and not notices(app)
    assert not dirs.config_file.exists()  # starting writes nothing


@pytest.mark.parametrize("text", ["profile = [", 'profile = "demo"\n[profiles.openai]\ntimout = 30\n'])
async def test_damaged_config_is_reported_never_generated_on_and_not_overwritten(dirs, text):
    write_config(dirs, text)
    store = HistoryStore.open_default()
    config = load_config()
    app = ImagegenApp(Studio(config, store), graphics.setup("halfcell"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert str(config.error) in app.query_one("#config-problem").render().plain  # said by the banner, which stays
        app.query_one("#p-n").value = "2"
        app.theme = "nord"
        await settle(pilot)
        await submit(pilot, "a fox")
        await settle(pilot)
        assert "Not sent: the config file has a problem (see the banner)" in notices(app)
    store.close()
    assert history_rows() == []
    assert dirs.config_file.read_text() == text


async def test_command_palette_runs_actions(dirs):
    async with running_app() as (app, pilot):
        shown = app.query_one("#sidebar").display
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"toggle sidebar")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one("#sidebar").display is not shown
        await pilot.press("ctrl+p")
        await pilot.press(*"use profile: openai")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert app.profile.name == "openai" and "openai" in app.sub_title
    assert Studio(load_config(), None).active_profile().name == "openai"  # a profile the user picked is remembered
    assert not dirs.config_file.exists()  # in the state file


async def test_streamed_partial_images_reach_the_preview(dirs):
    from imagegen_tui.ui.widgets.preview import Preview as PreviewWidget

    shown = []
    original = PreviewWidget.show_partial

    def spy(self, image, caption):
        shown.append(caption)
        original(self, image, caption)

    PreviewWidget.show_partial = spy
    try:
        async with running_app() as (app, pilot):
            assert app.query_one("#p-stream").value  # the demo profile streams
            await submit(pilot, "a streamed lighthouse #sleep:1")
            await settle(pilot)
            [row] = history_rows()
            assert row.status == "done" and row.params["stream"] and row.params["partial_images"] == 2
            assert [c.split(" ·")[0] for c in shown] == ["partial image 1", "partial image 2"]
            assert app.query_one(Preview).generation.id == row.id  # then the final image
    finally:
        PreviewWidget.show_partial = original


async def test_viewer_copy_and_open_without_a_display(dirs, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    async with running_app() as (app, pilot):
        app.query_one("#p-n").value = "2"
        await submit(pilot, "view me")
        await settle(pilot)
        row = history_rows()[0]
        app.query_one(HistoryList).focus()
        await pilot.press("c")
        assert app.clipboard == "view me"
        await pilot.press("y")
        assert app.clipboard == str(row.images[0].path)
        await pilot.press("o")  # over SSH there is nothing to open on: the path is copied instead
        assert "No local display" in notices(app) and app.clipboard == str(row.images[0].path)
        await pilot.press("v")
        await settle(pilot)
        assert type(app.screen).__name__ == "ViewerScreen"
        viewer = app.screen.query_one(Preview)
        await pilot.press("right")
        await settle(pilot)
        assert viewer.index == 1 and (await shown_picture(pilot)).rendition is not None
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]  # back on the main screen


async def test_jobs_beyond_the_concurrency_limit_wait_in_a_visible_queue(dirs):
    write_config(dirs, 'profile = "demo"\n[ui]\nconcurrency = 1\n')
    async with running_app() as (app, pilot):
        await submit(pilot, "first #sleep:1")
        await pilot.pause(0.2)
        await submit(pilot, "second waits")
        await pilot.pause(0.3)
        states = {job.prompt: job.state for job in app.query_one(JobsPanel).jobs.values()}
        assert states == {"first #sleep:1": "running", "second waits": "queued"}
        assert {g.prompt: g.status for g in history_rows()} == {"first #sleep:1": "running", "second waits": "queued"}
        assert "1 queued" in app.sub_title
        await settle(pilot)
        assert [g.status for g in history_rows()] == ["done", "done"]


async def test_sidebar_values_are_remembered_per_profile(dirs):
    async with running_app() as (app, pilot):
        app.query_one("#p-size").value = "1536x1024"
        app.query_one("#p-quality").value = "high"
        await settle(pilot)
    assert StateFile().state.last["demo"] == {"size": "1536x1024", "quality": "high"}
    assert not dirs.config_file.exists()
    async with running_app() as (app, pilot):
        assert app.query_one(ParamSidebar).values()["size"] == "1536x1024"


async def test_settings_add_a_profile_and_test_connections(dirs):
    async with running_app() as (app, pilot):
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#test").press()  # the demo profile: the embedded server lists its models
        await settle(pilot)
        assert str(screen.query_one("#test-result").render()).startswith("✓ connected")
        screen.query_one("#add-profile").press()
        await pilot.pause()
        screen.query_one("#f-base_url").value = "http://127.0.0.1:9/v1"  # nothing listens there
        screen.query_one("#f-api_key_env").value = "GW_KEY"
        screen.query_one("#test").press()
        await settle(pilot)
        assert str(screen.query_one("#test-result").render()).startswith("✗") and "could not connect" in str(screen.query_one("#test-result").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
    gateway = load_config().profiles["gateway-1"]
    assert gateway.base_url == "http://127.0.0.1:9/v1" and gateway.api_key_env == "GW_KEY"


async def test_help_lists_the_keys(dirs):
    async with running_app() as (app, pilot):
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]  # back on the main screen


async def test_preloaded_first_page_is_shown_from_the_first_frame(dirs):
    from imagegen_tui.ui.app import preloaded

    async with running_app() as (app, pilot):
        for prompt in ("older", "newer"):
            await submit(pilot, prompt)
            await settle(pilot)
    store = HistoryStore.open_default()
    try:
        app = preloaded(ImagegenApp, Studio(load_config(), store), graphics.setup("halfcell"))
        assert app.first_page[0] == 2
        async with app.run_test(size=(120, 40)) as pilot:
            history = app.query_one(HistoryList)
            assert history.total == 2 and history.current.prompt == "newer"  # no reload needed
            await settle(pilot)
            assert app.query_one(Preview).generation.prompt == "newer"
    finally:
        store.close()


async def test_settings_refuse_a_bad_profile_with_the_config_rules(dirs):
    async with running_app() as (app, pilot):
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#add-profile").press()
        await pilot.pause()
        screen.query_one("#f-base_url").value = "ftp://gateway.example"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "base_url: must be an http:// or https:// URL with a host name" in str(screen.query_one("#profile-error").render())
        screen.query_one("#f-base_url").value = "https://gateway.example/v1"
        screen.query_one("#f-timeout").value = "9999"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "timeout: must be a number from 1 to 3600" in str(screen.query_one("#profile-error").render())
        assert app.screen is screen  # still open, nothing saved
    assert not dirs.config_file.exists()


HAND_WRITTEN = """\
# mine: comments, odd spacing and explicit defaults, all to be kept
profile="demo"   # try things offline

[ui]
concurrency   = 3   # the default
graphics = "auto"

[profiles.demo]
timeout = 60     # the default
"""


async def test_a_running_app_leaves_a_hand_written_config_byte_identical(dirs):
    write_config(dirs, HAND_WRITTEN)
    before = dirs.config_file.stat()
    async with running_app() as (app, pilot):
        app.query_one("#p-size").value = "1536x1024"
        app.query_one("#p-quality").value = "high"
        await settle(pilot)
        app.switch_profile(app.studio.config.profiles["openai"])  # as the palette does
        await settle(pilot)
        app.switch_profile(app.studio.config.profiles["demo"])
        await settle(pilot)
        app.theme = "nord"
        await pilot.press("ctrl+b")
        await submit(pilot, "a fox while nothing touches my file")
        await settle(pilot)
        assert history_rows()[0].status == "done"
    after = dirs.config_file.stat()
    assert dirs.config_file.read_text() == HAND_WRITTEN and (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    state = StateFile().state
    assert state.profile == "demo" and state.last["demo"] == {"size": "1536x1024", "quality": "high"}


async def test_a_tui_job_on_a_profile_without_a_key_is_refused_before_anything_is_sent(dirs):
    with DemoServer() as server:
        requests: list[str] = []
        server.httpd.log = requests.append
        write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{server.base_url}"\napi_key_env = "LOCAL_KEY"\n')
        async with running_app() as (app, pilot):
            await submit(pilot, "a fox on a profile without a key")
            await settle(pilot)
            assert "the profile 'local' has no key: set LOCAL_KEY or add one in Settings (F2)" in notices(app)
            # a re-run does not build its request through the sidebar: the shared path refuses it too
            local = app.studio.config.profiles["local"]
            with pytest.raises(ProfileUnusable, match="set LOCAL_KEY"):
                await app.studio.run(ImageRequest(prompt="a re-run", model="gpt-image-2"), local)
        assert requests == [] and history_rows() == []
