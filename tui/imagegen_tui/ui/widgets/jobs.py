"""Running and queued jobs: a spinner, the elapsed time against the timeout, and the prompt."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from textual.content import Content
from textual.widgets import Static

from imagegen_tui.textsafe import one_line
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


@dataclass
class JobView:
    key: int
    prompt: str
    timeout: float
    state: str = "starting"
    started: float = field(default_factory=time.monotonic)


class JobsPanel(Static):
    """Hidden while nothing runs."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.jobs: dict[int, JobView] = {}
        self._frame = 0

    def on_mount(self) -> None:
        self.display = False
        self.set_interval(0.1, self._tick)

    def add(self, key: int, prompt: str, timeout: float) -> None:
        self.jobs[key] = JobView(key, prompt, timeout)
        self._tick()

    def set_state(self, key: int, state: str) -> None:
        if key in self.jobs:
            job = self.jobs[key]
            if state == "running" and job.state != "running":
                job.started = time.monotonic()
            job.state = state
            self._tick()

    def remove(self, key: int) -> None:
        self.jobs.pop(key, None)
        self._tick()

    def newest_key(self) -> int | None:
        return max(self.jobs) if self.jobs else None

    @property
    def summary(self) -> str:
        running = sum(job.state != "queued" for job in self.jobs.values())
        queued = len(self.jobs) - running
        return f"{running} running" + (f", {queued} queued" if queued else "") if self.jobs else ""

    def _tick(self) -> None:
        self.display = bool(self.jobs)
        if not self.jobs:
            return
        self._frame = (self._frame + 1) % len(SPINNER)
        now = time.monotonic()
        lines = []
        for job in sorted(self.jobs.values(), key=lambda j: j.key):
            prompt = one_line(job.prompt)[:70]
            if job.state == "queued":
                lines.append(Content.styled(f"…  queued          {prompt}", "dim"))
            else:
                elapsed = now - job.started
                lines.append(Content(f"{SPINNER[self._frame]}  {elapsed:5.1f} s / {job.timeout:.0f} s  {prompt}"))
        lines.append(Content.styled("ctrl+g cancels the newest job", "dim"))
        self.update(Content("\n").join(lines))
