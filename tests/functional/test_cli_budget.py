"""Budgets as a user meets them headless: `generate` in its own process against the demo server
over loopback; a request that would cross a budget exits 1 with the figures and the server sees
no request; `history stats` shows spending against each budget."""

from __future__ import annotations

import json
import time

from pathlib import Path

import pytest

from conftest import run_cli, write_config
from imagegen_tui.request import ImageRequest
from imagegen_tui.saving import SavedImage
from imagegen_tui.store import FinishedGeneration, Filters, HistoryStore

PRICED = '[prices."gpt-image-2"]\nper_image = 0.25\n'


@pytest.fixture
def local(dirs, demo):
    def configure(extra: str) -> None:
        write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n{extra}')

    return configure


def spend_today(images: int) -> None:
    """A generation of `images` images made earlier today with the profile `local`."""
    request = ImageRequest(prompt="earlier", model="gpt-image-2", n=images, size="1024x1024", quality="low")
    saved = tuple(SavedImage(Path(f"/elsewhere/{i}.png"), i, 1024, 1024, "png", 1) for i in range(1, images + 1))
    with HistoryStore.open_default() as store:
        store.add_finished([FinishedGeneration("earlier", time.time(), "local", "demo", request, images=saved)])


def rows() -> int:
    with HistoryStore.open_default() as store:
        return store.count(Filters())


def test_a_request_that_would_cross_the_budget_is_refused_and_never_sent(local, demo, dirs):
    local(PRICED + "[budget]\ndaily = 1.0\n")
    spend_today(2)  # 0.50 spent
    out = run_cli("generate", "a fox", "-n", "3")  # 0.75 more: 1.25 > 1.00
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip() == (
        "error: the daily budget would be crossed: spent $0.50 today, this request ≈ $0.75 (3 images, your price per image), "
        "limit $1.00; raise budget.daily in the config file (imagegen-tui config path) or wait until tomorrow"
    )
    assert demo.httpd.generation_requests == 0 and rows() == 1 and not list(dirs.pictures.rglob("*.png"))

    refused = run_cli("generate", "a fox", "-n", "3", "--json")
    error = json.loads(refused.stdout)["error"]
    assert refused.returncode == 1 and error["kind"] == "budget" and error["billed"] is False and error["estimate"] == 0.75
    assert error["budget"]["spent"] == 0.5 and error["budget"]["limit"] == 1.0 and error["budget"]["key"] == "budget.daily"
    assert demo.httpd.generation_requests == 0 and rows() == 1

    done = run_cli("generate", "a fox", "-n", "2")  # 0.50 more: exactly the limit
    assert done.returncode == 0, done.stderr
    assert demo.httpd.generation_requests == 1 and rows() == 2
    again = run_cli("generate", "a fox")  # the budget is spent: the TUI and headless runs share the ledger
    assert again.returncode == 1 and "spent $1.00 today" in again.stderr and demo.httpd.generation_requests == 1


def test_a_budget_without_a_price_says_it_cannot_stop_anything(local, demo):
    local("[budget]\ndaily = 1.0\n")
    out = run_cli("generate", "a fox", "--quiet")
    assert out.returncode == 0 and demo.httpd.generation_requests == 1
    assert "warning: a budget is set but gpt-image-2 has no price" in out.stderr and "the budget cannot stop it" in out.stderr


def test_stats_show_spending_against_each_budget(local):
    local(PRICED + "[budget]\ndaily = 1.0\nmonthly = 10.0\n[profiles.local.budget]\ndaily = 0.75\n")
    spend_today(2)
    out = run_cli("history", "stats")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("budget ")))
    assert lines[start + 1:start + 4] == [
        "today                        0.50     0.00     1.00     0.50  (budget.daily)",
        "this month                   0.50     0.00    10.00     9.50  (budget.monthly)",
        "local today                  0.50     0.00     0.75     0.25  (profiles.local.budget.daily)",
    ]
    data = json.loads(run_cli("history", "stats", "--json").stdout)
    assert [(b["scope"], b["period"], b["spent"], b["left"]) for b in data["budgets"]] == [
        ("overall", "daily", 0.5, 0.5), ("overall", "monthly", 0.5, 9.5), ("local", "daily", 0.5, 0.25),
    ]


def test_config_show_lists_budgets_and_warns_when_a_model_has_no_price(local):
    local(PRICED + "[budget]\ndaily = 1.0\n[profiles.local.budget]\nmonthly = 10\n")
    out = run_cli("config", "show")
    assert "budget:         every profile: daily 1.00\nbudget:         local: monthly 10.00\n" in out.stdout
    assert out.stderr == ""  # local's gpt-image-2 has a price; the others' models are gpt-image-2 too
    local("[budget]\ndaily = 1.0\n")
    out = run_cli("config", "show", "--json")
    info = json.loads(out.stdout)
    assert info["budgets"] == {"overall": {"daily": 1.0, "monthly": None}}
    assert info["warnings"] == [
        "warning: a budget is set but gpt-image-2 has no price: its spending is not counted and its cost cannot be estimated, "
        'so the budget cannot stop it; add [prices."gpt-image-2"] to the config (README: Prices)'
    ]
