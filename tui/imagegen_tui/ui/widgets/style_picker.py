"""The sidebar's style picker: the config's [styles], any number picked, applied in the order
they were picked (styles.py), which the line under the list says. Hidden when the config defines
no style, so the sidebar of someone who uses none is as it was."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from imagegen_tui.styles import Style
from imagegen_tui.ui.safe import line


def applied(names: Sequence[str], styles: Mapping[str, Style]) -> Content:
    """`applied: watercolor → night`, the order styles are applied in, and the parameters they
    fill in where the sidebar's field is left at provider default (the later style's value);
    names and values come from the config."""
    if not names:
        return Content.styled("none picked", "dim")
    filled: dict[str, Any] = {}
    for name in names:
        filled.update(styles[name].params)
    said = line("applied: " + " → ".join(names))
    if filled:
        said += Content("\n") + line("fills in: " + " · ".join(f"{key} {value}" for key, value in filled.items()), "dim")
    return said


class StylePicker(Vertical):
    @dataclass
    class Changed(Message):
        """The styles picked changed (not when they are set by `pick`)."""

        picked: list[str]

    def __init__(self, styles: Mapping[str, Style], picked: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._styles = dict(styles)
        self._initial = [name for name in picked if name in styles]
        self._told: list[str] = []  # what the app last heard or set: the list's own messages come later

    def compose(self) -> ComposeResult:
        yield Label("Styles")
        yield SelectionList[str](*self._options(), id="style-list", compact=True)
        yield Static(applied(self._initial, self._styles), id="style-order")

    def on_mount(self) -> None:
        self.display = bool(self._styles)
        self.pick(self._initial)

    def _options(self) -> list[Selection[str]]:
        return [Selection(line(name), name, id=None) for name in self._styles]

    @property
    def picked(self) -> list[str]:
        return list(self.query_one("#style-list", SelectionList).selected)

    def set_styles(self, styles: Mapping[str, Style]) -> None:
        """The config was read again: its styles now, those still there kept picked."""
        keep = [name for name in self.picked if name in styles]
        self._styles = dict(styles)
        listing = self.query_one("#style-list", SelectionList)
        listing.clear_options()
        listing.add_options(self._options())
        self.display = bool(styles)
        self.pick(keep)

    def pick(self, names: Sequence[str]) -> list[str]:
        """Exactly `names` picked, in that order (those the config has); returns those it lacks."""
        listing = self.query_one("#style-list", SelectionList)
        listing.deselect_all()
        for name in dict.fromkeys(names):
            if name in self._styles:
                listing.select(name)
        self._told = self.picked
        self.query_one("#style-order", Static).update(applied(self._told, self._styles))
        return [name for name in names if name not in self._styles]

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        picked = self.picked
        if picked != self._told:
            self._told = picked
            self.query_one("#style-order", Static).update(applied(picked, self._styles))
            self.post_message(self.Changed(picked))
