"""`config add-profile NAME --dialect D`, run as a user runs it: the block is appended and the
rest of the file stays byte for byte; the profile then works; refusals are sentences, exit 2,
and leave the file alone."""

from __future__ import annotations

import json

from conftest import run_cli, write_config

OWN = '# my settings, by hand\nprofile = "demo"   # keep the demo for now\n\n[output]\ntemplate = "{date}-{slug}"\n'


def test_the_block_is_appended_and_the_profile_then_generates(dirs, demo, monkeypatch):
    path = write_config(dirs, OWN)
    out = run_cli("config", "add-profile", "gw", "--dialect", "litellm", "--base-url", demo.base_url)
    assert out.returncode == 0, out.stderr
    text = path.read_text()
    assert text.startswith(OWN)
    assert text[len(OWN):] == (
        "\n[profiles.gw]\n# a LiteLLM proxy (gateway); added by imagegen-tui config add-profile\n"
        f'dialect = "litellm"\nbase_url = "{demo.base_url}"\nmodel = "gpt-image-2"\napi_key_env = "LITELLM_API_KEY"\n'
    )
    assert "use it with --profile gw" in out.stdout
    monkeypatch.setenv("LITELLM_API_KEY", "sk-gateway-key-1234")
    made = run_cli("generate", "a fox #billed:0.04", "--profile", "gw", "--json")
    assert made.returncode == 0, made.stderr
    told = json.loads(made.stdout)
    assert told["profile"] == "gw" and told["gateway_cost"] == 0.04 and told["key_spend"] == 12.5
    assert demo.httpd.image_headers[-1]["x-litellm-num-retries"] == "0"
    shown = run_cli("config", "show", "--json")
    assert json.loads(shown.stdout)["profiles"]["gw"]["dialect"] == "litellm"


def test_a_fresh_machine_gets_a_file_with_just_the_block(dirs):
    out = run_cli("config", "add-profile", "my sd", "--dialect", "sd-server", "--base-url", "http://127.0.0.1:7860/v1")
    assert out.returncode == 0, out.stderr
    assert dirs.config_file.read_text().startswith('[profiles."my sd"]\n')
    assert "use it with --profile 'my sd'" in out.stdout
    assert (dirs.config_file.stat().st_mode & 0o777) == 0o600


def test_refusals_name_what_to_give_and_leave_the_file_alone(dirs):
    path = write_config(dirs, OWN + '\n[profiles.gw]\nbase_url = "http://127.0.0.1:4000/v1"\n')
    before = path.read_bytes()
    cases = {
        ("gw", "--dialect", "litellm"): "profiles.gw: already exists",
        ("az", "--dialect", "azur"): "'azur' is not a dialect: choose openai, litellm, azure, gemini, localai, sd-server, vllm-omni, textgen, ollama; did you mean 'azure'?",
        ("az", "--dialect", "azure"): "--base-url: Azure OpenAI (v1 API) has no usual address: give the server's with --base-url (https://RESOURCE.openai.azure.com/openai/v1)",
        ("lai", "--dialect", "localai"): "--model: LocalAI runs whatever model it was started with: name it with --model",
        ("bad", "--dialect", "openai", "--base-url", "ftp://x"): "must be an http:// or https:// URL with a host name",
        ("x",): "usage: imagegen-tui config add-profile NAME --dialect D",
    }
    for args, sentence in cases.items():
        out = run_cli("config", "add-profile", *args)
        assert out.returncode == 2 and sentence in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr
    assert path.read_bytes() == before


def test_a_local_servers_block_shows_where_its_default_extras_go_and_uncommented_they_are_read(dirs):
    path = write_config(dirs, OWN)
    assert run_cli("config", "add-profile", "gpu", "--dialect", "textgen", "--model", "flux").returncode == 0
    text = path.read_text()
    assert "# extras sent by default (seed, steps, guidance, negative; any field the server takes):\n# [profiles.gpu.extra]\n# seed = 42\n" in text
    path.write_text(text.replace("# [profiles.gpu.extra]\n# seed = 42", "[profiles.gpu.extra]\nseed = 42"))
    shown = json.loads(run_cli("config", "show", "--json").stdout)
    assert shown["profiles"]["gpu"]["extra"] == {"seed": 42}
    assert "extras by default: seed=42" in run_cli("config", "show").stdout
