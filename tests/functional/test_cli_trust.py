"""What the headless commands do when things go wrong, as a user sees it: real processes against
the demo server on loopback, real files, the real history, real write failures (a folder
replaced by a file, RLIMIT_FSIZE) and real kills."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import run_cli, write_config
from imagegen_tui import paths
from imagegen_tui.demo import artist
from imagegen_tui.demo.server import EVIL
from imagegen_tui.metadata import embed, read_metadata
from imagegen_tui.request import ImageRequest
from imagegen_tui.store import FinishedGeneration, HistoryStore

RAW_CONTROL = [chr(c) for c in (*range(0, 9), *range(11, 32), *range(0x7F, 0xA0))]


@pytest.fixture
def local(dirs, demo):
    """A profile `local` on the in-process demo server, whose request count the test can read."""
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    return demo


def config_with(dirs, demo, extra: str) -> None:
    write_config(dirs, f'profile = "local"\n{extra}\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')


def rows() -> list[dict]:
    out = run_cli("history", "list", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["generations"]


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "imagegen_tui", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or dict(os.environ))


def wait_for(condition, what: str, limit: float = 30.0) -> None:
    """Synchronise with another process (never a timing assertion: `limit` only ends a hang)."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


def no_raw_control(text: str) -> bool:
    return not any(c in text for c in RAW_CONTROL)


# --- 1. the output folder is checked before anything is sent --------------------------------


