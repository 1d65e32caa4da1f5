"""`imagegen-tui models`: the real command against the demo server over a real socket, with a key,
without /models, and refused; what it keeps is what the TUI's model field reads."""

import json

from conftest import run_cli, write_config
from test_cli_json import failure_of, refused_port, success_of
from imagegen_tui.config import load_config
from imagegen_tui.demo.server import MODELS, DemoServer
from imagegen_tui import model_list

KEY = "demo-secret-key-123456"


def _profile(dirs, url: str, key_env: str = "LOCAL_KEY") -> None:
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{url}"\napi_key_env = "{key_env}"\nmodels = ["gpt-image-1"]\n')


def test_lists_the_servers_models_one_a_line_and_keeps_them(dirs, keyed_demo, monkeypatch):
    _profile(dirs, keyed_demo.base_url)
    monkeypatch.setenv("LOCAL_KEY", KEY)
    done = run_cli("models")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == sorted(MODELS)
    assert "4 models listed by" in done.stderr and "'local'" in done.stderr
    kept = model_list.cached(load_config().profiles["local"])
    assert kept is not None and kept.models == tuple(sorted(MODELS)) and kept.fresh()


def test_json_names_the_profile_and_the_list(dirs, demo):
    _profile(dirs, demo.base_url)
    write_config(dirs, f'[profiles.local]\nbase_url = "{demo.base_url}"\nkey_required = false\n')
    answer = success_of(run_cli("models", "--profile", "local", "--json"))
    assert answer == {"ok": True, "profile": "local", "base_url": demo.base_url, "listed": True, "models": sorted(MODELS), "exit_code": 0}


def test_a_server_without_models_is_said_with_exit_0(dirs, monkeypatch):
    with DemoServer(models=False) as server:
        _profile(dirs, server.base_url)
        monkeypatch.setenv("LOCAL_KEY", KEY)
        done = run_cli("models")
        as_json = run_cli("models", "--json")
    assert done.returncode == 0 and done.stdout == ""
    assert "does not list its models" in done.stderr and "--model" in done.stderr
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["listed"] is False and json.loads(as_json.stdout)["models"] is None
    kept = model_list.cached(load_config().profiles["local"])
    assert kept is not None and kept.models is None  # kept: the TUI does not ask again today


def test_a_wrong_key_is_a_failure_with_the_servers_reason(dirs, keyed_demo, monkeypatch):
    _profile(dirs, keyed_demo.base_url)
    monkeypatch.setenv("LOCAL_KEY", "wrong-key-0000000000")
    error = failure_of(run_cli("models", "--json"))
    assert (error["kind"], error["status"], error["billed"]) == ("auth", 401, False) and "LOCAL_KEY" in error["message"]
    assert not model_list.cache_file("local").exists()


def test_a_server_that_does_not_answer_is_a_network_failure(dirs):
    _profile(dirs, f"http://127.0.0.1:{refused_port()}/v1")
    write_config(dirs, dirs.config_file.read_text().replace('api_key_env = "LOCAL_KEY"', "key_required = false"))
    error = failure_of(run_cli("models", "--json"))
    assert (error["kind"], error["retryable"], error["billed"]) == ("network", True, False)


def test_a_profile_without_its_key_is_refused_before_asking(dirs, keyed_demo):
    _profile(dirs, keyed_demo.base_url, key_env="NOT_SET_ANYWHERE")
    done = run_cli("models")
    assert done.returncode == 2 and "NOT_SET_ANYWHERE" in done.stderr and done.stdout == ""


def test_the_demo_profile_asks_the_embedded_demo(dirs):
    done = run_cli("models", "--profile", "demo", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["models"] == sorted(MODELS)
