"""The composer room: the next request, made of the prompt bar's text and the sidebar's profile
and parameters.

The sidebar is checked as it is edited (problems show under their fields), its values are
remembered per profile, and Enter turns prompt and sidebar into a request or says why it cannot
be sent. What the prompt bar will carry besides text (attachments to edit) joins the request
here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual.app import App
from textual.content import Content

from imagegen_tui.config import Profile
from imagegen_tui.errors import ConfigError, InvalidRequest
from imagegen_tui.store import Generation
from imagegen_tui.studio import Studio
from imagegen_tui.styles import Styled
from imagegen_tui.textsafe import visible
from imagegen_tui.ui.widgets.prompt import PromptArea, PromptBar
from imagegen_tui.ui.workers import app_thread
from imagegen_tui.variants import escape

if TYPE_CHECKING:
    from imagegen_tui.studio import CostView
    from imagegen_tui.sweep import Axis, Plan  # loaded by the first Enter
    # mounted after the first frame, imported then (ui/app.py _furnish)
    from imagegen_tui.ui.widgets.cost import CostLine
    from imagegen_tui.ui.widgets.sidebar import ParamSidebar
    from imagegen_tui.ui.widgets.style_picker import StylePicker


class Composer:
    """Holds the profile in use; drives the prompt bar and the sidebar."""

    def __init__(self, app: App[Any], studio: Studio, profile: Profile, shown: Callable[[], None]) -> None:
        self.app = app
        self.studio = studio
        self.profile = profile
        self._shown = shown  # what the app shows about the profile (its title) is out of date
        self._costed: tuple[Any, ...] | None = None  # what the cost line was last asked for
        self.axes: tuple[Axis, ...] = ()  # the parameters Enter sweeps over (F5), besides the prompt's variants
        self._asked: set[tuple[str, str, bool]] = set()  # (profile, base URL, ready) whose model list was looked for this session

    @property
    def sidebar(self) -> ParamSidebar:
        """On the main screen, found also while another is on top (settings, whose test lists models)."""
        return cast("ParamSidebar", self.app.screen_stack[0].query_one("#sidebar"))

    @property
    def picker(self) -> StylePicker:
        return cast("StylePicker", self.sidebar.query_one("#styles"))

    def load(self, profile: Profile, params: dict[str, Any] | None = None) -> None:
        """`profile` in use, with `params` in the sidebar (else the values last used with it)."""
        self.profile = profile
        self.sidebar.load(profile, params or self.studio.last_params(profile))
        asked = (profile.name, profile.base_url, self.studio.problem(profile) is None)  # a key added in Settings: ask again
        if asked not in self._asked:
            self._asked.add(asked)
            self._list_models(profile)
        self.validate()
        self._show_styles()
        self._shown()
        if self.studio.warning(profile):  # the title keeps saying it: TLS NOT CHECKED
            self.app.notify(f"{profile.name!r} has verify = false: its TLS certificate is not checked.", severity="warning", timeout=10)

    def config_reloaded(self) -> None:
        """The config file was read again: it may now choose another profile than the one shown
        while it was unreadable."""
        self.sidebar.set_profiles(list(self.studio.config.profiles))
        self.picker.set_styles(self.studio.config.styles)
        self.styles_changed()
        try:
            profile = self.studio.active_profile()
        except ConfigError:
            profile = self.studio.config.profiles.get(self.profile.name) or self.profile
        self.load(profile)

    def settings_saved(self) -> None:
        """Settings (F2) saved the config: the profile in use as it is now, or the one the config
        now chooses when it is gone."""
        self.sidebar.set_profiles(list(self.studio.config.profiles))  # first: the sidebar must list the profile it is given
        self.load(self.studio.config.profiles.get(self.profile.name) or self.studio.active_profile())

    def switch(self, profile: Profile) -> None:
        """The user picked `profile`: in use now, and at the next start."""
        self.load(profile)
        self.remember(active=True)

    def choose(self, name: str) -> None:
        """The sidebar's profile choice."""
        if name != self.profile.name:
            self.switch(self.studio.config.profiles[name])

    def edited(self) -> None:
        """A sidebar value changed."""
        self.validate()
        self.remember()

    def validate(self) -> None:
        """Check the sidebar as it is edited; problems show under their fields."""
        sidebar = self.sidebar
        values = sidebar.values()
        prompt = self.app.query_one(PromptArea).text
        self.app.query_one(PromptBar).limit = self.profile.caps(values.get("model") or self.profile.model).prompt_limit
        self.cost(values)
        try:
            self.studio.styled_request(prompt if prompt.strip() else "x", self.profile, values, self.picker.picked)
        except InvalidRequest as exc:
            sidebar.show_problems(dict(exc.problems))
            return
        sidebar.show_problems({})

    def cost(self, values: dict[str, Any] | None = None, *, again: bool = False) -> None:
        """Recompute the sidebar's cost line when what it depends on changed (`again`: spending
        did, a job started or ended), in a thread: it reads the history."""
        values = self.sidebar.values() if values is None else values
        values = self.studio.styled("", values, self.picker.picked).params  # a style's size or quality costs what it costs
        editing = self.sidebar.editing
        key = (self.profile.name, values.get("model"), values.get("size"), values.get("quality"), values.get("n"), editing)
        if key == self._costed and not again:
            return
        self._costed = key
        self._estimate(key, self.profile, values, editing)

    @app_thread(exclusive=True, group="estimate")
    def _estimate(self, key: tuple[Any, ...], profile: Profile, values: dict[str, Any], editing: bool) -> None:
        view = self.studio.cost_view(profile, values, editing=editing)
        self.app.call_from_thread(self._cost_shown, key, view)

    def _cost_shown(self, key: tuple[Any, ...], view: CostView) -> None:
        if key == self._costed:  # else a newer one is on its way
            cast("CostLine", self.app.query_one("#cost")).show(view)

    def _list_models(self, profile: Profile) -> None:
        """The model field's completions: the kept list at once, then the server's when the kept
        one is a day old (model_list.py). A list that cannot be had leaves the field as it was:
        the settings screen's test says why."""
        self.app.run_worker(self._listing(profile), group="model-list", exit_on_error=False)

    async def _listing(self, profile: Profile) -> None:
        """On the loop, so that quitting cancels a server that does not answer (a thread would
        keep the process until it timed out); the cache's file and the imports in threads."""
        import asyncio
        import importlib

        from imagegen_tui.errors import ImageAPIError

        await asyncio.to_thread(importlib.import_module, "imagegen_tui.client")  # httpx: tens of ms
        from imagegen_tui import model_list

        listing = await asyncio.to_thread(model_list.cached, profile)
        if listing is not None:
            self.sidebar.offer_models(profile.name, listing.models or ())
            if listing.fresh():
                return
        if self.studio.problem(profile) is not None:  # no key yet: nothing to ask with
            return
        try:
            listing = await model_list.fetch(profile, self.studio.environ)
        except ImageAPIError:
            return
        await asyncio.to_thread(model_list.keep, profile, listing)
        self.sidebar.offer_models(profile.name, listing.models or ())

    def models_listed(self, profile: Profile, models: tuple[str, ...]) -> None:
        """The settings screen's test listed `profile`'s models (and kept them): offered at once
        when the config's profile of that name is at the address tested. One tested at an
        address not saved yet is found in the cache when a save puts it there (load)."""
        saved = self.studio.config.profiles.get(profile.name)
        if saved is not None and saved.base_url == profile.base_url:
            self.sidebar.offer_models(profile.name, models)

    def remember(self, active: bool = False) -> None:
        self._remember(self.profile, self.sidebar.values(), active)

    @app_thread(exclusive=True, group="remember")
    def _remember(self, profile: Profile, values: dict[str, Any], active: bool) -> None:
        self.studio.remember(profile, values, active=active)

    def plan(self, text: str) -> Plan | None:
        """What Enter sends with `text`: one request, or a sweep of its variants; None when it
        cannot be sent, after showing why (and putting `text` back in the box to fix, unless
        something else was typed meanwhile)."""
        try:
            return self.studio.plan(text, self.profile, self.values(), self.picker.picked, self.axes)
        except InvalidRequest as exc:
            self.refused(text, exc)
            return None

    def styled(self, text: str) -> Styled:
        """`text` and the sidebar's values with the styles picked applied (for an edit)."""
        return self.studio.styled(text, self.values(), self.picker.picked)

    def styles_changed(self) -> None:
        """The styles picked changed: checked again, shown on the prompt box, remembered."""
        self.validate()
        self._show_styles()
        self._remember_styles(self.picker.picked)

    def _show_styles(self) -> None:
        """The prompt box's border says which styles apply and what Enter sweeps over, for when
        the sidebar is hidden (and the sweep is nowhere else)."""
        parts = ["styles: " + " → ".join(self.picker.picked)] if self.picker.picked else []
        parts += ["sweep: " + " ".join(axis.spec() for axis in self.axes)] if self.axes else []
        area = self.app.query_one(PromptArea)
        area.border_subtitle = Content(visible("  ·  ".join(parts), newlines=False)) if parts else None

    def ask_axes(self) -> None:
        """The parameters to sweep over, asked in a dialog (blank: none); each following Enter
        plans over them until they are cleared."""
        from imagegen_tui.sweep import PlanError, parse_sweeps
        from imagegen_tui.ui.screens.dialogs import NameScreen

        def check(text: str) -> str | None:
            try:
                parse_sweeps(text.split())
            except PlanError as exc:
                return str(exc)
            return None

        def answered(text: str | None) -> None:
            if text is not None:
                self.axes = tuple(parse_sweeps(text.split()))
                self._show_styles()

        shown = " ".join(axis.spec() for axis in self.axes)
        question = "Sweep over parameters: each PARAM=A,B (quality, size, model or n), blank for none. Enter then plans every combination, with the prompt's {a|b} variants, and asks before sending."
        self.app.push_screen(NameScreen(question, shown, "Set", placeholder="quality=low,high size=1024x1024,1536x1024", check=check), answered)

    @app_thread(exclusive=True, group="remember-styles")
    def _remember_styles(self, picked: list[str]) -> None:
        self.studio.remember_styles(picked)

    def set_styles(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """Exactly these styles picked, in order; returns those the config no longer has."""
        missing = self.picker.pick(names)
        self.styles_changed()
        return missing

    def values(self) -> dict[str, Any]:
        return self.sidebar.values()

    def refused(self, text: str, exc: InvalidRequest) -> None:
        """Why `text` was not sent: under the fields and in a notice; the text goes back into the
        box to fix, unless something else was typed meanwhile (then it waits under ↑)."""
        sidebar = self.sidebar
        sidebar.show_problems(dict(exc.problems))
        if not sidebar.display:
            sidebar.display = True
        why = "the config file has a problem (see the banner)" if self.studio.config.error is not None else str(exc)
        self.app.notify(f"Not sent: {why}", severity="error")
        self.give_back(text)

    def give_back(self, text: str) -> None:
        """`text`, not sent, back into the box, unless something else was typed meanwhile
        (then it waits under ↑)."""
        area = self.app.query_one(PromptArea)
        if not area.text:
            area.put(text)

    def reuse(self, generation: Generation) -> None:
        """`generation`'s prompt and parameters, to edit and send again: the prompt as typed
        with the styles it had, or, when one of them is gone from the config, the prompt as
        sent without styles (so Enter sends what was sent)."""
        profile = self.studio.config.profiles.get(generation.profile, self.profile)
        styled = generation.provenance.styles
        gone = [name for name in styled if name not in self.studio.config.styles]
        typed = generation.provenance.typed_prompt if styled and not gone and generation.provenance.typed_prompt is not None else generation.prompt
        area = self.app.query_one(PromptArea)
        area.put(visible(escape(typed)))  # what the box shows, with the styles picked, is what will be sent: braces as text, not variants
        area.focus()
        self.load(profile, self.studio.params_of(generation, profile))
        self.set_styles([] if gone else list(styled))
        if gone:
            self.app.notify(f"#{generation.id} loaded as sent, without styles: {', '.join(gone)} not in config.toml.", severity="warning")
        else:
            with_styles = f" with the style{'s' * (len(styled) > 1)} {' → '.join(styled)}" if styled else ""
            self.app.notify(f"#{generation.id}'s prompt and parameters loaded{with_styles}: edit, then Enter.")
