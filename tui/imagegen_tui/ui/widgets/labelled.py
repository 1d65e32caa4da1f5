"""A sidebar field: its label, the widget, and the line under it where its problem is shown."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from imagegen_tui.ui.safe import text


def labelled(label: str, widget: Input | Select) -> ComposeResult:
    """Ids follow the widget's (`p-NAME`): `l-NAME` for the label, `e-NAME` for the problem."""
    name = str(widget.id)[2:]
    yield Label(label, id=f"l-{name}")
    yield widget
    yield Static(classes="field-error", id=f"e-{name}")


def show(root: Widget, name: str, shown: bool) -> None:
    """Show or hide a field with its label (its problem line is said or cleared by `say`)."""
    for part in ("l", "p"):
        root.query_one(f"#{part}-{name}").display = shown


def say(error: Static, field: Widget | None, message: str) -> None:
    """Show or clear a field's problem; display and class change only when it does (each
    change restyles)."""
    if error.display != bool(message):
        error.display = bool(message)
        if field is not None:
            field.set_class(bool(message), "invalid")
    if message:
        error.update(text(message))
