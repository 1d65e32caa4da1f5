import pytest

from imagegen_tui import paths
from imagegen_tui.config import Capabilities, ConfigError, describe, load_config
from conftest import write_config

KEY = "fake-proj-abcdefghijklmnopqrstuvwx"


def test_paths_follow_xdg(dirs):
    assert paths.config_file() == dirs.config_file
    assert paths.data_dir() == dirs.data / "imagegen-tui"
    assert paths.cache_dir() == dirs.cache / "imagegen-tui"
    assert paths.state_file() == dirs.root / "state" / "imagegen-tui" / "state.json"
    assert paths.default_output_dir() == dirs.output


def test_defaults_without_a_file():
    config = load_config()
    assert config.error is None and not config.configured
    assert set(config.profiles) == {"model-go", "openai", "demo"}
    assert config.profiles["model-go"].base_url == "https://model-go.com/v1"
    assert config.profiles["model-go"].api_key_env == "MODEL_GO_API_KEY"


def test_demo_is_active_without_keys_and_model_go_with_one():
    config = load_config()
    assert config.active_profile({}).name == "demo"
    assert config.active_profile({"MODEL_GO_API_KEY": KEY}).name == "model-go"
    assert config.active_profile({"OPENAI_API_KEY": KEY}).name == "openai"
    assert config.active_profile({"IMAGEGEN_TUI_PROFILE": "openai"}).name == "openai"
    with pytest.raises(ConfigError, match="no profile named 'nope'; known: model-go, openai, demo"):
        config.active_profile({}, "nope")
    with pytest.raises(ConfigError, match="did you mean 'openai'") as caught:
        config.active_profile({"IMAGEGEN_TUI_PROFILE": "opnai"})
    assert caught.value.key == "IMAGEGEN_TUI_PROFILE"


def test_the_tuis_remembered_pick_comes_after_the_environment_and_before_the_file(dirs):
    write_config(dirs, 'profile = "model-go"\n')
    config = load_config()
    assert config.active_profile({}, remembered="openai").name == "openai"
    assert config.active_profile({"IMAGEGEN_TUI_PROFILE": "demo"}, remembered="openai").name == "demo"
    assert config.active_profile({}, remembered="deleted-since").name == "model-go"


def test_a_config_file_means_the_demo_is_never_chosen_by_itself(dirs):
    write_config(dirs, "[ui]\nconcurrency = 2\n")
    config = load_config()
    assert config.configured
    profile = config.active_profile({})
    assert profile.name == "model-go"
    assert str(config.problem(profile, {})) == "the profile 'model-go' has no key: set MODEL_GO_API_KEY or add one in Settings (F2)"
    with pytest.raises(ConfigError, match="has no key"):
        config.usable_profile({})
    assert config.usable_profile({"MODEL_GO_API_KEY": KEY}).name == "model-go"
    assert config.usable_profile({}, "demo").name == "demo"  # chosen, not fallen back to


def test_with_nothing_ready_the_files_own_profile_is_the_one_refused(dirs):
    write_config(dirs, '[profiles.gw]\nbase_url = "https://gw.example/v1"\napi_key_env = "GW_KEY"\n')
    config = load_config()
    assert config.active_profile({}).name == "gw"
    assert "set GW_KEY" in str(config.problem(config.profiles["gw"], {}))


def test_a_file_holding_only_what_old_versions_remembered_is_no_configuration(dirs):
    write_config(dirs, '[ui]\ntheme = "nord"\n\n[ui.last.demo]\nsize = "1536x1024"\n')
    config = load_config()
    assert config.error is None and not config.configured
    assert config.active_profile({}).name == "demo"
    assert config.ui.theme == "nord" and config.ui.last == {"demo": {"size": "1536x1024"}}


def test_key_required_false_for_a_gateway_that_takes_none(dirs):
    write_config(dirs, '[profiles.local]\nbase_url = "http://127.0.0.1:8080/v1"\nkey_required = false\n'
                       '[profiles.other]\nbase_url = "http://127.0.0.1:8081/v1"\n')
    config = load_config()
    assert config.problem(config.profiles["local"], {}) is None
    assert config.active_profile({}).name == "local"  # ready to send: picked before one that is not
    refused = str(config.problem(config.profiles["other"], {}))
    assert "no key" in refused and "api_key_env" in refused and "key_required = false" in refused


@pytest.mark.parametrize("url", ["http://", "ftp://gw.example", "gw.example/v1", "https://gw example/v1", "http://gw.example:port/v1", "http://[::1/v1"])
def test_a_base_url_that_cannot_be_a_providers_is_a_config_error(dirs, url):
    write_config(dirs, f'[profiles.gw]\nbase_url = "{url}"\nkey_required = false\n')
    error = load_config().error
    assert error.key == "profiles.gw.base_url" and error.file == dirs.config_file


