"""Presets: the sidebar's whole state (profile, model, every parameter, the styles picked) saved
under a name and recalled, from the command palette or ctrl+s in the sidebar.

They live in the state file (state.py) with what else the app remembers, never in config.toml,
which is the user's. Names are the user's too: palette entries naming them are built as
Content (ui/commands.py says why).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from imagegen_tui.studio import Studio
from imagegen_tui.textsafe import one_line
from imagegen_tui.ui.commands import Command
from imagegen_tui.ui.composer import Composer
from imagegen_tui.ui.safe import line, template
from imagegen_tui.ui.workers import app_thread


class Presets:
    def __init__(self, app: App[Any], studio: Studio, composer: Composer) -> None:
        self.app = app
        self.studio = studio
        self.composer = composer

    def commands(self) -> Iterator[Command]:
        """This room's entry in the palette; recalling one is PresetCommands' (names are the user's)."""
        yield "Save preset", "The sidebar's profile, parameters and styles under a name (ctrl+s in the sidebar)", self.save

    def save(self) -> None:
        """Ask for a name; a name already used asks before it is replaced."""
        from imagegen_tui.ui.screens.dialogs import ConfirmScreen, NameScreen

        # what is saved is the sidebar as it is now, not as it may be once the dialog closes
        profile, params, styles = self.composer.profile, self.composer.values(), self.composer.picker.picked

        def named(name: str | None) -> None:
            if name is None:
                return
            if name not in self.studio.presets():
                self._write(name, profile, params, styles)
                return

            def answered(result: tuple[bool, bool] | None) -> None:
                if result and result[0]:
                    self._write(name, profile, params, styles)

            self.app.push_screen(ConfirmScreen(template("A preset named $name exists. Replace it with the sidebar as it is now?", name=repr(name)), "Replace"), answered)

        self.app.push_screen(NameScreen("Save the sidebar (profile, parameters, styles) as the preset:"), named)

    @app_thread(group="presets")
    def _write(self, name: str, profile: Any, params: dict[str, Any], styles: list[str]) -> None:
        if self.studio.save_preset(name, profile, params, styles):
            self.app.call_from_thread(self.app.notify, f"Preset {name!r} saved: ctrl+p, Recall preset, brings it back.")
        else:
            self.app.call_from_thread(self.app.notify, f"Preset {name!r} not saved: {self.studio.state_problem}", severity="error")

    def recall(self, name: str) -> None:
        """The sidebar as the preset has it. A profile or style the config no longer has is
        said, and the rest is loaded."""
        preset = self.studio.presets().get(name)
        if preset is None:
            self.app.notify(f"There is no preset {name!r} any more.", severity="warning")
            return
        problems = []
        profile = self.studio.config.profiles.get(preset["profile"])
        if profile is None:
            profile = self.composer.profile
            problems.append(f"its profile {preset['profile']!r} is gone, so {profile.name!r} is kept")
        self.composer.load(profile, {**self.studio.last_params(profile), **{k: v for k, v in preset["params"].items() if k != "model" or v}})
        self.composer.remember(active=True)
        if missing := self.composer.set_styles(preset.get("styles", [])):
            problems.append(f"the style{'s' * (len(missing) > 1)} {', '.join(missing)} {'are' if len(missing) > 1 else 'is'} no longer in config.toml")
        if problems:
            self.app.notify(f"Preset {name!r} recalled, but {'; '.join(problems)}.", severity="warning")
        else:
            self.app.notify(f"Preset {name!r} recalled.")

    def delete(self, name: str) -> None:
        from imagegen_tui.ui.screens.dialogs import ConfirmScreen

        def answered(result: tuple[bool, bool] | None) -> None:
            if result and result[0]:
                self._delete(name)

        self.app.push_screen(ConfirmScreen(template("Delete the preset $name?", name=repr(name)), "Delete"), answered)

    @app_thread(group="presets")
    def _delete(self, name: str) -> None:
        self.studio.delete_preset(name)
        self.app.call_from_thread(self.app.notify, f"Preset {name!r} deleted.")


class PresetCommands(Provider):
    """Recall preset: NAME, and Delete preset: NAME, for each preset saved."""

    def _entries(self) -> Iterator[tuple[str, str, Any]]:
        app: Any = self.app
        if self.screen is not app.screen_stack[0]:
            return
        presets: Presets = app.presets
        for name, preset in presets.studio.presets().items():
            styles = preset.get("styles") or []
            about = f"profile {preset['profile']}" + (f", styles {' → '.join(styles)}" if styles else "")
            yield f"Recall preset: {name}", about, lambda n=name: presets.recall(n)
            yield f"Delete preset: {name}", about, lambda n=name: presets.delete(n)

    async def discover(self) -> Hits:
        for title, about, run in self._entries():
            if title.startswith("Recall"):
                yield DiscoveryHit(line(title), run, text=title, help=escape(one_line(about)))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, about, run in self._entries():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, line(title), run, text=title, help=escape(one_line(about)))
