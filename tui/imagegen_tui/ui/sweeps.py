"""The sweeps room: a prompt with variants becomes a plan, shown and confirmed before anything
is sent; its cells run as ordinary jobs (the profile's queue and concurrency), each recorded
with the sweep's provenance; when the last has ended, its contact sheet is made off the event
loop and its path told, and the history reloaded, so the sweep's row, selected, shows it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from textual.app import App

from imagegen_tui.config import Profile
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.studio import Studio
from imagegen_tui.sweep import Plan, counted
from imagegen_tui.ui.jobs import Jobs
from imagegen_tui.ui.safe import template
from imagegen_tui.ui.workers import app_thread


class Sweeps:
    def __init__(self, app: App[Any], studio: Studio, jobs: Jobs) -> None:
        self.app = app
        self.studio = studio
        self.jobs = jobs

    def offer(self, plan: Plan, profile: Profile, declined: Callable[[], None], refused: Callable[[InvalidRequest], None]) -> None:
        """The plan, its cost estimated (in a thread: it reads the history), in a dialog; sent
        on yes, `declined` told on no; `refused` when together its calls would cross a budget."""
        self._price(plan, profile, declined, refused)

    @app_thread(group="sweep-plan")
    def _price(self, plan: Plan, profile: Profile, declined: Callable[[], None], refused: Callable[[InvalidRequest], None]) -> None:
        try:
            priced = self.studio.priced(plan, profile)
        except InvalidRequest as exc:
            self.app.call_from_thread(refused, exc)
            return
        self.app.call_from_thread(self._ask, priced, profile, declined)

    def _ask(self, plan: Plan, profile: Profile, declined: Callable[[], None]) -> None:
        from imagegen_tui.ui.screens.dialogs import ConfirmScreen

        def answered(result: tuple[bool, bool] | None) -> None:
            if result and result[0]:
                self.start(plan, profile)
            else:
                declined()

        question = template("$plan\n\nSend $calls now?", plan="\n".join(plan.summary()), calls=counted(plan.calls, "call"))
        self.app.push_screen(ConfirmScreen(question, f"Send {counted(plan.calls, 'call')}"), answered)

    def start(self, plan: Plan, profile: Profile) -> None:
        """The cells as jobs; they give no notices of their own: the sweep's end tells how
        they went, once."""
        endings: list[str] = []

        def ended(how: str) -> None:
            endings.append(how)
            if len(endings) == plan.calls:
                self._sheet(plan, Counter(endings))

        for cell in plan.cells:
            self.jobs.start(cell.request, profile, provenance=plan.provenance(cell), on_end=ended)

    def _sheet_made(self) -> None:
        from imagegen_tui.ui.widgets.history import HistoryList

        self.app.query_one(HistoryList).reload()

    @app_thread(group="sheet")
    def _sheet(self, plan: Plan, endings: Counter[str]) -> None:
        went = ", ".join(f"{endings[how]} {how}" for how in ("done", "failed", "cancelled") if endings[how])
        severity = "information" if endings["done"] == plan.calls else "warning"
        try:
            sheets = self.studio.contact_sheets(plan)
        except OSError as exc:
            self.app.call_from_thread(self.app.notify, f"Sweep {plan.sweep_id}: {went}; no contact sheet ({exc.strerror or exc})", severity="warning")
            return
        if sheets:
            paths = ", ".join(str(path) for path in sheets)
            self.app.call_from_thread(self.app.notify, f"Contact sheet of sweep {plan.sweep_id}: {paths}\n{went}", severity=severity, timeout=15)
            self.app.call_from_thread(self._sheet_made)
        else:
            self.app.call_from_thread(self.app.notify, f"Sweep {plan.sweep_id}: {went}, no images: no contact sheet.", severity="warning")
