"""What the tests of each dialect (tests/functional/test_dialect_*.py) share: a profile of that
dialect pointed at a demo server that speaks it, and the real command run against it."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

from PIL import Image

from conftest import Dirs, run_cli, write_config
from imagegen_tui.demo.server import DemoServer


def use(dirs: Dirs, server: DemoServer, model: str, extra: str = "", key: str | None = None) -> DemoServer:
    """The config: one profile, `local`, of the server's dialect; `extra`: its [extra] table's
    lines; `key`: the key it sends (else none is needed). Returns the server, for a fixture."""
    table = f"[profiles.local.extra]\n{extra}\n" if extra else ""
    keyed = f'api_key = "{key}"' if key else "key_required = false"
    write_config(dirs, f'profile = "local"\n[profiles.local]\ndialect = "{server.dialect}"\nbase_url = "{server.base_url}"\n'
                       f'model = "{model}"\n{keyed}\n{table}')
    return server


def ran(*args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """The command with --json, and what it printed."""
    out = run_cli(*args, "--json")
    return out, json.loads(out.stdout)


def made(*args: str) -> dict[str, Any]:
    """A command that must succeed: its JSON."""
    out, told = ran(*args)
    assert out.returncode == 0, out.stderr
    return told


def recorded(gen_id: int) -> dict[str, Any]:
    """The history's record of a generation (`history show --json`)."""
    return made("history", "show", str(gen_id))


def png_text(path: str) -> str:
    """The A1111 `parameters` text a PNG carries."""
    with Image.open(path) as image:
        return image.info["parameters"]


def pixels(told: dict[str, Any], index: int = 0) -> bytes:
    """The decoded pixels of a saved image (its metadata differs from run to run)."""
    with Image.open(told["paths"][index]) as image:
        return image.tobytes()


def picture(tmp: Path, size: tuple[int, int] = (64, 64)) -> str:
    """A PNG file to edit: grey, so any change shows."""
    path = tmp / "in.png"
    buffer = io.BytesIO()
    Image.new("RGB", size, (128, 128, 128)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)