def test_a_bad_openai_base_url_from_the_environment_is_refused_before_sending():
    config = load_config(environ={"OPENAI_BASE_URL": "localhost:8080"})
    problem = config.problem(config.profiles["openai"], {"OPENAI_API_KEY": KEY})
    assert "base_url 'localhost:8080'" in str(problem) and "http:// or https://" in str(problem)


def test_openai_base_url_env_is_honoured():
    config = load_config(environ={"OPENAI_BASE_URL": "https://proxy.example/v1"})
    assert config.profiles["openai"].base_url == "https://proxy.example/v1"


def test_a_full_file_is_read(dirs):
    write_config(dirs, f"""
profile = "gw"
[output]
folder = "{dirs.root / 'out'}"
template = "{{model}}/{{date}}-{{slug}}-{{index}}"
slug = "ascii"
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
[ui]
graphics = "sixel"
concurrency = 5
history_rows = "two"
""")
    config = load_config()
    assert config.error is None and config.configured
    gw = config.profiles["gw"]
    assert gw.capabilities == Capabilities(sizes=("1024x1024",), transparent_background=True)
    assert gw.headers == {"X-Title": "imagegen-tui"} and gw.retry_server_errors and gw.key_required
    assert config.profiles["model-go"].timeout == 600.0
    assert config.output.folder == dirs.root / "out" and config.output.template.startswith("{model}/")
    assert config.output.slug == "ascii" and load_config(dirs.root / "absent.toml").output.slug == "unicode"
    assert config.prices["gpt-image-2"].output_image == 30.0
    assert (config.ui.graphics, config.ui.concurrency, config.ui.history_rows) == ("sixel", 5, "two")
    assert load_config(dirs.root / "absent.toml").ui.history_rows == "auto"
    assert config.active_profile({}).name == "gw"


@pytest.mark.parametrize(
    "text, key, message",
    [
        ("proflie = 'demo'", None, "unknown key 'proflie'; did you mean 'profile'?"),
        ("[style]\nx = 1", None, "unknown key 'style'; did you mean 'styles'?"),
        ("[themes]\nx = 1", None, "unknown key 'themes'; known: budget, keys, output, prices, profile, profiles, styles, ui"),
        ("[output]\nfodler = 'x'", "output", "unknown key 'fodler'; did you mean 'folder'?"),
        ("[ui]\nconcurency = 2", "ui", "unknown key 'concurency'; did you mean 'concurrency'?"),
        ("[profiles.model-go]\ntimout = 3", "profiles.model-go", "unknown key 'timout'; did you mean 'timeout'?"),
        ("[profiles.openai.capabilities]\nstreeming = true", "profiles.openai.capabilities", "unknown key 'streeming'; did you mean 'streaming'?"),
        ("[prices.gpt-image-2]\noutput_imgae = 1", "prices.gpt-image-2", "unknown key 'output_imgae'; did you mean 'output_image'?"),
        ("[profiles.openia]\nmodel = 'x'", "profiles.openia", "a new profile needs a base_url; did you mean [profiles.openai]?"),
        ("profile = 'opnai'", "profile", "no profile named 'opnai'; did you mean 'openai'?"),
        ("profile = 'nosuch'", "profile", "no profile named 'nosuch'; known: model-go, openai, demo"),
        ("[profiles.model-go]\ntimeout = 'abc'", "profiles.model-go.timeout", "must be a number from 1 to 3600"),
        ("[output]\ntemplate = '../{slug}'", "output.template", "'..'"),
        ("[output]\ntemplate = '{prompt}'", "output.template", "unknown field {prompt}"),
        ("[output]\nslug = 'asci'", "output.slug", "'asci' is not a slug mode: choose 'unicode' or 'ascii'; did you mean 'ascii'?"),
        ("[output]\nslug = 'pinyin'", "output.slug", "'pinyin' is not a slug mode: choose 'unicode' or 'ascii'"),
        ("[output]\nslug = true", "output.slug", "expected a string, got true or false"),
        ("[output]\nslgu = 'ascii'", "output", "unknown key 'slgu'; did you mean 'slug'?"),
        ("[ui]\nconcurrency = '3'", "ui.concurrency", "expected a whole number, got a string"),
        ("[ui]\nhistory_rows = 'twoo'", "ui.history_rows", "'twoo' is not a row layout: choose 'auto', 'one', 'two'; did you mean 'two'?"),
        ("[ui]\nhistory_rows = 2", "ui.history_rows", "expected a string, got a whole number"),
        ("[profiles.gw]\nbase_url = 'https://x'\n[profiles.gw.capabilities]\ncustom_sizes = 'yes'", "profiles.gw.capabilities.custom_sizes", "expected true or false"),
    ],
)
def test_a_problem_names_the_file_the_key_and_what_is_wrong(dirs, text, key, message):
    write_config(dirs, text)
    config = load_config()
    error = config.error
    assert (error.file, error.key, error.line) == (dirs.config_file, key, None)
    assert message in error.message
    assert str(error) == ": ".join(part for part in (str(dirs.config_file), key, error.message) if part)
    for profile in config.profiles.values():  # nothing at all may be sent, the demo included
        assert config.problem(profile, {"MODEL_GO_API_KEY": KEY}) is error
    assert dirs.config_file.read_text() == text


