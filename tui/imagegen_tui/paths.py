"""Every place imagegen-tui reads or writes on disk, in one module.

platformdirs decides the locations so that tests (and users) can move all of them with the XDG_*
variables; nothing else in the package computes a user path.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "imagegen-tui"


def config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def state_dir() -> Path:
    """What the app remembers on its own (never the user's config) and its crash reports."""
    return Path(platformdirs.user_state_dir(APP_NAME))


def state_file() -> Path:
    return state_dir() / "state.json"


def recovery_dir() -> Path:
    """Images paid for that could not be saved into the output folder wait here for
    `history recover`."""
    return data_dir() / "recovery"


def sources_dir() -> Path:
    """Copies of the images and masks an edit was made from, named by their sha256, so that
    a re-run works after the originals have moved or gone."""
    return data_dir() / "sources"


def crash_dir() -> Path:
    return state_dir() / "crashes"


def default_output_dir() -> Path:
    return Path(platformdirs.user_pictures_dir()) / APP_NAME
