"""Saving keeps the user's file as written: only the keys that changed, byte for byte elsewhere."""

import difflib
import os
import stat
from dataclasses import replace

import pytest

from imagegen_tui.config import Capabilities, ConfigError, Profile, load_config
from imagegen_tui.config_save import save_config
from conftest import write_config

HAND_WRITTEN = """\
# My imagegen-tui setup: written by hand, keep my notes.
profile   =   "gw"        # the gateway at work

[ui]
concurrency = 3    # the default, said explicitly
graphics="auto"
theme = "nord"     # written by an older version

# ---- providers ----

[profiles."model-go"]
timeout=600

[profiles.gw]
model = "gpt-image-1"          # cheaper
base_url = "https://gw.example/v1"
api_key_env = "GW_KEY"
timeout = 360                  # the default, on purpose
models = [
    "gpt-image-1",   # first
    "gpt-image-2",
]
    [profiles.gw.capabilities]
    streaming = true

[output]
template = "{date}/{time}-{slug}-{index}"   # the default too

[prices."gpt-image-2"]
output_image = 30.0

[keys]
"history.rerun" = "R"   # shift+r: r is too close to t
"""


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new), "lines were added or removed"
    return [(a, b) for a, b in zip(old, new) if a != b]


def test_changing_one_profile_field_changes_only_its_line(dirs):
    write_config(dirs, HAND_WRITTEN)
    config = load_config()
    config.profiles["gw"] = replace(config.profiles["gw"], timeout=900.0)
    save_config(config)
    after = dirs.config_file.read_text()
    assert changed_lines(HAND_WRITTEN, after) == [
        ("timeout = 360                  # the default, on purpose\n", "timeout = 900                  # the default, on purpose\n"),
    ]
    assert dirs.config_file.read_bytes() == HAND_WRITTEN.replace("timeout = 360 ", "timeout = 900 ").encode()
    assert load_config().profiles["gw"].timeout == 900.0


def test_saving_with_nothing_changed_does_not_touch_the_file(dirs):
    write_config(dirs, HAND_WRITTEN)
    before = os.stat(dirs.config_file)
    config = load_config()
    config.ui.theme = "dracula"  # the theme is the state file's now: never written here
    config.ui.last["gw"] = {"size": "1024x1024"}
    save_config(config)
    after = os.stat(dirs.config_file)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert dirs.config_file.read_text() == HAND_WRITTEN


def test_new_values_go_into_their_tables_and_new_profiles_get_only_what_differs(dirs):
    write_config(dirs, HAND_WRITTEN)
    config = load_config()
    config.profiles["model-go"] = replace(config.profiles["model-go"], api_key="fake-key-000000000000")
    config.profiles["openai"] = replace(config.profiles["openai"], capabilities=Capabilities(streaming=False))
    config.profiles["local"] = Profile(name="local", base_url="http://127.0.0.1:8080/v1", key_required=False)
    config.ui.graphics = "sixel"
    save_config(config)
    text = dirs.config_file.read_text()
    assert 'timeout=600\napi_key = "fake-key-000000000000"\n' in text
    assert 'graphics="sixel"\ntheme = "nord"' in text
    assert '[profiles.openai.capabilities]\nstreaming = false\n' in text and "[profiles.openai]\n" not in text
    assert '[profiles.local]\nbase_url = "http://127.0.0.1:8080/v1"\nkey_required = false\n\n' in text
    removed = [line for line in difflib.ndiff(HAND_WRITTEN.splitlines(), text.splitlines()) if line.startswith("- ")]
    assert removed == ['- graphics="auto"']  # every other line kept, in its place
    reread = load_config()
    assert reread.error is None
    assert reread.profiles["local"] == config.profiles["local"] and reread.profiles["openai"] == config.profiles["openai"]
    assert reread.profiles["model-go"].api_key == "fake-key-000000000000"


def test_deleting_the_active_profile_removes_its_table_and_the_choice(dirs):
    write_config(dirs, HAND_WRITTEN)
    config = load_config()
    del config.profiles["gw"]
    config.active = None
    save_config(config)
    text = dirs.config_file.read_text()
    assert "gw" not in text and "profile   =" not in text
    assert "# My imagegen-tui setup" in text and "timeout=600" in text and 'template = "{date}' in text
    assert load_config().error is None


def test_an_edit_made_meanwhile_in_an_editor_is_kept(dirs):
    write_config(dirs, HAND_WRITTEN)
    config = load_config()
    edited = HAND_WRITTEN.replace("timeout=600", "timeout=700  # changed in vim")
    dirs.config_file.write_text(edited)
    config.output = replace(config.output, template="{model}/{slug}")
    save_config(config)
    assert dirs.config_file.read_text() == edited.replace('"{date}/{time}-{slug}-{index}"', '"{model}/{slug}"')


def test_a_file_that_no_longer_parses_is_not_saved_over(dirs):
    write_config(dirs, HAND_WRITTEN)
    config = load_config()
    dirs.config_file.write_text(HAND_WRITTEN + "broken = = 1\n")
    config.ui.concurrency = 5
    with pytest.raises(ConfigError, match="no longer valid TOML") as caught:
        save_config(config)
    assert caught.value.line == HAND_WRITTEN.count("\n") + 1
    assert dirs.config_file.read_text() == HAND_WRITTEN + "broken = = 1\n"


def test_a_file_that_had_a_problem_is_never_saved(dirs):
    write_config(dirs, "[profiles.model-go]\ntimout = 3\n")
    config = load_config()
    config.ui.concurrency = 5
    with pytest.raises(ConfigError, match="fix it first"):
        save_config(config)
    assert dirs.config_file.read_text() == "[profiles.model-go]\ntimout = 3\n"


def test_a_first_save_creates_a_private_file_with_only_the_change(dirs):
    config = load_config()
    config.profiles["demo"] = replace(config.profiles["demo"], api_key="fake-key-for-the-demo-0000")
    save_config(config)
    assert dirs.config_file.read_text() == '[profiles.demo]\napi_key = "fake-key-for-the-demo-0000"\n'
    assert stat.S_IMODE(dirs.config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(dirs.config_file.parent.stat().st_mode) == 0o700
    config.ui.concurrency = 4
    save_config(config)  # the second save diffs against the first, not the original defaults
    assert dirs.config_file.read_text() == '[profiles.demo]\napi_key = "fake-key-for-the-demo-0000"\n\n[ui]\nconcurrency = 4\n'
    assert sorted(p.name for p in dirs.config_file.parent.iterdir()) == ["config.toml"]  # no temporary files left
