"""Shell completion, in the shells themselves: bash's completion function driven with
COMP_WORDS as bash fills it, bash and zsh typed into on a real pseudo-terminal (TAB), fish's own
completion engine (`complete -C`). Profile names come from the test's config through the
program on PATH, as on a user's machine."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli, write_config
from ptyproc import PtyProcess


STYLES = '[styles.watercolor]\nprompt = "{prompt}, watercolor"\n[styles."soft light"]\nquality = "low"\n[styles.noir]\nprompt = "film noir"\n'


@pytest.fixture
def program(tmp_path: Path, dirs, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`imagegen-tui` on PATH (this interpreter, this checkout), with one profile of the
    user's own in the config besides the built-in ones, and styles (one whose name has a space,
    which no completion can offer as one word)."""
    write_config(dirs, '[profiles.my-gateway]\nbase_url = "http://127.0.0.1:9/v1"\nkey_required = false\n' + STYLES)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "imagegen-tui"
    script.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m imagegen_tui \"$@\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(Path(__file__).parents[2] / "tui"), os.environ.get("PYTHONPATH")])))
    return script


def completion_script(shell: str, folder: Path, name: str) -> Path:
    out = run_cli("completion", shell)
    assert out.returncode == 0 and out.stderr == ""
    path = folder / name
    path.write_text(out.stdout)
    return path


