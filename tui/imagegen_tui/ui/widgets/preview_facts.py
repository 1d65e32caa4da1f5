"""The text under the preview's picture: a generation's facts (what it is, what it cost, how
it was made, why it failed), what a job's result will most likely show before it is recorded,
and a sweep's facts. Pure text: composed as Content, never as markup made of data.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.content import Content

from imagegen_tui import extras
from imagegen_tui.store import Generation, Provenance, StoredImage
from imagegen_tui.sweep import counted
from imagegen_tui.sweep_summary import SweepSummary
from imagegen_tui.textsafe import one_line, visible
from imagegen_tui.ui.safe import line, template

if TYPE_CHECKING:
    from imagegen_tui.request import AnyRequest
    from imagegen_tui.saving import SavedImage

# What to do here, in the app: the error's own sentence already says what went wrong and what
# to change at the provider, so these name keys and places rather than repeat it
HINTS = {
    "auth": "The key is in Settings (F2); then re-run with r.",
    "permission": "Re-run with r once the account may use the model.",
    "quota": "Re-run with r once there is credit.",
    "rate_limited": "Re-run with r in a moment.",
    "moderation": "u puts the prompt back in the box to change it.",
    "timeout": "Re-run with r; the profile's timeout is in Settings (F2).",
    "network": "Re-run with r; the profile's base URL is in Settings (F2).",
    "server": "Re-run with r in a moment.",
    "bad_response": "Re-run with r; if it keeps failing, check the base URL in Settings (F2).",
    "not_found": "The base URL is in Settings (F2), the model in the sidebar; u reuses the rest.",
    "bad_request": "u puts the prompt and parameters back to change them (sidebar), then Enter.",
    "cancelled": "Re-run it with r.",
    "interrupted": "It was cut off when the app stopped; re-run it with r.",
    "unsaved": "The images are paid for and kept: once the cause is fixed, press s to save them into the output folder.",
    "disk": "The output folder is in Settings (F2); then re-run with r.",
    "internal": "A bug in imagegen-tui: its report is in the crashes folder (see the README, When things go wrong). Re-run with r.",
}


def generation_facts(g: Generation, image: StoredImage | None, index: int, prices: dict[str, Any], output: Path | None) -> Content:
    """What is under a generation's picture: where it came from, the line of facts, its styles
    and extras, why it failed (when its images are here), the file, a revised prompt."""
    billed = g.gateway_cost is not None
    spent = g.cost(prices) if g.total_tokens is not None or billed else None
    facts = _fact_line(g.id, g.created_at, g.model, image, g.size, index, len(g.images), g.elapsed, g.total_tokens, spent, billed)
    if origin := g.origin():  # first: where it came from is what a long line must not cut
        facts = line(origin) + Content("\n") + facts
    facts += _made_with(g.provenance, g.prompt, g.params.get("extra"))
    if g.status != "done" and image is not None:  # failed, but the images it brought are here
        hint = HINTS.get(g.error_kind or g.status, "")
        facts += template("\n[b red]$status[/] $error $hint", status=g.status.upper(), error=g.error_message or "", hint=hint)
    if image is not None:
        facts += Content("\n") + line(shown_path(image.path, output), "dim")
        if image.revised_prompt:
            facts += template("\n[i]revised:[/i] $revised", revised=" ".join(image.revised_prompt.split()))
    return facts


def likely_facts(image: SavedImage, request: AnyRequest, provenance: Provenance, priced: bool, output: Path | None) -> Content:
    """What a job's result will most likely show, before it is recorded: its facts with a
    typical id, time and cost (`priced`: a cost is shown), so the stage keeps the size the
    result will leave it (Preview.prefetch)."""
    likely = _fact_line(99999, time.time(), request.model, image, None, 0, request.n, 99.9, 9999, 0.999 if priced else None)
    return likely + _made_with(provenance, request.prompt, request.extra) + Content("\n") + line(shown_path(image.path, output), "dim")


def _made_with(provenance: Provenance, sent: str, extra: Mapping[str, Any] | None) -> Content:
    """A line of the styles and the typed prompt, where styles made the prompt sent (the
    history lists that one), and a line of the extras (seed, steps…), where there are some."""
    made = Content()
    if provenance.styles and provenance.typed_prompt != sent:
        styled = " → ".join(provenance.styles)
        made += template("\n[i]styles:[/i] $styles · [i]typed:[/i] $typed", styles=one_line(styled), typed=one_line(provenance.typed_prompt or ""))
    if extra:
        made += template("\n[i]extras:[/i] $extra", extra=one_line(extras.shown(extra)))
    return made


def sweep_facts(summary: SweepSummary, prices: dict[str, Any], output: Path | None) -> Content:
    """`sweep 3f9a · 4 calls · 4 images · 3 done · 1 failed · 5,312 tokens ≈ 0.190`, its axes, its
    prompt as planned, and where its sheet is."""
    counts = summary.counts()
    parts = [f"sweep {summary.sweep_id}", counted(len(summary.members), "call"), counted(summary.images(), "image")]
    parts += [f"{number} {state}" for state, number in counts.items() if number]
    tokens, spent = summary.tokens(), summary.cost(prices)
    if tokens is not None:
        parts.append(f"{tokens:,} tokens" + (f" ≈ {spent:.3f}" if spent is not None else ""))
    facts = Content(visible("  ·  ".join(parts), newlines=False))
    for name, values in summary.axes:
        facts += template("\n[i]$name:[/i] $values", name=one_line(name), values=one_line(", ".join(values)))
    facts += Content("\n") + line(one_line(summary.prompt))
    if summary.sheets:
        more = f" (+{len(summary.sheets) - 1} more)" if len(summary.sheets) > 1 else ""
        facts += Content("\n") + line(f"contact sheet: {shown_path(summary.sheets[0], output)}{more}", "dim")
    else:
        facts += Content("\n") + line("no contact sheet (yet): its first image is shown", "dim")
    return facts


class _Shape(Protocol):
    width: int | None
    height: int | None
    format: str | None
    bytes: int | None


def _fact_line(
    gen_id: int, created_at: float, model: str, image: _Shape | None, size: str | None, index: int, count: int,
    elapsed: float | None, tokens: int | None, spent: float | None, billed: bool = False,
) -> Content:
    """The line of facts under the picture; also what a job's result will most likely show,
    before it is recorded (Preview.prefetch)."""
    parts = [f"#{gen_id}", datetime.fromtimestamp(created_at).strftime("%Y-%m-%d %H:%M"), model]
    if image is not None:
        parts += [f"{image.width}x{image.height}", image.format or "?", _size(image.bytes)]
        if count > 1:
            parts.append(f"image {index + 1}/{count}")
    else:
        parts.append(size or "auto")
    if elapsed is not None:
        parts.append(f"{elapsed:.1f} s")
    if tokens is not None:
        parts.append(f"{tokens:,} tokens" + (f" ≈ {spent:.3f}" if spent is not None and not billed else ""))
    if billed and spent is not None:  # the gateway's own bill, not our estimate
        parts.append(f"billed {spent:.3f}")
    return Content(visible("  ·  ".join(parts), newlines=False))


def shown_path(path: Path, output: Path | None) -> str:
    """Relative to the output folder when inside it, else with ~ for the home folder."""
    if output is not None and path.is_relative_to(output):
        return str(path.relative_to(output))
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def _size(count: int | None) -> str:
    if count is None:
        return "?"
    return f"{count / 1_000_000:.1f} MB" if count >= 1_000_000 else f"{count / 1000:.0f} kB"
