"""The parameter sidebar. It only collects values and shows problems; the Studio validates."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label, Select, Static
from textual.widgets.select import InvalidSelectValueError

from imagegen_tui.config import Profile
from imagegen_tui.model_list import suggestions
from imagegen_tui.styles import Style
from imagegen_tui.models import BACKGROUNDS, FORMATS, GPT_SIZES, INPUT_FIDELITIES, MODERATIONS, ModelCaps
from imagegen_tui.ui.safe import line, text
from imagegen_tui.ui.widgets.cost import CostLine
from imagegen_tui.ui.widgets.extras_fields import ExtrasFields
from imagegen_tui.ui.widgets.labelled import labelled, say, show
from imagegen_tui.ui.widgets.style_picker import StylePicker

DEFAULT = ""  # the "provider default" choice: the parameter is not sent
FIELDS = ("model", "size", "quality", "n", "background", "output_format", "output_compression", "moderation", "input_fidelity")
EDIT_ONLY, GENERATE_ONLY = ("input_fidelity",), ("moderation",)
GPT_ONLY = ("background", "output_format", "output_compression", "moderation")  # what ModelCaps.gpt_options covers
SWITCHES = ("stream",)


def _choices(values: tuple[str, ...]) -> list[tuple[Any, str]]:
    """Qualities can come from the config file: shown as text, never as markup."""
    return [("provider default", DEFAULT)] + [(line(v), v) for v in values]


class ParamSidebar(VerticalScroll):
    BINDINGS = [Binding("ctrl+s", "save_preset", "Save preset", id="sidebar.save_preset")]

    @dataclass
    class Changed(Message):
        """Any value changed; the app re-validates."""

    @dataclass
    class SavePreset(Message):
        """Save the sidebar's whole state under a name (ui/presets.py)."""

    @dataclass
    class ProfileChosen(Message):
        name: str

    def __init__(self, profiles: list[str], active: str, styles: Mapping[str, Style] | None = None, picked: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._styles, self._picked = styles or {}, picked
        self._profiles = profiles
        self._active = active
        self._qualities: tuple[str, ...] = ("auto", "low", "medium", "high")
        self._loading = False
        self.editing = False
        self._listed: dict[str, tuple[str, ...]] = {}  # the models each profile's server lists (offer_models)
        self._shown: Profile | None = None  # the profile loaded last
        self._caps: ModelCaps | None = None  # its model's, as its dialect offers them

    def on_mount(self) -> None:
        self.set_editing(False)

    def action_save_preset(self) -> None:
        self.post_message(self.SavePreset())

    def set_editing(self, editing: bool) -> None:
        self.editing = editing
        self._show_offered()
        self.query_one(ExtrasFields).set_editing(editing)

    def _show_offered(self) -> None:
        """Show only what will be sent: edits take input fidelity and no moderation, and a
        model or server without GPT's options (dall-e, the local servers) is offered none."""
        caps = self._caps
        for name in FIELDS:
            shown = not (name in EDIT_ONLY and not self.editing or name in GENERATE_ONLY and self.editing)
            if caps is not None:
                shown = shown and not (name in GPT_ONLY and not caps.gpt_options or name == "input_fidelity" and not caps.input_fidelity)
            show(self, name, shown)

    def compose(self) -> ComposeResult:
        yield Label("Profile")
        yield Select([(line(p), p) for p in self._profiles], value=self._active, allow_blank=False, id="p-profile", compact=True)
        yield from labelled("Model", Input(id="p-model", placeholder="model name", compact=True))
        yield from labelled("Size", Input(id="p-size", placeholder="provider default", suggester=SuggestFromList(GPT_SIZES), compact=True))
        yield from labelled("Quality", Select(_choices(self._qualities), allow_blank=False, id="p-quality", compact=True))
        yield from labelled("Images (n)", Input(id="p-n", value="1", type="integer", compact=True))
        yield ExtrasFields(id="extras")  # what local servers read, before the GPT-only options they do not
        yield from labelled("Background", Select(_choices(BACKGROUNDS), allow_blank=False, id="p-background", compact=True))
        yield from labelled("Format", Select(_choices(FORMATS), allow_blank=False, id="p-output_format", compact=True))
        yield from labelled("Compression (jpeg, webp)", Input(id="p-output_compression", placeholder="0-100", type="integer", compact=True))
        yield from labelled("Moderation", Select(_choices(MODERATIONS), allow_blank=False, id="p-moderation", compact=True))
        yield from labelled("Input fidelity (edits)", Select(_choices(INPUT_FIDELITIES), allow_blank=False, id="p-input_fidelity", compact=True))
        yield Checkbox("Stream partial previews", id="p-stream", compact=True)
        yield StylePicker(self._styles, self._picked, id="styles")
        yield CostLine(id="cost")

    def set_profiles(self, names: list[str]) -> None:
        self._profiles = names
        self.query_one("#p-profile", Select).set_options([(line(p), p) for p in names])

    def load(self, profile: Profile, params: dict[str, Any]) -> None:
        """Show a profile's values without announcing each as a change."""
        self._loading = True
        try:
            self.query_one("#p-profile", Select).value = profile.name
            caps = profile.caps(params.get("model") or profile.model)
            self._shown, self._caps = profile, caps
            self._show_offered()
            self._suggest_models()
            self.query_one("#p-size", Input).suggester = SuggestFromList(caps.sizes)
            if caps.qualities != self._qualities:  # rebuilding options restyles the overlay
                self._qualities = caps.qualities
                self.query_one("#p-quality", Select).set_options(_choices(caps.qualities))
            for name in FIELDS:
                value = params.get(name)
                widget = self.query_one(f"#p-{name}")
                if isinstance(widget, Input):
                    widget.value = "" if value is None else str(value)
                elif isinstance(widget, Select):
                    try:
                        widget.value = DEFAULT if value is None else value
                    except InvalidSelectValueError:  # a value this model does not offer
                        widget.value = DEFAULT
            self.query_one(ExtrasFields).load(profile, params.get("extra"))
            stream = self.query_one("#p-stream", Checkbox)
            stream.value = bool(params.get("stream"))
            stream.disabled = not caps.streaming
            stream.tooltip = text(caps.streaming_note) if caps.streaming_note and not caps.streaming else None  # why it is off (dialects.py)
            self._sync_enabled()
        finally:
            self.call_after_refresh(self._done_loading)

    def offer_models(self, profile: str, listed: Sequence[str]) -> None:
        """The models `profile`'s server lists arrived (the composer asks, off the event loop):
        the model field completes from them as well as from the profile's own."""
        self._listed[profile] = tuple(listed)
        if self._shown is not None and self._shown.name == profile:
            self._suggest_models()

    def _suggest_models(self) -> None:
        if self._shown is not None:
            listed = self._listed.get(self._shown.name, ())
            self.query_one("#p-model", Input).suggester = SuggestFromList(suggestions(self._shown, listed))

    def _done_loading(self) -> None:
        self._loading = False

    def values(self) -> dict[str, Any]:
        """The form as request parameters: empty means provider default (None)."""
        out: dict[str, Any] = {}
        for name in FIELDS:
            widget = self.query_one(f"#p-{name}")
            if not widget.display:
                continue  # not sent: the form does not show it
            raw = widget.value if isinstance(widget, (Input, Select)) else None
            text = "" if raw is None or raw is Select.NULL else str(raw).strip()
            if name in ("n", "output_compression"):
                try:
                    out[name] = int(text) if text else None
                except ValueError:
                    out[name] = text  # the Studio reports it
            else:
                out[name] = text or None
        for name in SWITCHES:
            out[name] = self.query_one(f"#p-{name}", Checkbox).value
        out["extra"] = self.query_one(ExtrasFields).values()
        return out

    def show_problems(self, problems: dict[str, str]) -> None:
        for name in FIELDS:
            field = self.query_one(f"#p-{name}")
            say(self.query_one(f"#e-{name}", Static), field, problems.get(name, "") if field.display else "")
        self.query_one(ExtrasFields).show_problems(problems)

    @property
    def profile_name(self) -> str:
        return str(self.query_one("#p-profile", Select).value)

    def _sync_enabled(self) -> None:
        fmt = self.query_one("#p-output_format", Select).value
        self.query_one("#p-output_compression", Input).disabled = fmt not in ("jpeg", "webp")

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self._loading:
            return
        if event.select.id == "p-profile":
            self.post_message(self.ProfileChosen(str(event.value)))
            return
        self._sync_enabled()
        self.post_message(self.Changed())

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if not self._loading:
            self.post_message(self.Changed())

    def on_extras_fields_dropped(self, event: ExtrasFields.Dropped) -> None:
        event.stop()
        self.post_message(self.Changed())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if not self._loading:
            self.post_message(self.Changed())