def need(shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")


# --- bash -------------------------------------------------------------------------------------


@pytest.fixture
def bash_script(program: Path, tmp_path: Path) -> Path:
    need("bash")
    return completion_script("bash", tmp_path, "imagegen-tui.bash")


def complete_bash(script: Path, *words: str) -> list[str]:
    """What `_imagegen_tui` offers with COMP_WORDS = words, the last one being completed."""
    code = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _imagegen_tui; printf "%s\\n" "${COMPREPLY[@]}"'
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", code, "bash", str(script), "imagegen-tui", *words], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


@pytest.mark.parametrize(("words", "offered"), [
    (["gen"], ["generate"]),
    ([""], ["generate", "edit", "config", "history", "batch", "models", "doctor", "serve-demo", "web", "completion"]),
    (["generate", "a {red|blue} fox", "--sw"], ["--sweep"]),
    (["generate", "a fox", "--sh"], ["--sheet"]),
    (["batch", "prompts.txt", "--ag"], ["--again"]),
    (["batch", "prompts.txt", "--quality", "l"], ["low"]),
    (["generate", "--qu"], ["--quality", "--quiet"]),
    (["generate", "a fox", "--quality", ""], ["auto", "low", "medium", "high", "standard", "hd"]),
    (["generate", "a fox", "-q", "h"], ["high", "hd"]),
    (["generate", "--quality", "=", "m"], ["medium"]),  # --quality=m: bash splits at '='
    (["generate", "--format", ""], ["png", "jpeg", "webp"]),
    (["edit", "x", "--fidelity", ""], ["high", "low"]),
    (["--graphics", "s"], ["sixel"]),
    (["--graphics", "sixel", "hi"], ["history"]),  # an option's value is no command
    (["history", ""], ["list", "search", "show", "tree", "rerun", "delete", "export", "favourite", "stats", "import", "missing", "compare", "recover"]),
    (["history", "search", "red", "fox", "--status", "c"], ["cancelled"]),
    (["history", "stats", "--by", ""], ["model", "profile", "day"]),
    (["config", ""], ["path", "show", "add-profile"]),
    (["config", "add-profile", "gw", "--dialect", "l"], ["litellm", "localai"]),
    (["config", "show", ""], []),
    (["completion", "z"], ["zsh"]),
    (["generate", "--profile", ""], ["model-go", "openai", "demo", "my-gateway"]),
    (["history", "list", "--profile", "my"], ["my-gateway"]),
    (["models", "-"], ["-h", "--help", "--profile", "-p", "--json"]),
    (["models", "--profile", "m"], ["model-go", "my-gateway"]),
    (["generate", "a fox", "--style", ""], ["watercolor", "noir"]),
    (["edit", "a hat", "--style", "watercolor", "--style", "n"], ["noir"]),
    (["generate", "--", "--q"], []),  # after --, a prompt that starts with a dash
])
def test_bash_completes_commands_options_and_values(bash_script, words, offered):
    assert complete_bash(bash_script, *words) == offered


def test_bash_completes_files_and_folders(bash_script, tmp_path):
    (tmp_path / "fox.png").write_bytes(b"")
    (tmp_path / "foxes").mkdir()
    start = str(tmp_path / "fox")
    assert sorted(complete_bash(bash_script, "edit", "a hat", "--image", start)) == [start + ".png", start + "es"]
    assert sorted(complete_bash(bash_script, "batch", start)) == [start + ".png", start + "es"]
    assert complete_bash(bash_script, "edit", "a hat", "--mask", start + ".") == [start + ".png"]
    assert complete_bash(bash_script, "generate", "a fox", "-o", start) == [start + "es"]  # folders only
    assert complete_bash(bash_script, "history", "import", start) == [start + "es"]
    assert complete_bash(bash_script, "--config", start + ".") == [start + ".png"]


def test_bash_asks_the_config_given_for_profile_names(bash_script, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text('[profiles.elsewhere]\nbase_url = "http://127.0.0.1:9/v1"\nkey_required = false\n')
    offered = complete_bash(bash_script, "--config", str(other), "generate", "-p", "")
    assert "elsewhere" in offered and "my-gateway" not in offered


def test_bash_on_a_terminal(bash_script):
    """As a person types it: the script sourced, TAB pressed."""
    with PtyProcess(["bash", "--norc", "--noprofile", "-i"], env={**os.environ, "PS1": "$ "}) as terminal:
        terminal.send(f"source {shlex.quote(str(bash_script))}\n")
        terminal.send("imagegen-tui hist\t")
        terminal.read_until(b"imagegen-tui history ")
        terminal.send("sh\t")
        terminal.read_until(b"imagegen-tui history show ")
        terminal.send("\x03exit\n")


# --- zsh --------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["fpath", "source"])
def test_zsh_on_a_terminal(program, tmp_path, how):
    """Installed as zsh wants it (a file named _imagegen-tui in $fpath, before compinit), or
    sourced after compinit."""
    need("zsh")
    functions = tmp_path / "zfunc"
    functions.mkdir()
    script = completion_script("zsh", functions, "_imagegen-tui")
    assert subprocess.run(["zsh", "-n", str(script)]).returncode == 0
    setup = {
        "fpath": f"fpath=({shlex.quote(str(functions))} $fpath); autoload -Uz compinit; compinit -u -D",
        "source": f"autoload -Uz compinit; compinit -u -D; source {shlex.quote(str(script))}",
    }[how]
    env = {**os.environ, "ZDOTDIR": str(tmp_path)}  # no .zshrc of anyone's
    with PtyProcess(["zsh", "-f", "-i"], env=env) as terminal:
        terminal.send(f"{setup}; PS1='%% '\n")
        terminal.send("imagegen-tui gen\t")
        terminal.read_until(b"imagegen-tui generate", timeout=20)
        terminal.send("--qual\t")
        terminal.read_until(b"--quality", timeout=20)
        terminal.send("\t")  # its values
        terminal.read_until(lambda shown: all(word in shown for word in (b"medium", b"standard", b"auto")), timeout=20)
        terminal.send("\x15imagegen-tui history \t")  # ctrl+u: a new line
        terminal.read_until(lambda shown: b"favourite" in shown and b"mark (or with --off unmark) a favourite" in shown, timeout=20)
        terminal.send("\x15imagegen-tui edit a --profile \t")
        terminal.read_until(b"my-gateway", timeout=20)
        terminal.send("\x15imagegen-tui generate a --style wa\t")
        terminal.read_until(b"--style watercolor", timeout=20)
        terminal.send("\x15exit\n")


# --- fish -------------------------------------------------------------------------------------


def complete_fish(script: Path, line: str) -> list[str]:
    """fish's own completions for `line` (each candidate, without its description)."""
    code = f"source {shlex.quote(str(script))}; complete -C {shlex.quote(line)}"
    out = subprocess.run(["fish", "--no-config", "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return [row.split("\t")[0] for row in out.stdout.splitlines()]


@pytest.fixture
def fish_script(program: Path, tmp_path: Path) -> Path:
    need("fish")
    script = completion_script("fish", tmp_path, "imagegen-tui.fish")
    assert subprocess.run(["fish", "--no-execute", str(script)]).returncode == 0
    return script


@pytest.mark.parametrize(("line", "offered"), [
    ("imagegen-tui gen", ["generate"]),
    ("imagegen-tui generate --qu", ["--quality", "--quiet"]),
    ("imagegen-tui generate 'a fox' --quality ", ["auto", "hd", "high", "low", "medium", "standard"]),
    ("imagegen-tui generate --quality=h", ["--quality=hd", "--quality=high"]),
    ("imagegen-tui history ", ["compare", "delete", "export", "favourite", "import", "list", "missing", "recover", "rerun", "search", "show", "stats", "tree"]),
    ("imagegen-tui config ", ["add-profile", "path", "show"]),
    ("imagegen-tui config show ", []),
    ("imagegen-tui --graphics sixel hi", ["history"]),
    ("imagegen-tui generate -p ", ["demo", "model-go", "my-gateway", "openai"]),
    ("imagegen-tui generate 'a fox' --style ", ["noir", "watercolor"]),
])
def test_fish_completes_commands_options_and_values(fish_script, line, offered):
    assert complete_fish(fish_script, line) == offered


def test_fish_completes_files_and_folders(fish_script, tmp_path):
    (tmp_path / "fox.png").write_bytes(b"")
    (tmp_path / "foxes").mkdir()
    start = str(tmp_path / "fox")
    assert complete_fish(fish_script, f"imagegen-tui edit 'a hat' --image {start}") == [start + ".png", start + "es/"]
    assert complete_fish(fish_script, f"imagegen-tui history import {start}") == [start + "es/"]
