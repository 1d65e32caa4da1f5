"""The editing room: what an edit is made from while it is being written (the chips above the
prompt), the mask painted for it, the family of a generation, and sending an edit.

An edit starts from an image (`e` in the history or the preview), gains references (`+`, or
ctrl+o for a file) and a mask (`m`); Enter then sends an edit instead of a generation. The
inputs stay attached after sending, for another try with another prompt; Escape in the prompt
takes them all off, Delete on a chip (or a click) one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual.app import App

from imagegen_tui import edits, sources
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.store import Generation
from imagegen_tui.studio import Studio
from imagegen_tui.ui.graphics import Graphics
from imagegen_tui.ui.attachment import Attachment
from imagegen_tui.ui.widgets.prompt import PLACEHOLDER, PromptArea
from imagegen_tui.ui.workers import app_thread

if TYPE_CHECKING:  # mounted after the first frame, imported then (ui/app.py _furnish)
    from imagegen_tui.ui.widgets.attachments import Attachments
    from imagegen_tui.ui.widgets.sidebar import ParamSidebar

EDIT_PLACEHOLDER = "Describe the change… (Enter edits the images above, Esc takes them off)"


class Editing:
    def __init__(self, app: App[Any], studio: Studio, graphics: Callable[[], Graphics]) -> None:
        self.app, self.studio, self._graphics = app, studio, graphics

    @property
    def attachments(self) -> Attachments:
        return cast("Attachments", self.app.query_one("#attachments"))

    def edit(self, generation: Generation, index: int, *, reference: bool) -> None:
        """Image `index` of `generation` as the image edited (the references stay; a mask
        painted on another image goes) or as one more reference; then the prompt, to write."""
        if (attachment := self._attachment(generation, index)) is None:
            return
        attachments = self.attachments
        if reference:
            attachments.add(attachment)
            self.app.notify(f"#{generation.id} image {index} added as a reference.")
        else:
            dropped = attachments.mask is not None and bool(attachments.items) and attachments.items[0] != attachment
            attachments.set_first(attachment)
            self.app.notify(f"Editing #{generation.id} image {index}; the mask painted on the other image is off." if dropped else f"Editing #{generation.id} image {index}: m in the preview paints a mask.")
        self._to_prompt()

    def _to_prompt(self) -> None:
        self.app.query_one(PromptArea).focus()

    def reuse(self, generation: Generation) -> None:
        """An edit's inputs and mask attached again, from the copies kept of them (the files
        it named may be gone); a generation's reuse takes attached images off."""
        if generation.kind != "edit":
            self.attachments.clear()
            return
        self._reuse(generation)

    @app_thread(group="reuse", exclusive=True)
    def _reuse(self, generation: Generation) -> None:
        items = [Attachment(s.copy(), s.label(), None, s.generation_id, s.index, s.name) for s in generation.sources if s.role == "image"]
        mask = None
        for source in generation.sources:
            if source.role == "mask":
                try:
                    mask = sources.load(source)
                except (OSError, ValueError) as exc:
                    self.app.call_from_thread(self.app.notify, f"The mask of #{generation.id} is not attached: {exc}", severity="warning")
        self.app.call_from_thread(self.attachments.replace, items, mask)

    def add_file(self) -> None:
        from imagegen_tui.ui.screens.add_reference import AddReference

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.attachments.add(Attachment(path, path.name))
            self._to_prompt()

        self.app.push_screen(AddReference(), chosen)

    def _attachment(self, generation: Generation, index: int) -> Attachment | None:
        image = next((i for i in generation.images if i.index == index), None)
        if image is None or image.missing:
            what = "has no images" if not generation.images else f"image {index} is missing (moved or deleted)"
            self.app.notify(f"#{generation.id} cannot be edited: it {what}.", severity="warning")
            return None
        size = (image.width, image.height) if image.width and image.height else None
        return Attachment(image.path, f"#{generation.id} image {index}", size, generation.id, index)

    def paint_mask(self, generation: Generation, index: int) -> None:
        """The mask editor over image `index` of `generation`; saving makes that image the one
        edited (references stay), cancelling changes nothing."""
        from imagegen_tui.ui.screens.mask_editor import MaskEditor

        if (attachment := self._attachment(generation, index)) is None:
            return
        attachments = self.attachments
        same = bool(attachments.items) and attachments.items[0] == attachment

        def painted(mask: bytes | None) -> None:
            if mask is not None:
                attachments.set_first(attachment)
                attachments.set_mask(mask)
                self._to_prompt()

        self.app.push_screen(MaskEditor(self._graphics(), attachment.path, attachments.mask if same else None), painted)

    def changed(self) -> None:
        """The sidebar shows what an edit takes while there is something to edit, and the
        prompt says what Enter will do."""
        editing = self.attachments.editing
        cast("ParamSidebar", self.app.query_one("#sidebar")).set_editing(editing)
        self.app.query_one(PromptArea).placeholder = EDIT_PLACEHOLDER if editing else PLACEHOLDER

    def send(self, prompt: str, profile: Any, params: dict[str, Any], start: Callable[..., int], refused: Callable[[InvalidRequest], None]) -> None:
        """An edit of what is attached: its inputs are read, kept and checked in a thread, then
        the job starts; `refused` hears why it cannot be sent."""
        wanted = [edits.Wanted(a.path, a.generation_id, a.index or 1, a.name) for a in self.attachments.items]
        self._send(prompt, profile, params, wanted, self.attachments.mask, start, refused)

    @app_thread(group="edit")
    def _send(self, prompt: str, profile: Any, params: dict[str, Any], wanted: list[edits.Wanted], mask: bytes | None,
              start: Callable[..., int], refused: Callable[[InvalidRequest], None]) -> None:
        try:
            request, made_from, note = self.studio.edit_request(prompt, profile, params, wanted, mask)
        except InvalidRequest as exc:
            self.app.call_from_thread(refused, exc)
            return
        if note:
            self.app.call_from_thread(self.app.notify, note)
        self.app.call_from_thread(start, request, profile, None, made_from)

    def show_lineage(self, generation: Generation, go: Callable[[int], None]) -> None:
        self._lineage(generation.id, go)

    @app_thread(group="lineage", exclusive=True)
    def _lineage(self, gen_id: int, go: Callable[[int], None]) -> None:
        from imagegen_tui.ui.screens.lineage import LineageScreen

        family = self.studio.lineage(gen_id)
        if family is None:
            return

        def chosen(picked: int | None) -> None:
            if picked is not None:
                go(picked)

        self.app.call_from_thread(self.app.push_screen, LineageScreen(family, gen_id), chosen)
