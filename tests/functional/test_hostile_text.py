"""Text from users and from outside is shown as text in every place of the TUI: a bracket in a
prompt, a provider's message or a profile name is never markup (one `[/dim]` in an error message
once made the app crash at every start), and no control character reaches the terminal raw."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from conftest import write_config
from hostile import HOSTILE, RAW_CONTROLS, shown_form
from imagegen_tui.config import load_config
from imagegen_tui.demo import artist
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import GenerationResult, verify_image
from imagegen_tui.saving import SaveTarget, save_result
from imagegen_tui.store import FinishedGeneration, HistoryStore
from imagegen_tui.studio import Studio
from imagegen_tui.ui import graphics
from imagegen_tui.ui.app import ImagegenApp
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.variants import escape
from test_tui import settle, submit

HOSTILE_PROFILE = "[/dim] gw \x1b[2J"


def seed_hostile(store: HistoryStore, output) -> None:
    """For each hostile string: a done generation with it as prompt, revised prompt and model,
    and a failed one with it as the provider's message."""
    now = time.time() - 100
    for i, hostile in enumerate(HOSTILE):
        request = ImageRequest(prompt=hostile, model=f"model {hostile}", size="1024x1024")
        payload = verify_image(artist.encode(artist.draw("x", 64, 64, i), "png", None), revised_prompt=f"revised {hostile}")
        target = SaveTarget(folder=output, template="{index}-{id}", profile=HOSTILE_PROFILE, provider="p", generation_id=f"h{i}", when=datetime.now())
        images = tuple(save_result(request, GenerationResult(images=[payload]), target))
        store.add_finished([
            FinishedGeneration(uid=f"h{i}", created_at=now + 2 * i, profile=HOSTILE_PROFILE, provider="p", request=request, images=images),
            FinishedGeneration(
                uid=f"f{i}", created_at=now + 2 * i + 1, profile=HOSTILE_PROFILE, provider="p", request=request,
                status="failed", error_kind="bad_request", error_message=f"400 from p: {hostile}",
            ),
        ])


def screen_text(app) -> str:
    """What the terminal would be sent as text: every non-control segment of the screen."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        lines.append("".join(segment.text for segment in strip if not segment.control))
    return "\n".join(lines)


def facts(app) -> str:
    """The preview's facts line as text (it may be taller than its box on screen)."""
    return " ".join(app.screen.query_one("#preview-info").render().plain.split())


def assert_clean(app) -> str:
    text = screen_text(app)
    assert not RAW_CONTROLS & set(text), [c for c in text if c in RAW_CONTROLS]
    return text


@pytest.fixture
def hostile_app(dirs):
    name = HOSTILE_PROFILE.replace("\x1b", "\\u001b")
    write_config(dirs, f'[profiles."{name}"]\nbase_url = "http://127.0.0.1:9/v1/[b]"\n')
    store = HistoryStore.open_default()
    seed_hostile(store, load_config().output.folder)
    app = ImagegenApp(Studio(load_config(), store, {}), graphics.setup("halfcell"))
    yield app
    store.close()


async def test_history_preview_and_viewer_show_outside_text_as_text(hostile_app):
    async with hostile_app.run_test(size=(160, 50), notifications=True, tooltips=True) as pilot:
        await settle(pilot)
        app = hostile_app
        history = app.query_one(HistoryList)
        assert history.total == 2 * len(HOSTILE)  # the app started: no markup error at start
        history.focus()
        seen_failed, seen_done = set(), set()
        for _ in range(history.total):
            generation = history.current
            await settle(pilot)
            text = assert_clean(app)
            hostile = generation.prompt
            assert shown_form(hostile)[:12] in text  # the history row
            if generation.status == "failed":
                assert shown_form(f"400 from p: {hostile}") in text.replace("\n", " ").replace("  ", " ") or shown_form(hostile)[:20] in text
                seen_failed.add(hostile)
            else:
                assert shown_form(f"revised {hostile}") in facts(app)
                seen_done.add(hostile)
            await pilot.press("down")
        assert seen_failed == seen_done == set(HOSTILE)
        await pilot.press("home")
        await settle(pilot)
        await pilot.press("down")  # a done generation
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert type(app.screen).__name__ == "ViewerScreen"
        assert_clean(app)
        assert shown_form(f"revised {history.current.prompt}") in facts(app)


async def test_prompt_jobs_toasts_dialogs_palette_and_settings(hostile_app, demo):
    app = hostile_app
    async with app.run_test(size=(160, 50), notifications=True, tooltips=True) as pilot:
        await settle(pilot)
        app.switch_profile(app.studio.config.profiles["demo"])
        app.clear_notifications()
        for hostile in HOSTILE:
            await submit(pilot, f"{escape(hostile)} #sleep:20")  # its braces would be variants
            await pilot.pause(0.3)
            text = assert_clean(app)
            assert shown_form(hostile)[:20] in text  # the jobs panel and the new history row
            app.query_one(HistoryList).focus()
            await pilot.press("end")  # a done generation on show: the job ends out of sight
            await pilot.pause(0.3)
            await pilot.press("ctrl+g")  # cancelled: the toast names it by its prompt
            await settle(pilot)
            [toast] = app.screen.query("Toast")
            assert " cancelled: " + shown_form(hostile)[:20] in toast.render().plain
            assert_clean(app)
            app.clear_notifications()
            await settle(pilot)
        app.clear_notifications()
        history = app.query_one(HistoryList)
        history.focus()
        await pilot.press("d")  # the delete dialog quotes the prompt
        await settle(pilot)
        assert shown_form(history.current.prompt)[:20] in assert_clean(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Use profile")
        await pilot.pause(0.5)
        assert shown_form(f"Use profile: {HOSTILE_PROFILE}") in assert_clean(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert shown_form(HOSTILE_PROFILE) in assert_clean(app)
        assert app.is_running


async def test_a_provider_error_full_of_markup_and_escape_codes(dirs):
    """The demo server's `#fail:evil` answers 400 with brackets, an OSC 52 clipboard write, a
    screen clear, a C1 CSI and emoji in its message; `#revised:evil` puts them in a revised prompt."""
    store = HistoryStore.open_default()
    app = ImagegenApp(Studio(load_config(), store), graphics.setup("halfcell"))
    try:
        async with app.run_test(size=(160, 50), notifications=True) as pilot:
            await settle(pilot)
            app.query_one("#p-stream").value = False  # revised prompts come in JSON answers, not streamed ones
            for prompt in ("an evil answer #fail:evil", "an evil revision #revised:evil"):
                await submit(pilot, prompt)
                await settle(pilot)
                text = assert_clean(app)
                assert "\\x1b]52" in text or "\\x1b]52" in facts(app)
            [revised, failed] = store.page()
            assert failed.status == "failed" and "\\x1b]52" in failed.error_message  # our sentence, made safe where it is made
            assert revised.status == "done" and "\x1b]52" in revised.images[0].revised_prompt  # the provider's text, stored exactly
            assert app.is_running
    finally:
        store.close()