def test_a_syntax_error_gives_its_line(dirs):
    write_config(dirs, '# fine\nprofile = "demo"\n\n[output]\ntemplate = = "x"\n')
    error = load_config().error
    assert (error.file, error.line, error.key) == (dirs.config_file, 5, None)
    assert error.message.startswith("is not valid TOML: Invalid value")
    assert str(error).startswith(f"{dirs.config_file}, line 5: is not valid TOML")


def test_not_utf8_gives_the_line(dirs):
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_bytes(b'profile = "demo"\n# caf\xe9\n')
    error = load_config().error
    assert error.line == 2 and error.message == "is not UTF-8 text (byte 0xe9)"


def test_a_named_file_must_exist(dirs):
    missing = dirs.root / "typo.toml"
    error = load_config(missing, must_exist=True).error
    assert str(error) == f"{missing}: no such file"
    assert load_config(missing).error is None  # the default path may be absent: a fresh start


def test_describe_masks_keys(dirs):
    write_config(dirs, f'[profiles.model-go]\napi_key = "{KEY}"\n')
    shown = str(describe(load_config(), {"OPENAI_API_KEY": "fake-other-secret-000000000"}))
    assert KEY not in shown and "fake-other-secret-000000000" not in shown
    assert "fak…uvwx" in shown and "$OPENAI_API_KEY" in shown


def test_profile_repr_hides_key(dirs):
    write_config(dirs, f'[profiles.model-go]\napi_key = "{KEY}"\n')
    config = load_config()
    assert KEY not in repr(config) and KEY not in repr(config.profiles["model-go"].endpoint({}))


def test_profile_streaming_does_not_reach_models_that_cannot_stream():
    openai = load_config().profiles["openai"]
    assert openai.caps("gpt-image-1").streaming and openai.caps("gpt-image-2").streaming
    assert not openai.caps("dall-e-3").streaming and not openai.caps("dall-e-2").streaming


def test_edits_are_a_capability_of_the_model_and_of_the_profile(dirs):
    openai = load_config().profiles["openai"]
    assert openai.caps("gpt-image-2").edits and openai.caps("gpt-image-1-mini").edits
    assert not openai.caps("dall-e-3").edits and not openai.caps("dall-e-2").edits
    assert openai.caps("gpt-image-1").input_fidelity and not openai.caps("gpt-image-1-mini").input_fidelity
    write_config(dirs, "[profiles.gw]\nbase_url = 'https://gw.example/v1'\n[profiles.gw.capabilities]\nedits = false\n")
    gw = load_config().profiles["gw"]
    assert gw.capabilities == Capabilities(edits=False) and not gw.caps("gpt-image-2").edits
    write_config(dirs, "[profiles.gw]\nbase_url = 'https://gw.example/v1'\n[profiles.gw.capabilities]\nedits = 'no'\n")
    assert str(load_config().error).endswith("profiles.gw.capabilities.edits: expected true or false, got a string")


# --- behind a proxy, with a company CA ------------------------------------------------------------

CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"  # looked at, not parsed, at load


def test_proxy_ca_bundle_and_verify_are_read(dirs):
    (dirs.root / "home").mkdir()
    (dirs.root / "home" / "corp-ca.pem").write_text(CA_PEM)
    write_config(dirs, '[profiles.corp]\nbase_url = "https://gw.corp.example/v1"\nproxy = "http://alice:pw-secret-0000@proxy.corp:3128"\nca_bundle = "~/corp-ca.pem"\nverify = false\n')
    config = load_config()
    profile = config.profiles["corp"]
    assert config.error is None
    assert (profile.proxy, profile.ca_bundle, profile.verify) == ("http://alice:pw-secret-0000@proxy.corp:3128", str(dirs.root / "home" / "corp-ca.pem"), False)
    endpoint = profile.endpoint({})
    assert (endpoint.proxy, endpoint.ca_bundle, endpoint.verify, endpoint.direct) == (profile.proxy, profile.ca_bundle, False, False)
    assert "pw-secret-0000" not in repr(profile) + repr(endpoint)
    shown = describe(config, {})["profiles"]["corp"]
    assert (shown["proxy"], shown["ca_bundle"], shown["verify"]) == ("proxy.corp:3128", profile.ca_bundle, False)
    assert profile.warning().startswith("WARNING: the profile 'corp' has verify = false: the provider's TLS certificate is not checked")
    assert config.profiles["openai"].warning() is None
    assert config.profiles["demo"].endpoint({}).direct  # the embedded server is on this machine


