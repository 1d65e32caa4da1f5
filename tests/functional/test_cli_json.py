"""`--json` as a script sees it: every run of a command that takes it prints exactly one JSON
object on stdout, failures included, in one shape, with the exit status it names. Each failure
kind is produced for real: separate processes, the demo server's directives, a refused port,
real files in the way, a real SIGINT."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from conftest import run_cli, write_config
from imagegen_tui.demo.server import EVIL, DemoServer
from imagegen_tui.errors import ErrorKind
from proxy import Authority

RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
EXIT_CODES = {"usage": 2, "config": 2, "invalid_request": 2, "interrupted": 130}  # the README's table; every other kind exits 1

FAILURE = {
    "type": "object",
    "required": ["ok", "error", "exit_code"],
    "additionalProperties": False,
    "properties": {
        "ok": {"const": False},
        "exit_code": {"enum": [1, 2, 130]},
        "error": {
            "type": "object",
            "required": ["kind", "message", "request_id", "retryable", "billed"],
            "properties": {
                "kind": {"enum": [kind.value for kind in ErrorKind]},
                "message": {"type": "string", "minLength": 1},
                "request_id": {"type": ["string", "null"]},
                "retryable": {"type": "boolean"},
                "billed": {"type": ["boolean", "null"]},
                "fields": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["field", "message"]}},
                "paths": {"type": "array", "items": {"type": "string"}},
                "status": {"type": ["integer", "null"]},
                "retry_after": {"type": ["number", "null"]},
            },
        },
    },
}
SUCCESS = {"type": "object", "required": ["ok", "exit_code"], "properties": {"ok": {"const": True}, "exit_code": {"const": 0}}}


def failure_of(out: subprocess.CompletedProcess[str]) -> dict:
    """The one JSON object a failed run printed, checked against the shape and its exit status;
    the sentence for a person is on stderr all the same."""
    answer = json.loads(out.stdout)  # exactly one JSON document, nothing around it
    jsonschema.validate(answer, FAILURE)
    error = answer["error"]
    assert answer["exit_code"] == out.returncode == EXIT_CODES.get(error["kind"], 1), (answer, out.stderr)
    assert error["message"] in out.stderr
    assert not RAW_CONTROL.search(out.stdout.removesuffix("\n"))  # text from outside arrives escaped
    return error


def success_of(out: subprocess.CompletedProcess[str]) -> dict:
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    jsonschema.validate(answer, SUCCESS)
    return answer


@pytest.fixture
def local(dirs, demo):
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    return demo


def refused_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Case:
    kind: str
    retryable: bool
    billed: bool | None
    run: Callable[..., subprocess.CompletedProcess[str]]


def generate(*args: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    return lambda dirs, demo, tmp_path: run_cli("generate", *args, "--json")


def unreachable(dirs, demo, tmp_path):
    write_config(dirs, f'profile = "gone"\n[profiles.gone]\nbase_url = "http://127.0.0.1:{refused_port()}/v1"\nkey_required = false\nmax_retries = 0\n')
    return run_cli("generate", "a fox", "--json")


def proxy_refuses(dirs, demo, tmp_path):
    write_config(dirs, f'profile = "corp"\n[profiles.corp]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\nproxy = "http://127.0.0.1:{refused_port()}"\nmax_retries = 0\n')
    return run_cli("generate", "a fox", "--json")


def untrusted_certificate(dirs, demo, tmp_path):
    """The demo server behind TLS with a certificate from a CA nobody was told about."""
    with DemoServer(tls=Authority(tmp_path).server_context()) as tls:
        write_config(dirs, f'profile = "corp"\n[profiles.corp]\nbase_url = "{tls.base_url}"\napi_key = "fake-local-demo-key"\n')
        return run_cli("generate", "a fox", "--json")


def broken_config(dirs, demo, tmp_path):
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\ntimout = 3\n')
    return run_cli("generate", "a fox", "--json")


def blocked_folder(dirs, demo, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    return run_cli("generate", "a fox", "--json", "--output", str(tmp_path / "file" / "pictures"))


def image_2_cannot_be_saved(dirs, demo, tmp_path):
    write_config(dirs, f'profile = "local"\n[output]\ntemplate = "{{index}}/{{time}}"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    dirs.output.mkdir(parents=True)
    (dirs.output / "2").write_text("a file where image 2's folder goes")
    return run_cli("generate", "two foxes", "-n", "2", "--json")


def over_budget(dirs, demo, tmp_path):
    write_config(dirs, f'profile = "local"\n[budget]\ndaily = 0.0\n[prices."gpt-image-2"]\nper_image = 0.04\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    return run_cli("generate", "a fox", "--json")


def history_is_a_folder(dirs, demo, tmp_path):
    (dirs.data / "imagegen-tui" / "history.sqlite3").mkdir(parents=True)
    return run_cli("history", "list", "--json")


CRASHING = textwrap.dedent("""
    import sys
    from imagegen_tui import store
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")
    store.HistoryStore.page = broken
    from imagegen_tui.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def crash(dirs, demo, tmp_path):
    return subprocess.run([sys.executable, "-c", CRASHING, "history", "list", "--json"], capture_output=True, text=True, env=dict(os.environ), timeout=60)


