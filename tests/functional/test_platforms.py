"""Without the POSIX calls Windows lacks (fcntl, os.fchmod before Python 3.13, O_NOFOLLOW,
O_NONBLOCK, SIGHUP), the headless commands still work and still tell a killed process's files
from live work: real processes, with those calls taken away before imagegen_tui is imported,
against the demo server on loopback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from test_cli_trust import SLOW_FSYNC, config_with, image_parts, local, rows, wait_for  # noqa: F401 (local is a fixture)

WITHOUT_POSIX = textwrap.dedent("""
    import os, signal, sys
    sys.modules["fcntl"] = None  # `import fcntl` fails, as on Windows
    for name in ("fchmod", "O_NOFOLLOW", "O_NONBLOCK"):
        delattr(os, name)
    del signal.SIGHUP
    from imagegen_tui import locks
    assert locks.fcntl is None, "the flock path was taken"
""")

MAIN = "from imagegen_tui.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def run_without_posix(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITHOUT_POSIX + MAIN, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def test_generate_saves_and_records_without_fcntl_or_fchmod(local, dirs):
    out = run_without_posix("generate", "a fox on a machine without fcntl")
    assert out.returncode == 0, out.stderr
    [saved] = [line for line in out.stdout.splitlines() if line]
    image = Path(saved)
    assert image.is_file() and image.is_relative_to(dirs.output)
    assert stat.S_IMODE(image.stat().st_mode) == 0o600  # no fchmod: mkstemp's mode stays
    [row] = rows()
    assert (row["status"], row["prompt"]) == ("done", "a fox on a machine without fcntl")
    runners = dirs.data / "imagegen-tui" / "runners"
    assert list(runners.glob("*.lock")) == [] and list(dirs.output.rglob(".imagegen-*")) == []


def test_without_fcntl_a_killed_writers_files_are_told_from_a_live_ones_by_its_pid(local, dirs):
    config_with(dirs, local, '[output]\ntemplate = "{slug}-{index}"')
    victim = subprocess.Popen([sys.executable, "-c", WITHOUT_POSIX + SLOW_FSYNC + MAIN, "generate", "a grainy fox #photo", "--size", "1024x1024"], env=dict(os.environ))
    runners = dirs.data / "imagegen-tui" / "runners"
    try:
        wait_for(lambda: image_parts(dirs.output), "the save began")
        [part] = image_parts(dirs.output)
        [lock] = runners.glob("*.lock")
        assert part.name.startswith(f".imagegen-{victim.pid}-") and lock.name.startswith(f"{victim.pid}-")
        beside = run_without_posix("generate", "a fox beside it")
        assert beside.returncode == 0, beside.stderr
        assert part.exists() and lock.exists()  # its writer runs: not touched
    finally:
        victim.kill()
        victim.wait()
    assert part.exists() and lock.exists()  # what kill -9 leaves
    after = run_without_posix("generate", "the next fox")
    assert after.returncode == 0, after.stderr
    assert list(dirs.output.glob(".imagegen-*")) == [] and list(runners.glob("*.lock")) == []
    cut_off = next(r for r in rows() if r["prompt"] == "a grainy fox #photo")
    assert cut_off["status"] == "interrupted" and "the provider may have finished it and billed the call" in cut_off["error_message"]


def test_private_files_are_written_without_fchmod(dirs, tmp_path):
    script = WITHOUT_POSIX + textwrap.dedent("""
        from pathlib import Path
        from imagegen_tui.privatefile import write_private
        write_private(Path(sys.argv[1]), "profile = 'demo'\\n")
    """)
    target = tmp_path / "deep" / "config.toml"
    out = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert target.read_text() == "profile = 'demo'\n" and [p.name for p in target.parent.iterdir()] == ["config.toml"]
