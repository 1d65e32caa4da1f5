"""`imagegen-tui generate` as a user runs it: a separate process, against `imagegen-tui
serve-demo` in another process, over real loopback sockets."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from conftest import run_cli, write_config
from imagegen_tui.metadata import read_metadata

KEY = "fake-demo-0123456789abcdef"


@pytest.fixture
def served(dirs) -> Iterator[str]:
    """serve-demo in its own process, requiring KEY; a profile `local` that points at it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "imagegen_tui", "serve-demo", "--port", "0", "--key", KEY, "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:"), line
        write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{url}"\napi_key_env = "LOCAL_KEY"\n[profiles.local.capabilities]\ntransparent_background = true\n')
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def with_key(monkeypatch):
    monkeypatch.setenv("LOCAL_KEY", KEY)


def generate_json(*args: str) -> dict:
    out = run_cli("generate", *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_n4_saves_four_valid_images_with_settings(served, with_key, dirs):
    result = generate_json("a lighthouse at dusk", "-n", "4", "--size", "1536x1024", "--quality", "low")
    assert result["ok"] and result["profile"] == "local" and len(result["paths"]) == 4
    assert result["usage"]["output_tokens"] == 4 * 272 * 1536 * 1024 // (1024 * 1024)
    assert result["request_id"].startswith("req_demo_") and result["elapsed"] > 0
    for index, path in enumerate(map(Path, result["paths"]), start=1):
        assert path.parent.parent == dirs.output and path.suffix == ".png"
        with Image.open(path) as image:
            image.load()
            assert image.size == (1536, 1024)
        meta = read_metadata(path)
        assert meta["prompt"] == "a lighthouse at dusk" and meta["index"] == index
        assert meta["params"]["size"] == "1536x1024" and meta["params"]["n"] == 4
        assert KEY not in path.read_bytes().decode("latin-1")


@pytest.mark.parametrize("fmt, ext", [("png", ".png"), ("jpeg", ".jpg"), ("webp", ".webp"), ("jpg", ".jpg")])
def test_every_output_format(served, with_key, fmt, ext, tmp_path):
    out = run_cli("generate", "a fox", "--format", fmt, "--output", str(tmp_path / "o"))
    assert out.returncode == 0, out.stderr
    path = Path(out.stdout.strip())
    assert path.suffix == ext and path.is_relative_to(tmp_path / "o")
    assert read_metadata(path)["params"]["output_format"] == ("jpeg" if fmt == "jpg" else fmt)


def test_transparent_png(served, with_key):
    path = Path(generate_json("a floating cube", "--background", "transparent", "--format", "png")["paths"][0])
    with Image.open(path) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_429_then_success(served, with_key):
    result = generate_json("a busy server #flaky:429:1")
    assert len(result["paths"]) == 1


def test_401_bad_key_is_clear_and_exits_1(served, monkeypatch, dirs):
    monkeypatch.setenv("LOCAL_KEY", "fake-wrong-wrong-wrong-1234")
    out = run_cli("generate", "a fox")
    assert out.returncode == 1
    assert out.stdout == ""
    assert "401 from 127.0.0.1:" in out.stderr and "the token was rejected; set it in the profile 'local' or in LOCAL_KEY" in out.stderr
    assert "fake-wrong-wrong-wrong-1234" not in out.stderr
    assert list(dirs.output.rglob("*")) == []  # the folder was checked, and nothing left in it


def test_timeout_exits_1(served, with_key):
    out = run_cli("generate", "a slow fox #fail:timeout", "--timeout", "1", "--json")
    assert out.returncode == 1
    assert "no complete answer within 1 s (the whole call's time limit" in out.stderr
    assert json.loads(out.stdout)["error"]["kind"] == "timeout"


def test_url_response(served, with_key):
    result = generate_json("a fox #url", "-n", "2")
    assert all(Path(p).exists() for p in result["paths"]) and len(result["paths"]) == 2


def test_data_url_response(served, with_key):
    result = generate_json("a fox #dataurl:pct", "-n", "2", "--format", "webp")
    assert [Path(p).suffix for p in result["paths"]] == [".webp", ".webp"] and result["notes"] == []


def test_the_file_follows_the_bytes_when_the_provider_ignores_the_format(served, with_key, dirs):
    """Gemini ignores output_format: asked for JPEG, given PNG, the file is a .png whose
    settings say PNG, and the request as asked is what a re-run repeats."""
    result = generate_json("a fox #bytes:png", "--format", "jpeg")
    (path,) = map(Path, result["paths"])
    assert path.suffix == ".png"
    assert result["notes"] == ["the provider answered PNG though JPEG was asked; saved as .png, as the bytes are"]
    with Image.open(path) as image:
        assert image.format == "PNG" and ", Format: png," in image.text["parameters"]
    meta = read_metadata(path)
    assert meta["format"] == "png" and meta["params"]["output_format"] == "jpeg"
    history = json.loads(run_cli("history", "show", str(result["id"]), "--json").stdout)
    assert [image["format"] for image in history["images"]] == ["png"]
    out = run_cli("generate", "a fox #bytes:png", "--format", "jpeg")
    assert out.returncode == 0 and "the provider answered PNG though JPEG was asked" in out.stderr


def test_a_422_detail_list_is_said_field_by_field(served, with_key):
    out = run_cli("generate", "a fox #fail:422", "--json")
    assert out.returncode == 1
    assert "422 from 127.0.0.1:" in out.stderr and "the provider refused the values of size and extra.steps" in out.stderr
    assert "extra.steps: Input should be less than or equal to 150" in out.stderr
    error = json.loads(out.stdout)["error"]
    assert (error["kind"], error["status"], error["billed"], error["retryable"]) == ("bad_request", 422, False, False)


def test_invalid_parameters_exit_2_before_sending(served, with_key):
    out = run_cli("generate", "a fox", "--size", "1000x1000", "-n", "11")
    assert out.returncode == 2
    assert "size: both sides must be positive multiples of 16" in out.stderr and "n: must be between 1 and 10" in out.stderr
    assert run_cli("generate", "a fox", "--profile", "nope").returncode == 2
    assert run_cli("generate").returncode == 2


def test_prompt_from_stdin_loses_only_its_last_line_end(served, with_key):
    out = run_cli("generate", "-", "--json", stdin="a fox\nin two lines\n")
    assert read_metadata(Path(json.loads(out.stdout)["paths"][0]))["prompt"] == "a fox\nin two lines"
    out = run_cli("generate", "-", "--json", stdin="  spaced fox \n\n")
    assert read_metadata(Path(json.loads(out.stdout)["paths"][0]))["prompt"] == "  spaced fox \n"


def test_embedded_demo_without_any_token(dirs):
    out = run_cli("generate", "a fox on a fresh machine", "-n", "2")
    assert out.returncode == 0, out.stderr
    assert "synthesized on this machine" in out.stderr and "MODEL_GO_API_KEY" in out.stderr
    paths = out.stdout.split()
    assert len(paths) == 2 and all(Path(p).is_relative_to(dirs.output) for p in paths)
    assert read_metadata(Path(paths[0]))["provider"] == "demo (synthesized locally)"


def test_config_path_and_show_mask_key(dirs, monkeypatch):
    monkeypatch.setenv("MODEL_GO_API_KEY", "fake-live-aaaaaaaaaaaaaaaa9999")
    assert run_cli("config", "path").stdout.strip() == str(dirs.config_file)
    shown = run_cli("config", "show")
    assert "fake-live-aaaaaaaaaaaaaaaa9999" not in shown.stdout and "9999" in shown.stdout
    assert "* model-go" in shown.stdout
    info = json.loads(run_cli("config", "show", "--json").stdout)
    assert info["active_profile"] == "model-go" and info["profiles"]["model-go"]["api_key_from"] == "$MODEL_GO_API_KEY"


def test_version_help_and_bare_command():
    from imagegen_tui import __version__

    assert run_cli("--version").stdout.strip() == f"imagegen-tui {__version__}"
    for args in (["--help"], ["generate", "--help"], ["config", "--help"], ["serve-demo", "--help"], ["history", "--help"], ["doctor", "--help"]):
        out = run_cli(*args)
        assert out.returncode == 0 and "usage: imagegen-tui" in out.stdout


def test_doctor_reports_the_protocol_and_why():
    auto = run_cli("doctor")
    assert auto.returncode == 0
    assert "protocol: halfcell" in auto.stdout and "not attached to a terminal" in auto.stdout  # no tty here
    forced = run_cli("--graphics", "sixel", "doctor")
    assert "protocol: sixel" in forced.stdout and "chosen with --graphics" in forced.stdout
    wrong = run_cli("--graphics", "iterm", "doctor")
    assert wrong.returncode == 2 and "choose one of auto, kitty, sixel, halfcell, unicode, none" in wrong.stderr


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "imagegen-tui"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("imagegen-tui ")
