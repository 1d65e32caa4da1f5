"""`generate` in pipes and scripts: the image itself on standard output through real pipes (and
still saved and recorded), what is refused before anything is sent, --quiet, and the progress
line, which shows on a real pseudo-terminal and nowhere else."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from PIL import Image

from conftest import run_cli, write_config
from imagegen_tui.metadata import read_metadata
from ptyproc import PtyProcess

COMMAND = [sys.executable, "-m", "imagegen_tui"]


@pytest.fixture
def local(dirs, demo):
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    return demo


def piped(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The command with its stdout a pipe read as bytes."""
    return subprocess.run([*COMMAND, *args], input=stdin, capture_output=True, timeout=60, env=dict(os.environ))


def rows() -> list[dict]:
    return json.loads(run_cli("history", "list", "--json").stdout)["generations"]


def saved_paths(stderr: bytes) -> list[Path]:
    return [Path(line.removeprefix("saved: ")) for line in stderr.decode().splitlines() if line.startswith("saved: ")]


@pytest.mark.parametrize("flags", [["-o", "-"], ["--stdout"], ["--stdout-format", "image"]])
def test_the_image_goes_down_the_pipe_and_stays_saved_and_recorded(local, dirs, flags):
    """A photo-sized image, many times a pipe's capacity, arrives whole."""
    out = piped("generate", "a grainy fox in a pipe #photo", "--size", "1536x1024", *flags)
    assert out.returncode == 0, out.stderr
    with Image.open(io.BytesIO(out.stdout)) as image:
        image.load()
        assert image.format == "PNG" and image.size == (1536, 1024)
    [path] = saved_paths(out.stderr)
    assert path.read_bytes() == out.stdout and len(out.stdout) > 1_000_000
    assert path.is_relative_to(dirs.output.resolve()) and read_metadata(path)["prompt"] == "a grainy fox in a pipe #photo"
    [row] = rows()
    assert row["status"] == "done" and [i["path"] for i in row["images"]] == [str(path)]


def test_a_prompt_from_one_pipe_and_the_image_into_another(local, dirs, tmp_path):
    """`echo "a cat" | imagegen-tui generate - -o - | viewer`, with a shell's real pipes."""
    target = tmp_path / "cat.webp"
    command = " ".join(map(shlex.quote, COMMAND))
    script = f"echo 'a cat on a mat' | {command} generate - -o - --format webp | cat > {shlex.quote(str(target))}"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    with Image.open(target) as image:
        assert image.format == "WEBP"
    [row] = rows()
    assert row["prompt"] == "a cat on a mat" and Path(row["images"][0]["path"]).read_bytes() == target.read_bytes()


