"""The sidebar's extra parameters: a field for each of seed, steps, guidance and negative that the
profile's dialect offers, and a line for any other extra a reused generation or a preset brings,
so that nothing it carried is dropped unseen.

Values are kept in our words and typed as the command line types them (--seed, --guidance); a
value that cannot be typed is passed on as the text it is, so that the Studio's check says why
(extras.value_problem) under its field and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from imagegen_tui.config import Profile
from imagegen_tui.dialects import DIALECTS, DEFAULT, EXTRAS, Dialect
from imagegen_tui.extras import DESCRIPTIONS, offered, shown
from imagegen_tui.textsafe import one_line, visible
from imagegen_tui.ui.safe import line
from imagegen_tui.ui.widgets.labelled import labelled, say, show

LABELS = {"seed": "Seed", "steps": "Steps", "guidance": "Guidance (CFG)", "negative": "Negative prompt"}
UNSET = "server default"  # an empty field: nothing sent


def typed(name: str, raw: str) -> Any:
    """The field's text as the value sent: whole numbers for seed and steps, a number for
    guidance (a float, as --guidance makes it), text for the rest; text that is not the number
    wanted stays text, for the check to refuse with its sentence."""
    convert = {"seed": int, "steps": int, "guidance": float}.get(name)
    if convert is None:
        return raw
    try:
        return convert(raw)
    except ValueError:
        return raw


class ExtrasFields(Vertical):
    """Shown only when the dialect offers an extra or another extra is carried: the default
    (openai) sidebar is as it was."""

    @dataclass
    class Dropped(Message):
        """The other extras were dropped (their button): the form changed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._dialect: Dialect = DIALECTS[DEFAULT]
        self._editing = False
        self._also: dict[str, Any] = {}  # extras without a field here, kept and sent as they came

    def compose(self) -> ComposeResult:
        for name in EXTRAS:
            field = Input(id=f"p-{name}", placeholder=UNSET, compact=True)
            field.tooltip = DESCRIPTIONS[name]
            yield from labelled(LABELS[name], field)
        with Horizontal(id="also-row"):
            yield Label("Also sent", id="l-also")
            yield Button("drop", id="also-drop", compact=True, tooltip="Send none of these other extras")
        yield Static(id="also")
        yield Static(classes="field-error", id="e-also")

    def on_mount(self) -> None:
        self._sync()

    def _fields(self) -> tuple[str, ...]:
        """The extras with a field for this dialect: those it reads in generations or edits
        (which of them shows follows the mode)."""
        both = set(offered(self._dialect)) | set(offered(self._dialect, editing=True))
        return tuple(name for name in EXTRAS if name in both)

    def load(self, profile: Profile, extra: Mapping[str, Any] | None) -> None:
        """The profile's dialect chooses the fields; `extra` fills them, and what has no field
        here is kept on the "also" line. Each empty field shows the profile's default."""
        self._dialect = profile.speaks
        rest = dict(extra or {})
        fields = self._fields()
        for name in EXTRAS:
            widget = self.query_one(f"#p-{name}", Input)
            value = rest.pop(name, None) if name in fields else None
            widget.value = "" if value is None else visible(value, newlines=False) if isinstance(value, str) else str(value)
            default = profile.extra.get(name)
            widget.placeholder = UNSET if default is None else one_line(f"profile: {shown({name: default}).partition('=')[2]}")
        self._also = rest
        self._sync()

    def set_editing(self, editing: bool) -> None:
        self._editing = editing
        self._sync()

    def _sync(self) -> None:
        """Show the fields the server reads in this mode, the other extras if any, and the
        section only when it has something."""
        reads = offered(self._dialect, editing=self._editing)
        for name in EXTRAS:
            show(self, name, name in reads)
        also = self.query_one("#also", Static)
        also.update(line(shown(self._also)))
        self.query_one("#also-row").display = also.display = bool(self._also)
        self.display = bool(reads) or bool(self._also) or self.query_one("#e-also").display

    def values(self) -> dict[str, Any] | None:
        """The extras to send, in our words (None: none). A field hidden in this mode is not
        sent, as the sidebar's other fields: the form shows what will be sent."""
        out: dict[str, Any] = {}
        for name in offered(self._dialect, editing=self._editing):
            raw = self.query_one(f"#p-{name}", Input).value.strip()
            if raw:
                out[name] = typed(name, raw)
        return {**out, **self._also} or None

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Each field's problem under it; those of the other extras, and the dialect's refusal
        of all extras, under the "also" line."""
        for name in EXTRAS:
            field = self.query_one(f"#p-{name}", Input)
            say(self.query_one(f"#e-{name}", Static), field, problems.get(name, "") if field.display else "")
        rest = [problems[key] for key in [*self._also, "extra"] if key in problems]
        say(self.query_one("#e-also", Static), None, "\n".join(dict.fromkeys(rest)))
        self._sync()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "also-drop":
            event.stop()
            self._also = {}
            self._sync()
            self.post_message(self.Dropped())

