"""The app and its terminal: pictures written around each frame, notices, nothing written while
the terminal is lent to another program, and the terminal going away (ui/hangup.py).

The base of the app (ui/app.py), because Textual writes frames and notices and picks its driver
through the App itself: these are its methods to override, not hooks a widget could take. What
the app does when its terminal is gone is the app's own (`terminal_gone`).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from textual.app import App
from textual.messages import ExitApp

from imagegen_tui.textsafe import one_line, visible
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.pictures import Painter

MAX_NOTICES = 3


class TerminalApp(App[None]):
    """Pictures are written straight to the terminal, around Textual's frames; notices are plain
    text; while the terminal is lent (suspend), the app writes no picture; when the terminal is
    gone, the app stops using it and carries on without a screen."""

    def __init__(self, graphics: Graphics) -> None:
        super().__init__()
        if graphics.protocol == "kitty":
            self._colours_for_kitty()
        self.graphics = graphics
        self._lent = False  # the terminal is lent to another program (suspend)
        self.pictures = Painter(graphics, self._write_pictures, self._from_thread)
        self.detached = False  # the terminal went away
        self._loop_for_hangup: asyncio.AbstractEventLoop | None = None

    def on_mount(self) -> None:
        """Besides the app's own on_mount (Textual calls the handlers of every class)."""
        if not self.is_headless and hasattr(signal, "SIGHUP"):
            self._loop_for_hangup = asyncio.get_running_loop()
            self._loop_for_hangup.add_signal_handler(signal.SIGHUP, self.hang_up)

    def _colours_for_kitty(self) -> None:
        """kitty reads which image a placeholder cell shows from its 24-bit foreground colour.
        Rich picks the colours it writes from COLORTERM and TERM, and over SSH COLORTERM is
        usually not passed on: with TERM=xterm-kitty alone it writes 256 colours, the nearest
        palette colour names another image, and no picture appears. Every terminal that speaks
        kitty's graphics protocol has 24-bit colour, so the app writes it."""
        from rich.color import ColorSystem

        self.console._color_system = ColorSystem.TRUECOLOR

    # --- the terminal going away ----------------------------------------------------------------

    def get_driver_class(self) -> Any:
        """A driver named in TEXTUAL_DRIVER is used as it is: that is how textual-serve runs the
        app in a browser (`imagegen-tui web`), through a pipe and not a terminal."""
        from textual import constants

        from imagegen_tui.ui.hangup import hangup_aware

        base = super().get_driver_class()
        return base if constants.DRIVER else hangup_aware(base, self._terminal_gone_soon)

    def _terminal_gone_soon(self) -> None:
        """From the driver's threads: the terminal failed a read or a write."""
        if self._loop_for_hangup is not None and not self.detached:
            self._loop_for_hangup.call_soon_threadsafe(self.hang_up)

    def hang_up(self) -> None:
        """The terminal is gone (SIGHUP, or it failed us): stop using it, whatever state it is
        in, then let the app carry on without it."""
        if self.detached:
            return
        from imagegen_tui.ui.hangup import let_go

        self.detached = True
        try:
            if self._driver is not None:
                let_go(self._driver)
        finally:
            self.terminal_gone()

    def _on_exit_app(self, message: ExitApp) -> None:
        """In a browser (textual-serve), the page going away (a closed tab, the server stopped)
        asks the app to exit at once, not through quit: that is the terminal going away, and the
        calls already sent are paid for, so they finish without it. Our own exits (quit, the
        jobs seen through) come through App.exit, which marks them; Textual's own handler (the
        next in the class order) then ends the app."""
        if self.is_web and not self._exit and not self.detached:
            message.prevent_default()
            self.hang_up()

    def terminal_gone(self) -> None:
        """What the app does once its terminal is gone: the app's own to say."""
        raise NotImplementedError

    # --- pictures and notices -------------------------------------------------------------------

    def _display(self, screen: Any, renderable: Any) -> None:
        """Textual writes a frame here; pictures need a word before it (kitty transmissions,
        Sixel cells that must not be overwritten) and after it (Sixel pixels for the cells the
        frame did overwrite)."""
        drawn = renderable is not None and not self._batch_count
        if drawn:
            self.pictures.before_frame(screen, renderable)
        super()._display(screen, renderable)
        if drawn:
            self.pictures.after_frame()

    def on_resize(self) -> None:
        self.pictures.forget_screen()  # terminals clear or reflow pictures when resized

    def _write_pictures(self, data: str) -> None:
        if self._driver is not None and not self.is_headless and not self._closed and not self._lent:
            self._driver.write(data)
            self._driver.flush()

    def _from_thread(self, callback: Any, *args: Any) -> None:
        """A finished encoding arrives after the app stopped: nothing to draw on then."""
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:
            pass

    @contextmanager
    def suspend(self) -> Iterator[None]:
        """The terminal lent to another program (an editor): a drawing finishing meanwhile would
        land in it, so none is written; after, every picture is drawn again."""
        self._lent = True
        try:
            with super().suspend():
                yield
        finally:
            self._lent = False
        self.pictures.forget_screen()

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None, markup: bool = False) -> None:
        """Every notice is plain text: they quote prompts, paths and provider messages, which
        must never be read as markup or reach the terminal as control characters. A title is
        put before the message on its line, not on a line of its own: a notice is one or two
        rows at the bottom of the screen, never a box over the preview. At most MAX_NOTICES
        are up at once: a stack taller than the screen runs off its top, and Textual then
        never erases what ran off."""
        shown = visible(message)
        if heading := one_line(title):
            shown = f"{heading}: {shown}"
        super().notify(shown, severity=severity, timeout=timeout, markup=False)
        self.call_later(self._trim_notices)  # after the notice has landed (it comes as a message)

    def action_help_quit(self) -> None:
        """ctrl+c, which quits many programs, does not quit this one: say what does (Textual's
        own words are markup, which notices here never are)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"To quit, press {key}.")
                return

    def _trim_notices(self) -> None:
        excess = list(self._notifications)[: max(0, len(self._notifications) - MAX_NOTICES)]
        for old in excess:
            self._unnotify(old, refresh=old is excess[-1])
