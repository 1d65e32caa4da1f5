"""The history room: the search box, the filters and the list of generations (the left column),
and what is done to the selected generation from there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Select

from imagegen_tui import compare
from imagegen_tui.compare import Pick
from imagegen_tui.statuses import STATUSES
from imagegen_tui.store import ACTIVE, Filters, Generation, Listed
from imagegen_tui.studio import Studio
from imagegen_tui.ui.commands import Command
from imagegen_tui.ui.intents import CopyPath, Edit, OpenImage, Rerun, Reuse, ShowCompare, ShowLineage, View, selected
from imagegen_tui.ui.safe import line, template
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.workers import app_thread


class HistoryPane(HistoryList):
    """The list, with the actions on its selected generation. Its keys work while it has focus
    (the search box and the filters beside it take letters for themselves); what another room
    does (view, reuse, re-run, the image on show) it asks for with an intent."""

    BINDINGS = [
        Binding("enter,v", "view", "View", id="history.view"),
        Binding("u", "reuse", "Reuse", id="history.reuse"),
        Binding("r", "rerun", "Re-run", id="history.rerun"),
        Binding("e", "edit", "Edit", id="history.edit"),
        Binding("plus", "add_reference", "+ Reference", show=False, id="history.add_reference"),
        Binding("t", "lineage", "Lineage", id="history.lineage"),
        Binding("f", "favourite", "★", id="history.favourite"),
        Binding("c", "copy_prompt", "Copy prompt", id="history.copy_prompt"),
        Binding("y", "copy_path", "Copy path", show=False, id="history.copy_path"),
        Binding("o", "open_file", "Open", show=False, id="history.open_file"),
        Binding("O", "open_folder", "Open folder", show=False, id="history.open_folder"),
        Binding("delete,d", "delete", "Delete", id="history.delete"),
        Binding("slash", "app.search", "Search", show=False, id="history.search"),
        Binding("s", "recover", "Save kept images", show=False, id="history.recover"),
        Binding("space", "mark", "Mark", show=False, id="history.mark"),
        Binding("equals_sign", "compare", "Compare", show=False, id="history.compare"),
    ]

    def __init__(self, studio: Studio, first_page: tuple[int, list[Listed]] | None, **kwargs: Any) -> None:
        super().__init__(studio.listing, studio.listing_count, first_page, row_mode=studio.config.ui.history_rows, sweep_of=studio.sweep_of, **kwargs)
        self.studio = studio

    def commands(self) -> Iterator[Command]:
        """This room's entries in the command palette, on the selected generation."""
        yield "View full screen", "The selected generation's images (v)", self.action_view
        yield "Reuse settings", "Fill prompt and sidebar from the selected generation (u)", self.action_reuse
        yield "Re-run", "The selected generation again, linked to it (r)", self.action_rerun
        yield "Favourite", "Mark or unmark the selected generation (f)", self.action_favourite
        yield "Copy prompt", "Of the selected generation, via OSC 52 (c)", self.action_copy_prompt
        yield "Copy path", "Of the shown image (y)", self.action_copy_path
        yield "Open image", "With the system viewer (o)", self.action_open_file
        yield "Open folder", "Where the image is (O)", self.action_open_folder
        yield "Delete generation", "Asks first; files optional (Delete)", self.action_delete
        yield "Save kept images", "Of a generation whose save failed: into the output folder (s)", self.action_recover
        yield "Mark for comparing", "Mark or unmark the selected generation (space)", self.action_mark
        yield "Compare marked", "The 2 to 4 images marked, side by side (=)", self.action_compare
        yield "Clear marks", "Unmark every generation and image", self.clear_marks

    def _selected(self) -> Generation | None:
        return selected(self, self.current)

    def action_view(self) -> None:
        if g := self._selected():
            self.post_message(View(g))

    def action_reuse(self) -> None:
        if g := self._selected():
            self.post_message(Reuse(g))

    def action_rerun(self) -> None:
        if g := self._selected():
            self.post_message(Rerun(g))

    def action_edit(self) -> None:
        if g := self._selected():
            self.post_message(Edit(g, None))

    def action_add_reference(self) -> None:
        if g := self._selected():
            self.post_message(Edit(g, None, reference=True))

    def action_lineage(self) -> None:
        if g := self._selected():
            self.post_message(ShowLineage(g))

    def action_copy_path(self) -> None:
        if self._selected():
            self.post_message(CopyPath())

    def action_open_file(self) -> None:
        if self._selected():
            self.post_message(OpenImage(folder=False))

    def action_open_folder(self) -> None:
        if self._selected():
            self.post_message(OpenImage(folder=True))

    def action_copy_prompt(self) -> None:
        if g := self._selected():
            self.app.copy_to_clipboard(g.prompt)
            self.notify("Prompt copied (OSC 52).")

    @app_thread(group="favourite")
    def action_favourite(self) -> None:
        g = self.app.call_from_thread(self._selected)
        if g is None:
            return
        self.studio.favourite(g.id, not g.favourite)
        self.app.call_from_thread(self.reload)

    def action_mark(self) -> None:
        """The generation under the cursor, whole: its first image, or all of them when the
        marks come to at most four images (compare.py)."""
        if g := self._selected():
            self.mark(g, None)

    def mark(self, g: Generation, index: int | None) -> None:
        """Mark or unmark `g` (index None) or its image `index`; said when the preview marks."""
        if not g.images and g.status not in ACTIVE:
            self.notify(f"#{g.id} has no images to compare.")
            return
        marked = self.marks.toggle(Pick(g.id, index))
        self.refresh()
        if index is not None:
            what = f"#{g.id} image {index}" if len(g.images) > 1 else f"#{g.id}"
            self.notify(f"{what} {'marked' if marked else 'unmarked'}; {len(self.marks)} marked (= compares).", timeout=3)

    def clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()

    def action_compare(self) -> None:
        self._compare(list(self.marks))

    @app_thread(exclusive=True, group="compare")
    def _compare(self, picks: list[Pick]) -> None:
        """The marked generations as the history has them now (a job marked while it ran has
        its images since); the 2 to 4 images they stand for, or a sentence saying why not."""
        generations = {gen_id: g for gen_id in dict.fromkeys(p.generation_id for p in picks) if (g := self.studio.get(gen_id)) is not None}
        gone = compare.unknown(picks, generations)
        shown = [p for p in picks if p.generation_id in generations and any(i.index == (p.index or 1) for i in generations[p.generation_id].images)]
        waiting = list(dict.fromkeys(p.generation_id for p in picks if p not in shown and p.generation_id in generations))
        self.app.call_from_thread(self._compared, compare.resolve(shown, generations), gone, waiting)

    def _compared(self, items: list[compare.Item], gone: list[int], waiting: list[int]) -> None:
        """`gone`: deleted since they were marked (their marks go); `waiting`: without images
        (yet), left out."""
        for gen_id in gone:
            self.marks.forget(gen_id)
        self.refresh()
        left_out = "".join(
            f" {', '.join(f'#{gen_id}' for gen_id in ids)} {what}." for ids, what in ((gone, "is no longer in the history"), (waiting, "has no images (yet)")) if ids
        )
        if compare.MIN_SHOWN <= len(items) <= compare.MAX_SHOWN:
            self.post_message(ShowCompare(items))
            if left_out:
                self.notify(f"Left out:{left_out}")
            return
        marked = f"{len(items)} image{'s' * (len(items) != 1)} marked" if items else "nothing marked"
        unmark = "; unmark some with space" if len(items) > compare.MAX_SHOWN else "; space marks a generation here, or one image in the preview"
        self.notify(f"Compare shows 2 to 4 images: {marked}{unmark}.{left_out}")

    def action_recover(self) -> None:
        if g := self._selected():
            self.recover(g)

    def recover(self, generation: Generation) -> None:
        """Save the images a failed save kept aside (paid for) into the output folder."""
        if not any(image.kept for image in generation.images):
            self.notify(f"#{generation.id} has no images waiting to be saved.")
            return
        self._recover(generation.id)

    @app_thread(exclusive=True, group="recover")
    def _recover(self, gen_id: int) -> None:
        try:
            result = self.studio.recover(gen_id)
        except OSError as exc:
            self.app.call_from_thread(self.notify, f"#{gen_id}: still cannot save: {exc}", severity="error", timeout=15)
            return
        if result.done:
            self.app.call_from_thread(self.notify, f"#{gen_id}: {len(result.saved)} image(s) saved into the output folder.")
        else:
            failures = "; ".join(f"{path.name}: {why}" for path, why in result.failed)
            self.app.call_from_thread(self.notify, f"#{gen_id}: {len(result.saved)} saved, {len(result.failed)} still waiting ({failures}).", severity="warning")
        self.app.call_from_thread(self.reload)

    def action_delete(self) -> None:
        from imagegen_tui.ui.screens.dialogs import ConfirmScreen

        g = self._selected()
        if g is None:
            return

        def answered(result: tuple[bool, bool] | None) -> None:
            if result and result[0]:
                self._delete(g, result[1])

        files = f"also delete its {len(g.images)} file(s)" if g.images else None
        self.app.push_screen(ConfirmScreen(template("Delete #$id from the history?\n\n$prompt", id=g.id, prompt=g.prompt[:200]), "Delete", files), answered)

    @app_thread(group="delete")
    def _delete(self, g: Generation, files: bool) -> None:
        report = self.studio.delete(g.id, files)
        if report is not None and report.failed:
            (path, why), more = report.failed[0], len(report.failed) - 1
            others = f" and {more} other file{'s' * (more != 1)}" if more else ""
            self.app.call_from_thread(self.notify, f"#{g.id} deleted; {path.name}{others} could not be removed: {why}", severity="warning", timeout=15)
        else:
            removed = f" and {len(report.removed)} file(s)" if report and report.removed else ""
            self.app.call_from_thread(self.notify, f"Deleted #{g.id}{removed}.")
        self.app.call_from_thread(self.reload)


