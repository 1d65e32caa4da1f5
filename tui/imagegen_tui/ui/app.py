"""The terminal interface: a prompt bar, a parameter sidebar, the history and a preview.

This module is the conductor. It composes the rooms, hands each intent a room posts
(ui/intents.py) to the room that carries it out, and keeps what belongs to the app as a whole:
start-up, the crash handler, hang-up and quit, the state remembered between runs, the app-wide
keys and the order of the command palette.

Each capability is a room with its own keys and actions: the history (widgets/history_room.py),
the preview (widgets/preview_room.py), the config banner (widgets/config_room.py), the prompt
bar (widgets/prompt.py), the sidebar (widgets/sidebar.py), the composer that makes a request of
prompt and sidebar (composer.py), the jobs (jobs.py) and the screens (screens/). No room imports
this module. The app's side of the terminal is its base class (terminal.py). Every binding has an
id, room.action, by which the user's [keys] rebind it (keymap.py).

The Studio (core) runs jobs and answers queries. Every blocking call goes through a thread
worker so the event loop never waits on SQLite or Pillow.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from contextlib import suppress
from functools import partial, wraps
from inspect import isawaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widget import MountError
from textual.widgets import Footer, Header, TextArea
from textual.worker import Worker, WorkerState

from imagegen_tui.config import Profile
from imagegen_tui.store import Filters, Listed
from imagegen_tui.studio import Studio
from imagegen_tui.textsafe import one_line, visible
from imagegen_tui.ui.commands import ProfileCommands
from imagegen_tui.ui.composer import Composer
from imagegen_tui.ui.editing import Editing
from imagegen_tui.ui.graphics import Graphics, for_web
from imagegen_tui.ui.intents import CompareMarked, CopyPath, Edit, Mark, ModelsListed, OpenImage, PaintMask, Recover, Rerun, Reuse, ShowCompare, ShowLineage, View
from imagegen_tui.ui.jobs import Jobs
from imagegen_tui.ui.keymap import UserKeys
from imagegen_tui.ui.presets import PresetCommands, Presets
from imagegen_tui.ui.safe import template
from imagegen_tui.ui.sweeps import Sweeps
from imagegen_tui.ui.terminal import TerminalApp
from imagegen_tui.ui.widgets.config_room import ConfigBanner
from imagegen_tui.ui.widgets.history import PAGE, HistoryList
from imagegen_tui.ui.widgets.history_rows import as_of
from imagegen_tui.ui.widgets.history_room import HistoryPane, HistoryRoom
from imagegen_tui.ui.widgets.jobs import JobsPanel
from imagegen_tui.ui.widgets.prompt import PromptArea, PromptBar
from imagegen_tui.ui.workers import in_thread, report_failure

if TYPE_CHECKING:
    from imagegen_tui.ui.widgets.preview_room import PreviewPane

NARROW = 100  # below this many columns the sidebar starts hidden


class MainScreen(Screen[None]):
    """Keys typed before the app's on_mount reach the prompt, not the first input (the search)."""

    AUTO_FOCUS = "#prompt-input"


def furnished(handler: Callable[..., Any]) -> Callable[..., Any]:
    """For handlers that use the rooms mounted after the first frame (ImagegenApp._furnish): an
    event that comes before them (a key typed ahead) waits for them rather than failing."""

    @wraps(handler)
    def wrapper(app: ImagegenApp, *args: Any) -> Any:
        if app.furnished:
            return handler(app, *args)
        app.waiting.append(partial(handler, app, *args))
        return None

    return wrapper


