"""The user's keys, checked against the bindings the code has: every binding is found (however
it was added), every one has an id, names and keys the user gets wrong are said with what they
probably meant, and the help screen and the README list every id.

Run as a script, this prints the README's table of keys: python tests/unit/test_keymap.py"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from imagegen_tui.ui import keymap
from imagegen_tui.ui.keymap import action_ids, declared, resolve
from imagegen_tui.ui.screens import help as help_screen

UI = Path(keymap.__file__).parent
README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_binding_in_the_ui_source_is_found():
    """Counted in the source text, independently of how declared() walks modules and classes:
    a binding added anywhere (a new room, a new screen) is found, so it is rebindable and listed."""
    written = [match for path in sorted(UI.rglob("*.py")) for match in re.findall(r"\bBinding\(\s*\"", path.read_text())]
    assert len(declared()) == len(written) > 70
    ids_written = {match for path in UI.rglob("*.py") for match in re.findall(r"\bid=\"([a-z_]+\.[a-z_0-9]+)\"", path.read_text())}
    assert set(action_ids()) == ids_written


def test_every_binding_has_a_unique_room_action_id():
    ids = [bound.id for bound in declared()]
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_0-9]+", action_id) for action_id in ids), [i for i in ids if "." not in i]
    assert len(ids) == len(set(ids))
    assert {"app.quit", "app.command_palette", "prompt.open_editor", "history.rerun", "preview.rerun", "mask.undo", "lineage.close", "add_reference.cancel"} <= set(ids)


def test_full_ids_and_unique_bare_names_are_taken():
    resolved = resolve({"history.rerun": "R,ctrl+r", "open_editor": "ctrl+t", "favourite": "*"})
    assert resolved.keymap == {"history.rerun": "R,ctrl+r", "prompt.open_editor": "ctrl+t", "history.favourite": "asterisk"}
    assert resolved.problems == []


def test_a_bare_name_two_rooms_share_rebinds_the_action_in_both():
    resolved = resolve({"rerun": "R"})
    assert resolved.keymap == {"history.rerun": "R", "preview.rerun": "R"}
    assert resolved.problems == []


@pytest.mark.parametrize(
    "name, said",
    [
        ("hisotry.rerun", "[keys] hisotry.rerun: no such action; did you mean history.rerun?"),
        ("rerunn", "[keys] rerunn: no such action; did you mean history.rerun or preview.rerun?"),
        ("toggle_sidbar", "[keys] toggle_sidbar: no such action; did you mean app.toggle_sidebar?"),
        ("zzzz", "[keys] zzzz: no such action; F1 lists them all."),
    ],
)
def test_an_unknown_name_is_said_with_the_nearest_ids(name, said):
    resolved = resolve({name: "R", "history.reuse": "U"})
    assert resolved.problems == [said]
    assert resolved.keymap == {"history.reuse": "U"}  # the rest still applies


@pytest.mark.parametrize(
    "keys, said",
    [
        ("ctlr+r", "'ctlr' in 'ctlr+r' is not a modifier (ctrl, shift, alt, meta, super, hyper)."),
        ("F5", "'F5' is not a key name; did you mean 'f5'?"),
        ("r,,t", "an empty key between commas."),
        ("pgup", "'pgup' is not a key name; did you mean 'pageup'?"),
        ("ctrl+\x1b", "'ctrl+\\x1b' holds a control character, which is no key name."),
    ],
)
def test_keys_textual_would_never_see_pressed_are_refused(keys, said):
    resolved = resolve({"app.search": keys})
    assert resolved.keymap == {}
    assert resolved.problems == [f"[keys] app.search = {keys!r}: {said}"]


def test_a_letter_for_an_action_of_the_prompt_is_refused_it_would_be_typed():
    assert resolve({"open_editor": "E"}).problems == ["[keys] open_editor = 'E': E is typed in that text box; give a key with ctrl or alt, or a function key."]
    assert resolve({"open_editor": "ctrl+e"}).keymap == {"prompt.open_editor": "ctrl+e"}


@pytest.mark.parametrize("keys", ["R", "ctrl+shift+up", "f12", "+", "comma", "question_mark", "é", "f9,space"])
def test_real_keys_are_taken(keys):
    assert resolve({"app.search": keys}).problems == []


def test_a_key_another_action_of_the_room_has_is_said_and_swaps_are_not():
    assert resolve({"history.reuse": "d"}).problems == ["[keys] history.reuse: d was history.delete's key in the same room; now it does history.reuse only."]
    assert resolve({"history.rerun": "u", "history.reuse": "r"}).problems == []  # swapped
    assert resolve({"history.rerun": "r,R"}).problems == []  # its own key kept
    assert resolve({"history.rerun": "u", "preview.rerun": "u"}).problems == [
        "[keys] history.rerun: u was history.reuse's key in the same room; now it does history.rerun only.",
        "[keys] preview.rerun: u was preview.reuse's key in the same room; now it does preview.rerun only.",
    ]


def test_a_key_taken_from_an_inherited_binding_or_another_class_of_the_room_is_said():
    # the prompt is a TextArea, whose ctrl+e is the end of the line
    assert resolve({"prompt.open_editor": "ctrl+e"}).problems == ["[keys] prompt.open_editor: ctrl+e was the key of “Cursor line end” in the same room; now it does prompt.open_editor only."]
    # history.up is the list's, history.rerun its pane's: one room
    assert resolve({"history.rerun": "up"}).problems == ["[keys] history.rerun: up was history.up's key in the same room; now it does history.rerun only."]


def test_the_help_lists_every_id_with_its_keys_in_effect():
    listed = {action_id: keys for _, keys, _, action_id in help_screen.rows({"history.rerun": "R,ctrl+r", "history.add_reference": "plus"}) if action_id}
    assert set(listed) == set(action_ids())
    assert listed["history.rerun"] == "R, ctrl+r" and listed["preview.rerun"] == "r"
    assert listed["history.add_reference"] == "+" and listed["history.delete"] == "delete, d" and listed["mask.smaller"] == "["
    assert set(help_screen.SAYS) <= {action_id.partition(".")[2] for action_id in action_ids()}  # none stale
    assert set(help_screen.ROOMS) == {action_id.partition(".")[0] for action_id in action_ids()}  # each room has a title


def readme_table() -> str:
    """The README's table of keys, made from the bindings."""
    lines = ["| id | keys | what |", "| --- | --- | --- |"]
    for _, keys, what, action_id in help_screen.rows({}):
        if action_id:
            lines.append(f"| `{action_id}` | {', '.join(f'`{key}`' for key in keys.split(', '))} | {what} |")
    return "\n".join(lines) + "\n"


def test_the_readme_lists_every_id_with_its_default_keys():
    assert readme_table() in README.read_text(), "the README's table of keys is not the code's: python tests/unit/test_keymap.py prints it"


if __name__ == "__main__":
    sys.stdout.write(readme_table())