@pytest.mark.parametrize(
    "line, message",
    [
        ('proxy = "ftp://alice:pw-secret-0000@proxy.corp"', "must be an http://, https://, socks5:// or socks5h:// URL with a host name (got a ftp:// URL)"),
        ('proxy = "proxy.corp:3128"', "must be an http://, https://, socks5:// or socks5h:// URL with a host name"),
        ('proxy = "http://proxy.corp:port"', "is not a valid URL"),
        ("proxy = 3128", "expected a string, got a whole number"),
        ('verify = "no"', "expected true or false, got a string"),
        ('ca_bundle = "corp-ca.pem"', "must be an absolute path, or start with ~/ (got 'corp-ca.pem')"),
        ('ca_bundle = "{root}/missing.pem"', "no such file: {root}/missing.pem"),
        ('ca_bundle = "{root}"', "is a folder, not a PEM file: {root}"),
        ('ca_bundle = "{root}/config/imagegen-tui/config.toml"', "holds no PEM certificate (no -----BEGIN CERTIFICATE----- line): {root}/config/imagegen-tui/config.toml"),
    ],
)
def test_a_bad_proxy_or_ca_bundle_names_its_key(dirs, line, message):
    write_config(dirs, '[profiles.corp]\nbase_url = "https://gw.corp.example/v1"\n' + line.replace("{root}", str(dirs.root)) + "\n")
    error = load_config().error
    key = line.split(" ")[0]
    assert (error.key, error.message) == (f"profiles.corp.{key}", message.replace("{root}", str(dirs.root)))
    assert "pw-secret-0000" not in str(error)


def test_an_unknown_key_near_a_new_one_is_named(dirs):
    write_config(dirs, '[profiles.corp]\nbase_url = "https://gw.corp.example/v1"\nca_bundel = "/x.pem"\n')
    assert load_config().error.message == "unknown key 'ca_bundel'; did you mean 'ca_bundle'?"


def test_proxy_passwords_are_among_the_secrets_crash_reports_redact(dirs, monkeypatch):
    from imagegen_tui import crashlog

    monkeypatch.setenv("https_proxy", "http://bob:pw-env-0123456789@proxy.corp:3128")
    write_config(dirs, '[profiles.corp]\nbase_url = "https://gw.corp.example/v1"\nproxy = "http://alice:pw-secret-0000@proxy.corp:3128"\n')
    secrets = crashlog.known_secrets(load_config())
    assert {"pw-env-0123456789", "pw-secret-0000"} <= set(secrets)


def test_keys_are_read_as_written_quoted_dotted_or_as_tables(dirs):
    write_config(dirs, '[keys]\n"history.rerun" = "R,ctrl+r"\nopen_editor = "ctrl+e"\npreview.edit = "E"\n[keys.history]\nreuse = "U"\n')
    config = load_config()
    assert config.error is None
    assert config.keys == {"history.rerun": "R,ctrl+r", "open_editor": "ctrl+e", "preview.edit": "E", "history.reuse": "U"}
    assert not config.configured  # keys say nothing about providers: the demo is still chosen by itself
    assert config.active_profile({}).name == "demo"
    assert config.snapshot().keys == config.keys and config.snapshot().keys is not config.keys


@pytest.mark.parametrize(
    "table, said",
    [
        ("[keys]\nrerun = 1\n", "keys.rerun: expected a string, got a whole number"),
        ('[keys]\n"history.rerun" = ["R"]\n', "keys.history.rerun: expected a string, got a list"),
        ("[keys.history]\nrerun = true\n", "keys.history.rerun: expected a string, got true or false"),
        ('[keys.history.rerun]\nkey = "R"\n', "keys.history.rerun: expected a string, got a table"),
        ('[keys]\nrerun = "  "\n', 'keys.rerun: is empty; give one key or several, e.g. "R,ctrl+r"'),
        ('keys = "R"\n', "keys: expected a table, got a string"),
    ],
)
def test_keys_that_are_not_strings_are_a_problem_of_the_file(dirs, table, said):
    write_config(dirs, table)
    config = load_config()
    assert config.error is not None and said in str(config.error)
    assert config.keys == {}