class ImagegenApp(TerminalApp):
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses elsewhere load it too
    TITLE = "imagegen-tui"
    COMMANDS = App.COMMANDS | {ProfileCommands, PresetCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="app.toggle_sidebar"),
        Binding("ctrl+f", "search", "Search", id="app.search"),
        Binding("ctrl+g", "cancel_job", "Cancel job", id="app.cancel_job"),
        Binding("f1", "help", "Help", id="app.help"),
        Binding("f2", "settings", "Settings", id="app.settings"),
        Binding("f3", "diagnostics", "Graphics", show=False, id="app.diagnostics"),
        Binding("f5", "sweep", "Sweep", show=False, id="app.sweep"),
        Binding("ctrl+r", "reload_config", "Reload config", show=False, id="app.reload_config"),
        Binding("escape", "focus_prompt", "Prompt", show=False, id="app.focus_prompt"),
        Binding("ctrl+o", "add_image", "Add image", show=False, id="app.add_image"),
        Binding("ctrl+p", "command_palette", "palette", show=False, priority=True, id="app.command_palette"),  # Textual's own, with an id
    ]

    def __init__(self, studio: Studio, graphics: Graphics, *, notices: list[str] | None = None, first_page: tuple[int, list[Listed]] | None = None) -> None:
        super().__init__(graphics)
        self.first_page = first_page
        self.studio = studio
        self.notices = notices or []
        self.composer = Composer(self, studio, studio.active_profile(), self._profile_shown)
        self.jobs = Jobs(self, studio, self._jobs_changed, lambda text: self.composer.give_back(text))
        self.sweeps = Sweeps(self, studio, self.jobs)
        self.editing = Editing(self, studio, lambda: self.graphics)
        self.presets = Presets(self, studio, self.composer)
        self.user_keys = UserKeys(self)
        self._warmed = False
        self._crash: BaseException | None = None
        self._submitting: str | None = None
        self._draft_timer: Any = None
        self.typed = ""  # typed before the app had a screen: goes into the prompt box
        self.furnished = False  # the preview, the sidebar and the attachments are mounted
        self.waiting: list[Callable[[], Any]] = []  # what came for them before they were

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(id="_default")

    @property
    def preview(self) -> PreviewPane:
        return self.query_one("#preview")  # type: ignore[return-value]

    @property
    def profile(self) -> Profile:
        """The profile the next prompt goes to."""
        return self.composer.profile

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Workers never exit the app (ui/workers.py): a failed one is reported here."""
        if event.state is WorkerState.ERROR and event.worker.error is not None and event.worker.group != "jobs":
            report_failure(self, event.worker.error)

    # --- a crash, the terminal going away -----------------------------------------------------

    def terminal_gone(self) -> None:
        """No screen from now on. Calls already sent are paid for: they finish, save and record
        their images; queued ones are not started (interrupted, nothing billed); then the app
        exits."""
        with suppress(Exception):  # whatever happened to the terminal, the jobs are seen through
            self._keep_draft()
        self.jobs.wind_down()

    def _handle_exception(self, error: Exception) -> None:
        self._crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Textual's crash screen prints local variables, and a frame in the client holds the
        key: write a redacted report instead and leave one line on the terminal."""
        from rich.text import Text

        from imagegen_tui import crashlog

        error = self._crash
        try:  # what was being written or sent comes back in the prompt box at the next start
            prompt = self._submitting or self.query_one(PromptArea).text
            if prompt.strip():
                self.studio.remember_draft(prompt)
        except Exception:
            pass
        secrets = crashlog.known_secrets(self.studio.config)
        report = crashlog.write_report(error, "running the terminal interface", secrets)
        self.bell()
        self._exit_renderables.append(Text(crashlog.sentence(error, "running the terminal interface", report, secrets)))
        self._close_messages_no_wait()

    # --- layout and start-up ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """The first frame: the history and the prompt, what a person reads and types into at
        once. The preview, the sidebar and the attachments (pictures, Pillow, nine form fields:
        most of the start-up) are mounted right after it (_furnish)."""
        yield Header()
        yield ConfigBanner(self.studio, id="config-problem")
        with Horizontal(id="body"):
            with Vertical(id="left"):  # the running jobs under the history: when they come and
                # go the preview keeps its size, so a result goes up in the frame its job ends
                yield HistoryRoom(self.studio, self.first_page, id="history-room")
                yield JobsPanel(id="jobs")
        yield PromptBar(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        if self.is_web:
            self.graphics = self.pictures.graphics = for_web(self.graphics)
        theme = self.studio.state.theme or self.studio.config.ui.theme
        if theme in self.available_themes:
            self.theme = theme
        if self.first_page is None:
            self.query_one(HistoryList).reload()
        area = self.query_one(PromptArea)
        area.focus()
        if self.studio.state.draft:
            area.put(visible(self.studio.state.draft))
        if self.typed:
            area.insert(self.typed)
        self.query_one(ConfigBanner).show_problem()
        self.user_keys.apply(self.studio.config.keys)
        for notice in self.notices:  # the demo and a damaged config are said where they stay: the preview, the banner
            self.notify(notice, severity="warning", timeout=10)
        self._update_title()
        self.call_after_refresh(self._furnish)

    def _profile_shown(self) -> None:
        """The title and the empty history's welcome say which profile the next prompt goes to."""
        self.preview.welcome_for(self.profile)
        self._update_title()

    async def _furnish(self) -> None:
        """The rest of the screen, after the first frame; what came for it meanwhile follows.
        The cyclic GC, off while the app started (cli.py), is on again from here."""
        gc.enable()
        from imagegen_tui.ui.widgets.attachments import Attachments
        from imagegen_tui.ui.widgets.preview_room import PreviewPane
        from imagegen_tui.ui.widgets.sidebar import ParamSidebar

        sidebar = ParamSidebar(list(self.studio.config.profiles), self.profile.name, self.studio.config.styles, self.studio.state.styles, id="sidebar")
        shown = self.studio.state.sidebar
        sidebar.display = self.size.width >= NARROW if shown is None else shown
        try:
            await self.query_one("#body").mount(PreviewPane(self.graphics, self.studio, id="preview"), sidebar)
            await self.mount(Attachments(id="attachments"), before="#prompt")
            await self.query_one(HistoryRoom).furnish()
        except MountError:
            if self._exit:  # the app is closing (the terminal went away): nothing to furnish
                return
            raise
        self.composer.load(self.profile)
        self.furnished = True
        for waited in self.waiting:
            if isawaitable(result := waited()):
                await result
        self.waiting.clear()

    def _jobs_changed(self) -> None:
        """A job was recorded, started or ended: the title counts jobs, and the sidebar's
        budgets count what they spend."""
        self._update_title()
        if self.furnished:
            self.composer.cost(again=True)

    def _update_title(self) -> None:
        jobs = self.query_one(JobsPanel).summary
        where = "demo: synthesized locally" if self.profile.demo else one_line(self.profile.name)
        if self.studio.warning(self.profile):
            where += " (TLS NOT CHECKED)"
        spent = self.studio.key_spend(self.profile)  # the gateway's last word, from this run or an earlier one
        key = f" · key spent ${spent.usd:.2f} {as_of(spent.seen, time.time())}" if spent is not None else ""
        self.sub_title = f"{where}{key} · {self.graphics.protocol}" + (f" · {jobs}" if jobs else "")

    def _after_first_page(self) -> None:
        self._load_recall()
        self.query_one(HistoryRoom).load_models()
        self._warm_up()

    @in_thread(group="recall")
    def _load_recall(self) -> None:
        prompts = list(dict.fromkeys(visible(prompt) for prompt in self.studio.recall()))
        self.call_from_thread(setattr, self.query_one(PromptArea), "recall", prompts)

    @in_thread(group="warm-up")
    def _warm_up(self) -> None:
        """Import what the first job needs (httpx, the client, Pillow's decoders), and start the
        Sixel encoder's process, in a thread once the first page is on screen, so neither
        start-up nor the first job or picture pays for it on the loop."""
        import PIL.PngImagePlugin  # noqa: F401

        import imagegen_tui.service  # noqa: F401

        if self.graphics.protocol == "sixel":  # start the encoder's process before the first picture
            from imagegen_tui.ui import offload

            offload.warm()
        self.call_from_thread(self._freeze_heap)

    def _freeze_heap(self) -> None:
        """Move everything alive now (Textual's widgets, styles, modules) out of the cyclic
        GC's reach: a full collection over them took 50-60 ms on the event loop after each
        large job; frozen, they are never scanned again."""
        gc.freeze()

    # --- what is remembered between runs ------------------------------------------------------

    def watch_theme(self, theme: str) -> None:
        self.pictures.forget_screen()  # every cell is restyled, pictures' too
        if self.is_mounted and theme != (self.studio.state.theme or self.studio.config.ui.theme):
            self._remember_state(self.studio.remember_theme, theme)

    @in_thread(group="state")
    def _remember_state(self, remember: Any, value: Any) -> None:
        """State writes are small but still disk: never on the loop. A failed write keeps the
        value for this session."""
        remember(value)

    @on(TextArea.Changed, "#prompt-input")
    def _prompt_changed(self, event: TextArea.Changed) -> None:
        """What is being written survives a closed terminal: kept a second after typing stops
        (from the box itself: the timer may fire while the app closes, its screen gone)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
        area = event.text_area
        self._draft_timer = self.set_timer(1.0, lambda: self._remember_state(self.studio.remember_draft, area.text))

    def _keep_draft(self) -> None:
        """At quit, on the loop: the app is going and a worker might not finish."""
        text = self.query_one(PromptArea).text
        if text != self.studio.state.draft:
            self.studio.remember_draft(text)

    # --- between the rooms --------------------------------------------------------------------

    @on(PromptArea.Submitted)
    @furnished
    def _submitted(self, event: PromptArea.Submitted) -> None:
        self._submitting = event.text  # kept by the crash handler should anything below fail
        if self.editing.attachments.editing and self.composer.axes:
            self.notify("Not sent: an edit is not swept; clear the sweep (F5) first.", severity="error")
            self.composer.give_back(event.text)
        elif self.editing.attachments.editing:
            text = event.text
            styled = self.composer.styled(text)
            start = partial(self.jobs.start, provenance=styled.provenance)
            self.editing.send(styled.prompt, self.profile, styled.params, start, lambda exc: self.composer.refused(text, exc))
        else:
            plan = self.composer.plan(event.text)
            if plan is None:
                return
            if plan.axes:  # variants or a sweep: nothing is sent before the plan is confirmed
                text = event.text
                self.sweeps.offer(plan, self.profile, lambda: self.composer.give_back(text), lambda exc: self.composer.refused(text, exc))
            else:
                self.jobs.start(plan.cells[0].request, self.profile, provenance=plan.provenance(plan.cells[0]))
        self._remember_state(self.studio.remember_prompt, event.text)
        self._remember_state(self.studio.remember_draft, "")  # sent: nothing to restore
        self._submitting = None

    @on(HistoryList.Highlighted)
    @furnished
    def _highlighted(self, event: HistoryList.Highlighted) -> None:
        if not self._warmed:  # the first page is up: now what the first frame did not need
            self._warmed = True
            self.call_after_refresh(self._after_first_page)
        self.jobs.seen(event.generation)
        self.preview.show_row(event.row, filtered=self.query_one(HistoryList).filters != Filters())

    def on_param_sidebar_profile_chosen(self, event: Any) -> None:
        """ParamSidebar.ProfileChosen (by name: the sidebar module is imported after the first
        frame)."""
        self.composer.choose(event.name)

    def on_param_sidebar_changed(self) -> None:
        self.composer.edited()

    def on_param_sidebar_save_preset(self) -> None:
        """ParamSidebar.SavePreset (ctrl+s in the sidebar)."""
        self.presets.save()

    def on_style_picker_changed(self) -> None:
        """StylePicker.Changed (the sidebar's styles; imported after the first frame)."""
        self.composer.styles_changed()

    @furnished
    def switch_profile(self, profile: Profile) -> None:
        """The profile picked in the palette (ui/commands.py)."""
        self.composer.switch(profile)

    @on(ConfigBanner.Reloaded)
    def _config_reloaded(self, event: ConfigBanner.Reloaded) -> None:
        self.composer.config_reloaded()
        self.query_one(HistoryList).set_row_mode(self.studio.config.ui.history_rows)
        self.query_one(ConfigBanner).reloaded(event.error)
        self.user_keys.apply(self.studio.config.keys)

    @on(ModelsListed)
    @furnished
    def _models_listed(self, intent: ModelsListed) -> None:
        self.composer.models_listed(intent.profile, intent.models)

    @on(View)
    @furnished
    def _view(self, intent: View) -> None:
        self.preview.view(intent.generation)

    @on(CopyPath)
    @furnished
    def _copy_path(self) -> None:
        self.preview.copy_path()

    @on(OpenImage)
    @furnished
    def _open_image(self, intent: OpenImage) -> None:
        self.preview.open_image(intent.folder)

    @on(Reuse)
    @furnished
    def _reuse(self, intent: Reuse) -> None:
        self.composer.reuse(intent.generation)
        self.editing.reuse(intent.generation)

    @on(Rerun)
    @furnished
    def _rerun(self, intent: Rerun) -> None:
        self.jobs.rerun(intent.generation)

    @on(Recover)
    @furnished
    def _recover(self, intent: Recover) -> None:
        self.query_one(HistoryPane).recover(intent.generation)

    @on(Edit)
    @furnished
    def _edit(self, intent: Edit) -> None:
        index = intent.index
        if index is None:  # the image the preview shows of it, when it shows it
            preview = self.preview
            shown = preview.generation is not None and preview.generation.id == intent.generation.id
            index = preview.index + 1 if shown else 1
        self.editing.edit(intent.generation, index, reference=intent.reference)

    @on(PaintMask)
    @furnished
    def _paint_mask(self, intent: PaintMask) -> None:
        self.editing.paint_mask(intent.generation, intent.index)

    def on_attachments_changed(self) -> None:
        """Attachments.Changed."""
        self.editing.changed()
        self.composer.validate()

    @on(Mark)
    def _mark(self, intent: Mark) -> None:
        self.query_one(HistoryPane).mark(intent.generation, intent.index)

    @on(CompareMarked)
    def _compare_marked(self) -> None:
        self.query_one(HistoryPane).action_compare()

    @on(ShowCompare)
    @furnished
    def _show_compare(self, intent: ShowCompare) -> None:
        self.preview.compare(intent.items)

    @on(ShowLineage)
    @furnished
    def _show_lineage(self, intent: ShowLineage) -> None:
        self.editing.show_lineage(intent.generation, self._go_to)

    def _go_to(self, gen_id: int) -> None:
        self.query_one(HistoryRoom).go_to(gen_id)

    # --- command palette ----------------------------------------------------------------------

    def get_system_commands(self, screen: Any) -> Any:
        """Every main action by name in the palette (ctrl+p), plus profile switches."""
        yield from super().get_system_commands(screen)
        if screen is not self.screen_stack[0]:
            return
        actions = [
            *self.query_one(PromptBar).commands(),
            ("Toggle sidebar", "Show or hide the parameters (ctrl+b)", self.action_toggle_sidebar),
            ("Search history", "Full-text search over prompts (ctrl+f)", self.action_search),
            *self.jobs.commands(),
            *self.presets.commands(),
            *self.query_one(HistoryRoom).commands(),
            ("Settings", "Profiles, keys, output folder, graphics (F2)", self.action_settings),
            *self.query_one(ConfigBanner).commands(),
            ("Help: keys", "Every key (F1)", self.action_help),
            ("Sweep parameters", "Quality, size, model or n over several values: Enter plans every combination (F5)", self.action_sweep),
            ("Graphics diagnostics", "Protocol, cell size, terminal facts (F3)", self.action_diagnostics),
        ]
        for title, help_text, callback in actions:
            yield SystemCommand(title, help_text, callback)

    # --- app-wide keys ------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        """Until the user shows or hides the sidebar (ctrl+b), it follows the terminal's width:
        a window narrowed to 80 columns gives the preview back its room."""
        if self.furnished and self.studio.state.sidebar is None:
            self.query_one("#sidebar").display = event.size.width >= NARROW

    @furnished
    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#sidebar")
        sidebar.display = not sidebar.display
        self._remember_state(self.studio.remember_sidebar, sidebar.display)

    def action_search(self) -> None:
        self.query_one(HistoryRoom).focus_search()

    def action_cancel_job(self) -> None:
        self.jobs.cancel_newest()

    def action_reload_config(self) -> None:
        if len(self.screen_stack) == 1:
            self.query_one(ConfigBanner).reload()

    def action_focus_prompt(self) -> None:
        """Escape: to the prompt; in the prompt, the images of an edit are taken off."""
        if len(self.screen_stack) != 1:
            return
        area = self.query_one(PromptArea)
        attachments = self.editing.attachments
        if area.has_focus and self.furnished and attachments.editing:
            attachments.clear()
            self.notify("The images are off: Enter generates again.")
        area.focus()

    @furnished
    def action_add_image(self) -> None:
        if len(self.screen_stack) == 1:
            self.editing.add_file()

    def action_help(self) -> None:
        from imagegen_tui.ui.screens.help import HelpScreen  # every room's bindings: loaded when asked for

        self.push_screen(HelpScreen(self.user_keys.keymap))

    @furnished
    def action_sweep(self) -> None:
        self.composer.ask_axes()

    def action_diagnostics(self) -> None:
        from imagegen_tui.ui.screens.dialogs import DiagnosticsScreen

        self.push_screen(DiagnosticsScreen(self.graphics.facts()))

    def action_settings(self) -> None:
        from imagegen_tui.ui.screens.settings import SettingsScreen

        def closed(saved: bool | None) -> None:
            if saved:
                self.composer.settings_saved()

        self.push_screen(SettingsScreen(self.studio), closed)

    @furnished  # a quit typed during start-up: once the rooms it asks about are there
    async def action_quit(self) -> None:
        from imagegen_tui.ui.screens.dialogs import ConfirmScreen

        running = self.jobs.active
        if not running:
            self._keep_draft()
            self.exit()
            return

        def answered(result: tuple[bool, bool] | None) -> None:
            if result and result[0]:
                self.jobs.cut_off()
                self._keep_draft()
                self.exit()

        question = f"{running} job{'s' * (running != 1)} still running. Quit and cut {'them' if running != 1 else 'it'} off?\nThey will show as interrupted, ready to re-run."
        self.push_screen(ConfirmScreen(template("$question", question=question), "Quit"), answered)


def preloaded(cls: type[ImagegenApp], studio: Studio, graphics: Graphics, notices: list[str] | None = None) -> ImagegenApp:
    """The app with the history's first page already read: before App.run() no event loop
    exists to block, and the first frame can show the list instead of an empty one."""
    filters = Filters()
    return cls(studio, graphics, notices=notices, first_page=(studio.listing_count(filters, frozenset()), studio.listing(filters, frozenset(), 0, PAGE)))


def run(studio: Studio, graphics: Graphics, notices: list[str], typed: str = "") -> int:
    """The exit status: non-zero after a crash. `typed`: what was typed before the app had a
    screen (ui/typeahead.py), for the prompt box."""
    app = preloaded(ImagegenApp, studio, graphics, notices)
    app.typed = typed
    try:
        app.run()
    finally:
        app.pictures.close()
    return app.return_code or 0

