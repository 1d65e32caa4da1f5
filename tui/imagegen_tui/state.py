"""What the app remembers on its own: the sidebar's last values per profile, the profile last
picked, the styles picked, the theme, recalled prompts, whether the sidebar is shown, a draft
prompt, the presets the user saved (the sidebar's whole state under a name), and what each
profile's gateway last said its key has spent.

It lives in `state.json` in the platform's state folder, never in config.toml, which is the
user's. The file is ours: a damaged one is reported and replaced by a fresh start, never a
crash; a write that fails leaves the change in memory for this session. Reads come from memory.
A change is written at once, only when it changes something, into what is on disk at that
moment, so two running apps do not undo each other's changes to other fields.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from imagegen_tui import paths
from imagegen_tui.privatefile import write_private

RECALL_MAX = 100  # prompts kept for ↑ in the prompt bar, newest first


class KeySpend(NamedTuple):
    """What a gateway said its key has spent in all (x-litellm-key-spend), and when: the gateway
    says it only on a success, so the title shows the last word it had, however old."""

    usd: float
    seen: float  # epoch seconds


@dataclass
class State:
    profile: str | None = None  # last picked in the sidebar
    last: dict[str, dict[str, Any]] = field(default_factory=dict)  # sidebar values per profile
    theme: str | None = None
    recall: list[str] = field(default_factory=list)
    sidebar: bool | None = None  # None: by the terminal's width
    draft: str = ""
    migrated: bool = False  # config.toml's [ui.last] and ui.theme have been read once
    styles: list[str] = field(default_factory=list)  # picked in the sidebar, in order
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"profile", "params", "styles"}
    key_spend: dict[str, dict[str, float]] = field(default_factory=dict)  # profile -> KeySpend as {"usd", "seen"}


def _is_params(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())


def _is_preset(value: Any) -> bool:
    return (
        isinstance(value, dict) and isinstance(value.get("profile"), str) and isinstance(value.get("params"), dict)
        and isinstance(value.get("styles", []), list) and all(isinstance(item, str) for item in value.get("styles", []))
    )


def _is_key_spend(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(spend, dict) and all(isinstance(spend.get(key), (int, float)) and not isinstance(spend.get(key), bool) for key in KeySpend._fields)
        for spend in value.values()
    )


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "profile": lambda v: v is None or isinstance(v, str),
    "last": _is_params,
    "theme": lambda v: v is None or isinstance(v, str),
    "recall": lambda v: isinstance(v, list) and all(isinstance(item, str) for item in v),
    "sidebar": lambda v: v is None or isinstance(v, bool),
    "draft": lambda v: isinstance(v, str),
    "migrated": lambda v: isinstance(v, bool),
    "styles": lambda v: isinstance(v, list) and all(isinstance(item, str) for item in v),
    "presets": lambda v: isinstance(v, dict),  # each checked on its own: one damaged preset costs only itself
    "key_spend": _is_key_spend,
}


def read_state(path: Path) -> tuple[State | None, str | None]:
    """The state on disk (None when there is none or it cannot be used) and what was wrong with
    it, if anything; a field of the wrong kind is dropped, the rest kept."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path} could not be read ({exc}); starting afresh"
    if not isinstance(data, dict):
        return None, f"{path} is not a JSON object; starting afresh"
    good = {name: data[name] for name, check in _CHECKS.items() if name in data and check(data[name])}
    bad = sorted(name for name in _CHECKS if name in data and name not in good)
    if "presets" in good:
        bad += [f"the preset {name!r}" for name, preset in good["presets"].items() if not _is_preset(preset)]
        good["presets"] = {name: preset for name, preset in good["presets"].items() if _is_preset(preset)}
    return State(**good), (f"{path}: {', '.join(bad)} could not be used and {'were' if len(bad) > 1 else 'was'} forgotten" if bad else None)


class StateFile:
    """The state in memory and on disk. Blocking (a small file write): call changes from a
    worker thread."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.state_file()
        state, self.problem = read_state(self.path)
        self.state = state or State()
        self._lock = threading.Lock()

    def change(self, edit: Callable[[State], None]) -> bool:
        """Apply `edit`; write when it changed something. False when nothing changed or the
        write failed (then `problem` says why and the change is kept in memory)."""
        with self._lock:
            trial = copy.deepcopy(self.state)
            edit(trial)
            if trial == self.state:
                return False
            on_disk, _ = read_state(self.path)
            if on_disk is not None:  # merge into what another running app may have written
                edit(on_disk)
                trial = on_disk
            self.state = trial
            try:
                write_private(self.path, json.dumps({"version": 1, **asdict(trial)}, ensure_ascii=False, indent=1))
            except OSError as exc:
                self.problem = f"{self.path} could not be written ({exc.strerror or exc}); remembered for this session only"
                return False
            return True


def pushed(recall: list[str], text: str) -> list[str]:
    """`text` first, without its older copies, at most RECALL_MAX prompts."""
    return [text, *(item for item in recall if item != text)][:RECALL_MAX]
