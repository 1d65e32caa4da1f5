"""The command palette (ctrl+p): what a room lists there, and the profile switches.

Each room lists its own entries as `Command`s (its `commands()`); the app puts them in order.
Textual's system commands parse their names and help as markup, and profile names and URLs come
from the user's config file, so profile switches are hits built as Content here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from imagegen_tui.textsafe import one_line
from imagegen_tui.ui.safe import line

Command = tuple[str, str, Callable[[], Any]]  # a palette entry: its title, its help, what it runs


class ProfileCommands(Provider):
    def _switches(self) -> Iterator[tuple[str, str, Any]]:
        app: Any = self.app
        if self.screen is not app.screen_stack[0]:
            return
        for name, profile in app.studio.config.profiles.items():
            if name != app.profile.name:
                where = "embedded demo provider" if profile.demo else profile.base_url
                yield f"Use profile: {name}", escape(one_line(where)), lambda p=profile: app.switch_profile(p)

    async def discover(self) -> Hits:
        for title, where, switch in self._switches():
            yield DiscoveryHit(line(title), switch, text=title, help=where)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, where, switch in self._switches():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, line(title), switch, text=title, help=where)
