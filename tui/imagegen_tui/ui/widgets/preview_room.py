"""The preview room: the main screen's preview of the selected generation, and what is done with
the image on show (full screen, its path copied, opened with the system viewer)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.binding import Binding

from imagegen_tui.compare import Item
from imagegen_tui.config import Profile
from imagegen_tui.store import Generation, Listed, StoredImage
from imagegen_tui.studio import Studio
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.intents import CompareMarked, Edit, Mark, PaintMask, Recover, Rerun, Reuse, ShowLineage, selected
from imagegen_tui.ui.keymap import key_shown
from imagegen_tui.ui.widgets.preview import Preview
from imagegen_tui.ui.widgets.welcome import welcome
from imagegen_tui.ui.workers import app_thread

# the keys the welcome names, by binding id: it shows them as they are bound
WELCOME_KEYS = (("app.toggle_sidebar", "parameters"), ("app.search", "search"), ("app.help", "all keys"))


class PreviewPane(Preview):
    """Its keys work while it has focus; what another room does (re-run, reuse, save kept images)
    it asks for with an intent."""

    BINDINGS = [
        Binding("enter,v", "view", "View", id="preview.view"),
        Binding("r", "rerun", "Re-run", id="preview.rerun"),
        Binding("u", "reuse", "Reuse", id="preview.reuse"),
        Binding("e", "edit", "Edit", id="preview.edit"),
        Binding("plus", "add_reference", "+ Reference", show=False, id="preview.add_reference"),
        Binding("m", "mask", "Mask", id="preview.mask"),
        Binding("t", "lineage", "Lineage", id="preview.lineage"),
        Binding("s", "recover", "Save kept images", show=False, id="preview.recover"),
        Binding("space", "mark", "Mark", show=False, id="preview.mark"),
        Binding("equals_sign", "compare", "Compare", show=False, id="preview.compare"),
    ]

    def __init__(self, graphics: Graphics, studio: Studio, **kwargs: Any) -> None:
        super().__init__(graphics, *_from_config(studio), **kwargs)
        self.studio = studio
        self._profile: Profile | None = None  # the welcome's, once the composer has chosen it

    def action_view(self) -> None:
        if g := selected(self, self.generation):
            self.view(g)

    def action_rerun(self) -> None:
        if g := selected(self, self.generation):
            self.post_message(Rerun(g))

    def action_edit(self) -> None:
        """The image on show (not always the first) is the one edited."""
        if g := selected(self, self.generation):
            self.post_message(Edit(g, self.index + 1))

    def action_add_reference(self) -> None:
        if g := selected(self, self.generation):
            self.post_message(Edit(g, self.index + 1, reference=True))

    def action_mask(self) -> None:
        """Paint a mask on the image on show: it becomes the image edited, if it was not."""
        if g := selected(self, self.generation):
            self.post_message(PaintMask(g, self.index + 1))

    def action_lineage(self) -> None:
        if g := selected(self, self.generation):
            self.post_message(ShowLineage(g))

    def action_reuse(self) -> None:
        if g := selected(self, self.generation):
            self.post_message(Reuse(g))

    def action_mark(self) -> None:
        """The image on show, alone (ID:I)."""
        if (g := selected(self, self.generation)) and self.current_image is not None:
            self.post_message(Mark(g, self.current_image.index))

    def action_compare(self) -> None:
        self.post_message(CompareMarked())

    def compare(self, items: list[Item]) -> None:
        """These images side by side, full screen."""
        from imagegen_tui.ui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(self.graphics, items, self.prices))

    def action_recover(self) -> None:
        if g := selected(self, self.generation):
            self.post_message(Recover(g))

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._keys_changed)

    def show_row(self, row: Listed | None, *, filtered: bool) -> None:
        """The history's selected row: a generation, or, on a sweep's row, the whole sweep
        (its summary read in a thread, again each time: its sheet may have been made since)."""
        sweep_id = row.generation.provenance.sweep_id if row is not None and row.sweep is not None else None
        self.show(row.generation if row else None, filtered=filtered, sweep_id=sweep_id)
        if sweep_id is not None:
            self._load_sweep(sweep_id)

    @app_thread(exclusive=True, group="preview-sweep")
    def _load_sweep(self, sweep_id: str) -> None:
        summary = self.studio.sweep(sweep_id)
        if summary is not None:
            self.app.call_from_thread(self.show_sweep, summary)

    def welcome_for(self, profile: Profile) -> None:
        """The empty history's welcome for `profile`, the one the next prompt goes to: with the
        demo provider, it says where pictures come from and how to add a key."""
        self._profile = profile
        keys = [(key, what) for binding_id, what in WELCOME_KEYS if (key := self._key(binding_id))]
        variables = [p.api_key_env for p in self.studio.config.profiles.values() if p.api_key_env and not p.demo]
        self.set_welcome(welcome(demo=profile.demo, key_variables=variables, keys=keys, settings_key=self._key("app.settings")))

    def _keys_changed(self, screen: object) -> None:
        """[keys] applied (or focus moved): the welcome names the keys in effect."""
        if self._profile is not None and self.generation is None:
            self.welcome_for(self._profile)

    def _key(self, binding_id: str) -> str | None:
        return key_shown(self.screen, binding_id)

    def view(self, generation: Generation) -> None:
        """The generation's images full screen, from the one on show here."""
        from imagegen_tui.ui.screens.viewer import ViewerScreen

        if generation.images:
            self.app.push_screen(ViewerScreen(self.graphics, generation, self.index, *_from_config(self.studio)))

    def copy_path(self) -> None:
        if image := self.current_image:
            self.app.copy_to_clipboard(str(image.path))
            self.notify(f"Path copied: {image.path.name}")

    def open_image(self, folder: bool) -> None:
        """The image on show, or its folder, with the system viewer; over SSH, where there is
        none, its path is copied instead."""
        image = self.current_image
        if image is None:
            return
        target = image.path.parent if folder else image.path
        opener = _system_opener()
        if opener is None:
            self.app.copy_to_clipboard(str(target))
            self.notify("No local display (SSH?): the path was copied instead.", severity="warning")
            return
        subprocess.Popen([opener, str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _from_config(studio: Studio) -> tuple[dict[str, Any], Path, Callable[[StoredImage], Path | None]]:
    """What a preview takes from the config: prices (for costs), the output folder (paths are
    shown relative to it) and where thumbnails come from."""
    return studio.config.prices, studio.config.output.folder.resolve(), studio.thumbnail


def _system_opener() -> str | None:
    """xdg-open / open when there is a display to open things on; None over plain SSH."""
    if sys.platform == "darwin":
        return "open"
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    return shutil.which("xdg-open")
