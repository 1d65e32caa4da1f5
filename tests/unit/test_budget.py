"""Budgets against a seeded ledger (a real SQLite history): days and months are the local time
zone's, what is running counts at its estimate, an unknown estimate is refused only once the
budget is used up, and the config names what to raise."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from conftest import write_config
from imagegen_tui import budget, service
from imagegen_tui.budget import BudgetExceeded
from imagegen_tui.config import load_config
from imagegen_tui.errors import ErrorKind
from imagegen_tui.request import ImageRequest
from imagegen_tui.saving import SavedImage
from imagegen_tui.store import FinishedGeneration, HistoryStore

# UTC-5 all year: local midnight is 05:00 UTC, so a generation at 23:30 local is the next day in UTC
ZONE = "Etc/GMT+5"
_uid = iter(range(10**6))


@pytest.fixture
def zone() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = ZONE
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def local(text: str) -> float:
    """A local wall-clock time in ZONE as a timestamp (the fixture has set the zone)."""
    return time.mktime(datetime.fromisoformat(text).timetuple())


def spent(images: int, when: float, profile: str = "demo", model: str = "gpt-image-1", status: str = "done") -> FinishedGeneration:
    """`images` images of gpt-image-1, at 1.00 each (its per-image price below)."""
    saved = tuple(SavedImage(Path(f"/nowhere/{i}.png"), i, 1, 1, "png", 1) for i in range(1, images + 1))
    request = ImageRequest(prompt="a fox", model=model, n=images, size="1024x1024", quality="low")
    return FinishedGeneration(f"u{next(_uid)}", when, profile, "demo", request, status=status, images=saved if status == "done" else ())


CONFIG = """
[prices."gpt-image-1"]
per_image = 1.0
[prices."gpt-image-2"]
per_image = 0.5
[budget]
daily = 5.0
monthly = 20.0
"""


@pytest.fixture
def store(dirs) -> Iterator[HistoryStore]:
    with HistoryStore.open_default() as s:
        yield s


def config_with(dirs, text: str = CONFIG):
    write_config(dirs, text)
    config = load_config()
    assert config.error is None, config.error
    return config


def images(n: int, model: str = "gpt-image-2") -> ImageRequest:
    return ImageRequest(prompt="a fox", model=model, n=n, size="1024x1024", quality="low")


def test_days_and_months_are_local(dirs, store, zone):
    config = config_with(dirs)
    store.add_finished([
        spent(40, local("2026-02-28T23:30")),  # last month, though 04:30 UTC on March 1st
        spent(10, local("2026-03-01T00:10")),  # this month
        spent(3, local("2026-03-14T23:30")),  # yesterday, though the same UTC day as now
        spent(1, local("2026-03-15T00:30")),  # today
        spent(9, local("2026-03-15T01:00"), status="failed"),  # failed before an answer: not paid
    ])
    now = local("2026-03-15T10:00")
    lines = {(line.scope, line.period): line for line in budget.status(store, config, ["demo"], now=now)}
    assert lines["overall", "daily"].spent == 1.0 and lines["overall", "daily"].left == 4.0
    assert lines["overall", "monthly"].spent == 14.0 and lines["overall", "monthly"].left == 6.0
    profile = config.profiles["demo"]
    # 7 images at 0.50: 1 + 3.5 <= 5 today, 14 + 3.5 <= 20 this month
    assert budget.check(store, config, profile, images(7), now=now).cost == 3.5
    with pytest.raises(BudgetExceeded) as crossed:  # 9 at 0.50: 1 + 4.5 > 5
        budget.check(store, config, profile, images(9), now=now)
    assert str(crossed.value) == (
        "the daily budget would be crossed: spent $1.00 today, this request ≈ $4.50 (9 images, your price per image), "
        "limit $5.00; raise budget.daily in the config file (imagegen-tui config path) or wait until tomorrow"
    )
    failure = crossed.value.failure()
    assert failure.kind is ErrorKind.BUDGET and failure.exit_code == 1 and failure.billed is False
    assert failure.details["budget"]["spent"] == 1.0 and failure.details["budget"]["limit"] == 5.0 and failure.details["estimate"] == 4.5


def test_the_month_crossed_on_a_new_day(dirs, store, zone):
    config = config_with(dirs)
    store.add_finished([spent(10, local("2026-03-01T00:10")), spent(7, local("2026-03-14T12:00"))])
    now = local("2026-03-15T10:00")  # nothing yet today: 17 this month
    with pytest.raises(BudgetExceeded) as crossed:  # 8 at 0.50 = 4 is under the daily 5, over the monthly 20
        budget.check(store, config, config.profiles["demo"], images(8), now=now)
    assert crossed.value.line.period == "monthly"
    assert "the monthly budget would be crossed: spent $17.00 this month" in crossed.value.sentence
    assert "raise budget.monthly" in crossed.value.sentence and "wait until next month" in crossed.value.sentence
    # on the first of the next local month the month starts again
    assert budget.check(store, config, config.profiles["demo"], images(8), now=local("2026-04-01T00:05")).cost == 4.0


def test_queued_and_running_jobs_count_at_their_estimate(dirs, store):
    config = config_with(dirs)
    store.add_finished([spent(1, time.time())])
    store.begin("running", images(4), "demo", "demo")  # 4 x 0.50 on its way
    profile = config.profiles["demo"]
    with pytest.raises(BudgetExceeded) as crossed:  # 1 + 2 + 2.5 > 5
        budget.check(store, config, profile, images(5))
    assert "spent $1.00 today (+ $2.00 queued or running)" in crossed.value.sentence
    assert budget.check(store, config, profile, images(4)).cost == 2.0  # 1 + 2 + 2 <= 5


def test_a_profile_budget_counts_that_profile_only_and_names_its_key(dirs, store):
    config = config_with(dirs, CONFIG + "[profiles.demo.budget]\ndaily = 2.0\n")
    store.add_finished([spent(2, time.time(), profile="openai"), spent(1, time.time(), profile="demo")])
    lines = {(line.scope, line.period): line for line in budget.status(store, config, ["demo"])}
    assert lines["overall", "daily"].spent == 3.0 and lines["demo", "daily"].spent == 1.0
    assert budget.check(store, config, config.profiles["demo"], images(2)).cost == 1.0  # demo 1 + 1 <= 2
    with pytest.raises(BudgetExceeded) as crossed:  # overall 3 + 1.5 <= 5, but demo 1 + 1.5 > 2
        budget.check(store, config, config.profiles["demo"], images(3))
    assert crossed.value.sentence.startswith("the daily budget of the profile 'demo' would be crossed: spent $1.00 today")
    assert "raise profiles.demo.budget.daily in the config file" in crossed.value.sentence
    store.add_finished([spent(2, time.time(), profile="openai")])  # another profile's spending takes the overall budget
    with pytest.raises(BudgetExceeded) as crossed:  # overall 5 + 0.5 > 5, though demo's own 1 + 0.5 <= 2
        budget.check(store, config, config.profiles["demo"], images(1))
    assert crossed.value.line.scope == "overall" and "raise budget.daily" in crossed.value.sentence


def test_an_unknown_estimate_is_refused_only_once_the_budget_is_used_up(dirs, store):
    config = config_with(dirs)
    profile = config.profiles["demo"]
    unknown = ImageRequest(prompt="a fox", model="gpt-image-2", n=1, size="1024x1024", quality="high")
    config.prices.pop("gpt-image-2")  # no price: its cost cannot be known
    store.add_finished([spent(4, time.time())])
    assert budget.check(store, config, profile, unknown).source == "unknown"  # 4 < 5: let through
    store.add_finished([spent(1, time.time())])
    with pytest.raises(BudgetExceeded) as used_up:
        budget.check(store, config, profile, unknown)
    assert used_up.value.sentence.startswith("the daily budget is used up: spent $5.00 today, limit $5.00, and this request's cost is unknown")


def test_no_budget_no_check_and_a_model_without_price_is_warned_about(dirs, store):
    config = config_with(dirs, '[prices."gpt-image-1"]\nper_image = 1.0\n')
    assert budget.check(store, config, config.profiles["demo"], images(100)) is None
    assert budget.warning(config, "demo", "gpt-image-2") is None  # no budget: nothing to warn about
    config = config_with(dirs, '[budget]\ndaily = 1.0\n')
    assert budget.warning(config, "demo", "gpt-image-2") == (
        "warning: a budget is set but gpt-image-2 has no price: its spending is not counted and its cost cannot be estimated, "
        'so the budget cannot stop it; add [prices."gpt-image-2"] to the config (README: Prices)'
    )


def test_spending_of_an_unpriced_model_is_named_not_hidden(dirs, store):
    config = config_with(dirs, '[prices."gpt-image-2"]\nper_image = 0.5\n[budget]\ndaily = 5.0\n')
    store.add_finished([spent(4, time.time())])  # gpt-image-1: no price
    (line,) = budget.status(store, config, ["demo"])
    assert line.spent == 0.0 and line.unpriced == ("gpt-image-1",)


@pytest.mark.parametrize("text, key, message", [
    ("[budget]\ndaily = -1\n", "budget.daily", "must be a number >= 0"),
    ('[budget]\nmonthly = "50"\n', "budget.monthly", "must be a number >= 0"),
    ("[budget]\nweekly = 5\n", "budget", "unknown key 'weekly'"),
    ("budget = 5\n", "budget", "expected a table"),
    ("[profiles.demo.budget]\ndayly = 5\n", "profiles.demo.budget", "did you mean 'daily'?"),
])
def test_bad_budgets_name_their_key(dirs, text, key, message):
    write_config(dirs, text)
    error = load_config().error
    assert error is not None and error.key == key and message in error.message


def test_budgets_are_read_and_do_not_make_the_demo_a_non_choice(dirs):
    config = config_with(dirs, "[budget]\ndaily = 5\n[profiles.openai.budget]\nmonthly = 10\n")
    assert config.budget == budget.Budget(daily=5.0) and config.budgets == {"openai": budget.Budget(monthly=10.0)}
    write_config(dirs, "[budget]\ndaily = 5\n")
    assert load_config().active_profile({}).name == "demo"


async def test_the_service_refuses_before_recording_or_sending(dirs, store, demo):
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n' + CONFIG)
    config = load_config()
    profile = config.active_profile({})
    store.add_finished([spent(4, time.time(), profile="local")])
    with pytest.raises(BudgetExceeded):  # 4 + 3 x 0.50 > 5
        await service.generate(config, profile, images(3), {}, store=store)
    assert demo.httpd.generation_requests == 0 and store.count() == 1
    outcome = await service.generate(config, profile, images(2), {}, store=store)  # 4 + 1 <= 5
    assert demo.httpd.generation_requests == 1 and outcome.history_id is not None and store.count() == 2


def test_reaching_the_limit_exactly_is_allowed_whatever_floating_point_says(dirs, store):
    config = config_with(dirs, '[prices."gpt-image-1"]\nper_image = 0.1\n[prices."gpt-image-2"]\nper_image = 0.1\n[budget]\ndaily = 0.3\n')
    store.add_finished([spent(1, time.time())])  # 0.1, and 0.1 + 0.2 > 0.3 in floats
    assert budget.check(store, config, config.profiles["demo"], images(2)).cost == pytest.approx(0.2)
    with pytest.raises(BudgetExceeded):
        budget.check(store, config, config.profiles["demo"], images(3))
