"""Text from users and from outside, as Content, so Textual never parses it as markup.

A bracket in a prompt or a provider's message is a character, not a style: `[/dim]` in one error
message once made the app crash at every start, and `[@click=app.quit]` would be a live action.
Widgets take Content built here, never a string with outside text formatted into markup; control
characters are shown as escapes (textsafe), so nothing from outside reaches the terminal raw.
"""

from __future__ import annotations

from textual.content import Content

from imagegen_tui.textsafe import one_line, visible


def text(value: str, style: str = "") -> Content:
    """Outside text as it is, line breaks kept."""
    shown = visible(value)
    return Content.styled(shown, style) if style else Content(shown)


def line(value: str, style: str = "") -> Content:
    """Outside text folded onto one line."""
    shown = one_line(value)
    return Content.styled(shown, style) if style else Content(shown)


def template(markup: str, **values: object) -> Content:
    """Our own markup, with outside values put in as plain text at `$name`."""
    return Content.from_markup(markup, **{name: visible(str(value)) for name, value in values.items()})
