"""The sidebar's cost line: what the next request would cost, where that number comes from, and
what is left of each budget. Computed by the composer in a thread (studio.cost_view); this only
draws it, as text (model names come from the config file and the sidebar)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from imagegen_tui.estimate import money
from imagegen_tui.studio import CostView
from imagegen_tui.textsafe import one_line


class CostLine(Static):
    DEFAULT_CSS = """
    CostLine {
        dock: bottom;
        height: auto;
        border-top: solid $foreground 20%;
        padding: 0 0;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Text("cost: …", style="dim"), **kwargs)
        self.view: CostView | None = None

    def show(self, view: CostView) -> None:
        self.view = view
        self.update(render(view))


def render(view: CostView) -> Text:
    out = Text()
    guess = view.estimate
    if guess is None:
        out.append("cost: n is not a number", style="dim")
    else:
        out.append(guess.amount(), style="bold" if guess.cost is not None else "")
        out.append(f" · {guess.images} image{'s' * (guess.images != 1)}")
        out.append(f"\n{guess.provenance()}", style="dim")
    for line in view.budgets:
        out.append("\n")
        left = line.left
        when = "today" if line.period == "daily" else "month"
        scope = when if line.scope == "overall" else f"{one_line(line.scope)} {when}"
        out.append(f"{scope}: {money(left)} left", style="bold red" if left <= 0 else "")
        out.append(f" of {money(line.limit)}", style="dim")
        if line.unpriced:
            out.append(f" (+ {one_line(', '.join(line.unpriced))} unpriced)", style="yellow")
    if view.blind_to:
        out.append(f"\nbudgets cannot see {one_line(view.blind_to)}: no price set", style="yellow")
    return out
