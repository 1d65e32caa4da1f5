"""Every test runs with its own config, data, cache and pictures folders (XDG_* and HOME point
into tmp_path), no provider keys and no proxies, so nothing reaches the user's files or the
internet."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from imagegen_tui.demo.server import DemoServer

_CLEARED = (
    "MODEL_GO_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "IMAGEGEN_TUI_PROFILE",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
)


@dataclass
class Dirs:
    root: Path
    config: Path
    data: Path
    cache: Path
    pictures: Path

    @property
    def config_file(self) -> Path:
        return self.config / "imagegen-tui" / "config.toml"

    @property
    def output(self) -> Path:
        return self.pictures / "imagegen-tui"


@pytest.fixture(autouse=True)
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dirs:
    d = Dirs(tmp_path, tmp_path / "config", tmp_path / "data", tmp_path / "cache", tmp_path / "pictures")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(d.config))
    monkeypatch.setenv("XDG_DATA_HOME", str(d.data))
    monkeypatch.setenv("XDG_CACHE_HOME", str(d.cache))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_PICTURES_DIR", str(d.pictures))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in _CLEARED:
        monkeypatch.delenv(var, raising=False)
    return d


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


@pytest.fixture
def keyed_demo() -> Iterator[DemoServer]:
    with DemoServer(key="demo-secret-key-123456") as server:
        yield server


@pytest.fixture
def speaking() -> Iterator[Callable[[str], DemoServer]]:
    """Start demo servers that speak a dialect (`speaking("localai")`), all closed at the end:
    each records in `received` what it understood of each image request."""
    servers: list[DemoServer] = []

    def start(dialect: str) -> DemoServer:
        servers.append(DemoServer(dialect=dialect).start())
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def write_config(dirs: Dirs, text: str) -> Path:
    dirs.config_file.parent.mkdir(parents=True, exist_ok=True)
    dirs.config_file.write_text(text)
    return dirs.config_file


def run_cli(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real command, in a fresh interpreter, with the test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "imagegen_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )
