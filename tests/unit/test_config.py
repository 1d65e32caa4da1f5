import os
import stat
import tomllib

import pytest

from imagegen_tui import paths
from imagegen_tui.config import Capabilities, ConfigError, describe, load_config, save_config
from conftest import write_config

KEY = "fake-proj-abcdefghijklmnopqrstuvwx"


def test_paths_follow_xdg(dirs):
    assert paths.config_file() == dirs.config_file
    assert paths.data_dir() == dirs.data / "imagegen-tui"
    assert paths.cache_dir() == dirs.cache / "imagegen-tui"
    assert paths.default_output_dir() == dirs.output


def test_defaults_without_a_file():
    config = load_config()
    assert config.error is None
    assert set(config.profiles) == {"model-go", "openai", "demo"}
    assert config.profiles["model-go"].base_url == "https://model-go.com/v1"
    assert config.profiles["model-go"].api_key_env == "MODEL_GO_API_KEY"


def test_demo_is_active_without_keys_and_model_go_with_one():
    config = load_config()
    assert config.active_profile({}).name == "demo"
    assert config.active_profile({"MODEL_GO_API_KEY": KEY}).name == "model-go"
    assert config.active_profile({"OPENAI_API_KEY": KEY}).name == "openai"
    assert config.active_profile({"IMAGEGEN_TUI_PROFILE": "openai"}).name == "openai"
    with pytest.raises(ConfigError, match="no profile named 'nope'"):
        config.active_profile({}, "nope")


def test_openai_base_url_env_is_honoured():
    config = load_config(environ={"OPENAI_BASE_URL": "https://proxy.example/v1"})
    assert config.profiles["openai"].base_url == "https://proxy.example/v1"


def test_round_trip_keeps_only_changes_and_mode_0600(dirs):
    write_config(dirs, f"""
profile = "gw"
[output]
folder = "{dirs.root / 'out'}"
template = "{{model}}/{{date}}-{{slug}}-{{index}}"
[profiles.model-go]
api_key = "{KEY}"
timeout = 600
[profiles.gw]
base_url = "https://gw.example/v1"
api_key_env = "GW_KEY"
model = "gpt-image-1"
models = ["gpt-image-1", "flux-dev"]
retry_server_errors = true
[profiles.gw.headers]
X-Title = "imagegen-tui"
[profiles.gw.capabilities]
transparent_background = true
sizes = ["1024x1024"]
[prices."gpt-image-2"]
output_image = 30.0
""")
    config = load_config()
    assert config.error is None
    gw = config.profiles["gw"]
    assert gw.capabilities == Capabilities(sizes=("1024x1024",), transparent_background=True)
    assert gw.headers == {"X-Title": "imagegen-tui"} and gw.retry_server_errors
    assert config.profiles["model-go"].timeout == 600.0
    assert config.active_profile({}).name == "gw"
    before = tomllib.loads(dirs.config_file.read_text())
    dirs.config_file.unlink()
    save_config(config)
    assert tomllib.loads(dirs.config_file.read_text()) == before
    assert stat.S_IMODE(dirs.config_file.stat().st_mode) == 0o600
    assert load_config().profiles == config.profiles


def test_save_writes_atomically_without_leftovers(dirs):
    config = load_config()
    save_config(config)
    save_config(config)
    assert sorted(p.name for p in dirs.config_file.parent.iterdir()) == ["config.toml"]


@pytest.mark.parametrize(
    "text, words",
    [
        ("profile = [", "not valid TOML"),
        ("[profiles.x]\nbase_url = 'ftp://x'", "profiles.x.base_url"),
        ("[profiles.model-go]\ntimout = 3", "unknown key 'timout'"),
        ("[profiles.model-go]\ntimeout = 'long'", "profiles.model-go.timeout"),
        ("[output]\ntemplate = '../{slug}'", "output.template"),
        ("[output]\ntemplate = '{prompt}'", "unknown field {prompt}"),
        ("profile = 'ghost'", "names no profile"),
        ("[profiles.gw]\nbase_url = 'https://x'\n[profiles.gw.capabilities]\ncustom_sizes = 'yes'", "custom_sizes"),
    ],
)
def test_damaged_file_gives_named_error_and_defaults(dirs, text, words):
    write_config(dirs, text)
    config = load_config()
    assert str(dirs.config_file) in str(config.error) and words in str(config.error)
    assert config.active_profile({}).name == "demo"  # still usable
    with pytest.raises(ConfigError, match="damaged"):
        save_config(config)
    assert dirs.config_file.read_text() == text  # the user's text is untouched


def test_not_utf8(dirs):
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_bytes(b"\xff\xfe profile")
    assert "UTF-8" in str(load_config().error)


def test_describe_masks_keys(dirs):
    write_config(dirs, f'[profiles.model-go]\napi_key = "{KEY}"\n')
    shown = str(describe(load_config(), {"OPENAI_API_KEY": "fake-other-secret-000000000"}))
    assert KEY not in shown and "fake-other-secret-000000000" not in shown
    assert "fak…uvwx" in shown and "$OPENAI_API_KEY" in shown


def test_profile_repr_hides_key(dirs):
    write_config(dirs, f'[profiles.model-go]\napi_key = "{KEY}"\n')
    config = load_config()
    assert KEY not in repr(config) and KEY not in repr(config.profiles["model-go"].endpoint({}))


def test_config_dir_created_private(dirs):
    save_config(load_config())
    assert stat.S_IMODE(os.stat(dirs.config_file.parent).st_mode) == 0o700


def test_profile_streaming_does_not_reach_models_that_cannot_stream():
    openai = load_config().profiles["openai"]
    assert openai.caps("gpt-image-1").streaming and openai.caps("gpt-image-2").streaming
    assert not openai.caps("dall-e-3").streaming and not openai.caps("dall-e-2").streaming
