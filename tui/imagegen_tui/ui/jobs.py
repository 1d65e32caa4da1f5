"""The jobs room: generations running in the background, and how each outcome is told.

A job is a worker of the app itself, not of a widget: the app's worker handler is the one that
hears how workers end, and its shutdown is what cuts jobs off when it quits. The room drives the
jobs panel, the history and the preview directly, as the job's own events come, so a row, a
partial image or a result shows the moment the Studio reports it.
"""

from __future__ import annotations

import asyncio
import io
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from textual.app import App
from textual.worker import Worker

from imagegen_tui.config import Profile
from imagegen_tui.errors import ImageAPIError, InvalidRequest, OutputError
from imagegen_tui.request import AnyRequest, ImageRequest
from imagegen_tui.sources import Source
from imagegen_tui.store import Generation, Provenance
from imagegen_tui.studio import Studio
from imagegen_tui.textsafe import one_line
from imagegen_tui.ui.commands import Command
from imagegen_tui.ui.widgets.history import HistoryList
from imagegen_tui.ui.widgets.jobs import JobsPanel
from imagegen_tui.ui.workers import app_thread, report_failure

if TYPE_CHECKING:
    from imagegen_tui.saving import SavedImage
    from imagegen_tui.ui.widgets.preview import Preview  # mounted after the first frame, imported then (ui/app.py _furnish)


