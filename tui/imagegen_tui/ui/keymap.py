"""The user's keys: `[keys]` in config.toml rebinds the app's actions, through Textual's keymap.

Every binding of the app has an id, `room.action` (history.rerun). The config file names an
action by its id, or by the bare action name where only one room has it, and gives its keys as
a binding does ("R,ctrl+r"). The core reads the table (config.py); here the names and keys are
checked against the bindings that exist, which are found by walking the ui package: a binding
added anywhere in it is rebindable, listed in the help screen (F1) and in the README without
anyone registering it. Whatever cannot be used is said in a few sentences, with the ids nearest
to a typo; the rest is applied.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import Keys
from textual.screen import Screen
from textual.widgets import Input, TextArea

from imagegen_tui.ui.workers import app_thread

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")


@dataclass(frozen=True)
class Bound:
    """A binding as one of the app's classes declares it."""

    owner: type[DOMNode]
    binding: Binding

    @property
    def id(self) -> str:
        return self.binding.id or ""

    @property
    def room(self) -> str:
        return self.id.partition(".")[0]


@cache
def declared() -> tuple[Bound, ...]:
    """Every binding the ui package's classes declare in their own BINDINGS, in the order of
    the modules and the classes in them. Imports every ui module (a few ms: call it off the
    event loop, or where the modules are loaded anyway)."""
    import imagegen_tui.ui as package

    found: list[Bound] = []
    for module_info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(module_info.name)
        for cls in list(vars(module).values()):  # in the order they are defined
            if isinstance(cls, type) and cls.__module__ == module.__name__ and issubclass(cls, DOMNode) and "BINDINGS" in cls.__dict__:
                found += [Bound(cls, binding) for binding in cls.__dict__["BINDINGS"] if isinstance(binding, Binding)]
    return tuple(found)


def key_shown(screen: Screen[Any], binding_id: str) -> str | None:
    """The key of `binding_id` among the screen's active bindings as the footer shows it
    ([keys] applied), or None when it has none there."""
    for active in screen.active_bindings.values():
        if active.binding.id == binding_id:
            return screen.app.get_key_display(active.binding)
    return None


def action_ids() -> list[str]:
    """The ids a keymap can name, each once."""
    return list(dict.fromkeys(bound.id for bound in declared() if bound.id))


@dataclass
class Resolved:
    """What `[keys]` comes to: the keymap for App.set_keymap (full ids), and what could not be
    applied or takes a key from another action, each as a sentence."""

    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class UserKeys:
    """The app's keys: `[keys]` applied at start and after each reload of the config."""

    def __init__(self, app: App[None]) -> None:
        self.app = app
        self.keymap: dict[str, str] = {}  # in effect, by binding id

    def apply(self, keys: Mapping[str, str]) -> None:
        if keys:
            self._resolve(dict(keys))
        elif self.keymap:  # the table is gone: the defaults again
            self._use(Resolved())

    @app_thread(group="keys", exclusive=True)
    def _resolve(self, keys: dict[str, str]) -> None:
        """Checked against every binding of every room, which imports them all: not on the loop."""
        self.app.call_from_thread(self._use, resolve(keys))

    def _use(self, resolved: Resolved) -> None:
        self.keymap = resolved.keymap
        self.app.set_keymap(resolved.keymap)
        if resolved.problems:
            self.app.notify("\n".join(resolved.problems), title="config.toml [keys]", severity="warning", timeout=15)


def resolve(keys: Mapping[str, str]) -> Resolved:
    """Full ids for the names of `[keys]`, its keys checked; the clashes it makes in a room."""
    ids = action_ids()
    owners = {bound.id: bound.owner for bound in declared()}
    by_action: dict[str, list[str]] = {}
    for action_id in ids:
        by_action.setdefault(action_id.partition(".")[2], []).append(action_id)
    resolved = Resolved()
    for name, written in keys.items():
        if name in ids:
            chosen = [name]
        elif name in by_action:  # a bare name: the action in every room that has it (r re-runs
            chosen = by_action[name]  # in the history and in the preview alike)
        else:
            resolved.problems.append(f"[keys] {name}: no such action{_nearest(name, ids, by_action)}")
            continue
        if (wrong := key_problem(written)) is not None:
            resolved.problems.append(f"[keys] {name} = {written!r}: {wrong}")
            continue
        typed = [key.strip() for key in written.split(",") if len(key.strip()) == 1]
        if typed and any(issubclass(owners[action_id], (Input, TextArea)) for action_id in chosen):
            resolved.problems.append(f"[keys] {name} = {written!r}: {typed[0]} is typed in that text box; give a key with ctrl or alt, or a function key.")
            continue
        for action_id in chosen:
            resolved.keymap[action_id] = normalized(written)
    resolved.problems += clashes(resolved.keymap)
    return resolved


