"""The state file (what the app remembers by itself) and the Studio's use of it: never config.toml."""

import json
import os
import stat

import pytest

from imagegen_tui import paths
from imagegen_tui.config import load_config
from imagegen_tui.errors import InvalidRequest, ProfileUnusable
from imagegen_tui.state import RECALL_MAX, KeySpend, State, StateFile, read_state
from imagegen_tui.store import HistoryStore
from imagegen_tui.studio import PARAM_KEYS, Studio
from conftest import write_config


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


def test_a_damaged_key_spend_is_forgotten(dirs):
    paths.state_file().parent.mkdir(parents=True)
    paths.state_file().write_text(json.dumps({"theme": "nord", "key_spend": {"gw": {"usd": "12.5", "seen": 1.0}}}))
    state = StateFile()
    assert state.state == State(theme="nord") and state.problem.endswith("key_spend could not be used and was forgotten")


def test_a_state_folder_that_cannot_be_written_keeps_the_change_for_the_session(dirs):
    paths.state_dir().parent.mkdir(parents=True)
    paths.state_dir().write_text("a file where the folder should be")
    state = StateFile()
    assert not state.change(lambda s: setattr(s, "theme", "nord"))
    assert state.state.theme == "nord" and "remembered for this session only" in state.problem


# --- the Studio ---------------------------------------------------------------------------------


def studio(environ=None) -> Studio:
    return Studio(load_config(), None, {} if environ is None else environ)


def test_remembered_values_and_pick_go_to_the_state_file_not_the_config(dirs):
    write_config(dirs, '# mine\nprofile = "demo"\n')
    s = studio()
    demo = s.config.profiles["demo"]
    s.remember(demo, {"size": "1536x1024", "n": 1, "model": "gpt-image-2"})
    s.remember(s.config.profiles["openai"], {"quality": "high"}, active=True)
    assert dirs.config_file.read_text() == '# mine\nprofile = "demo"\n'
    again = studio()
    assert again.last_params(demo)["size"] == "1536x1024"
    assert again.state.last == {"demo": {"size": "1536x1024"}, "openai": {"quality": "high"}}  # defaults not stored
    assert again.active_profile().name == "openai"
    assert studio({"IMAGEGEN_TUI_PROFILE": "demo"}).active_profile().name == "demo"


def test_theme_sidebar_draft_and_recall(dirs):
    s = studio()
    s.remember_theme("nord")
    s.remember_sidebar(False)
    s.remember_draft("half a tho")
    for prompt in ("a fox", "a cat", "a fox"):
        s.remember_prompt(prompt)
    again = studio()
    assert (again.state.theme, again.state.sidebar, again.state.draft) == ("nord", False, "half a tho")
    assert again.recall() == ["a fox", "a cat"]
    for i in range(RECALL_MAX + 5):
        again.remember_prompt(f"prompt {i}")
    assert len(studio().state.recall) == RECALL_MAX and studio().state.recall[0] == f"prompt {RECALL_MAX + 4}"


def test_the_gateways_key_spend_is_kept_per_profile_with_when_it_was_seen(dirs):
    write_config(dirs, '# mine\n[profiles.gw]\nbase_url = "http://127.0.0.1:9/v1"\nkey_required = false\n')
    s = studio()
    gw, demo = s.config.profiles["gw"], s.config.profiles["demo"]
    assert s.key_spend(gw) is None
    s.remember_key_spend(gw, KeySpend(12.5, 1_700_000_000.0))
    assert studio().key_spend(gw) == KeySpend(12.5, 1_700_000_000.0) and studio().key_spend(demo) is None
    assert dirs.config_file.read_text().startswith("# mine\n") and "12.5" not in dirs.config_file.read_text()


def test_recall_adds_the_historys_prompts_after_the_remembered_ones(dirs):
    from imagegen_tui.request import ImageRequest

    with HistoryStore.open_default() as store:
        for prompt in ("from the cli", "a fox"):
            store.begin(prompt[:6], ImageRequest(prompt=prompt, model="gpt-image-2"), "demo", "demo")
        s = Studio(load_config(), store, {})
        s.remember_prompt("a fox")
        s.remember_prompt("typed here")
        assert s.recall() == ["typed here", "a fox", "from the cli"]


