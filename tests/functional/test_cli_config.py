"""A config problem is never hidden behind the demo provider. `generate` and `history rerun`, run
as a user runs them, exit 2 naming the file, the key (the line for syntax errors) and what is
wrong, before anything is sent or recorded: the demo server's request log stays empty and the
history gets no row."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conftest import run_cli, write_config
from imagegen_tui.demo.server import DemoServer


class LoggedDemo:
    def __init__(self, server: DemoServer) -> None:
        self.url = server.base_url
        self.requests: list[str] = []
        server.httpd.log = self.requests.append


@pytest.fixture
def server() -> Iterator[LoggedDemo]:
    with DemoServer() as demo:
        yield LoggedDemo(demo)


def local(url: str, extra: str = "", top: str = 'profile = "local"\n') -> str:
    """A valid config whose profile `local` points at the demo server, with `extra` in its table."""
    return f'{top}[profiles.local]\nbase_url = "{url}"\napi_key_env = "LOCAL_KEY"\n{extra}'


def history_total() -> int:
    out = run_cli("history", "list", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["total"]


BROKEN = [
    # (file text given the server URL, key, message, line)
    (lambda url: local(url, 'timeout = "abc"\n'), "profiles.local.timeout", "must be a number from 1 to 3600", None),
    (lambda url: local(url, 'api_kye_env = "X"\n'), "profiles.local", "unknown key 'api_kye_env'; did you mean 'api_key_env'?", None),
    (lambda url: local(url, top='proflie = "local"\n'), None, "unknown key 'proflie'; did you mean 'profile'?", None),
    (lambda url: local(url, top='profile = "nosuch"\n'), "profile", "no profile named 'nosuch'", None),
    (lambda url: local(url, '[output]\ntemplate = "../{slug}"\n'), "output.template", "'..'", None),
    (lambda url: local(url, "[styles]\nwarm = true\n"), "styles.warm", "expected a table", None),
    (lambda url: local(url, "[style]\nwarm = true\n"), None, "unknown key 'style'; did you mean 'styles'?", None),
    (lambda url: local(url, "max_retries = = 2\n"), None, "is not valid TOML", 5),
    (lambda url: local(url, '[profiles.local.headers]\nX-Who = "caf\xe9"\n'), None, "is not UTF-8 text", 6),
]


@pytest.mark.parametrize("case", BROKEN, ids=lambda case: case[2][:30])
def test_a_config_problem_stops_generate_before_anything_is_sent(dirs, server, monkeypatch, case):
    text, key, message, line = case
    monkeypatch.setenv("LOCAL_KEY", "fake-local-key-0000000000")
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_bytes(text(server.url).encode("latin-1"))
    out = run_cli("generate", "a fox")
    assert out.returncode == 2 and out.stdout == ""
    where = f"{dirs.config_file}, line {line}" if line else str(dirs.config_file)
    assert out.stderr.startswith(f"error: {where}: {key + ': ' if key else ''}") and message in out.stderr
    assert "Demo provider" not in out.stderr and len(out.stderr.splitlines()) == 1
    assert server.requests == [] and history_total() == 0 and not dirs.output.exists()
    for command in (["config", "show"], ["doctor"]):  # they show the same problem
        shown = run_cli(*command)
        assert shown.returncode == 2 and where in shown.stderr + shown.stdout and message in shown.stderr + shown.stdout
    refused = run_cli("config", "show", "--json")
    parts = json.loads(refused.stdout)["error"]
    assert refused.returncode == 2 and parts["kind"] == "config" and message in parts["message"]
    assert parts["file"] == str(dirs.config_file) and parts["key"] == key and parts["line"] == line


def test_history_rerun_stops_on_a_config_problem_too(dirs, server, monkeypatch):
    monkeypatch.setenv("LOCAL_KEY", "fake-local-key-0000000000")
    write_config(dirs, local(server.url))
    first = run_cli("generate", "a fox", "--json")
    assert first.returncode == 0, first.stderr
    sent = len(server.requests)
    write_config(dirs, local(server.url, "timout = 30\n"))
    out = run_cli("history", "rerun", str(json.loads(first.stdout)["id"]))
    assert out.returncode == 2
    assert out.stderr == f"error: {dirs.config_file}: profiles.local: unknown key 'timout'; did you mean 'timeout'?\n"
    assert len(server.requests) == sent and history_total() == 1


def test_a_named_config_file_that_does_not_exist_is_an_error(dirs, server, tmp_path):
    missing = tmp_path / "tpyo.toml"
    for command in (["generate", "a fox"], ["config", "show"], ["doctor"]):
        out = run_cli("--config", str(missing), *command)
        assert out.returncode == 2 and f"{missing}: no such file" in out.stderr + out.stdout
    assert not missing.exists() and history_total() == 0 and not dirs.output.exists()


def test_a_profile_without_a_key_is_refused_before_sending_or_recording(dirs, server, monkeypatch):
    write_config(dirs, local(server.url))
    out = run_cli("generate", "a fox")
    assert out.returncode == 2
    assert out.stderr == "error: the profile 'local' has no key: set LOCAL_KEY or add one in Settings (F2)\n"
    assert server.requests == [] and history_total() == 0
    rerun_source = dirs.root / "ok.toml"
    rerun_source.write_text(local(server.url))
    monkeypatch.setenv("LOCAL_KEY", "fake-local-key-0000000000")
    first = json.loads(run_cli("--config", str(rerun_source), "generate", "a fox", "--json").stdout)
    monkeypatch.delenv("LOCAL_KEY")
    out = run_cli("--config", str(rerun_source), "history", "rerun", str(first["id"]))
    assert out.returncode == 2 and "has no key: set LOCAL_KEY" in out.stderr and history_total() == 1


def test_a_gateway_that_needs_no_key_says_so(dirs, server):
    write_config(dirs, local(server.url, "key_required = false\n"))
    out = run_cli("generate", "a fox")
    assert out.returncode == 0, out.stderr
    assert len(server.requests) == 1 and history_total() == 1


def test_a_base_url_without_a_host_is_a_config_error_not_a_broken_connection(dirs, server):
    write_config(dirs, local("http//127.0.0.1:9/v1", "key_required = false\n"))
    out = run_cli("generate", "a fox")
    assert out.returncode == 2
    assert out.stderr.startswith(f"error: {dirs.config_file}: profiles.local.base_url: must be an http:// or https:// URL with a host name")


def test_the_demo_is_chosen_by_itself_only_when_there_is_no_config_file_at_all(dirs):
    out = run_cli("generate", "a fox on a fresh machine")
    assert out.returncode == 0 and "synthesized on this machine" in out.stderr
    write_config(dirs, "[ui]\nconcurrency = 2\n")
    out = run_cli("generate", "a fox, after the user wrote a config file")
    assert out.returncode == 2
    assert out.stderr == "error: the profile 'model-go' has no key: set MODEL_GO_API_KEY or add one in Settings (F2)\n"
    assert history_total() == 1  # the first one only
    doctor = run_cli("doctor")
    assert doctor.returncode == 2 and "profile: the profile 'model-go' has no key" in doctor.stdout
    shown = run_cli("config", "show")
    assert shown.returncode == 0 and "* model-go" in shown.stdout and "not ready: the profile 'model-go' has no key" in shown.stdout
    assert run_cli("generate", "a fox", "--profile", "demo").returncode == 0  # chosen, not fallen back to
