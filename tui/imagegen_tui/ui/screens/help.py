"""The keys (F1), made from the bindings themselves: every action of every room, with the keys
it has now (the user's `[keys]` applied) and the id by which `[keys]` rebinds it. A binding added
to the code is listed without anyone writing it here.

Built as rich Text and Content, never markup: the keys may be the user's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.keys import Keys, format_key
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from imagegen_tui.textsafe import visible
from imagegen_tui.ui.keymap import Bound, declared

# the rooms in the order a person meets them; a room not named here comes last, by its id
ROOMS = {
    "app": "Anywhere",
    "prompt": "Prompt",
    "sidebar": "Sidebar",
    "attachments": "Attached images",
    "history": "History",
    "preview": "Preview",
    "viewer": "Viewer",
    "compare": "Compare",
    "mask": "Mask editor",
    "lineage": "Lineage",
    "add_reference": "Add an image file",
    "settings": "Settings",
    "confirm": "Questions",
    "name": "Naming a preset",
    "help": "This help",
    "diagnostics": "Graphics diagnostics",
}

# what a key does, by action name (the same in every room that has it), where the binding's
# short description does not say enough
SAYS = {
    "quit": "quit (asks first while jobs run)",
    "toggle_sidebar": "show or hide the parameter sidebar",
    "search": "search the history (every word as a prefix)",
    "cancel_job": "cancel the newest running job",
    "help": "help: every key and its id",
    "settings": "settings: profiles, keys, output folder, graphics",
    "diagnostics": "graphics diagnostics",
    "reload_config": "read config.toml again after editing it",
    "focus_prompt": "back to the prompt; in the prompt, take the attached images off",
    "add_image": "add an image file to the edit (paths complete with →)",
    "command_palette": "command palette: every action by name",
    "newline": "new line (works in every terminal)",
    "save_preset": "save the sidebar (profile, parameters, styles) as a preset, under a name",
    "open_editor": "write the prompt in $VISUAL / $EDITOR (else vi); what you save comes back into the box",
    "take_off": "take this image off the edit",
    "view": "full-screen viewer",
    "reuse": "reuse: fill the prompt and sidebar from it",
    "rerun": "re-run it (a new generation linked to it)",
    "edit": "edit this image: it goes above the prompt; write what to change, Enter",
    "add_reference": "add this image as a reference to the edit being written",
    "lineage": "lineage: what it was made from and what was made from it",
    "favourite": "favourite on/off",
    "copy_prompt": "copy the prompt (OSC 52: works over SSH)",
    "copy_path": "copy the file path",
    "open_file": "open the file (needs a local display)",
    "open_folder": "open its folder (needs a local display)",
    "delete": "delete (asks; files optional)",
    "recover": "save the images a failed save kept aside",
    "mask": "paint the mask on this image: where the edit may change (whole cells)",
    "previous": "previous image of the generation",
    "next": "next image of the generation",
    "mark": "mark or unmark for comparing: in the history the generation (●), in the preview the image on show (◆)",
    "compare": "compare the 2 to 4 images marked, side by side",
    "open_sweep": "open a sweep's row: its calls beneath it; on an open one, to its first call",
    "close_sweep": "on a sweep's call, up to the sweep's row; on an open sweep's row, close it",
    "blink": "blink: one image full size; b again flips to the next",
    "flip_previous": "blink: the previous image, in place",
    "flip_next": "blink: the next image, in place",
    "back": "from the blink back to side by side; from side by side, close",
    "erase": "erase mode on/off (or right-drag)",
    "rect": "rectangle: drag, or space at two corners (or ctrl-drag)",
    "ellipse": "ellipse: drag, or space at two corners (or alt-drag)",
    "corner": "anchor a corner where the cursor is",
    "smaller": "smaller brush",
    "bigger": "bigger brush",
}

# keys that are not bindings, so cannot be rebound: (room, keys, what)
FIXED = [
    ("app", "tab / shift+tab", "next / previous pane"),
    ("prompt", "enter", "generate with the sidebar's parameters; with images attached, edit them"),
    ("prompt", "↑ / ↓", "at the first / last line: earlier prompts"),
    ("mask", "drag / right-drag", "paint / erase"),
]


def shown(keys: str) -> str:
    """Keys as [keys] takes them, punctuation as itself: "ctrl+o", "enter", "R", "+"."""
    named = {key.value for key in Keys}
    words = []
    for key in keys.split(","):
        *modifiers, base = key.split("+")
        words.append("+".join([*modifiers, base if base in named else format_key(base)]))
    return ", ".join(words)


def rows(keymap: Mapping[str, str]) -> Iterator[tuple[str, str, str, str]]:
    """(room, keys, what, id) for every binding, the keymap applied, rooms in ROOMS order."""
    found: dict[str, list[tuple[str, str, str, str]]] = {}
    for room, keys, what in FIXED:
        found.setdefault(room, []).append((room, keys, what, ""))
    for bound in declared():
        found.setdefault(bound.room, []).append((bound.room, shown(keymap.get(bound.id, bound.binding.key)), _says(bound), bound.id))
    order = [*ROOMS, *sorted(set(found) - set(ROOMS))]
    for room in order:
        yield from found.get(room, [])


def _says(bound: Bound) -> str:
    action = bound.id.partition(".")[2]
    said = SAYS.get(action) or bound.binding.description or action.replace("_", " ")
    return said[:1].lower() + said[1:] if said[1:2].islower() else said


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "app.pop_screen", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen #help-table { height: auto; max-height: 100%; }
    HelpScreen #help-title { margin-bottom: 1; }
    """

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Content.assemble(("imagegen-tui keys", "bold"), ("   rebind them in config.toml: [keys] id = \"keys\" (README: Keys)", "dim")), id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Rich Text cells: DataTable would read a plain string as markup, and keys are the
        user's. What a key does wraps in its column, so the id stays in sight."""
        listed = list(rows(self.keymap))
        keys_width = max(len(text) for text in [*(ROOMS.get(room, room) for room, *_ in listed), *(keys for _, keys, _, _ in listed)])
        id_width = max(len(action_id) for *_, action_id in listed)
        what_width = max(30, int(self.app.size.width * 0.9) - keys_width - id_width - 14)  # borders, padding, gutters, scrollbar
        table = self.query_one(DataTable)
        table.add_column("keys", width=keys_width)
        table.add_column("what", width=what_width)
        table.add_column("id", width=id_width)
        room = None
        for where, keys, what, action_id in listed:
            if where != room:
                room = where
                table.add_row(Text(ROOMS.get(where, where), style="bold"), Text(""), Text(""))
            table.add_row(Text(visible(keys)), Text(what), Text(action_id, style="dim"), height=None)
        table.focus()