def _nearest(name: str, ids: list[str], by_action: Mapping[str, list[str]]) -> str:
    """'; did you mean history.rerun?' for the id closest to a typo (for a bare name, its ids)."""
    close = difflib.get_close_matches(name, [*ids, *by_action], n=1, cutoff=0.6)
    if not close:
        return "; F1 lists them all."
    named = [close[0]] if close[0] in ids else by_action[close[0]]
    return f"; did you mean {' or '.join(named)}?"


def normalized(keys: str) -> str:
    """Keys as Textual names them ("R,+" -> "R,plus"), so they compare with the bindings'."""
    return ",".join(binding.key for binding in Binding.make_bindings([Binding(keys, "")]))


@cache
def _key_names() -> frozenset[str]:
    """Keys without modifiers, by name: Textual's named keys and every printable ASCII
    character's name (plus, slash, question_mark); any single character is a key too."""
    named = {key.value for key in Keys if not key.value.startswith("<")}
    return frozenset(named | set(normalized(",".join(string.punctuation.replace(",", "") + string.ascii_letters + string.digits)).split(",")) | {"comma"})


def key_problem(keys: str) -> str | None:
    """Why `keys` ("R,ctrl+r") cannot be bound, or None: an empty key, an unknown modifier or
    key name (Textual would take them and never see them pressed)."""
    for key in (part.strip() for part in keys.split(",")):
        if not key:
            return "an empty key between commas."
        if not key.isprintable():
            return f"{key!r} holds a control character, which is no key name."
        if len(key) == 1:  # any character: "R", "+"
            continue
        *modifiers, base = key.split("+")
        if unknown := [modifier for modifier in modifiers if modifier not in MODIFIERS]:
            return f"{unknown[0]!r} in {key!r} is not a modifier ({', '.join(MODIFIERS)})."
        if len(base) != 1 and base not in _key_names():
            close = [base.lower()] if base.lower() in _key_names() else difflib.get_close_matches(base, _key_names(), n=1)
            return f"{base!r} is not a key name" + (f"; did you mean {close[0]!r}?" if close else ".")
    return None


def clashes(keymap: Mapping[str, str]) -> list[str]:
    """Keys of `keymap` that another action of the same room still has: there the keymap's
    action takes the key (Textual's rule) and the other loses it. A room is a class with what it
    inherits (PromptArea has TextArea's keys), and all the bindings of one id prefix
    (history.rerun on ↑ would never be seen past history.up). Rebinding both of two actions,
    swapping their keys, is no clash."""
    said: list[str] = []
    for bindings in _rooms():
        holders: dict[str, list[str]] = {}  # key -> the actions that have it, keymap applied
        for binding in bindings:
            name = binding.id or f"“{binding.description or binding.action}”"
            for key in normalized(keymap.get(binding.id or "", binding.key)).split(","):
                holders.setdefault(key, [])
                if name not in holders[key]:
                    holders[key].append(name)
        for action_id, keys in keymap.items():
            for key in keys.split(","):
                if action_id not in holders.get(key, []):
                    continue
                for other in holders[key]:
                    was = f"{other}'s key" if "." in other else f"the key of {other}"
                    sentence = f"[keys] {action_id}: {key} was {was} in the same room; now it does {action_id} only."
                    if other != action_id and sentence not in said:
                        said.append(sentence)
    return said


def _rooms() -> Iterator[list[Binding]]:
    """The binding sets within which one key means one action."""
    owners = dict.fromkeys(bound.owner for bound in declared())
    for owner in owners:
        yield [binding for _, binding in owner._merge_bindings()]  # as Textual merges them
    prefixes: dict[str, list[Binding]] = {}
    for bound in declared():
        prefixes.setdefault(bound.room, []).append(bound.binding)
    yield from prefixes.values()