def ctrl_c(dirs, demo, tmp_path):
    """SIGINT once the request has reached the provider: it may finish and bill the call. The
    command starts with SIGINT's default action, as at a terminal: a test run started in the
    background by a shell without job control inherits SIGINT ignored (and so would it)."""
    job = subprocess.Popen(
        [sys.executable, "-m", "imagegen_tui", "generate", "a slow fox #sleep:30", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        while demo.httpd.generation_requests == 0:  # synchronised on the server, never timed
            assert job.poll() is None, job.communicate()
            demo.httpd.stopping.wait(0.01)
        job.send_signal(signal.SIGINT)
        stdout, stderr = job.communicate(timeout=30)
    finally:
        job.kill()
    return subprocess.CompletedProcess(job.args, job.returncode, stdout, stderr)


CASES = {
    # the provider said no
    "401": Case("auth", False, False, generate("a fox #fail:401")),
    "403": Case("permission", False, False, generate("a fox #fail:403")),
    "404": Case("not_found", False, False, generate("a fox #fail:404")),
    "400": Case("bad_request", False, False, generate("a fox #fail:400")),
    "evil": Case("bad_request", False, False, generate("a fox #fail:evil")),
    "moderation": Case("moderation", False, False, generate("a fox #fail:moderation")),
    "quota": Case("quota", False, False, generate("a fox #fail:quota")),
    # passing causes: worth running again, nothing was billed
    "429": Case("rate_limited", True, False, generate("a fox #fail:429")),
    "503": Case("server", True, False, generate("a fox #fail:503")),
    "refused": Case("network", True, False, unreachable),
    "proxy": Case("proxy", True, False, proxy_refuses),
    # trying again cannot help: the same certificate would be refused
    "certificate": Case("certificate", False, False, untrusted_certificate),
    # sent, and no answer said otherwise: it may be billed, so running it again may pay twice
    "500": Case("server", False, None, generate("a fox #fail:500")),
    "timeout": Case("timeout", False, None, generate("a fox #fail:timeout", "--timeout", "1")),
    "reset": Case("network", False, None, generate("a fox #fail:reset")),
    "html": Case("bad_response", False, None, generate("a fox #fail:html")),
    "interrupted": Case("interrupted", False, None, ctrl_c),
    # refused before anything was sent
    "argparse": Case("usage", False, False, generate("a fox", "-n", "x")),
    "abbreviated": Case("usage", False, False, lambda dirs, demo, tmp_path: run_cli("generate", "a fox", "--sizes", "9", "--js")),
    "timeout 0": Case("usage", False, False, generate("a fox", "--timeout", "0")),
    "no such generation": Case("usage", False, False, lambda dirs, demo, tmp_path: run_cli("history", "show", "999", "--json")),
    "bad since": Case("usage", False, False, lambda dirs, demo, tmp_path: run_cli("history", "search", "fox", "--since", "soon", "--json")),
    "no such profile": Case("config", False, False, generate("a fox", "--profile", "nope")),
    "broken config": Case("config", False, False, broken_config),
    "parameters": Case("invalid_request", False, False, generate("a fox", "--size", "1000x1000", "-n", "11")),
    "budget": Case("budget", False, False, over_budget),
    # on this machine
    "disk": Case("disk", False, False, blocked_folder),
    "unsaved": Case("unsaved", False, True, image_2_cannot_be_saved),
    "history": Case("history", False, False, history_is_a_folder),
    "internal": Case("internal", False, False, crash),
}


def test_the_cases_produce_every_kind():
    assert {case.kind for case in CASES.values()} == {kind.value for kind in ErrorKind}


@pytest.mark.parametrize("name", CASES)
def test_every_failure_is_one_json_object_in_one_shape(name, local, dirs, tmp_path):
    case = CASES[name]
    error = failure_of(case.run(dirs, local, tmp_path))
    assert (error["kind"], error["retryable"], error["billed"]) == (case.kind, case.retryable, case.billed)
    if case.kind in ("rate_limited", "server", "quota", "bad_request", "auth"):
        assert error["request_id"].startswith("req_demo_") and error["status"] >= 400
    if name == "parameters":
        assert {f["field"] for f in error["fields"]} == {"size", "n"}
    if name == "unsaved":
        [saved] = error["paths"]
        assert Path(saved).exists() and "history recover" in error["message"]
    if name == "evil":
        assert error["provider_message"] == f"Invalid prompt: {EVIL}"  # exact, through JSON's escapes


def test_config_show_under_a_broken_config(dirs):
    write_config(dirs, "[output]\nslug = 'pinyin'\n")
    error = failure_of(run_cli("config", "show", "--json"))
    assert (error["kind"], error["key"], error["file"]) == ("config", "output.slug", str(dirs.config_file))


def test_history_rerun_fails_as_json_too(local, dirs):
    first = success_of(run_cli("generate", "a fox", "--json"))
    write_config(dirs, "proflie = 'local'\n")
    error = failure_of(run_cli("history", "rerun", str(first["id"]), "--json"))
    assert error["kind"] == "config" and "did you mean 'profile'?" in error["message"]


def test_every_success_says_ok_and_exit_code_0(local, dirs, tmp_path):
    made = success_of(run_cli("generate", "a red fox", "-n", "2", "--json"))
    assert len(made["paths"]) == 2
    again = success_of(run_cli("history", "rerun", str(made["id"]), "--json"))
    assert again["id"] != made["id"]
    assert success_of(run_cli("history", "list", "--json"))["total"] == 2
    assert success_of(run_cli("history", "search", "red", "--json"))["total"] == 2
    assert success_of(run_cli("history", "show", str(made["id"]), "--json"))["prompt"] == "a red fox"
    [row] = success_of(run_cli("history", "stats", "--json"))["rows"]
    assert row["generations"] == 2 and row["images"] == 4
    Path(made["paths"][0]).unlink()
    [gone] = success_of(run_cli("history", "missing", "--json"))["missing"]
    assert gone["path"] == made["paths"][0]
    assert success_of(run_cli("history", "import", str(dirs.output), "--json"))["already_known"] == 3
    assert success_of(run_cli("config", "show", "--json"))["active_profile"] == "local"
