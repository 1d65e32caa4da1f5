"""A sweep: the prompt's variants times lists of parameter values, planned in full before
anything is sent. Every cell's request is validated against its model's capabilities first, so
one bad cell refuses the whole plan with nothing spent; the plan says how many calls and
images it makes and, when an estimator is given, what they may cost and where that came from."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from imagegen_tui.dialects import EXTRAS
from imagegen_tui.errors import InvalidRequest
from imagegen_tui.estimate import Estimate, money
from imagegen_tui.extras import merged
from imagegen_tui.models import ModelCaps
from imagegen_tui.request import AnyRequest
from imagegen_tui.store import Provenance
from imagegen_tui.styles import PARAMS as STYLE_PARAMS
from imagegen_tui.styles import Style, blamed
from imagegen_tui.styles import apply as apply_styles
from imagegen_tui.variants import parse

CONFIRM_ABOVE = 100  # calls: a bigger plan is sent only with --yes (headless) or a confirmation
SWEEPABLE: Mapping[str, Callable[[str], Any]] = {
    "quality": str, "size": str, "model": str, "n": int,
    "seed": int, "steps": int, "guidance": float, "negative": str,  # extras: for the servers that take them
}
SHOWN_PROBLEMS = 3  # the invalid cells a refusal names before "and N more"


class PlanError(ValueError):
    """A sweep that cannot be planned (a bad --sweep, cells the provider would refuse);
    `problems` are (field, message) pairs as InvalidRequest's, each naming its cell."""

    def __init__(self, sentence: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(sentence)
        self.problems = list(problems)


@dataclass(frozen=True)
class Axis:
    """What varies: a parameter, or a group of the prompt's variants, named `{1}`, `{2}` … in
    the order written. Values are text, as labels and the history show them."""

    name: str
    values: tuple[str, ...]

    def spec(self) -> str:
        """As --sweep takes it: quality=low,high."""
        return f"{self.name}={','.join(self.values)}"

    @property
    def prompt_group(self) -> bool:
        return self.name.startswith("{")


def parse_sweep(spec: str) -> Axis:
    """`quality=low,high` as an axis; PlanError for anything else."""
    name, equals, listed = spec.partition("=")
    name = name.strip()
    if not equals or name not in SWEEPABLE:
        known = ", ".join(SWEEPABLE)
        raise PlanError(f"--sweep {spec!r}: write PARAMETER=VALUE,VALUE… where PARAMETER is one of {known}")
    values = tuple(value.strip() for value in listed.split(","))
    if not all(values):
        raise PlanError(f"--sweep {spec!r}: a value is empty; list them as {name}=A,B")
    if len(set(values)) < len(values):
        raise PlanError(f"--sweep {spec!r}: a value is listed twice")
    for value in values:
        try:
            SWEEPABLE[name](value)
        except ValueError:
            raise PlanError(f"--sweep {spec!r}: {value!r} is not a number") from None
    return Axis(name, values)


def parse_sweeps(specs: Sequence[str]) -> list[Axis]:
    axes = [parse_sweep(spec) for spec in specs]
    names = [axis.name for axis in axes]
    for name in names:
        if names.count(name) > 1:
            raise PlanError(f"--sweep {name}=… is given twice: list all its values in one, as {name}=A,B")
    return axes


@dataclass(frozen=True)
class Cell:
    """One call of the plan: its request, validated, its value on each axis, and the typed
    prompt and styles that made its prompt (when styles were applied)."""

    request: AnyRequest
    axes: Mapping[str, str]
    styled: Provenance = Provenance()


Estimating = Callable[[AnyRequest], Estimate]  # estimate.Estimator: what a call may cost, and from where


class Consent(StrEnum):
    GO = "go"  # send without asking
    ASK = "ask"  # show the plan and ask on the terminal
    REFUSE = "refuse"  # needs --yes


def consent(calls: int, *, yes: bool, terminal: bool) -> Consent:
    """Whether a headless plan may be sent: --yes always; a single call, as any `generate`,
    without asking; more than CONFIRM_ABOVE calls never on a keystroke alone (the command line
    must say --yes, where the shell's history keeps it); others after asking on a terminal,
    and not at all without one (a script must say --yes)."""
    if yes or calls <= 1:
        return Consent.GO
    if calls > CONFIRM_ABOVE or not terminal:
        return Consent.REFUSE
    return Consent.ASK


def refusal(calls: int, *, terminal: bool) -> str:
    """Why a plan was not sent, and how to send it."""
    if calls > CONFIRM_ABOVE:
        return f"this plan makes {calls} calls, more than {CONFIRM_ABOVE}: nothing was sent; add --yes to send them"
    why = "the answer was no" if terminal else "there is no terminal to ask on"
    return f"this plan makes {calls} calls and {why}: nothing was sent; add --yes to send them without asking"


@dataclass(frozen=True)
class Pricing:
    """What a set of calls may cost, as far as the estimates know, and where they came from."""

    cost: float | None = None  # the sum over the calls whose cost is known
    unknown: int = 0  # calls whose cost is unknown
    tokens: int = 0  # the tokens estimated for the calls whose cost is unknown
    sources: tuple[str, ...] = ()  # where the estimates came from; none: no estimates were made
    estimated: bool = False

    def sentence(self, calls: int) -> str:
        if not self.estimated:
            return "cost: unknown (no estimate is available)"
        source = "; ".join(self.sources)
        tokens = f", ≈ {self.tokens:,} tokens with no price" if self.tokens else ""
        if self.cost is None or self.unknown >= calls:
            return f"cost: unknown{tokens} ({source})"
        if self.unknown:
            return f"cost: ≈ {money(self.cost)} for {calls - self.unknown} of the {calls} calls, the other {self.unknown} unknown{tokens} ({source})"
        return f"cost: ≈ {money(self.cost)} ({source})"


def price(requests: Sequence[AnyRequest], estimator: Estimating | None) -> Pricing:
    if estimator is None:
        return Pricing()
    estimates = [estimator(request) for request in requests]
    known = [e.cost for e in estimates if e.cost is not None]
    tokens = sum(e.input_tokens + e.output_tokens for e in estimates if e.cost is None)
    sources = tuple(dict.fromkeys(e.provenance() for e in estimates))
    return Pricing(sum(known) if known else None, len(estimates) - len(known), tokens, sources, True)


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


@dataclass(frozen=True)
class Plan:
    sweep_id: str
    profile: str
    prompt: str  # as typed, its variants in braces
    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    pricing: Pricing = Pricing()

    @property
    def calls(self) -> int:
        return len(self.cells)

    @property
    def images(self) -> int:
        return sum(cell.request.n for cell in self.cells)

    def provenance(self, cell: Cell) -> Provenance:
        """How the cell came about: its styles, and its place in the sweep (a plan without
        axes is one plain request, no sweep)."""
        return replace(cell.styled, sweep_id=self.sweep_id, sweep_axes=dict(cell.axes)) if self.axes else cell.styled

    def summary(self) -> list[str]:
        """The plan as lines for a person: what is sent, along which axes, at what cost."""
        model = ", ".join(dict.fromkeys(cell.request.model for cell in self.cells))
        lines = [f"sweep {self.sweep_id}: {counted(self.calls, 'call')}, {counted(self.images, 'image')} on profile {self.profile} ({model})"]
        lines += [f"  {axis.name}: {', '.join(axis.values)}" for axis in self.axes]
        lines.append(self.pricing.sentence(self.calls))
        return lines


def axes_label(axes: Mapping[str, str]) -> str:
    return " ".join(f"{name}={value}" for name, value in axes.items())


def build(
    base: AnyRequest, sweeps: Sequence[Axis], caps: Callable[[str], ModelCaps], *, profile: str,
    estimator: Estimating | None = None, sweep_id: str | None = None, styles: Sequence[Style] = (),
) -> Plan:
    """Every cell of `base` swept along the prompt's variants, then `sweeps` (the first
    varying slowest), `styles` applied to each cell's prompt and unset parameters, each
    validated with `caps(model)`. VariantError for a prompt whose braces cannot be read;
    PlanError naming the invalid cells (InvalidRequest when there are no axes: the plan is one
    plain request, its escapes undone); a value a style filled in names the style."""
    known = {style.name: style for style in styles}
    template = parse(base.prompt)
    axes = [Axis(f"{{{number}}}", group) for number, group in enumerate(template.groups, start=1)] + list(sweeps)
    known_caps: dict[str, ModelCaps] = {}
    cells: list[Cell] = []
    problems: list[tuple[str, str]] = []
    bad = 0
    for values in itertools.product(*(axis.values for axis in axes)):
        chosen = dict(zip((axis.name for axis in axes), values, strict=True))
        prompt = template.fill(values[: len(template.groups)]).prompt
        params = {axis.name: SWEEPABLE[axis.name](value) for axis, value in zip(axes, values, strict=True) if not axis.prompt_group}
        extra = {name: params.pop(name) for name in EXTRAS if name in params}
        fields = {**{key: getattr(base, key) for key in STYLE_PARAMS if hasattr(base, key)}, **params}
        styled = apply_styles(styles, prompt, fields)
        request = replace(base, prompt=styled.prompt, **styled.params, **({"extra": merged(base.extra, extra)} if extra else {}))
        model = request.model.strip()
        if model not in known_caps:
            known_caps[model] = caps(model)
        try:
            cells.append(Cell(request.validate(known_caps[model]), chosen, styled.provenance))
        except InvalidRequest as exc:
            bad += 1
            found = blamed(exc.problems, styled, known, fields)
            if not axes:  # a single plain request: its own problems, as they are
                raise InvalidRequest(found) from None
            problems += [(name, f"{axes_label(chosen)}: {message}") for name, message in found]
    if problems:
        shown = "; ".join(f"{name}: {message}" for name, message in problems[:SHOWN_PROBLEMS])
        more = f"; and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
        total = bad + len(cells)
        raise PlanError(f"{bad} of the {total} calls would be refused, so none was sent: {shown}{more}", problems)
    return Plan(sweep_id or secrets.token_hex(4), profile, base.prompt, tuple(axes), tuple(cells), price([cell.request for cell in cells], estimator))
