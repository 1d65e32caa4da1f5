"""The sidebar's model field completes from the models the profile's server lists: asked over a
real socket after start-up, kept per profile in the cache folder, read from there at the next
start; a server without /models leaves the profile's own models."""

from __future__ import annotations

import time

from conftest import write_config
from imagegen_tui import model_list
from imagegen_tui.config import load_config
from imagegen_tui.demo.server import DemoServer
from imagegen_tui.ui.widgets.sidebar import ParamSidebar
from textual.widgets import Input
from test_tui import running_app, settle


def _profile(dirs, url: str) -> None:
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{url}"\nkey_required = false\nmodels = ["gpt-image-1"]\n')


async def _completion(pilot, typed: str) -> str:
    """What the model field offers after `typed` (the grey rest that Right accepts)."""
    field = pilot.app.query_one("#p-model", Input)
    field.focus()
    field.value = ""
    await pilot.press(*typed)
    await settle(pilot)
    return field._suggestion


async def test_the_model_field_offers_the_models_the_server_lists(dirs):
    with DemoServer() as server:
        _profile(dirs, server.base_url)
        async with running_app() as (app, pilot):
            assert isinstance(app.query_one("#sidebar"), ParamSidebar)
            assert await _completion(pilot, "gpt-image-1-m") == "gpt-image-1-mini"  # listed, not in the profile
            assert await _completion(pilot, "gpt-image-1") == "gpt-image-1"  # the profile's own first
            await pilot.press("right")
            assert app.query_one("#p-model", Input).value == "gpt-image-1"
    kept = model_list.cached(load_config().profiles["local"])
    assert kept is not None and "gpt-image-1-mini" in (kept.models or ())


async def test_a_fresh_kept_list_is_offered_and_the_server_not_asked(dirs):
    """The server lists other models than the kept list: only the kept ones are offered."""
    with DemoServer() as server:
        _profile(dirs, server.base_url)
        profile = load_config().profiles["local"]
        model_list.keep(profile, model_list.Listing(server.base_url, ("gpt-image-kept", "whisper-1"), time.time()))
        async with running_app() as (app, pilot):
            assert await _completion(pilot, "gpt-image-k") == "gpt-image-kept"
            assert await _completion(pilot, "whis") == "whisper-1"  # a gateway's other models too, after the image ones
            assert await _completion(pilot, "gpt-image-1-m") == ""


async def test_a_day_old_list_is_asked_again(dirs):
    with DemoServer() as server:
        _profile(dirs, server.base_url)
        profile = load_config().profiles["local"]
        model_list.keep(profile, model_list.Listing(server.base_url, ("gpt-image-gone",), time.time() - model_list.MAX_AGE - 1))
        async with running_app() as (app, pilot):
            assert await _completion(pilot, "gpt-image-1.") == "gpt-image-1.5"
            assert await _completion(pilot, "gpt-image-g") == ""  # the server's list replaced it
    kept = model_list.cached(profile)
    assert kept is not None and kept.fresh() and "gpt-image-gone" not in (kept.models or ())


async def test_a_list_kept_for_another_base_url_is_not_offered(dirs):
    """The profile's server is down (nothing replaces what is offered) and the kept list was
    made for the base URL the profile had before."""
    with DemoServer() as server:
        url = server.base_url
    _profile(dirs, url)
    profile = load_config().profiles["local"]
    model_list.keep(profile, model_list.Listing("http://127.0.0.1:9/v1", ("gpt-image-elsewhere",), time.time()))
    async with running_app() as (app, pilot):
        assert await _completion(pilot, "gpt-image-e") == ""
        assert await _completion(pilot, "gpt") == "gpt-image-1"


async def test_a_server_without_models_leaves_the_profiles_own(dirs):
    with DemoServer(models=False) as server:
        _profile(dirs, server.base_url)
        async with running_app() as (app, pilot):
            assert await _completion(pilot, "gpt-image-1-m") == ""
            assert await _completion(pilot, "gpt") == "gpt-image-1"
            assert not app._notifications  # nothing to tell: many servers list no models
    kept = model_list.cached(load_config().profiles["local"])
    assert kept is not None and kept.models is None


async def test_a_successful_settings_test_fills_the_list_the_model_field_completes_from(dirs):
    """No key at start, so nothing is asked then; the key typed into Settings and tested: the
    server's models are kept in the cache and the model field completes from them at once, with
    no second request."""
    with DemoServer(key="demo-secret-key-123456") as server:
        heard: list[str] = []
        server.httpd.log = heard.append
        listings = lambda: sum("/models" in line for line in heard)  # noqa: E731
        write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{server.base_url}"\napi_key_env = "LOCAL_KEY"\nmodels = ["gpt-image-1"]\n')
        profile = load_config().profiles["local"]
        async with running_app() as (app, pilot):
            assert await _completion(pilot, "gpt-image-1-m") == ""  # nothing asked without a key
            assert model_list.cached(profile) is None and listings() == 0
            await pilot.press("f2")
            await pilot.pause()
            screen = app.screen
            screen.query_one("#f-api_key", Input).value = "demo-secret-key-123456"
            screen.query_one("#test").press()
            await settle(pilot)
            assert str(screen.query_one("#test-result").render()).startswith("✓ connected")
            kept = model_list.cached(profile)
            assert kept is not None and kept.fresh() and "gpt-image-1-mini" in (kept.models or ())
            await pilot.press("escape")  # closed without saving: the key was only for the test
            await pilot.pause()
            assert await _completion(pilot, "gpt-image-1-m") == "gpt-image-1-mini"
            assert listings() == 1  # the test's: the field did not ask again


async def test_a_failed_settings_test_keeps_nothing(dirs):
    with DemoServer() as server:
        url = server.base_url
    _profile(dirs, url)  # nothing listens there any more
    async with running_app() as (app, pilot):
        await pilot.press("f2")
        await pilot.pause()
        app.screen.query_one("#test").press()
        await settle(pilot)
        assert str(app.screen.query_one("#test-result").render()).startswith("✗")
    assert model_list.cached(load_config().profiles["local"]) is None


async def test_a_settings_test_of_a_server_without_models_says_so_and_passes(dirs):
    with DemoServer(models=False) as server:
        _profile(dirs, server.base_url)
        async with running_app() as (app, pilot):
            await pilot.press("f2")
            await pilot.pause()
            app.screen.query_one("#test").press()
            await settle(pilot)
            assert str(app.screen.query_one("#test-result").render()).startswith("✓ connected; it lists no models")
