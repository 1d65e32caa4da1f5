"""The sidebar's cost line, driven with Pilot against the embedded demo provider and a real
SQLite history: the estimate follows the parameters (computed in a thread, never on the loop)
and says where it comes from, and what is left of each budget follows the jobs."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import write_config
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import Usage
from imagegen_tui.saving import SavedImage
from imagegen_tui.state import StateFile
from imagegen_tui.store import FinishedGeneration, HistoryStore
from imagegen_tui.ui.widgets.cost import CostLine
from imagegen_tui.ui.widgets.prompt import PromptArea

from test_tui import history_rows, notices, running_app, settle, submit

CONFIG = 'profile = "demo"\n[prices."gpt-image-2"]\ninput_text = 5.0\noutput_image = 30.0\n[budget]\ndaily = 1.0\n'


def seed(quality: str, output_tokens: int, count: int) -> None:
    """`count` earlier generations of one 1024x1024 image at this quality with the demo profile."""
    request = ImageRequest(prompt="earlier", model="gpt-image-2", size="1024x1024", quality=quality)
    image = (SavedImage(Path("/elsewhere/1.png"), 1, 1024, 1024, "png", 1),)
    usage = Usage(input_tokens=0, output_tokens=output_tokens, total_tokens=output_tokens)
    with HistoryStore.open_default() as store:
        store.add_finished([FinishedGeneration(f"{quality}{i}", time.time() - 86400 * 40, "demo", "demo", request, usage=usage, images=image) for i in range(count)])


def shown(app) -> str:
    return str(app.query_one(CostLine).render())


async def test_the_estimate_changes_with_quality_and_says_its_source(dirs):
    write_config(dirs, CONFIG)
    seed("low", 1000, 3)  # $0.03 each
    seed("high", 7000, 2)  # $0.21 each
    async with running_app() as (app, pilot):
        app.query_one("#p-size").value = "1024x1024"
        app.query_one("#p-quality").value = "low"
        app.query_one("#p-n").value = "2"
        await settle(pilot)
        assert shown(app).splitlines()[:3] == ["≈ $0.060 · 2 images", "from 3 of yours", "today: $1.00 left of $1.00"]
        app.query_one("#p-quality").value = "high"
        await settle(pilot)
        assert shown(app).splitlines()[:2] == ["≈ $0.42 · 2 images", "from 2 of yours"]
        app.query_one("#p-quality").value = "medium"  # never made: no ledger, and no table for gpt-image-2
        await settle(pilot)
        assert shown(app).splitlines()[:2] == ["cost unknown · 2 images", "none like it recently"]


async def test_what_is_left_follows_the_jobs(dirs):
    write_config(dirs, CONFIG)
    async with running_app() as (app, pilot):
        app.query_one("#p-size").value = "1024x1024"
        app.query_one("#p-quality").value = "high"
        await settle(pilot)
        assert "today: $1.00 left of $1.00" in shown(app)
        await submit(pilot, "a lighthouse")
        await settle(pilot)
        # the demo reports 4160 output tokens for a high 1024x1024 and 3 for the prompt: $0.1248 spent, now the ledger's estimate
        assert shown(app).splitlines() == ["≈ $0.12 · 1 image", "from 1 of yours", "today: $0.88 left of $1.00"]


def test_names_from_the_config_are_drawn_as_text():
    from imagegen_tui.budget import Line
    from imagegen_tui.studio import CostView
    from imagegen_tui.ui.widgets.cost import render

    drawn = render(CostView(None, [Line("\x1b]52;c;evil\x07[b]x", "daily", 1.0, 0.25, 0.0, ("m\x1b[2J",))], "m\x1b[2J")).plain
    assert "\x1b" not in drawn and "\x07" not in drawn
    assert "[b]x today: $0.75 left of $1.00 (+ m" in drawn and "budgets cannot see m" in drawn


async def test_a_job_over_budget_is_not_sent_and_says_why(dirs):
    write_config(dirs, 'profile = "demo"\n[prices."gpt-image-2"]\nper_image = 0.5\n[budget]\nmonthly = 0.75\n')
    async with running_app(notifications=True) as (app, pilot):
        await submit(pilot, "a first fox")
        await settle(pilot)
        await submit(pilot, "a second fox")  # 0.50 + 0.50 > 0.75
        await settle(pilot)
        assert "Not sent: the monthly budget would be crossed: spent $0.50 this month, this request ≈ $0.50" in notices(app)
        assert [g.prompt for g in history_rows()] == ["a first fox"]
        assert app.query_one(PromptArea).text == "a second fox"  # back in the box, not lost
        assert "month: $0.25 left of $0.75" in shown(app)


def gateway(dirs, url: str) -> None:
    write_config(dirs, f'profile = "gw"\n[prices."gpt-image-2"]\nper_image = 0.5\n[budget]\ndaily = 1.0\n'
                       f'[profiles.gw]\ndialect = "litellm"\nbase_url = "{url}"\nkey_required = false\n')


async def test_the_gateways_key_spend_is_in_the_title_once_a_call_brings_it_and_after_a_restart(dirs, demo):
    gateway(dirs, demo.base_url)
    async with running_app() as (app, pilot):
        assert "key spent" not in app.sub_title
        await submit(pilot, "a lighthouse #billed:0.03")
        await settle(pilot)
        seen = StateFile().state.key_spend["gw"]["seen"]
        title = f"gw · key spent $12.50 as of {time.strftime('%H:%M', time.localtime(seen))} · "  # the demo's x-litellm-key-spend
        assert app.sub_title.startswith(title)
        facts = str(app.query_one("#preview-info").render())
        assert "billed 0.030" in facts and "≈" not in facts  # the preview shows the bill, not an estimate
        # the gateway's bill, not 0.50 at our price, is what the budget counts
        assert "today: $0.97 left of $1.00" in shown(app)
    assert "key_spend" not in dirs.config_file.read_text()  # the app's own state, not the user's file
    async with running_app() as (app, pilot):  # no call yet in this run: the last word kept
        assert app.sub_title.startswith(title)
        app.query_one("#p-profile").value = "demo"
        await settle(pilot)
        assert "key spent" not in app.sub_title  # another profile, another key


async def test_a_key_spend_seen_before_today_shows_its_age(dirs):
    gateway(dirs, "http://127.0.0.1:9/v1")
    StateFile().change(lambda state: state.key_spend.update(gw={"usd": 7.0, "seen": time.time() - 3 * 86400 - 60}))
    async with running_app() as (app, pilot):
        assert app.sub_title.startswith("gw · key spent $7.00 as of 3d ago · ")


async def test_the_stream_switch_says_why_litellm_cannot_stream(dirs):
    from textual.widgets import Checkbox

    write_config(dirs, 'profile = "gw"\n[profiles.gw]\ndialect = "litellm"\nbase_url = "http://127.0.0.1:9/v1"\nkey_required = false\n')
    async with running_app() as (app, pilot):
        stream = app.query_one("#p-stream", Checkbox)
        assert stream.disabled and "three times, each billed" in str(stream.tooltip)