class Jobs:
    """Starts, follows and cancels jobs. The preview follows the newest job until the user looks
    at a finished result: from then on, later jobs only notify. How a job ended is said once: by
    the preview when it shows that job, else by a one-line notice naming its row."""

    def __init__(self, app: App[Any], studio: Studio, changed: Callable[[], None], not_sent: Callable[[str], None]) -> None:
        self.app = app
        self.studio = studio
        self._changed = changed  # what the app shows about jobs (its title) is out of date
        self._not_sent = not_sent  # a prompt refused when its job came to send it (a budget), back to the box
        self._keys = itertools.count(1)
        self._workers: dict[int, Worker[None]] = {}
        self._partial_steps: dict[int, int] = {}  # the newest streamed partial shown, per job
        self._follow: int | None = None  # the job whose result the preview should show
        self._quitting = False
        self._winding_down = False

    @property
    def preview(self) -> Preview:
        return cast("Preview", self.app.query_one("#preview"))

    @property
    def active(self) -> int:
        """Jobs started and not finished, queued ones included."""
        return len(self._workers)

    def commands(self) -> Iterator[Command]:
        """This room's entries in the command palette."""
        yield "Cancel newest job", "Stop the most recent running job (ctrl+g)", self.cancel_newest

    def start(
        self, request: AnyRequest, profile: Profile, parent_id: int | None = None, sources: Sequence[Source] = (), *,
        provenance: Provenance = Provenance(), on_end: Callable[[str], None] | None = None,
    ) -> int:
        """A job for `request`; `on_end` hears how it ended (done, failed or cancelled), and is
        then what tells it: the job gives no notice of its own (a sweep's cells are told
        together, at its end)."""
        key = next(self._keys)
        self._follow = key
        self.app.query_one(JobsPanel).add(key, request.prompt, profile.timeout)
        job = self._job(key, request, profile, parent_id, sources, provenance, on_end)
        self._workers[key] = self.app.run_worker(job, group="jobs", exit_on_error=False, name=f"job-{key}")
        self._changed()
        return key

    @app_thread(group="rerun")
    def rerun(self, generation: Generation) -> None:
        """A new generation with `generation`'s prompt and parameters (an edit's inputs from
        their kept copies: read here, in a thread), linked to it."""
        try:
            request, profile, made_from = self.studio.rerun_request(generation)
            self.studio.check(profile)
            request = request.validate(profile.caps(request.model))
        except InvalidRequest as exc:
            self.app.call_from_thread(self.app.notify, f"#{generation.id} cannot be re-run: {exc}", severity="error")
            return
        self.app.call_from_thread(self.start, request, profile, generation.id, made_from, provenance=generation.provenance.styling())

    def cancel_newest(self) -> None:
        key = self.app.query_one(JobsPanel).newest_key()
        if key is None:
            self.app.notify("No job is running.")
            return
        self._workers[key].cancel()

    def seen(self, generation: Generation | None) -> None:
        """The history highlighted `generation`: a finished result was shown, so later jobs only
        notify."""
        if generation is not None and self._follow is not None and generation.status == "done":
            self._follow = None

    def cut_off(self) -> None:
        """The app quits with jobs running: they end as interrupted, and say nothing."""
        self._quitting = True
        self.studio.quitting = True

    def wind_down(self) -> None:
        """The terminal is gone. Calls already sent are paid for: they finish, save and record
        their images; queued ones are not started (interrupted, nothing billed); then the app
        exits."""
        self.studio.quitting = True  # a job cancelled from here on is interrupted, not cancelled
        self._winding_down = True
        jobs = self.app.query_one(JobsPanel).jobs
        for key, worker in list(self._workers.items()):
            if key in jobs and jobs[key].state == "queued":
                worker.cancel()
        self._exit_when_idle()

    def _exit_when_idle(self) -> None:
        if self._winding_down and not any(job.state != "queued" for job in self.app.query_one(JobsPanel).jobs.values()):
            self.app.exit()

    def _on_show(self, key: int, row: int | None) -> bool:
        """The preview shows this job's row, or is about to (it follows the job): what the
        preview says about it needs no notice over it."""
        if row is None:  # not recorded (no history): nothing to select, the notice says it all
            return False
        shown = self.preview.generation
        return self._follow == key or (shown is not None and shown.id == row)

    async def _job(
        self, key: int, request: AnyRequest, profile: Profile, parent_id: int | None, sources: Sequence[Source],
        provenance: Provenance, on_end: Callable[[str], None] | None,
    ) -> None:
        """One generation in the background. Its outcome is told once: in the preview when the
        preview shows this job, else in a short notice naming the row."""
        jobs = self.app.query_one(JobsPanel)
        history = self.app.query_one(HistoryList)
        rows: list[int] = []
        end = ["failed"]  # how it ended, for on_end: done, failed or cancelled

        def on_event(event: str, row: int | None) -> None:
            jobs.set_state(key, "queued" if event == "queued" else "running")
            if row is not None and not rows:
                rows.append(row)
            if event in ("recorded", "queued"):
                history.reload(select_id=row if self._follow == key else None)
            self._changed()

        def on_partial(index: int, step: int, payload: Any) -> None:
            if self._follow == key and index == 0:
                self._show_partial(key, step, payload.data, f"partial image {step + 1} · {request.prompt[:60]}")

        def on_saved(image: SavedImage) -> None:
            """The first image is on disk: the preview starts on it while the others are
            written and the row recorded."""
            if self._follow == key and image.index == 1 and self.preview.graphics.protocol != "none":
                self.preview.prefetch(image, request, provenance)

        def ended(said: str, unrecorded: str, severity: str) -> None:
            """Failed or cancelled: the preview says so, and what to do, when it shows the job's
            row; else a notice names the row (`said` follows its number)."""
            row = rows[0] if rows else None
            end[0] = "cancelled" if said.startswith("cancelled") else "failed"
            if not self._on_show(key, row) and on_end is None:  # a sweep's cells are told together, at its end
                self.app.notify(f"#{row} {said}" if row is not None else unrecorded, severity=severity)
            history.reload(select_id=row if self._follow == key else None)

        try:
            outcome = await self.studio.run(
                request, profile, parent_id=parent_id, sources=sources, provenance=provenance, on_partial=on_partial, on_event=on_event, on_saved=on_saved,
            )
        except (ImageAPIError, OutputError) as exc:
            kind = exc.kind.value.replace("_", " ")
            ended(f"failed ({kind}): select it to see why.", f"Failed ({kind}): {exc}", "error")
        except InvalidRequest as exc:  # a budget crossed meanwhile, or the profile became unusable (a reload)
            self.app.notify(f"Not sent: {exc}", severity="error")
            if on_end is None and isinstance(request, ImageRequest):  # a sweep's cells are told at its end; an edit's images are gone
                self._not_sent(provenance.typed_prompt or request.prompt)
        except asyncio.CancelledError:
            if not self._quitting:  # ctrl+g cancels the newest job: the notice says which
                ended(f"cancelled: {shortened(request.prompt)}", f"Cancelled: {shortened(request.prompt)}", "information")
            raise
        except Exception as exc:  # a bug: one line and a report; the app and other jobs go on
            report_failure(self.app, exc, "running a job")
            history.reload()
        else:
            following = self._follow == key
            if following and outcome.history_id is not None:
                # the preview shows the result in the frame that tells the job's end, not after
                # the history has reloaded: a frame or two sooner
                arrived = await asyncio.to_thread(self.studio.get, outcome.history_id)
                if arrived is not None and self._follow == key:
                    self.preview.show(arrived)
            end[0] = "done"
            if outcome.notes or (not self._on_show(key, outcome.history_id) and on_end is None):  # else the preview (or the sweep's end) tells it
                count = len(outcome.saved)
                notes = "".join(f"\n{note}" for note in outcome.notes)
                done = f"#{outcome.history_id} done" if outcome.history_id is not None else "Done (not recorded)"
                self.app.notify(f"{done}: {count} image{'s' * (count != 1)} saved · {outcome.result.elapsed:.1f} s{notes}", severity="warning" if notes else "information")
            history.reload(select_id=outcome.history_id if following else None)
        finally:
            jobs.remove(key)
            self._workers.pop(key, None)
            self._partial_steps.pop(key, None)
            self._changed()
            if on_end is not None and not self._quitting:
                on_end(end[0])
            self._exit_when_idle()

    @app_thread(group="partial")
    def _show_partial(self, key: int, step: int, data: bytes, caption: str) -> None:
        from PIL import Image

        from imagegen_tui.ui.widgets.preview import render_partial

        preview = self.preview
        width, height = preview.stage_pixels()
        rendition = render_partial(preview.graphics, Image.open(io.BytesIO(data)), width, height, preview.background_rgb())
        self.app.call_from_thread(self._partial_ready, key, step, rendition, caption)

    def _partial_ready(self, key: int, step: int, rendition: Any, caption: str) -> None:
        """Encoded in a thread, it may come late: never after the final image, never out of order."""
        if self._follow != key or key not in self._workers or step <= self._partial_steps.get(key, -1):
            return
        self._partial_steps[key] = step
        self.preview.show_partial(rendition, caption)


def shortened(prompt: str, limit: int = 40) -> str:
    """The start of a prompt, on one line, for a notice that must stay one or two lines."""
    line = one_line(prompt)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
