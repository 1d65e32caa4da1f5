"""Settings: profiles (add, edit, delete, test), output folder and names, graphics, theme,
concurrency. Saved through the Studio: atomically, mode 0600."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, OptionList, Select, Static

from imagegen_tui.config import GRAPHICS, Profile, profile_from_table
from imagegen_tui.errors import ConfigError
from imagegen_tui.naming import check_template, render_stem
from imagegen_tui.studio import Studio
from imagegen_tui.ui.intents import ModelsListed
from imagegen_tui.ui.safe import line, template, text
from imagegen_tui.ui.workers import in_thread


SAMPLE_TIME = datetime(2026, 1, 31, 14, 5, 9)  # the example name shows the pattern, not the clock


def _number(text: str) -> float | str:
    """A number when the text is one; else the text, for the config rules to refuse by name."""
    try:
        return float(text)
    except ValueError:
        return text


def _tilde(path: Path) -> str:
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


class SettingsScreen(Screen[bool]):
    BINDINGS = [Binding("escape", "close", "Close", id="settings.close"), Binding("ctrl+s", "save", "Save", id="settings.save")]

    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio
        self.profiles: dict[str, Profile] = dict(studio.config.profiles)
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="settings"):
            with Vertical(id="settings-profiles"):
                yield Label("[b]Profiles[/b]")
                yield OptionList(*map(line, self.profiles), id="profile-list")
                with Horizontal(classes="row"):
                    yield Button("Add", id="add-profile")
                    yield Button("Delete", id="delete-profile", variant="error")
            with VerticalScroll(id="settings-form"):
                yield Label("Name")
                yield Input(id="f-name")
                yield Label("Base URL")
                yield Input(id="f-base_url", placeholder="https://model-go.com/v1")
                yield Label("API key (stored in config.toml, mode 0600) — or leave empty and name a variable below")
                yield Input(id="f-api_key", password=True, placeholder="paste the key")
                yield Label("Environment variable with the key")
                yield Input(id="f-api_key_env", placeholder="MODEL_GO_API_KEY")
                yield Label("Default model")
                yield Input(id="f-model")
                yield Label("Models (comma separated)")
                yield Input(id="f-models")
                yield Label("Timeout, seconds")
                yield Input(id="f-timeout", type="number")
                yield Checkbox("Transparent background supported", id="f-transparent")
                yield Checkbox("Custom sizes (WxH) supported", id="f-custom_sizes")
                yield Checkbox("Streaming supported", id="f-streaming")
                with Horizontal(classes="row"):
                    yield Button("Test connection", id="test")
                yield Static("", id="test-result")
                yield Static("", id="profile-error", classes="form-error")
                yield Label("[b]Output[/b]")
                yield Label("Folder")
                yield Input(_tilde(self.studio.config.output.folder), id="g-folder")
                yield Label("File names ({date} {time} {datetime} {slug} {index} {model} {profile} {id})")
                yield Input(self.studio.config.output.template, id="g-template")
                yield Static("", id="g-example")
                yield Label("[b]Interface[/b]")
                yield Label("Graphics (applies at next start)")
                yield Select([(g, g) for g in GRAPHICS], value=self.studio.config.ui.graphics, allow_blank=False, id="g-graphics")
                yield Label("Theme")
                yield Select([(t, t) for t in sorted(self.app.available_themes)], value=self.app.theme, allow_blank=False, id="g-theme")
                yield Label("Jobs at once per profile")
                yield Input(str(self.studio.config.ui.concurrency), id="g-concurrency", type="integer")
                with Horizontal(classes="row"):
                    yield Button("Save", id="save", variant="primary")
                    yield Button("Close", id="close")
        yield Footer()

    def on_mount(self) -> None:
        self._fill(self.studio.active_profile().name)
        self._example()

    # --- profile form -----------------------------------------------------------------------

    def _fill(self, name: str) -> None:
        self.current = name
        p = self.profiles[name]
        values = {
            "name": p.name, "base_url": "" if p.demo else p.base_url, "api_key": p.api_key or "",
            "api_key_env": p.api_key_env or "", "model": p.model, "models": ", ".join(p.models), "timeout": f"{p.timeout:g}",
        }
        for key, value in values.items():
            self.query_one(f"#f-{key}", Input).value = value
        self.query_one("#f-base_url", Input).disabled = p.demo
        caps = p.caps()
        self.query_one("#f-transparent", Checkbox).value = caps.transparent_background
        self.query_one("#f-custom_sizes", Checkbox).value = caps.custom_sizes
        self.query_one("#f-streaming", Checkbox).value = caps.streaming
        self.query_one("#test-result", Static).update("")
        self.query_one("#profile-error", Static).update("")
        names = list(self.profiles)
        self.query_one("#profile-list", OptionList).highlighted = names.index(name)

    def _read_form(self) -> Profile | None:
        """The form as a Profile, or None with the problem shown."""
        assert self.current is not None
        base = self.profiles[self.current]
        get = lambda key: self.query_one(f"#f-{key}", Input).value.strip()  # noqa: E731
        error = self.query_one("#profile-error", Static)
        name = get("name")
        if not name or any(c in name for c in " ./\\\"'[]"):
            error.update("Name: letters, digits, - and _ only")
            return None
        # what the profile says stays as written; a box counts only where it differs from what
        # the profile already does, so a save never writes a value nobody chose
        caps = {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(base.capabilities).items() if value is not None}
        effective = base.caps()
        for key, box in (("transparent_background", "#f-transparent"), ("custom_sizes", "#f-custom_sizes"), ("streaming", "#f-streaming")):
            checked = self.query_one(box, Checkbox).value
            if checked != getattr(effective, key):
                caps[key] = checked
        table: dict[str, Any] = {
            "model": get("model") or base.model,
            "models": [m.strip() for m in get("models").split(",") if m.strip()],
            "timeout": _number(get("timeout") or "360"),
            "capabilities": caps,
        }
        if not base.demo:
            table["base_url"] = get("base_url").rstrip("/")
        cleared = replace(base, name=name, api_key=get("api_key") or None, api_key_env=get("api_key_env") or None)
        try:
            profile = profile_from_table(name, table, cleared)
        except ConfigError as exc:
            error.update(text(str(exc)))
            return None
        error.update("")
        return profile

    def _commit_form(self) -> bool:
        profile = self._read_form()
        if profile is None or self.current is None:
            return False
        if profile.name != self.current:
            if profile.name in self.profiles:
                self.query_one("#profile-error", Static).update(template("There is already a profile named $name", name=profile.name))
                return False
            self.profiles = {(profile.name if k == self.current else k): v for k, v in self.profiles.items()}
            self.current = profile.name
        self.profiles[profile.name] = profile
        self._relist()
        return True

    def _relist(self) -> None:
        options = self.query_one("#profile-list", OptionList)
        options.clear_options()
        options.add_options([line(name) for name in self.profiles])
        if self.current:
            options.highlighted = list(self.profiles).index(self.current)

    @on(OptionList.OptionSelected, "#profile-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        name = list(self.profiles)[event.option_index]
        if name != self.current and self._commit_form():
            self._fill(name)

    @on(Button.Pressed, "#add-profile")
    def _add(self) -> None:
        if not self._commit_form():
            return
        name = next(f"gateway-{i}" for i in range(1, 100) if f"gateway-{i}" not in self.profiles)
        self.profiles[name] = Profile(name=name, base_url="https://", api_key_env=None)
        self._relist()
        self._fill(name)
        self.query_one("#f-base_url", Input).focus()

    @on(Button.Pressed, "#delete-profile")
    def _delete(self) -> None:
        if self.current is None:
            return
        if self.current in ("model-go", "openai", "demo"):
            self.query_one("#profile-error", Static).update("Built-in profiles cannot be deleted (their settings can be changed).")
            return
        del self.profiles[self.current]
        self._relist()
        self._fill(next(iter(self.profiles)))

    @on(Button.Pressed, "#test")
    def _test(self) -> None:
        profile = self._read_form()
        if profile is not None:
            self.query_one("#test-result", Static).update("testing…")
            self._run_test(profile)

    @work(exclusive=True, group="test-connection", exit_on_error=False)
    async def _run_test(self, profile: Profile) -> None:
        """A bug here is said in the result line; it must not end the app (jobs may run)."""
        listing = None
        try:
            said, listing = await self.studio.test_connection(profile)
        except Exception as exc:  # anything at all: told, not raised
            said = f"✗ the test itself failed: {type(exc).__name__}: {exc}"
        self.query_one("#test-result", Static).update(text(said))
        if listing is not None:
            self.post_message(ModelsListed(profile, listing.models or ()))

    # --- output and interface ---------------------------------------------------------------

    @on(Input.Changed, "#g-template")
    def _example(self) -> None:
        template = self.query_one("#g-template", Input).value
        example = self.query_one("#g-example", Static)
        try:
            check_template(template)
        except ValueError as exc:
            example.update(text(str(exc), "red"))
            return
        stem = render_stem(template, prompt="A lighthouse at dusk, oil painting", index=1, model="gpt-image-2", profile=self.current or "model-go", gen_id="3f9a1c2b7d4e", when=SAMPLE_TIME, slug_mode=self.studio.config.output.slug)
        example.update(text(f"e.g. {self.query_one('#g-folder', Input).value.rstrip('/')}/{stem}.png"))

    @on(Select.Changed, "#g-theme")
    def _theme(self, event: Select.Changed) -> None:
        self.app.theme = str(event.value)

    def action_save(self) -> None:
        if not self._commit_form():
            return
        config = self.studio.config
        template = self.query_one("#g-template", Input).value
        try:
            check_template(template)
            concurrency = int(self.query_one("#g-concurrency", Input).value)
            assert 1 <= concurrency <= 10
        except (ValueError, AssertionError):
            self.notify("File names or jobs at once are invalid (see the fields).", severity="error")
            return
        config.profiles = self.profiles
        if config.active not in self.profiles:
            config.active = None
        config.output = replace(config.output, folder=Path(self.query_one("#g-folder", Input).value).expanduser(), template=template)
        config.ui.graphics = str(self.query_one("#g-graphics", Select).value)
        config.ui.concurrency = concurrency
        self._save()

    @in_thread(exclusive=True, group="save-settings")
    def _save(self) -> None:
        try:
            path = self.studio.save_config()
        except OSError as exc:
            self.app.call_from_thread(self.notify, f"Not saved: {exc}", severity="error")
            return
        if path is None:
            self.app.call_from_thread(self.notify, "Not saved: the config file on disk is damaged; fix it first.", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Saved to {path}")
        self.app.call_from_thread(self.dismiss, True)

    def action_close(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()
