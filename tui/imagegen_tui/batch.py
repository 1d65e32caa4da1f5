"""A batch file: one prompt per line, or a JSON object per line with the prompt and its own
parameters. Blank lines and lines starting with `#` are skipped; a line starting with `{` is
JSON (so a plain prompt is never parsed as variants: braces in a plain line are sent as
written).

Re-running a file skips the lines already done: each line's key is a hash of its prompt, its
parameters as sent, the profile and which occurrence of that same line it is (a line written
twice asks for two runs). A line is done when a generation with its key finished; one that
failed or was cut off delivered nothing and runs again, though a call cut off after it was
sent may have been billed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from imagegen_tui.dialects import EXTRAS
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.extras import merged, value_problem
from imagegen_tui.models import ModelCaps
from imagegen_tui.request import ImageRequest
from imagegen_tui.store import Provenance
from imagegen_tui.sweep import SHOWN_PROBLEMS, Estimating, Pricing, counted, price

# what a JSON line may set, and the type it must have
LINE_PARAMS: Mapping[str, type] = {
    "model": str, "n": int, "size": str, "quality": str, "background": str, "output_format": str,
    "output_compression": int, "moderation": str, "user": str,
}


class BatchError(ValueError):
    """A batch file that cannot be run; `str()` names the line. `problems`: (field, message)
    pairs as InvalidRequest's, when lines would be refused by their checks."""

    def __init__(self, sentence: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(sentence)
        self.problems = list(problems)


@dataclass(frozen=True)
class Line:
    number: int  # in the file, from 1
    prompt: str
    params: Mapping[str, Any]


def read_lines(text: str) -> list[Line]:
    """The file's lines to run; BatchError for a JSON line that is not one of ours."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not stripped.startswith("{"):
            lines.append(Line(number, stripped, {}))
            continue
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise BatchError(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno}); a plain prompt cannot start with {{") from None
        lines.append(_json_line(number, value))
    return lines


def _json_line(number: int, value: Any) -> Line:
    if not isinstance(value, dict) or not isinstance(value.get("prompt"), str):
        raise BatchError(f"line {number}: a JSON line is an object with a \"prompt\" text, as {{\"prompt\": \"a fox\", \"quality\": \"low\"}}")
    params = {key: item for key, item in value.items() if key != "prompt"}
    extra = {key: params.pop(key) for key in EXTRAS if key in params}  # seed, steps…: a line's own extras
    for key, item in params.items():
        if key not in LINE_PARAMS:
            raise BatchError(f"line {number}: {key!r} is not a parameter a line may set; it may set {', '.join((*LINE_PARAMS, *EXTRAS))}")
        wanted = LINE_PARAMS[key]
        if not isinstance(item, wanted) or isinstance(item, bool):
            raise BatchError(f"line {number}: {key} must be {'a number' if wanted is int else 'text'} (got {json.dumps(item)})")
    for key, item in extra.items():
        if (problem := value_problem(key, item)) is not None:
            raise BatchError(f"line {number}: {problem}")
    return Line(number, value["prompt"], {**params, **({"extra": extra} if extra else {})})


def line_key(request: ImageRequest, profile: str, occurrence: int) -> str:
    """The line's identity across runs of the file."""
    identity = {"prompt": request.prompt, "params": request.params(), "profile": profile, "occurrence": occurrence}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Job:
    """A line to send: its request, validated, and its key."""

    line: int
    request: ImageRequest
    key: str

    @property
    def provenance(self) -> Provenance:
        return Provenance(batch_key=self.key)


@dataclass(frozen=True)
class BatchPlan:
    name: str
    profile: str
    jobs: tuple[Job, ...]  # the lines to send
    done: int  # lines skipped: done in an earlier run
    pricing: Pricing = Pricing()

    @property
    def calls(self) -> int:
        return len(self.jobs)

    def summary(self) -> list[str]:
        images = sum(job.request.n for job in self.jobs)
        skipped = f"; {counted(self.done, 'line')} already done, skipped" if self.done else ""
        return [
            f"batch {self.name}: {counted(self.calls, 'call')}, {counted(images, 'image')} on profile {self.profile}{skipped}",
            self.pricing.sentence(self.calls),
        ]


def plan(
    name: str, lines: Iterable[Line], base: ImageRequest, caps: Callable[[str], ModelCaps], *, profile: str,
    done_keys: Callable[[list[str]], set[str]], again: bool = False, estimator: Estimating | None = None,
) -> BatchPlan:
    """Every line as a request on `base`'s parameters (a JSON line's own replacing them),
    validated; those done before (`done_keys` of the keys) left out unless `again`. BatchError
    naming every line that would be refused, before anything is sent."""
    jobs: list[Job] = []
    problems: list[tuple[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for line in lines:
        own = dict(line.params)
        if "extra" in own:  # over the command line's and the profile's
            own["extra"] = merged(base.extra, own["extra"])
        request = replace(base, prompt=line.prompt, **own)
        try:
            request = request.validate(caps(request.model.strip()))
        except InvalidRequest as exc:
            problems += [(field, f"line {line.number}: {message}") for field, message in exc.problems]
            continue
        identity = (request.prompt, json.dumps(request.params(), sort_keys=True))
        seen[identity] = seen.get(identity, 0) + 1
        jobs.append(Job(line.number, request, line_key(request, profile, seen[identity])))
    if problems:
        shown = "; ".join(f"{field}: {message}" for field, message in problems[:SHOWN_PROBLEMS])
        more = f"; and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
        raise BatchError(f"{counted(len(problems), 'problem')} in {name}, so nothing was sent: {shown}{more}", problems)
    finished = set() if again else done_keys([job.key for job in jobs])
    todo = tuple(job for job in jobs if job.key not in finished)
    return BatchPlan(name, profile, todo, len(jobs) - len(todo), price([job.request for job in todo], estimator))
