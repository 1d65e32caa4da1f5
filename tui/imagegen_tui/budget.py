"""Budgets: a cap on spending per local day and per local month, overall and per profile.

```toml
[budget]                  # every profile together
daily = 5.0
monthly = 50.0
[profiles.openai.budget]  # this profile alone
daily = 2.0
```

Spending is read from the history (the ledger), so headless runs and the TUI count together:
finished generations, failed ones whose paid answer arrived, and, at their estimate, those
still queued or running. A request whose estimate would take a budget past its limit is refused
before it is recorded or sent. When the estimate is unknown it is refused only if the spending
has already reached the limit (and the sentence says the estimate is unknown): refusing every
request of a model with no history would make the budget a wall, letting them all through
would make it a fiction. Spending of a model with no price cannot be counted: `warnings` says
so, and `Line.unpriced` names those models.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imagegen_tui.errors import ConfigError, ErrorKind, Failure, InvalidRequest, check_keys
from imagegen_tui.estimate import Estimate, Estimator, money, total
from imagegen_tui.prices import cost

if TYPE_CHECKING:
    from imagegen_tui.config import Config, Profile
    from imagegen_tui.store import HistoryStore, LedgerEntry

PERIODS = ("daily", "monthly")
_PERIOD_WORDS = {"daily": ("today", "tomorrow"), "monthly": ("this month", "next month")}


@dataclass(frozen=True)
class Budget:
    daily: float | None = None
    monthly: float | None = None

    def __bool__(self) -> bool:
        return self.daily is not None or self.monthly is not None

    def limit(self, period: str) -> float | None:
        return self.daily if period == "daily" else self.monthly


def parse_budget(table: Any, where: str) -> Budget:
    if not isinstance(table, Mapping):
        raise ConfigError("expected a table with daily and/or monthly", key=where)
    check_keys(table, PERIODS, where)
    values = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError("must be a number >= 0 (in the currency of [prices])", key=f"{where}.{key}")
        values[key] = float(value)
    return Budget(**values)


@dataclass(frozen=True)
class Line:
    """One budget against what has been spent on it: `scope` is "overall" or a profile name."""

    scope: str
    period: str  # daily | monthly
    limit: float
    spent: float  # finished, at the configured prices
    running: float  # queued and running jobs, at their estimates
    unpriced: tuple[str, ...] = ()  # models spent on that have no price: not in `spent`
    unestimated: int = 0  # jobs running whose cost cannot be estimated: not in `running`

    @property
    def key(self) -> str:
        """The config key that sets it."""
        return f"budget.{self.period}" if self.scope == "overall" else f"profiles.{self.scope}.budget.{self.period}"

    @property
    def left(self) -> float:
        return max(0.0, self.limit - self.spent - self.running)

    @property
    def when(self) -> str:
        return _PERIOD_WORDS[self.period][0]

    def label(self) -> str:
        """"today" or "openai this month"."""
        return self.when if self.scope == "overall" else f"{self.scope} {self.when}"

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "period": self.period, "limit": self.limit, "spent": self.spent, "running": self.running,
                "left": self.left, "unpriced": list(self.unpriced), "unestimated": self.unestimated, "key": self.key}


class BudgetExceeded(InvalidRequest):
    """The request would take a budget past its limit (or budgets cannot be checked at all):
    refused before anything is recorded or sent. An InvalidRequest on the field "budget", so
    every caller already says "Not sent: …"; headless it is its own kind, exit 1."""

    def __init__(self, sentence: str, line: Line | None = None, estimate: Estimate | None = None) -> None:
        self.sentence, self.line, self.estimate = sentence, line, estimate
        super().__init__([("budget", sentence)])

    def __str__(self) -> str:
        return self.sentence  # "Not sent: the daily budget would be crossed: …", not "budget: the daily …"

    def failure(self) -> Failure:
        figures: dict[str, object] = {}
        if self.line is not None:
            figures = {"budget": self.line.as_dict()}
        if self.estimate is not None:
            figures["estimate"] = self.estimate.cost
        return Failure(ErrorKind.BUDGET, self.sentence, **figures)


def local_day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(now))


def month_start(now: float) -> str:
    return time.strftime("%Y-%m-01", time.localtime(now))


def configured(config: Config, profiles: Iterable[str]) -> list[tuple[str, Budget]]:
    """The budgets that apply to requests with these profiles, overall first: (scope, budget),
    set ones only."""
    found = [("overall", config.budget), *((name, config.budgets.get(name, Budget())) for name in profiles)]
    return [(scope, budget) for scope, budget in found if budget]


def status(store: HistoryStore, config: Config, profiles: Iterable[str], *, now: float | None = None, estimator: Estimator | None = None) -> list[Line]:
    """Every budget set for `profiles` (and the overall one) against spending so far. Blocking."""
    now = time.time() if now is None else now
    wanted = configured(config, profiles)
    if not wanted:
        return []
    estimator = estimator or Estimator(store, config.prices)
    ledgers = {"daily": store.ledger(local_day(now)), "monthly": store.ledger(month_start(now))}
    lines = []
    for scope, budget in wanted:
        for period in PERIODS:
            limit = budget.limit(period)
            if limit is not None:
                entries = [e for e in ledgers[period] if scope == "overall" or e.profile == scope]
                lines.append(_line(scope, period, limit, entries, config, estimator))
    return lines


def _line(scope: str, period: str, limit: float, entries: list[LedgerEntry], config: Config, estimator: Estimator) -> Line:
    spent = running = 0.0
    unpriced: set[str] = set()
    unestimated = 0
    for entry in entries:
        spent += entry.gateway_cost  # the gateway's own bill, where it sent one
        if entry.spend.images or entry.spend.output_tokens or entry.spend.without_usage:
            part = cost(entry.spend, config.prices.get(entry.model))
            if part is None:
                unpriced.add(entry.model)
            else:
                spent += part
        for size, quality, n, kind in entry.active:
            guess = estimator.of(entry.model, size, quality, n, kind).cost
            if guess is None:
                unestimated += 1
            else:
                running += guess
    return Line(scope, period, limit, spent, running, tuple(sorted(unpriced)), unestimated)


_check_lock = threading.Lock()  # one check-and-record at a time in this process
_ROUNDING = 1e-9  # 0.1 + 0.2 > 0.3 in floating point: reaching the limit exactly is allowed


def check(store: HistoryStore | None, config: Config, profile: Profile, request: Any, *, now: float | None = None) -> Estimate | None:
    """Raise BudgetExceeded when `request` would take a budget that applies to it past its
    limit; returns its estimate (None when no budget applies). Blocking (SQLite): call it in a
    thread, holding `recording()` until the request is recorded, so that two jobs started at
    once cannot both take the last of a budget."""
    return check_all(store, config, profile, [request], now=now)


def check_all(store: HistoryStore | None, config: Config, profile: Profile, requests: Sequence[Any], *, now: float | None = None) -> Estimate | None:
    """As `check`, for the calls of a plan (a sweep, a batch) together: refused before any
    is sent when together they would cross a budget, rather than after some were paid for.
    Each call is checked again when it is sent."""
    if not configured(config, [profile.name]):
        return None
    unreadable = "a budget is set but the history cannot be read ({}), so what was spent is unknown; nothing was sent"
    if store is None:
        raise BudgetExceeded(unreadable.format("see the warning above"))
    from imagegen_tui.store import StoreError

    estimator = Estimator(store, config.prices)
    try:
        guess = total([estimator(request) for request in requests])
        lines = status(store, config, [profile.name], now=now, estimator=estimator)
    except StoreError as exc:
        raise BudgetExceeded(unreadable.format(exc)) from None
    what = "this request" if len(requests) == 1 else f"these {len(requests)} calls"
    for line in lines:
        if guess.cost is not None and line.spent + line.running + guess.cost > line.limit + _ROUNDING:
            raise BudgetExceeded(_crossed(line, guess, what), line, guess)
        if guess.cost is None and line.spent + line.running >= line.limit:
            raise BudgetExceeded(_reached(line, guess, what), line, guess)
    return guess


def recording() -> threading.Lock:
    return _check_lock


def _spent(line: Line) -> str:
    text = f"spent {money(line.spent)} {line.when}"
    if line.running:
        text += f" (+ {money(line.running)} queued or running)"
    if line.unpriced:
        text += f", not counting {', '.join(line.unpriced)} (no price)"
    return text


def _raise(line: Line) -> str:
    return f"raise {line.key} in the config file (imagegen-tui config path) or wait until {_PERIOD_WORDS[line.period][1]}"


def _which(line: Line) -> str:
    """"the daily budget", "the monthly budget of the profile 'work'"."""
    whose = "" if line.scope == "overall" else f" of the profile {line.scope!r}"
    return f"the {'daily' if line.period == 'daily' else 'monthly'} budget{whose}"


def _crossed(line: Line, guess: Estimate, what: str) -> str:
    return (
        f"{_which(line)} would be crossed: {_spent(line)}, {what} ≈ {money(guess.cost or 0)} "
        f"({guess.images} image{'s' * (guess.images != 1)}, {guess.provenance()}), limit {money(line.limit)}; {_raise(line)}"
    )


def _reached(line: Line, guess: Estimate, what: str) -> str:
    return f"{_which(line)} is used up: {_spent(line)}, limit {money(line.limit)}, and the cost of {what} is unknown ({guess.provenance()}); {_raise(line)}"


def blind(config: Config, profile: str, model: str) -> bool:
    """A budget applies to `profile` but `model` has no price: the budget can neither count its
    spending nor estimate its cost."""
    return bool(configured(config, [profile])) and model not in config.prices


def warning(config: Config, profile: str, model: str) -> str | None:
    """`blind`, as a sentence (stderr, a notice)."""
    if not blind(config, profile, model):
        return None
    return (
        f"warning: a budget is set but {model} has no price: its spending is not counted and its cost cannot be "
        f'estimated, so the budget cannot stop it; add [prices."{model}"] to the config (README: Prices)'
    )
