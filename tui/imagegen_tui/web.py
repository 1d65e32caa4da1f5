"""`imagegen-tui web`: the terminal interface in a browser, through textual-serve (an extra).

textual-serve answers each browser tab with a new process running a shell command: here this
same interpreter running `imagegen-tui`, with the same --config and --graphics, in this process's
environment (so the same XDG folders, keys and profile). Nothing in it asks who is connecting:
whoever reaches the port can spend the keys' money and read the history, hence loopback by
default and a warning for anything else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from imagegen_tui.console import say_error, warn
from imagegen_tui.errors import ErrorKind, Failure

INSTALL = "web mode needs textual-serve, which is not installed: pip install 'imagegen-tui[web]'"
EXIT_NOT_INSTALLED = 1
DEFAULT_PORT = 8000  # textual-serve's


def loopback(host: str) -> bool:
    """Whether only this machine can reach `host`: localhost or a loopback address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def exposed_warning(host: str, port: int) -> str:
    return (
        f"WARNING: serving on {host}:{port}, which other machines may reach, with no password: anyone who can reach "
        "this port can generate images with your keys (spending your money) and see your history and images. "
        "Prefer the default --host 127.0.0.1 with an SSH tunnel (ssh -L)."
    )


def app_command(config: Path | None, graphics: str | None) -> str:
    """The shell command textual-serve runs for each browser tab."""
    argv = [sys.executable, "-m", "imagegen_tui"]
    if config is not None:
        argv += ["--config", str(config.resolve())]  # the tab's process starts in this folder too, but says which file
    if graphics is not None:
        argv += ["--graphics", graphics]
    return shlex.join(argv)


def public_url(host: str, port: int) -> str:
    """What the page tells the browser to connect back to (its websocket)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(host: str, port: int, url: str | None, *, config: Path | None, graphics: str | None) -> int:
    """Serve until SIGINT or SIGTERM; every tab's app is told to quit first."""
    try:
        from textual_serve.server import Server
    except ImportError:
        say_error(INSTALL)
        return EXIT_NOT_INSTALLED
    if not loopback(host):
        warn(exposed_warning(host, port))

    class Tabs(Server):
        """textual-serve's Server, which on shutdown waits (for many seconds) for the browser
        tabs still connected: here they are closed, and with them their apps."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.open: set[asyncio.Task[Any]] = set()

        async def handle_websocket(self, request: Any) -> Any:
            task = asyncio.current_task()
            assert task is not None
            self.open.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.open.discard(task)

        async def on_shutdown(self, app: Any) -> None:
            for task in self.open:
                task.cancel()
            await asyncio.gather(*self.open, return_exceptions=True)

    server = Tabs(app_command(config, graphics), host=host, port=port, title="imagegen-tui", public_url=url or public_url(host, port))
    asyncio.set_event_loop(asyncio.new_event_loop())  # textual-serve asks for the current one
    try:
        server.serve()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        why = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise Failure(ErrorKind.USAGE, f"cannot serve on {host}:{port}: {why}") from None
    return 0
