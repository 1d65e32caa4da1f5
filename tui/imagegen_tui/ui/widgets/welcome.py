"""What the preview says while nothing is selected: the welcome of an empty history, or the word
for a search that matches nothing.

The welcome is where the first run's explanations live (what the app does, that the demo
provider draws locally and costs nothing, how to add a key, the main keys): in the empty preview
they cover nothing, where a notice of the same length covered the whole pane. It is our own text
built as Content, so nothing in it is read as markup; the keys it names are passed in as bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from imagegen_tui.textsafe import one_line

NO_MATCH = Content.styled("Nothing matches the search and filters.", "bold")


def welcome(*, demo: bool, key_variables: Sequence[str], keys: Sequence[tuple[str, str]], settings_key: str | None) -> Content:
    """`demo`: the profile in use is the embedded demo provider. `key_variables`: the
    environment variables real profiles read their keys from (the first two are named).
    `keys`: (key as shown, what it does) for the main keys; `settings_key`: the key of
    Settings, if bound."""
    parts: list[Content | tuple[str, str] | str] = [
        ("imagegen-tui", "bold"),
        "\n\nWrite a prompt below and press Enter. Pictures are made in the background, saved "
        "with their settings, and kept in the history on the left.",
    ]
    if demo:
        settings = f"Settings ({settings_key})" if settings_key else "Settings"
        variables = " or ".join(one_line(name) for name in list(dict.fromkeys(key_variables))[:2])
        parts += [
            "\n\n",
            ("Demo provider:", "bold"),
            f" pictures are drawn on this machine; nothing is sent and no call is paid. To use a real provider, add its key in {settings}",
            f", or set {variables} before starting." if variables else ".",
        ]
    if keys:
        width = max(len(key) for key, _ in keys)
        parts.append("\n")
        parts += [Content.assemble("\n", (key.ljust(width), "bold"), f"  {what}") for key, what in keys]
    return Content.assemble(*parts)
