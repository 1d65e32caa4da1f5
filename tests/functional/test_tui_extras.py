"""The sidebar's extras (seed, steps, guidance, negative): fields for what the profile's dialect
offers, sent under the server's own names over a real socket to the demo server, recorded in the
history and the PNG, filled back by reuse; a bad value is refused at its field with nothing sent,
and an extra without a field is kept, shown and can be dropped."""

from __future__ import annotations

from typing import Any

from PIL import Image

from conftest import run_cli, write_config
from imagegen_tui.demo.server import DemoServer
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.prompt import PromptArea
from imagegen_tui.ui.widgets.sidebar import ParamSidebar
from test_tui import history_rows, notices, running_app, settle, submit
from textual.widgets import Input, Static

FIELDS = ("seed", "steps", "guidance", "negative")


def bodies(server: DemoServer) -> list[dict[str, Any]]:
    """The JSON body of each generation the server was sent, in order."""
    return [sent.fields for sent in server.received if sent.route == "/images/generations"]


def _config(dirs, url: str, active: str = "omni") -> None:
    write_config(dirs, f"""profile = "{active}"
[profiles.omni]
dialect = "vllm-omni"
base_url = "{url}"
key_required = false
model = "gpt-image-1"

[profiles.ollama]
dialect = "ollama"
base_url = "{url}"
key_required = false
model = "gpt-image-1"

[profiles.localai]
dialect = "localai"
base_url = "{url}"
key_required = false
model = "gpt-image-1"

[profiles.plain]
base_url = "{url}"
key_required = false
model = "gpt-image-1"
""")


def shown_fields(app) -> list[str]:
    return [name for name in FIELDS if app.query_one("#extras").display and app.query_one(f"#p-{name}").display]


def error_at(app, name: str) -> str:
    error = app.query_one(f"#e-{name}", Static)
    return str(error.render()) if error.display else ""


async def reuse_selected(pilot) -> None:
    """u in the history: the selected generation's prompt and parameters into the form."""
    pilot.app.query_one(HistoryList).focus()
    await pilot.press("u")
    await pilot.pause()


async def type_into(pilot, name: str, text: str) -> None:
    field = pilot.app.query_one(f"#p-{name}", Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)
    await pilot.pause()


async def test_the_fields_send_record_and_come_back_with_reuse(dirs):
    with DemoServer() as server:
        _config(dirs, server.base_url)
        async with running_app() as (app, pilot):
            assert shown_fields(app) == list(FIELDS)  # vLLM-Omni reads all four
            await type_into(pilot, "seed", "42")
            await type_into(pilot, "negative", "blurry")
            await submit(pilot, "a lighthouse at dusk")
            await settle(pilot)
            [body] = bodies(server)
            assert body["seed"] == 42 and body["negative_prompt"] == "blurry"  # vLLM-Omni's names, typed
            assert "num_inference_steps" not in body and "guidance_scale" not in body  # empty fields: not sent
            [row] = history_rows()
            assert row.status == "done" and row.params["extra"] == {"seed": 42, "negative": "blurry"}
            parameters = Image.open(row.images[0].path).text["parameters"]
            assert "Seed: 42" in parameters and "Negative prompt: blurry" in parameters

            for name in ("seed", "negative"):
                app.query_one(f"#p-{name}", Input).value = ""
            app.query_one(PromptArea).load_text("")
            await reuse_selected(pilot)
            sidebar = app.query_one(ParamSidebar)
            assert app.query_one("#p-seed", Input).value == "42" and app.query_one("#p-negative", Input).value == "blurry"
            assert sidebar.values()["extra"] == {"seed": 42, "negative": "blurry"}

            app.query_one(HistoryList).focus()
            await pilot.press("r")  # the re-run repeats them, from the history
            await settle(pilot)
            first, again = bodies(server)
            assert again["seed"] == 42 and again["negative_prompt"] == "blurry"


async def test_reuse_of_a_generation_without_extras_leaves_none_from_before(dirs):
    with DemoServer() as server:
        _config(dirs, server.base_url)
        async with running_app() as (app, pilot):
            await submit(pilot, "no extras")
            await settle(pilot)
            await type_into(pilot, "seed", "9")
            await reuse_selected(pilot)
            assert app.query_one("#p-seed", Input).value == "" and app.query_one(ParamSidebar).values()["extra"] is None


async def test_the_fields_follow_the_profiles_dialect_and_the_edit_mode(dirs):
    with DemoServer() as server:
        _config(dirs, server.base_url, active="plain")
        async with running_app() as (app, pilot):
            sidebar = app.query_one(ParamSidebar)
            assert shown_fields(app) == [] and sidebar.values()["extra"] is None  # the openai dialect takes none
            for profile, fields in (("ollama", ["seed"]), ("localai", ["seed", "steps", "negative"]), ("omni", list(FIELDS)), ("plain", [])):
                app.query_one("#p-profile").value = profile
                await settle(pilot)
                assert shown_fields(app) == fields, profile
            app.query_one("#p-profile").value = "localai"
            await settle(pilot)
            await type_into(pilot, "seed", "5")
            sidebar.set_editing(True)  # LocalAI's inpainting reads steps only: the others are not sent
            assert shown_fields(app) == ["steps"] and sidebar.values()["extra"] is None
            sidebar.set_editing(False)
            assert sidebar.values()["extra"] == {"seed": 5}


