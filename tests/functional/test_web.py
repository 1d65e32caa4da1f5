"""`imagegen-tui web` as a real server process: textual-serve's page over HTTP, its websocket
driven as the page's script drives it until our app is on the other end (started with this
config and these XDG folders, drawing half-cell pictures), a clean stop that takes the apps with
it; the warning for an address other machines may reach; the sentence without the extra."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import httpx

from conftest import write_config
from imagegen_tui.store import Filters, HistoryStore
from imagegen_tui.web import INSTALL, loopback

COMMAND = [sys.executable, "-m", "imagegen_tui"]
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int, out: Path, err: Path) -> None:
        self.process, self.port, self._out, self._err = process, port, out, err

    @property
    def stdout(self) -> str:
        return self._out.read_text()

    @property
    def stderr(self) -> str:
        return self._err.read_text()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


@contextmanager
def serving(tmp_path: Path, *args: str, host: str = "127.0.0.1") -> Iterator[Served]:
    """`imagegen-tui [args] web` on a free port, once its page answers."""
    port = free_port()
    out, err = tmp_path / "web.out", tmp_path / "web.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([*COMMAND, *args, "web", "--host", host, "--port", str(port)], stdout=stdout, stderr=stderr, env=dict(os.environ))
    served = Served(process, port, out, err)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, served.stderr
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the page never answered"
                time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def read_screen(ws: aiohttp.ClientWebSocketResponse, *wanted: bytes) -> bytes:
    """The app's output until every `wanted` text is on its screen (escape codes taken out)."""
    screen = b""
    deadline = time.monotonic() + 45
    while not all(text in ESCAPES.sub(b"", screen) for text in wanted):
        try:  # not receive(timeout=…): each of the server's pings (every 15 s) starts that one afresh
            message = await asyncio.wait_for(ws.receive(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise AssertionError(f"not on the app's screen in time: {wanted}; it shows {ESCAPES.sub(b'', screen)[-1500:]!r}") from None
        assert message.type == aiohttp.WSMsgType.BINARY, message
        screen += message.data
    return ESCAPES.sub(b"", screen)


def descendants(pid: int) -> list[int]:
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found += [int(child), *descendants(int(child))]
    return found


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_the_page_and_the_app_in_it_with_this_config(tmp_path, dirs, demo):
    write_config(dirs, f'profile = "from-xdg"\n[profiles.from-xdg]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    with serving(tmp_path) as served:
        page = httpx.get(f"http://127.0.0.1:{served.port}/")
        assert page.status_code == 200
        assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in page.text  # textual-serve's page
        assert "js/textual.js" in page.text and re.search(r"<div>\s*imagegen-tui\s*</div>", page.text)

        async def visit() -> list[int]:
            async with aiohttp.ClientSession() as session, session.ws_connect(f"http://127.0.0.1:{served.port}/ws?width=120&height=36") as ws:
                await read_screen(ws, b"imagegen-tui", b"from-xdg \xc2\xb7 halfcell")  # the title; our profile; half-cell pictures
                apps = descendants(served.process.pid)
                assert apps  # a shell, and our app under it
                served.process.send_signal(signal.SIGTERM)  # stopped while a tab is open
                message = await asyncio.wait_for(ws.receive(), 20)
                while message.type == aiohttp.WSMsgType.BINARY:  # frames still on their way
                    message = await asyncio.wait_for(ws.receive(), 20)
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
                return apps

        apps = asyncio.run(visit())
        assert served.process.wait(timeout=20) == 0
    deadline = time.monotonic() + 15  # told to quit, the apps end a moment after the server
    while not all(gone(pid) for pid in apps):
        assert time.monotonic() < deadline, [pid for pid in apps if not gone(pid)]
        time.sleep(0.05)
    assert "WARNING" not in served.stderr
    assert "Serving" in served.stdout and "\x1b" not in served.stdout  # a file: no colour


def test_an_address_others_may_reach_is_warned_about_and_config_goes_along(tmp_path, dirs, demo):
    other = tmp_path / "other.toml"
    other.write_text(f'profile = "given"\n[profiles.given]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    with serving(tmp_path, "--config", str(other), host="0.0.0.0") as served:
        assert "WARNING: serving on 0.0.0.0:" in served.stderr
        assert "anyone who can reach this port can generate images with your keys" in served.stderr

        async def visit() -> None:
            async with aiohttp.ClientSession() as session, session.ws_connect(f"http://127.0.0.1:{served.port}/ws?width=120&height=36") as ws:
                await read_screen(ws, b"given \xc2\xb7 halfcell")

        asyncio.run(visit())
        assert served.stop() == 0


def test_without_the_extra_one_sentence_says_how_to_install_it(dirs):
    blocked = "import sys; sys.modules['textual_serve'] = None; from imagegen_tui.cli import main; sys.exit(main())"  # as if not installed
    out = subprocess.run([sys.executable, "-c", blocked, "web"], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout, out.stderr) == (1, "", f"error: {INSTALL}\n")
    assert "pip install 'imagegen-tui[web]'" in INSTALL


def test_a_port_in_use_is_said_in_a_sentence(dirs):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([*COMMAND, "web", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and f"error: cannot serve on 127.0.0.1:{port}: address already in use" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_which_addresses_are_this_machine_only():
    assert all(loopback(host) for host in ("127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"))
    assert not any(loopback(host) for host in ("0.0.0.0", "::", "192.168.1.10", "example.com", "my-laptop"))


def test_a_tab_closed_mid_job_still_saves_the_paid_image(tmp_path, dirs, demo):
    """textual-serve tells the app to exit when its page goes: the job already sent finishes,
    its image saved and recorded, before the app ends."""
    write_config(dirs, f'profile = "gw"\n[profiles.gw]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n')
    with serving(tmp_path) as served:

        async def visit() -> list[int]:
            async with aiohttp.ClientSession() as session, session.ws_connect(f"http://127.0.0.1:{served.port}/ws?width=120&height=36") as ws:
                await read_screen(ws, b"gw \xc2\xb7 halfcell")
                await ws.send_json(["stdin", "a lighthouse, the tab closes #sleep:3\r"])
                await read_screen(ws, b"1 running")
                return descendants(served.process.pid)  # the tab closes here

        apps = asyncio.run(visit())
        deadline = time.monotonic() + 30
        while not all(gone(pid) for pid in apps):  # the app sees the job through, then ends
            assert time.monotonic() < deadline, "the app did not end after its job"
            time.sleep(0.1)
        assert served.stop() == 0
    with HistoryStore.open_default() as store:
        [row] = store.page(Filters())
    assert row.status == "done" and row.images and row.images[0].path.exists(), (row.status, row.error_message, served.stdout[-2000:])
