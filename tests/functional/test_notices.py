"""Notices keep out of the way of the work: at 80x24 a notice is a row or two at the bottom
right, never a repeat of what the preview already shows; what the first run has to say is in the
empty preview, which covers nothing. Toasts are drawn here (Pilot leaves them out by default)."""

from __future__ import annotations

import ast
from pathlib import Path

from textual.widgets._toast import Toast

import imagegen_tui
from conftest import write_config
from imagegen_tui.ui.terminal import MAX_NOTICES
from test_tui import history_rows, notices, running_app, settle, submit

SMALL = (80, 24)


def toasts(app) -> list[Toast]:
    return list(app.screen.query(Toast))


def preview_text(app) -> str:
    return app.query_one("#preview-message").render().plain


async def test_first_run_explains_itself_in_the_preview_and_no_notice_covers_it(dirs):
    async with running_app(SMALL, notifications=True) as (app, pilot):
        assert app.profile.demo and app.query_one("#history").total == 0
        message = app.query_one("#preview-message")
        text = preview_text(app)
        for words in ("Write a prompt below and press Enter", "drawn on this machine", "no call is paid", "Settings (f2)", "MODEL_GO_API_KEY", "^b  parameters", "f1  all keys"):
            assert words in text
        assert app.query_one("#preview-main").region.contains_region(message.region)  # all of it on screen at 80x24
        assert not app._notifications and not toasts(app)  # nothing over it
        await submit(pilot, "a fox")
        await settle(pilot)
        assert not message.display and app.query_one("#preview-image").display  # a row: the welcome is gone
        await pilot.press("ctrl+f", *"zebra")  # matches nothing: not the first-run welcome either
        await pilot.pause(0.3)
        await settle(pilot)
        assert message.display and preview_text(app) == "Nothing matches the search and filters."



async def test_the_welcome_names_the_keys_in_effect(dirs):
    write_config(dirs, '[keys]\n"app.toggle_sidebar" = "ctrl+s"\n')
    async with running_app(SMALL) as (app, pilot):
        await pilot.pause(0.3)  # [keys] is checked in a thread, then applied
        text = preview_text(app)
        assert "^s  parameters" in text and "^b" not in text

async def test_with_a_real_provider_the_welcome_says_nothing_of_the_demo(dirs, keyed_demo):
    write_config(dirs, f'[profiles.gw]\nbase_url = "{keyed_demo.base_url}"\napi_key = "demo-secret-key-123456"\n')
    async with running_app(SMALL) as (app, pilot):
        text = preview_text(app)
        assert not app.profile.demo and "Write a prompt below" in text
        assert "Demo" not in text and "API_KEY" not in text


async def test_a_failed_job_is_told_by_its_preview_and_only_out_of_sight_by_a_short_notice(dirs):
    write_config(dirs, 'profile = "demo"\n[ui]\nconcurrency = 1\n')  # a failing job waits behind a slow one
    async with running_app(SMALL, notifications=True) as (app, pilot):
        app.NOTIFICATION_TIMEOUT = 60  # none may expire before it is looked at, on a busy machine
        history = app.query_one("#history")
        await submit(pilot, "a fox")
        await settle(pilot)
        # watched: the preview follows the job and says why it failed; no notice
        await submit(pilot, "a castle #fail:quota")
        await settle(pilot)
        assert "FAILED" in preview_text(app) and "retrying will not help" in preview_text(app)
        assert not app._notifications and not toasts(app)
        # selected by hand while it waits (the preview no longer follows jobs): still no notice.
        # The job before it sleeps long enough for the keys below, even on a busy machine
        await submit(pilot, "a heron #sleep:2")
        await submit(pilot, "a tower #fail:quota")
        await pilot.pause(0.3)
        history.focus()
        await pilot.press("end")  # the fox, a finished result: later jobs only notify
        await pilot.pause(0.2)
        await pilot.press("home")  # back on the waiting job
        await settle(pilot)
        assert history.current.prompt == "a tower #fail:quota" and "FAILED" in preview_text(app)
        heron = next(row for row in history_rows() if row.prompt == "a heron #sleep:2")
        assert notices(app).startswith(f"#{heron.id} done: 1 image saved · ")  # done out of sight: one line
        assert "failed" not in notices(app)
        app.clear_notifications()
        # out of sight: one short notice naming the row, in a toast of one or two rows
        await submit(pilot, "an owl #sleep:2")
        await submit(pilot, "a bridge #fail:quota")
        await pilot.pause(0.3)
        history.focus()
        await pilot.press("end")
        await settle(pilot)
        owl, bridge = (next(row for row in history_rows() if row.prompt.startswith(start)) for start in ("an owl", "a bridge"))
        said = notices(app).split("\n")  # in either order: the two jobs end at about the same time
        assert len(said) == 2 and f"#{bridge.id} failed (quota): select it to see why." in said
        assert any(line.startswith(f"#{owl.id} done: 1 image saved · ") for line in said)
        assert len(toasts(app)) == 2
        for toast in toasts(app):
            assert toast.region.height <= 2 and toast.region.width <= SMALL[0] // 2
            assert toast.region.bottom <= SMALL[1] - 1  # above the footer, low on the screen
        assert history.current.prompt == "a fox"  # the user stays where they were


async def test_a_bug_in_a_job_is_one_notice_naming_its_report(dirs):
    async with running_app(SMALL, notifications=True) as (app, pilot):
        async def broken(*args, **kwargs):
            raise RuntimeError("a bug with a long message " * 10)

        app.studio.run = broken
        await submit(pilot, "a fox")
        await settle(pilot)
        [notice] = app._notifications
        assert notice.message.startswith("A bug, running a job (RuntimeError); report: ")
        report = Path(notice.message.rsplit("report: ", 1)[1])
        assert report.is_file() and "a bug with a long message" in report.read_text()
        assert "a long message" not in notice.message  # the details are in the report


async def test_ctrl_c_says_how_to_quit_in_plain_words(dirs):
    async with running_app(SMALL) as (app, pilot):
        app.query_one("#history").focus()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert notices(app) == "To quit, press ctrl+q."  # Textual's own words were markup, shown as [b]…[/b]


def fixed_notices() -> list[str]:
    """The words of every notice the UI (and the CLI, for the app's start) writes in its code:
    literal text, with each value put in as a short stand-in, `0000`. Messages that are data
    (a provider's or the system's sentence) have no fixed words to measure. A job's end is
    said by `ended` (ui/jobs.py), after the row's number."""
    root = Path(imagegen_tui.__file__).parent
    texts = []
    for path in [*sorted((root / "ui").rglob("*.py")), root / "cli.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            prefix = ""
            if name == "notify" and node.args:
                message = node.args[0]
            elif name == "ended" and node.args:
                message, prefix = node.args[0], "#0000 "
            elif name == "call_from_thread" and len(node.args) > 1 and getattr(node.args[0], "attr", "") == "notify":
                message = node.args[1]
            elif name == "append" and getattr(node.func.value, "id", "") == "notices" and node.args:
                message = node.args[0]
            else:
                continue
            texts += [prefix + words for branch in _branches(message) if (words := _words(branch))]
    return texts


def _branches(node: ast.expr) -> list[ast.expr]:
    """Both sides of a conditional message."""
    return [*_branches(node.body), *_branches(node.orelse)] if isinstance(node, ast.IfExp) else [node]


def _words(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "0000" for part in node.values)
    return None


async def test_every_fixed_notice_fits_two_rows_at_80_columns(dirs):
    texts = fixed_notices()
    assert len(texts) >= 25 and "No job is running." in texts and "#0000 failed (0000): select it to see why." in texts
    async with running_app(SMALL, notifications=True) as (app, pilot):
        for start in range(0, len(texts), MAX_NOTICES):
            app.clear_notifications()
            for text in texts[start:start + MAX_NOTICES]:
                app.notify(text)
            await pilot.pause()
            await pilot.pause()
            tall = {toast.render().plain: toast.region.height for toast in toasts(app) if toast.region.height > 2}
            assert not tall, tall