async def test_gpts_own_options_are_not_offered_for_a_server_without_them(dirs):
    gpt_only = ["background", "output_format", "output_compression", "moderation"]
    with DemoServer() as server:
        _config(dirs, server.base_url, active="plain")
        async with running_app() as (app, pilot):
            sidebar = app.query_one(ParamSidebar)
            app.query_one("#p-background").value = "opaque"
            await settle(pilot)
            assert all(app.query_one(f"#p-{name}").display for name in gpt_only) and sidebar.values()["background"] == "opaque"
            app.query_one("#p-profile").value = "omni"
            await settle(pilot)
            assert not any(app.query_one(f"#p-{name}").display for name in gpt_only)
            assert not set(gpt_only) & set(sidebar.values())  # nor sent, so nothing is refused for them


async def test_a_profile_default_shows_as_the_placeholder_and_is_sent(dirs):
    with DemoServer() as server:
        _config(dirs, server.base_url)
        with dirs.config_file.open("a") as file:
            file.write("\n[profiles.omni.extra]\nsteps = 8\n")
        async with running_app() as (app, pilot):
            steps = app.query_one("#p-steps", Input)
            assert steps.value == "" and steps.placeholder == "profile: 8"
            await submit(pilot, "defaults")
            await settle(pilot)
            assert bodies(server)[0]["num_inference_steps"] == 8


async def test_a_bad_value_is_refused_at_its_field_and_nothing_is_sent(dirs):
    with DemoServer() as server:
        _config(dirs, server.base_url)
        async with running_app() as (app, pilot):
            await type_into(pilot, "seed", "abc")
            await type_into(pilot, "steps", "0")
            assert error_at(app, "seed") == "seed must be a whole number (got 'abc')"
            assert error_at(app, "steps") == "steps must be between 1 and 1000 (got 0)"
            assert app.query_one("#p-seed").has_class("invalid")
            await submit(pilot, "a fox")
            await settle(pilot)
            assert server.httpd.generation_requests == 0 and bodies(server) == [] and history_rows() == []
            assert "Not sent" in notices(app) and app.query_one(PromptArea).text == "a fox"
            await type_into(pilot, "seed", "-1")  # random, as the vocabulary allows
            await type_into(pilot, "steps", "12")
            assert error_at(app, "seed") == "" and error_at(app, "steps") == ""


async def test_an_extra_without_a_field_is_kept_shown_sent_and_can_be_dropped(dirs):
    with DemoServer() as server:
        _config(dirs, server.base_url)
        made = run_cli("generate", "a harbour", "--seed", "7", "--set", "true_cfg_scale=4.0")
        assert made.returncode == 0, made.stderr
        async with running_app() as (app, pilot):
            await reuse_selected(pilot)
            sidebar = app.query_one(ParamSidebar)
            assert app.query_one("#p-seed", Input).value == "7"
            assert app.query_one("#also-row").display and str(app.query_one("#also", Static).render()) == "true_cfg_scale=4.0"
            assert sidebar.values()["extra"] == {"seed": 7, "true_cfg_scale": 4.0}
            await submit(pilot, "a harbour again")
            await settle(pilot)
            last = bodies(server)[-1]
            assert last["true_cfg_scale"] == 4.0 and last["seed"] == 7
            await pilot.click("#also-drop")
            await pilot.pause()
            assert not app.query_one("#also-row").display and sidebar.values()["extra"] == {"seed": 7}


async def test_extras_on_a_profile_that_takes_none_are_shown_with_the_refusal(dirs):
    """A generation made through vLLM-Omni, reused where its profile is gone: the openai
    dialect's profile cannot send them, and says so where they are shown."""
    with DemoServer() as server:
        _config(dirs, server.base_url)
        assert run_cli("generate", "a harbour", "--seed", "7").returncode == 0
        _config(dirs, server.base_url, active="plain")
        text = dirs.config_file.read_text().replace("[profiles.omni]", "[profiles.gone]")
        dirs.config_file.write_text(text)
        async with running_app() as (app, pilot):
            await reuse_selected(pilot)
            assert app.query_one("#extras").display and str(app.query_one("#also", Static).render()) == "seed=7"
            assert "take no extra parameters (seed)" in error_at(app, "also")
            requests = server.httpd.generation_requests
            await submit(pilot, "a harbour")
            await settle(pilot)
            assert server.httpd.generation_requests == requests


async def test_extras_from_the_history_are_shown_as_text(dirs):
    """A negative prompt and another extra with markup and control characters in them, reused:
    escapes in the field and on the line, brackets as brackets, nothing raw reaches the terminal."""
    with DemoServer() as server:
        _config(dirs, server.base_url)
        made = run_cli("generate", "a harbour", "--negative", "[bold]x\x1b]52;c;aGk=\x07", "--set", 'note="[red]y\u009b2J"')
        assert made.returncode == 0, made.stderr
        async with running_app() as (app, pilot):
            await reuse_selected(pilot)
            assert app.query_one("#p-negative", Input).value == "[bold]x\\x1b]52;c;aGk=\\x07"
            assert str(app.query_one("#also", Static).render()) == 'note="[red]y\\x9b2J"'