class HistoryRoom(Vertical):
    """The left column: a full-text search and filters over the list below them."""

    def __init__(self, studio: Studio, first_page: tuple[int, list[Listed]] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.studio = studio
        self.first_page = first_page
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search prompts…  (ctrl+f)", id="search")
        yield Horizontal(id="filters")  # its line is kept; the filters come after the first frame
        yield HistoryPane(self.studio, self.first_page, id="history")

    async def furnish(self) -> None:
        """The filters: three form widgets (two of them Selects with their overlays) that the
        first frame can do without."""
        await self.query_one("#filters").mount(
            Select([("all", "")] + [(s, s) for s in STATUSES], allow_blank=False, id="filter-status", compact=True),
            Select([("any model", "")], allow_blank=False, id="filter-model", compact=True),
            Checkbox("★", id="filter-favourite", compact=True),
        )

    def commands(self) -> Iterator[Command]:
        """This room's entries in the command palette."""
        yield from self.query_one(HistoryPane).commands()
        yield "Show failed", "Filter the history to failures", lambda: self.set_status_filter("failed")
        yield "Show all", "Clear the search and filters", self.clear_filters

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def set_status_filter(self, status: str) -> None:
        self.query_one("#filter-status", Select).value = status

    def go_to(self, gen_id: int) -> None:
        """Select `gen_id`, clearing the search and filters that may hide it."""
        pane = self.query_one(HistoryPane)
        pane.wanted_id = gen_id
        if pane.filters == Filters():
            pane.reload()
        else:
            self.clear_filters()  # its reload selects it
        pane.focus()

    def clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one("#filter-status", Select).value = ""
        self.query_one("#filter-model", Select).value = ""
        self.query_one("#filter-favourite", Checkbox).value = False

    @app_thread(group="models")
    def load_models(self) -> None:
        """The model filter's choices: every model in the history."""
        models = self.studio.models()
        self.app.call_from_thread(self.query_one("#filter-model", Select).set_options, [("any model", "")] + [(line(m), m) for m in models])

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.15, self._apply_filters)

    @on(Select.Changed, "#filters Select")
    @on(Checkbox.Changed, "#filter-favourite")
    def _filters_changed(self) -> None:
        self._apply_filters()

    def _filter(self, name: str, default: object) -> object:
        """A filter's value; its default until the filters are mounted (after the first frame)."""
        found = self.query(f"#filter-{name}")
        return found.first().value if found else default  # type: ignore[attr-defined]

    def _apply_filters(self) -> None:
        status, model, favourite = self._filter("status", ""), self._filter("model", ""), self._filter("favourite", False)
        filters = Filters(
            text=self.query_one("#search", Input).value or None,
            status=str(status) if status else None,
            model=str(model) if model else None,
            favourite=bool(favourite),
        )
        self.query_one(HistoryPane).reload(filters)
