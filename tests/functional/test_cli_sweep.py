"""Sweeps and batches as a user runs them: `imagegen-tui generate … --sweep` and `imagegen-tui
batch FILE` in their own processes, against a demo server whose requests are counted, the
history read back from its SQLite file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from conftest import run_cli, write_config
from ptyproc import PtyProcess
from imagegen_tui.metadata import read_metadata
from imagegen_tui.store import HistoryStore


@pytest.fixture
def local(dirs, demo):
    """A profile `local` on the counted demo server, one call at a time."""
    write_config(dirs, f'profile = "local"\n[ui]\nconcurrency = 1\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    return demo


def history_db(dirs) -> Path:
    return dirs.data / "imagegen-tui" / "history.sqlite3"


def mean(image: Image.Image) -> tuple[float, ...]:
    return tuple(ImageStat.Stat(image.convert("RGB")).mean)


def distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5


def test_a_2x2_sweep_is_four_generations_of_one_sweep_and_a_labelled_sheet(local, dirs):
    out = run_cli("generate", "a {red|blue} fox", "--sweep", "quality=low,high", "--sheet", "--yes", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert local.httpd.generation_requests == 4
    assert "sweep " in out.stderr and "4 calls, 4 images" in out.stderr and "cost: unknown" in out.stderr
    with HistoryStore(history_db(dirs)) as store:
        members = store.sweep_members(result["sweep_id"])
    assert len(members) == 4 and {g.status for g in members} == {"done"}
    assert [(g.provenance.sweep_axes["{1}"], g.provenance.sweep_axes["quality"]) for g in members] == [
        ("red", "low"), ("red", "high"), ("blue", "low"), ("blue", "high")]  # the plan's order
    for g in members:
        assert g.prompt == f"a {g.provenance.sweep_axes['{1}']} fox" and g.quality == g.provenance.sweep_axes["quality"]
    by_id = {g.id: g for g in members}

    [sheet_path] = map(Path, result["sheets"])
    assert sheet_path.parent == members[0].images[0].path.parent and sheet_path.name == f"sweep-{result['sweep_id']}.png"
    meta = read_metadata(sheet_path)
    assert meta["kind"] == "contact-sheet" and meta["sweep_id"] == result["sweep_id"] and meta["prompt"] == "a {red|blue} fox"
    assert (meta["x"], meta["columns"], meta["y"], meta["rows"]) == ("{1}", ["red", "blue"], "quality", ["low", "high"])
    (left, top), (cell_w, cell_h), gap = meta["origin"], meta["cell"], meta["gap"]
    with Image.open(sheet_path) as sheet:
        sheet.load()
    assert sheet.size == (left + 2 * (cell_w + gap), top + 2 * (cell_h + gap))
    assert len(meta["cells"]) == 4
    for cell in meta["cells"]:
        generation = by_id[cell["history_id"]]
        # the cell sits under its column's and beside its row's label
        assert dict(generation.provenance.sweep_axes) == cell["axes"]
        assert cell["axes"] == {"{1}": meta["columns"][cell["column"]], "quality": meta["rows"][cell["row"]]}
        assert cell["paths"] == [str(image.path) for image in generation.images]
        # and shows that generation's picture, not another's
        x, y = left + cell["column"] * (cell_w + gap), top + cell["row"] * (cell_h + gap)
        shown = mean(sheet.crop((x, y, x + cell_w, y + cell_h)))
        own = mean(Image.open(generation.images[0].path))
        others = [mean(Image.open(g.images[0].path)) for g in members if g.prompt != generation.prompt]
        assert distance(shown, own) < 6 < min(distance(shown, other) for other in others)


def test_the_sheet_is_no_generation_history_import_passes_over_it(local, dirs):
    out = run_cli("generate", "a {red|blue} fox", "--sheet", "--yes", "--json")
    assert out.returncode == 0, out.stderr
    with HistoryStore(history_db(dirs)) as store:
        assert store.count() == 2
    imported = run_cli("history", "import", str(dirs.output), "--json")
    report = json.loads(imported.stdout)
    assert report["sheets"] == 1 and report["generations"] == 0 and report["damaged"] == []


def test_without_yes_and_without_a_terminal_nothing_is_sent(local, dirs):
    out = run_cli("generate", "a {red|blue} fox", "--sweep", "quality=low,high")
    assert out.returncode == 2
    assert "4 calls, 4 images" in out.stderr and "no terminal to ask on: nothing was sent; add --yes" in out.stderr
    assert local.httpd.generation_requests == 0 and out.stdout == ""


def test_over_100_calls_is_refused_without_yes(local, dirs):
    colours = "|".join(f"c{i}" for i in range(51))
    out = run_cli("generate", f"a {{{colours}}} fox", "--sweep", "quality=low,high", "--json")
    assert out.returncode == 2 and local.httpd.generation_requests == 0
    assert json.loads(out.stdout)["error"]["calls"] == 102 and "more than 100" in out.stderr


def test_one_invalid_cell_refuses_the_sweep_before_sending(local, dirs):
    out = run_cli("generate", "a {red|blue} fox", "--sweep", "quality=low,ultra", "--yes", "--json")
    assert out.returncode == 2 and local.httpd.generation_requests == 0
    error = json.loads(out.stdout)["error"]
    assert error["kind"] == "invalid_request" and "2 of the 4 calls would be refused" in error["message"]
    assert not history_db(dirs).exists() or HistoryStore(history_db(dirs)).count() == 0


@pytest.mark.parametrize("prompt, words", [
    ("a {red|{dark|light}} fox", "variants cannot be nested"),
    ("a {red fox", "never closed"),
    ("a {} fox", "is empty"),
])
def test_unreadable_braces_are_a_usage_error(local, prompt, words):
    out = run_cli("generate", prompt, "--yes")
    assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr
    assert local.httpd.generation_requests == 0


def test_escaped_braces_make_one_plain_generation(local, dirs):
    out = run_cli("generate", r"a \{red\} fox", "--json")
    assert out.returncode == 0, out.stderr
    assert read_metadata(Path(json.loads(out.stdout)["paths"][0]))["prompt"] == "a {red} fox"
    assert run_cli("generate", "a fox", "--sheet").returncode == 2


def test_a_failed_cell_does_not_stop_the_others(local, dirs):
    out = run_cli("generate", "a fox {ok|#fail:500}", "--yes", "--json")
    assert out.returncode == 1
    error = json.loads(out.stdout)["error"]
    assert error["kind"] == "server" and error["message"].startswith("1 of 2 calls failed ({1}=#fail:500")
    assert [len(run["paths"]) for run in error["runs"]] == [1, 0]


COMMAND = [sys.executable, "-m", "imagegen_tui"]


@pytest.mark.parametrize("answer, sent", [("y", 2), ("n", 0)])
def test_on_a_terminal_the_plan_is_asked_about(local, answer, sent):
    with PtyProcess([*COMMAND, "generate", "a {red|blue} fox"]) as terminal:
        terminal.read_until(b"send 2 calls? [y/N] ")
        assert local.httpd.generation_requests == 0
        terminal.send(answer + "\r")
        assert terminal.wait() == (0 if sent else 2)
    assert local.httpd.generation_requests == sent


def test_a_hangup_during_a_sweep_silences_it_and_every_call_finishes(local, dirs):
    with PtyProcess([*COMMAND, "generate", "a fox {one|two} #sleep:1", "--yes"]) as terminal:
        terminal.read_until(lambda shown: local.httpd.generation_requests == 1)
        terminal.hang_up()
        assert terminal.wait() == 0
    assert local.httpd.generation_requests == 2
    assert done_prompts(dirs) == ["a fox one #sleep:1", "a fox two #sleep:1"]


# --- batch ----------------------------------------------------------------------------------


def done_prompts(dirs) -> list[str]:
    with sqlite3.connect(f"file:{history_db(dirs)}?mode=ro", uri=True) as db:
        return sorted(row[0] for row in db.execute("SELECT prompt FROM generations WHERE status = 'done'"))


def test_a_killed_batch_resumes_without_repeating_done_lines(local, dirs, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text('# four foxes\na fox one\n{"prompt": "a fox two", "quality": "low"}\n\na fox three #sleep:3\na fox four\n')
    proc = subprocess.Popen([sys.executable, "-m", "imagegen_tui", "batch", str(prompts), "--yes"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 30
        while not (local.httpd.generation_requests == 3 and history_db(dirs).exists() and len(done_prompts(dirs)) == 2):
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() is not None else "timed out"
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)  # while line 5 sleeps at the server
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert done_prompts(dirs) == ["a fox one", "a fox two"]

    again = run_cli("batch", str(prompts), "--yes")
    assert again.returncode == 0, again.stderr
    assert "2 calls, 2 images on profile local; 2 lines already done, skipped" in again.stderr
    assert local.httpd.generation_requests == 5  # 3 before the kill, then only lines 5 and 6
    assert done_prompts(dirs) == ["a fox four", "a fox one", "a fox three #sleep:3", "a fox two"]
    assert len(again.stdout.split()) == 2

    finished = run_cli("batch", str(prompts), "--yes", "--json")
    assert finished.returncode == 0 and json.loads(finished.stdout)["skipped"] == 4
    assert local.httpd.generation_requests == 5
    with HistoryStore(history_db(dirs)) as store:
        keyed = store.page(limit=10)
    assert all(g.provenance.batch_key for g in keyed)
    assert [g.status for g in keyed if g.prompt.startswith("a fox three")] == ["done", "interrupted"]


def test_a_bad_line_refuses_the_batch_before_sending(local, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text('a fox\n{"prompt": "a hound", "size": "3x3"}\n')
    out = run_cli("batch", str(prompts), "--yes")
    assert out.returncode == 2 and "line 2" in out.stderr and local.httpd.generation_requests == 0


def test_a_budget_stops_the_calls_that_would_cross_it_and_the_others_are_sent(dirs, demo):
    write_config(dirs, f'profile = "local"\n[ui]\nconcurrency = 1\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n'
                       '[prices."gpt-image-2"]\nper_image = 0.25\n[budget]\ndaily = 0.5\n')
    out = run_cli("generate", "a {red|blue|green} fox", "--yes", "--json")
    assert out.returncode == 1 and demo.httpd.generation_requests == 2  # 0.25 each: the third would cross 0.50
    error = json.loads(out.stdout)["error"]
    assert error["kind"] == "budget" and error["message"].startswith("1 of 3 calls failed ({1}=green: the daily budget would be crossed")
    assert [run["error"]["kind"] if run["error"] else None for run in error["runs"]] == [None, None, "budget"]
    assert "Traceback" not in out.stderr


def test_a_sweep_cannot_go_to_standard_output(local):
    out = run_cli("generate", "a {red|blue} fox", "--yes", "-o", "-")
    assert out.returncode == 2 and "standard output cannot take" in out.stderr and local.httpd.generation_requests == 0