def test_old_config_values_are_read_once_into_the_state_and_the_config_is_left_alone(dirs):
    text = '[ui]\ntheme = "nord"  # by the old app\n\n[ui.last.demo]\nsize = "1536x1024"\nquality = "high"\n'
    write_config(dirs, text)
    s = studio()
    assert s.state.theme == "nord" and s.state.last == {"demo": {"size": "1536x1024", "quality": "high"}} and s.state.migrated
    assert dirs.config_file.read_text() == text
    s.remember_theme("dracula")
    s.remember(s.config.profiles["demo"], {"size": "1024x1024"})
    again = studio()  # the old values are not read again over newer ones
    assert again.state.theme == "dracula" and again.state.last["demo"] == {"size": "1024x1024"}


def test_a_damaged_config_is_not_migrated_until_it_is_fixed(dirs):
    write_config(dirs, '[ui]\ntheme = "nord"\nbad = 1\n')
    s = studio()
    assert s.config.error is not None and s.state.theme is None and not paths.state_file().exists()
    write_config(dirs, '[ui]\ntheme = "nord"\n')
    assert s.reload_config() is None
    assert s.state.theme == "nord"


def test_no_request_is_built_on_a_config_that_could_not_be_read_until_it_is_reloaded(dirs):
    write_config(dirs, 'profile = "demo"\n[profiles.openai]\ntimout = 30\n')
    s = studio()
    demo = s.active_profile()
    with pytest.raises(ProfileUnusable) as caught:
        s.request("a fox", demo, {})
    assert isinstance(caught.value, InvalidRequest) and caught.value.problem is s.config.error
    assert caught.value.problems == [("profile", str(s.config.error))]
    assert "did you mean 'timeout'" in str(s.problem(demo))
    write_config(dirs, 'profile = "demo"\n[profiles.openai]\ntimeout = 30\n')
    assert s.reload_config() is None
    assert s.request("a fox", s.active_profile(), {}).prompt == "a fox"
    assert s.config.profiles["openai"].timeout == 30.0


def test_a_profile_without_a_key_is_refused_with_what_to_set(dirs):
    write_config(dirs, "[ui]\nconcurrency = 2\n")
    s = studio()
    with pytest.raises(ProfileUnusable, match="the profile 'model-go' has no key: set MODEL_GO_API_KEY or add one in Settings"):
        s.request("a fox", s.active_profile(), {})
    assert studio({"MODEL_GO_API_KEY": "fake-key-000000000000"}).request("a fox", s.active_profile(), {}).model == "gpt-image-2"


def test_the_studios_save_never_writes_a_file_that_had_a_problem(dirs):
    write_config(dirs, "profile = [")
    s = studio()
    s.config.ui.concurrency = 5
    assert s.save_config() is None
    assert dirs.config_file.read_text() == "profile = ["


def test_presets_and_styles_are_kept_in_the_state_file_and_a_damaged_preset_is_forgotten(dirs):
    write_config(dirs, '[styles.watercolor]\nprompt = "{prompt}, watercolor"\n')
    before = dirs.config_file.read_bytes()
    studio = Studio(load_config(), None)
    demo = studio.config.profiles["demo"]
    assert studio.save_preset("wide", demo, {"size": "1536x1024", "n": 2, "not a parameter": 1}, ["watercolor"])
    studio.remember_styles(["watercolor"])
    again = Studio(load_config(), None)
    assert again.presets() == {"wide": {"profile": "demo", "params": {**dict.fromkeys(PARAM_KEYS), "size": "1536x1024", "n": 2}, "styles": ["watercolor"]}}
    assert again.state.styles == ["watercolor"]
    again.delete_preset("wide")
    assert Studio(load_config(), None).presets() == {}
    assert dirs.config_file.read_bytes() == before

    paths.state_file().write_text(json.dumps({"presets": {"ok": {"profile": "demo", "params": {}}, "bad": {"params": {}}}, "styles": "watercolor"}))
    state = StateFile()
    assert state.state.presets == {"ok": {"profile": "demo", "params": {}}} and state.state.styles == []
    assert state.problem.endswith("styles, the preset 'bad' could not be used and were forgotten")
