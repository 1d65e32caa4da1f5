"""The config room: a problem in config.toml stays on screen until it is fixed, and it is fixed
without leaving the app: in $VISUAL / $EDITOR (the app lends it the terminal), or elsewhere and
then reloaded (ctrl+r)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.widgets import Static

from imagegen_tui.errors import ConfigError
from imagegen_tui.studio import Studio
from imagegen_tui.ui.commands import Command
from imagegen_tui.ui.safe import template
from imagegen_tui.ui.workers import app_thread


class ConfigBanner(Static):
    """Not a toast that fades: a line that stays until the file is fixed, because nothing is
    sent while the config cannot be read."""

    @dataclass
    class Reloaded(Message):
        """The file was read again; `error` is the problem it still has, if any. The app then
        shows the profiles the file now has."""

        error: ConfigError | None

    def __init__(self, studio: Studio, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.studio = studio

    def commands(self) -> Iterator[Command]:
        """This room's entries in the command palette."""
        yield "Edit config file", "Open config.toml in $VISUAL / $EDITOR, then reload it", self.edit
        yield "Reload config file", "Read config.toml again after editing it (ctrl+r)", self.reload

    def show_problem(self) -> None:
        error = self.studio.config.error
        self.display = error is not None
        if error is not None:
            self.update(template(
                "[b]The config file has a problem; nothing is sent until it is fixed.[/b]\n$problem\n"
                "Fix it in an editor (ctrl+p → Edit config file), then ctrl+r reloads it.",
                problem=str(error),
            ))

    def reloaded(self, error: ConfigError | None) -> None:
        """After a reload: the banner as the file now is, and a word on how it went."""
        self.show_problem()
        self.notify("The config file still has a problem." if error else "Config reloaded.", severity="warning" if error else "information")

    @app_thread(exclusive=True, group="config")
    def reload(self) -> None:
        error = self.studio.reload_config()
        self.post_message(self.Reloaded(error))  # thread-safe

    def edit(self) -> None:
        """Open config.toml in the user's editor with the app suspended, then reload it (even
        after the editor failed: it may have saved first)."""
        from imagegen_tui.ui.editor import EditorError, NoTerminal, run_editor

        path = self.studio.config.path
        if path is None:
            return
        try:
            status = run_editor(self.app, path)
        except NoTerminal:
            self.notify(f"Edit {path} elsewhere, then press ctrl+r to reload it.", severity="warning")
            return
        except EditorError as exc:
            self.notify(str(exc), severity="error")
            return
        if status != 0:
            self.notify(f"The editor exited with status {status}.", severity="warning")
        self.reload()