def test_an_output_folder_that_cannot_take_files_costs_nothing(local, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    out = run_cli("generate", "a fox that must not be lost", "--output", str(blocker / "pictures"))
    assert out.returncode == 1 and out.stdout == ""
    assert f"error: the output folder {blocker / 'pictures'} cannot take files: " in out.stderr
    assert "nothing was sent to the provider, so nothing was billed" in out.stderr
    assert local.httpd.generation_requests == 0
    [row] = rows()
    assert (row["status"], row["error_kind"], row["prompt"]) == ("failed", "disk", "a fox that must not be lost")
    assert "nothing was sent" in row["error_message"]


# --- 2. images that arrive but cannot be saved are kept, recorded and recoverable ------------


def test_folder_replaced_during_the_call_keeps_the_images_until_history_recover(local, tmp_path):
    out_dir = tmp_path / "out"
    job = start("generate", "three foxes #sleep:1", "-n", "3", "--output", str(out_dir))
    wait_for(lambda: local.httpd.generation_requests == 1, "the request reached the provider")
    shutil.rmtree(out_dir)
    out_dir.write_text("the folder is now a file")
    stdout, stderr = job.communicate(timeout=30)
    [row] = rows()
    recovery = paths.recovery_dir()
    assert job.returncode == 1 and stdout == ""
    assert f"error: could not save into {out_dir}: " in stderr
    assert f"3 images kept at {recovery}: run `imagegen-tui history recover {row['id']} --to {out_dir}` once fixed" in stderr
    assert (row["status"], row["error_kind"], row["image_count"]) == ("failed", "unsaved", 3)
    assert [Path(i["path"]).parent for i in row["images"]] == [recovery] * 3 and all(i["kept"] for i in row["images"])
    shown = run_cli("history", "show", str(row["id"])).stdout
    assert shown.count(f"kept aside, waiting for `imagegen-tui history recover {row['id']}`") == 3

    refused = run_cli("history", "recover", str(row["id"]), "--to", str(out_dir))
    assert refused.returncode == 1 and "cannot take files" in refused.stderr and "the images stay where they are" in refused.stderr
    out_dir.unlink()
    recovered = run_cli("history", "recover", str(row["id"]), "--to", str(out_dir))
    assert recovered.returncode == 0, recovered.stderr
    saved = [Path(p) for p in recovered.stdout.split()]
    assert len(saved) == 3 and all(p.is_relative_to(out_dir.resolve()) for p in saved)
    assert [read_metadata(p)["index"] for p in saved] == [1, 2, 3] and read_metadata(saved[0])["prompt"] == "three foxes #sleep:1"
    [row] = rows()
    assert (row["status"], row["error_message"]) == ("done", None) and [i["path"] for i in row["images"]] == list(map(str, saved))
    assert not recovery.exists()  # emptied, then removed
    again = run_cli("history", "recover", str(row["id"]))
    assert again.returncode == 2 and f"#{row['id']} has no images waiting to be saved" in again.stderr


def test_files_written_before_a_failure_are_recorded_not_orphaned(local, dirs):
    config_with(dirs, local, '[output]\ntemplate = "{index}/{time}"')
    dirs.output.mkdir(parents=True)
    (dirs.output / "2").write_text("a file where image 2's folder goes")
    out = run_cli("generate", "a fox #sleep:1", "-n", "3")  # answered a second or more after it was recorded
    [row] = rows()
    assert out.returncode == 1
    [first] = out.stdout.split()  # what did land is still printed
    assert Path(first).parent == dirs.output.resolve() / "1"
    assert f"1 of 3 images were saved there; 2 images kept at {paths.recovery_dir()}: run `imagegen-tui history recover {row['id']}` once fixed" in out.stderr
    assert [(i["index"], i["kept"]) for i in row["images"]] == [(1, False), (2, True), (3, True)]

    blocked = run_cli("history", "recover", str(row["id"]))
    assert blocked.returncode == 1 and blocked.stderr.count("could not save ") == 1  # image 3 could go; image 2 not
    assert [i["kept"] for i in rows()[0]["images"]] == [False, True, False] and rows()[0]["status"] == "failed"
    (dirs.output / "2").unlink()
    done = run_cli("history", "recover", str(row["id"]))
    assert done.returncode == 0 and rows()[0]["status"] == "done"
    names = [Path(i["path"]).relative_to(dirs.output.resolve()) for i in rows()[0]["images"]]
    assert [n.parent.name for n in names] == ["1", "2", "3"] and len({n.name for n in names}) == 1  # named as one save


LIMITED = textwrap.dedent("""
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead of killing us
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from imagegen_tui.cli import main
    sys.exit(main(sys.argv[2:]))
""")


def limited(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command with every file it writes limited to `limit` bytes, as on a full disk."""
    return subprocess.run([sys.executable, "-c", LIMITED, str(limit), *args], capture_output=True, text=True, timeout=60, env=dict(os.environ))


def test_when_nothing_can_be_written_anywhere_it_says_the_images_are_lost(local, dirs, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    run_cli("history", "list")  # the history exists before the disk fills
    out = limited(1_000_000, "generate", "a grainy fox #photo", "--size", "1024x1024")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"could not save into {dirs.output}: File too large" in out.stderr
    assert "1 image could not be kept anywhere (File too large" in out.stderr and "and are lost" in out.stderr
    [row] = rows()
    assert (row["status"], row["error_kind"]) == ("failed", "unsaved") and "are lost" in row["error_message"]


# --- 4. nothing half-written outlives a killed process ---------------------------------------


SLOW_FSYNC = textwrap.dedent("""
    import os, sys, time
    real_fsync = os.fsync
    def slow_fsync(fd):  # a slow disk: the kill lands while an image is being written
        time.sleep(60)
        real_fsync(fd)
    os.fsync = slow_fsync
""")
SLOW_DISK = SLOW_FSYNC + "from imagegen_tui.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def image_parts(folder):
    """The temporary files of images being written (over 1 MB: not the empty probe that checks
    the folder is writable before sending)."""
    parts = []
    for part in folder.glob(".imagegen-*.part"):
        try:
            if part.stat().st_size > 1_000_000:
                parts.append(part)
        except FileNotFoundError:
            pass
    return parts


def test_kill_during_a_large_save_leaves_nothing_the_next_run_does_not_clear(local, dirs):
    config_with(dirs, local, '[output]\ntemplate = "{slug}-{index}"')
    victim = subprocess.Popen([sys.executable, "-c", SLOW_DISK, "generate", "a grainy fox #photo", "--size", "1024x1024"], env=dict(os.environ))
    try:
        wait_for(lambda: bool(image_parts(dirs.output)), "the save began")
        [part] = image_parts(dirs.output)
        assert part.stat().st_size > 1_000_000  # the whole photo-sized image, waiting for its fsync
        assert run_cli("generate", "a fox beside it").returncode == 0
        assert part.exists()  # its writer is alive: not touched
    finally:
        victim.kill()
        victim.wait()
    runners = dirs.data / "imagegen-tui" / "runners"
    assert part.exists() and len(list(runners.glob("*.lock"))) == 1  # what kill -9 leaves
    assert run_cli("generate", "the next fox").returncode == 0
    assert list(dirs.output.glob(".imagegen-*")) == [] and list(runners.glob("*.lock")) == []
    cut_off = next(r for r in rows() if r["prompt"] == "a grainy fox #photo")
    assert cut_off["status"] == "interrupted" and "the provider may have finished it and billed the call" in cut_off["error_message"]


# --- 7. bad input gets a sentence, never a traceback -----------------------------------------


def test_a_prompt_that_is_not_utf8_is_refused_before_sending(local):
    out = subprocess.run([sys.executable, "-m", "imagegen_tui", "generate", b"caf\xe9 au lait"], capture_output=True, env=dict(os.environ))
    assert out.returncode == 2 and b"Traceback" not in out.stderr
    assert b"prompt: is not valid UTF-8 text (byte 0xE9 at character 4); save it as UTF-8 and try again" in out.stderr
    piped = subprocess.run([sys.executable, "-m", "imagegen_tui", "generate", "-"], input=b"\xff\xfe a fox\n", capture_output=True, env=dict(os.environ))
    assert piped.returncode == 2 and b"prompt: is not valid UTF-8 text (byte 0xFF at character 1)" in piped.stderr
    assert local.httpd.generation_requests == 0


def test_an_image_of_900_million_pixels_fails_the_row_and_import_skips_it(local, dirs, tmp_path):
    out = run_cli("generate", "an enormous fox #huge")
    assert out.returncode == 1 and "the image returned has 900,000,000 pixels, more than is safe to open" in out.stderr
    assert rows()[0]["status"] == "failed"
    folder = tmp_path / "found"
    folder.mkdir()
    (folder / "huge.png").write_bytes(embed(artist.huge_png(), "png", {"app": "imagegen-tui", "generation_id": "huge1", "prompt": "huge", "params": {"model": "gpt-image-2"}}))
    (folder / "fine.png").write_bytes(embed(artist.encode(artist.draw("fine", 32, 32), "png", None), "png", {"app": "imagegen-tui", "generation_id": "fine1", "prompt": "fine", "params": {"model": "gpt-image-2"}}))
    imported = run_cli("history", "import", str(folder))
    assert imported.returncode == 0, imported.stderr
    assert "added 1 generation(s) with 1 image(s)" in imported.stdout and "1 unreadable skipped" in imported.stdout
    assert f"skipped, damaged: {folder / 'huge.png'}: the image has 900,000,000 pixels" in imported.stderr


def test_the_reader_of_a_pipe_leaving_ends_the_listing_quietly(dirs):
    with HistoryStore.open_default() as store:
        store.add_finished(FinishedGeneration(f"u{i}", 1_760_000_000 + i, "p", "h", ImageRequest(prompt=f"fox number {i}", model="m")) for i in range(3000))
    script = f"{sys.executable} -m imagegen_tui history list --limit 3000 | head -1; echo \"status ${{PIPESTATUS[0]}}\""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=dict(os.environ), timeout=60)
    first, status = out.stdout.splitlines()
    assert "fox number 2999" in first and status == "status 141"
    assert out.stderr == ""


def test_a_history_that_is_a_folder_costs_no_image(dirs):
    (dirs.data / "imagegen-tui" / "history.sqlite3").mkdir(parents=True)
    out = run_cli("generate", "a fox")
    assert out.returncode == 0 and Path(out.stdout.strip()).exists()
    assert "warning: history not recorded: " in out.stderr and "cannot be opened as a history database" in out.stderr
    listed = run_cli("history", "list")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert "history.sqlite3: cannot be opened as a history database" in listed.stderr


def test_a_history_on_a_full_disk_costs_no_image(local, dirs):
    run_cli("history", "list")  # an empty history, before the disk fills
    rng = random.Random(7)
    prompt = " ".join(f"w{rng.randrange(10**6)}" for _ in range(3800))[:31000]  # enough to fill 200 kB of history
    out = limited(200_000, "generate", prompt, "--size", "64x64")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert read_metadata(Path(out.stdout.strip()))["prompt"] == prompt
    assert "note: the history could not record " in out.stderr and "could not be written: " in out.stderr


CRASHING = textwrap.dedent("""
    import sys
    from imagegen_tui import store
    def broken(*args, **kwargs):
        raise RuntimeError("a bug, with Bearer sk-fake-not-a-key-0123456789 in its message")
    store.HistoryStore.page = broken
    from imagegen_tui.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_an_unexpected_exception_is_one_line_and_a_report(dirs, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-not-a-key-0123456789")
    out = subprocess.run([sys.executable, "-c", CRASHING, "history", "list"], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 1 and out.stdout == ""
    [line] = out.stderr.splitlines()
    assert line.startswith("unexpected error while running `imagegen-tui history list`: RuntimeError: a bug, with Bearer [redacted]")
    report = Path(line.rsplit("the full report is in ", 1)[1])
    assert report.is_relative_to(dirs.root / "state") and "Traceback" in report.read_text() and "def broken" not in line
    assert "sk-fake-not-a-key-0123456789" not in report.read_text() + line


# --- 8. nothing from outside drives the terminal ---------------------------------------------


def test_hostile_provider_text_is_shown_escaped_everywhere(local, dirs, tmp_path):
    refused = run_cli("generate", "a fox #fail:evil", "--json")
    assert refused.returncode == 1 and no_raw_control(refused.stderr + refused.stdout)
    assert "\\x1b]52;c;aGVsbG8=\\x07" in refused.stderr and "\\x9b31m" in refused.stderr and "🦊🔥" in refused.stderr
    assert json.loads(refused.stdout)["error"]["provider_message"] == f"Invalid prompt: {EVIL}"  # exact, as JSON escapes
    revised = run_cli("generate", "a fox #revised:evil", "--json")
    assert revised.returncode == 0 and no_raw_control(revised.stdout) and json.loads(revised.stdout)["revised_prompt"] == EVIL
    gid = str(json.loads(revised.stdout)["id"])
    shown = run_cli("history", "show", gid)
    assert no_raw_control(shown.stdout) and "revised prompt: [/dim] [b]bold?[/b] [[scenario:slow:8]] \\x1b]52;c;aGVsbG8=\\x07" in shown.stdout
    sneaky = "a fox\x1b[2J\x1b]0;pwned\x07 in \x9b31m red"
    assert run_cli("generate", sneaky).returncode == 0
    for args in (["history", "list"], ["history", "search", "fox"], ["history", "show", str(int(gid) + 1)], ["history", "list", "--json"]):
        out = run_cli(*args)
        assert out.returncode == 0 and no_raw_control(out.stdout + out.stderr), args
    assert "a fox\\x1b[2J\\x1b]0;pwned\\x07 in \\x9b31m red" in run_cli("history", "list").stdout
    assert read_metadata(Path(json.loads(run_cli("history", "show", str(int(gid) + 1), "--json").stdout)["images"][0]["path"]))["prompt"] == sneaky
    folder = tmp_path / "found"
    folder.mkdir()
    (folder / "evil\x1b[2J.png").write_bytes(embed(artist.encode(artist.draw("x", 16, 16), "png", None), "png", {"app": "imagegen-tui"}).replace(b'{"app"', b'{"ap\x01'))
    imported = run_cli("history", "import", str(folder))
    assert no_raw_control(imported.stderr) and "evil\\x1b[2J.png" in imported.stderr


def test_a_bad_argument_is_quoted_back_escaped():
    out = run_cli("history", "list", "--limit", "\x1b[2J")
    assert out.returncode == 2 and no_raw_control(out.stderr) and "'\\x1b[2J' is not a whole number" in out.stderr


# --- 9, 10. time limits, and the smaller things ----------------------------------------------


def test_a_trickling_provider_is_cut_off_at_the_timeout(local):
    out = run_cli("generate", "a slow fox #trickle:0.5", "--timeout", "1")
    assert out.returncode == 1
    assert "no complete answer within 1 s (the whole call's time limit, retries included: the profile's timeout or --timeout)" in out.stderr
    assert rows()[0]["error_kind"] == "timeout"


def test_negative_limits_and_offsets_are_refused(dirs):
    for option in ("--limit", "--offset"):
        out = run_cli("history", "list", option, "-5")
        assert out.returncode == 2 and f"argument {option}: must be 0 or more (got -5)" in out.stderr


def test_more_or_fewer_images_than_asked_are_said(local):
    extra = run_cli("generate", "a fox #extra:50", "--json")
    assert extra.returncode == 0 and len(json.loads(extra.stdout)["paths"]) == 1
    assert json.loads(extra.stdout)["notes"] == ["the provider returned 50 images for n=1; the first was kept and the other 49 dropped"]
    assert "note: the provider returned 50 images for n=1" in extra.stderr
    fewer = run_cli("generate", "foxes #fewer:1", "-n", "10")
    assert fewer.returncode == 0 and len(fewer.stdout.split()) == 1
    assert "note: the provider returned 1 of 10 images" in fewer.stderr