def test_n_images_as_a_tar_stream_named_as_in_the_folder(local, dirs, tmp_path):
    out = piped("generate", "three foxes", "-n", "3", "--stdout-format", "tar", "--output", str(tmp_path / "kept"))
    assert out.returncode == 0, out.stderr
    paths = saved_paths(out.stderr)
    folder = (tmp_path / "kept").resolve()
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == [str(p.relative_to(folder)) for p in paths]
        for member, path in zip(members, paths):
            assert tar.extractfile(member).read() == path.read_bytes()
    assert len(paths) == 3 and rows()[0]["image_count"] == 3


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_reader_that_leaves_costs_no_image(local, dirs, monkeypatch, unbuffered):
    """The exit status says the image did not all go through (with PYTHONUNBUFFERED, stdout's
    raw file once took what the pipe held and said nothing of the rest); the image is saved."""
    monkeypatch.setenv("PYTHONUNBUFFERED", unbuffered)
    command = " ".join(map(shlex.quote, COMMAND))
    out = subprocess.run(["bash", "-c", f"{command} generate 'a grainy fox #photo' -o - | head -c 10 > /dev/null; echo ${{PIPESTATUS[0]}}"], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert out.stdout.strip() == "141"  # as for any tool whose reader left
    [row] = rows()
    assert row["status"] == "done" and Path(row["images"][0]["path"]).stat().st_size > 1_000_000


@pytest.mark.parametrize("args, says", [
    (["-n", "2", "-o", "-"], "standard output takes one image and -n 2 asks for 2: add --stdout-format tar"),
    (["--stdout", "--json"], "--json and the image cannot share standard output"),
])
def test_what_cannot_work_is_refused_before_anything_is_sent(local, args, says):
    out = run_cli("generate", "a fox", *args)
    assert out.returncode == 2 and says in out.stderr
    assert local.httpd.generation_requests == 0 and rows() == []


def test_a_terminal_on_stdout_is_refused_before_anything_is_sent(local):
    with PtyProcess([*COMMAND, "generate", "a fox", "-o", "-"]) as terminal:
        assert terminal.wait() == 2
        shown = bytes(terminal.output).decode()
    assert "standard output is a terminal, which cannot show an image's bytes: redirect it" in shown
    assert local.httpd.generation_requests == 0 and rows() == []


def test_a_folder_named_dash_is_still_a_folder(local, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = run_cli("generate", "a fox", "-o", "./-")
    assert out.returncode == 0 and Path(out.stdout.strip()).parent.parent == (tmp_path / "-").resolve()


# --- --quiet and the progress line ------------------------------------------------------------


def test_quiet_says_only_errors(dirs):
    loud = run_cli("generate", "foxes #extra:3")  # the embedded demo: its notice, and a note
    assert "Demo provider" in loud.stderr and "note: the provider returned 3 images" in loud.stderr
    quiet = run_cli("generate", "foxes #extra:3", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and Path(quiet.stdout.strip()).exists()
    failed = run_cli("generate", "a fox #fail:401", "--quiet")
    assert failed.returncode == 1 and failed.stderr.startswith("error: 401 from ") and "Demo provider" not in failed.stderr


def progress_frames(shown: bytes) -> set[bytes]:
    """The spinner frames of the progress lines shown: each is `\r`, a frame, the elapsed time."""
    return set(re.findall(rb"\r([|/\\-]) +\d+\.\d s  gpt-image-2 via local, 1 image\(s\)", shown))


def test_the_progress_line_shows_on_a_terminal_and_is_cleared(local):
    with PtyProcess([*COMMAND, "generate", "a slow fox #sleep:2"]) as terminal:
        terminal.read_until(lambda shown: len(progress_frames(shown)) >= 2)  # the spinner turns
        assert terminal.wait() == 0
        shown = bytes(terminal.output)
    last_line = shown.rsplit(b"\r\x1b[K", 1)[1]  # cleared before the path is printed
    assert last_line.strip().endswith(b".png") and b"via local" not in last_line


def test_no_progress_when_stderr_is_not_a_terminal_or_quiet_is_asked(local, tmp_path):
    out = run_cli("generate", "a slow fox #sleep:1")
    assert out.returncode == 0 and "via local" not in out.stderr and "\r" not in out.stderr
    with PtyProcess([*COMMAND, "generate", "a slow fox #sleep:1", "--quiet"]) as terminal:
        assert terminal.wait() == 0
        assert b"via local" not in terminal.output and b"\r" not in bytes(terminal.output).replace(b"\r\n", b"")


def test_progress_on_the_terminal_while_the_image_goes_to_a_file(local, tmp_path):
    target = tmp_path / "fox.png"
    command = " ".join(map(shlex.quote, [*COMMAND, "generate", "a slow fox #sleep:1", "-o", "-"]))
    with PtyProcess(["bash", "-c", f"{command} > {shlex.quote(str(target))}"]) as terminal:
        terminal.read_until(b"via local")
        assert terminal.wait() == 0
        assert b"saved: " in terminal.output
    with Image.open(target) as image:
        assert image.format == "PNG"
