"""Sweeps and batches, headless: `generate` with prompt variants or --sweep, and `batch FILE`.

Each shows its plan first (calls, images, cost) and sends only with consent (sweep.consent:
--yes, or a `y` on the terminal; more than 100 calls only with --yes). Every call then takes
the path a single `generate` takes (service.generate), as many at once as the profile's
concurrency allows, each recorded with its provenance; a call that fails does not stop the
others. Imports are deferred as in cli.py: this module is loaded to build the parser.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagegen_tui.console import note, say, say_result, warn
from imagegen_tui.errors import ErrorKind, Failure


def sweep_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--sweep", action="append", default=[], metavar="PARAM=A,B", help="run once for each value: quality, size, model or n; seed, steps, guidance or negative where the profile's server takes them (repeatable: every combination)")
    command.add_argument("--sheet", action="store_true", help="after a sweep, save a contact sheet: its images in a grid labelled by what varied")
    command.add_argument("--yes", "-y", action="store_true", help="send a sweep without asking (needed over 100 calls, or without a terminal)")


def add_parser(commands: Any) -> None:
    from imagegen_tui import cli_params

    batch = commands.add_parser(
        "batch", help="generate from a file of prompts, resumably",
        description="One prompt per line, or a JSON object per line with its own parameters ({\"prompt\": \"a fox\", \"quality\": \"low\"}); "
        "blank lines and lines starting with # are skipped. Running the same file again skips the lines already done.",
    )
    batch.add_argument("file", type=Path, metavar="FILE", help="the file of prompts")
    cli_params.parameter_options(batch, edit=False)
    batch.add_argument("--output", "-o", metavar="DIR", help="save into DIR instead of the configured folder")
    batch.add_argument("--again", action="store_true", help="run every line, even those done before")
    batch.add_argument("--yes", "-y", action="store_true", help="send without asking (needed over 100 calls, or without a terminal)")
    cli_params.run_options(batch)


# --- generate with variants or --sweep ----------------------------------------------------------


def generate(
    args: argparse.Namespace, config: Any, profile: Any, prompt: str, params: dict[str, Any], styles: Sequence[Any], *,
    output_dir: Path | None, piped: str | None,
) -> int:
    """A prompt without variants and no --sweep is one generation, its escapes undone; anything
    else is a sweep. `styles` apply to every call's prompt and unset parameters."""
    from imagegen_tui import cli, sweep
    from imagegen_tui.errors import InvalidRequest
    from imagegen_tui.estimate import Estimator
    from imagegen_tui.request import ImageRequest
    from imagegen_tui.variants import VariantError, parse

    try:
        template = parse(prompt)
        axes = sweep.parse_sweeps(args.sweep)
    except (VariantError, sweep.PlanError) as exc:
        raise Failure(ErrorKind.USAGE, str(exc)) from None
    if not template.groups and not axes and args.sheet:
        raise Failure(ErrorKind.USAGE, "--sheet is for a sweep: give the prompt variants ({red|blue}) or --sweep PARAM=A,B")
    if piped and (template.groups or axes):
        raise Failure(ErrorKind.USAGE, "a sweep makes several images, which standard output cannot take: save them (-o DIR) and use the paths printed")
    base = ImageRequest(prompt=prompt, **params)
    if not template.groups and not axes:  # one plain request: its estimate and budget are the service's
        try:
            [single] = sweep.build(base, (), profile.caps, profile=profile.name, styles=styles).cells
        except InvalidRequest as exc:
            raise exc.failure() from None
        return cli.run_generation(config, profile, single.request, as_json=args.json, output_dir=output_dir, piped=piped, provenance=single.styled)
    with _ledger() as store:
        try:
            plan = sweep.build(base, axes, profile.caps, profile=profile.name, styles=styles, estimator=Estimator(store, config.prices))
        except sweep.PlanError as exc:
            raise Failure(ErrorKind.INVALID_REQUEST, str(exc), fields=[{"field": f, "message": m} for f, m in exc.problems]) from None
        _within_budgets(store, config, profile, [cell.request for cell in plan.cells])
    _consent(plan.summary(), plan.calls, args.yes)
    cli.announce(config, profile, (cell.request.model for cell in plan.cells))
    runs = [Run(sweep.axes_label(cell.axes), cell.request, plan.provenance(cell), dict(cell.axes)) for cell in plan.cells]
    _run_all(config, profile, runs, output_dir, as_json=args.json)
    sheets = _sheets(plan, runs) if args.sheet else []
    if not args.json:
        for path in sheets:
            say(str(path))
    return _finish(runs, args.json, {"sweep_id": plan.sweep_id, "sheets": [str(path) for path in sheets]})


def _sheets(plan: Any, runs: Sequence[Run]) -> list[Path]:
    from imagegen_tui.sheet import SheetCell, make_sheets

    cells = [SheetCell(run.axes, tuple(image.path for image in run.outcome.saved) if run.outcome else (), run.history_id) for run in runs]
    try:
        return make_sheets(plan.sweep_id, plan.prompt, plan.axes, cells)
    except OSError as exc:
        warn(f"warning: the contact sheet could not be saved: {exc.strerror or exc}; the images are saved and recorded")
        return []


@contextmanager
def _ledger() -> Iterator[Any]:  # -> HistoryStore | None
    """The history, for a plan's estimates, budgets and done lines; closed before the calls
    run (each records through its own)."""
    from imagegen_tui import cli

    store = cli.open_store()
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def _within_budgets(store: Any, config: Any, profile: Any, requests: Sequence[Any]) -> None:
    """A plan that would cross a budget is refused whole, before any call is sent and paid
    for (each call is checked again when it is sent)."""
    from imagegen_tui import budget

    if requests:
        try:
            budget.check_all(store, config, profile, requests)
        except budget.BudgetExceeded as exc:
            raise exc.failure() from None


# --- batch -------------------------------------------------------------------------------------


def run_batch(args: argparse.Namespace, config: Any) -> int:
    from imagegen_tui import batch, cli, cli_params
    from imagegen_tui.estimate import Estimator
    from imagegen_tui.request import ImageRequest

    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise Failure(ErrorKind.USAGE, f"{args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise Failure(ErrorKind.USAGE, f"{args.file}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None
    profile = cli_params.sending_profile(args, config)
    base = ImageRequest(prompt="", moderation=args.moderation, **cli_params.request_params(args, profile))
    with _ledger() as store:
        if store is None and not args.again:
            raise Failure(ErrorKind.HISTORY, "a batch resumes from the history, which cannot be opened: fix it, or add --again to run every line without it")
        try:
            plan = batch.plan(args.file.name, batch.read_lines(text), base, profile.caps, profile=profile.name,
                              done_keys=store.done_batch_keys if store else lambda keys: set(), again=args.again, estimator=Estimator(store, config.prices))
        except batch.BatchError as exc:
            kind = ErrorKind.INVALID_REQUEST if exc.problems else ErrorKind.USAGE
            raise Failure(kind, str(exc), fields=[{"field": f, "message": m} for f, m in exc.problems]) from None
        _within_budgets(store, config, profile, [job.request for job in plan.jobs])
    output_dir = None if args.output is None else Path(args.output)
    if not plan.jobs:
        note(plan.summary()[0])
        return _finish([], args.json, {"skipped": plan.done})
    _consent(plan.summary(), plan.calls, args.yes)
    cli.announce(config, profile, (job.request.model for job in plan.jobs))
    runs = [Run(f"line {job.line}", job.request, job.provenance, {}, line=job.line) for job in plan.jobs]
    _run_all(config, profile, runs, output_dir, as_json=args.json)
    return _finish(runs, args.json, {"skipped": plan.done})


# --- running ---------------------------------------------------------------------------------


@dataclass
class Run:
    """One call of a sweep or batch, and how it ended."""

    label: str
    request: Any
    provenance: Any
    axes: dict[str, str]
    line: int | None = None
    outcome: Any = None
    failure: Failure | None = None
    history_id: int | None = None


def _consent(summary: list[str], calls: int, yes: bool) -> None:
    """Show the plan; go on with consent, else raise the refusal (nothing was sent)."""
    from imagegen_tui.sweep import Consent, consent, refusal

    terminal = sys.stdin.isatty() and sys.stderr.isatty()
    decision = consent(calls, yes=yes, terminal=terminal)
    if decision is Consent.GO:
        for line in summary:
            note(line)
        return
    for line in summary:
        say(line, err=True)
    if decision is Consent.ASK:
        sys.stderr.write(f"send {calls} calls? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() in ("y", "yes"):
            return
    raise Failure(ErrorKind.USAGE, refusal(calls, terminal=terminal), calls=calls)


def _run_all(config: Any, profile: Any, runs: Sequence[Run], output_dir: Path | None, *, as_json: bool) -> None:
    """Every run through service.generate, in the plan's order, at most `[ui] concurrency` at
    once (the TUI's limit per profile; a plan has one profile); each said as it ends (its paths
    on stdout, a failure on stderr). ctrl+c cancels the calls under way, each recorded as
    cancelled, and sends no more; a hangup only silences the output, as for one `generate`."""
    import asyncio

    from imagegen_tui import cli, service
    from imagegen_tui.console import detach
    from imagegen_tui.errors import ImageAPIError, InvalidRequest, OutputError

    store = cli.open_store()

    async def one(run: Run, ended: list[int]) -> None:
        def heard(event: str, row: int | None) -> None:
            if row is not None:
                run.history_id = row

        try:
            run.outcome = await service.generate(
                config, profile, run.request, os.environ, store=store, provenance=run.provenance, output_dir=output_dir, on_event=heard,
            )
        except (InvalidRequest, ImageAPIError, OutputError) as exc:
            run.failure = exc.failure()
        ended.append(1)
        where = f"[{len(ended)}/{len(runs)}] {run.label}"
        if run.failure is not None:
            warn(f"error: {where}: {run.failure.message}")
            return
        for text in run.outcome.notes:
            note(f"note: {where}: {text}")
        note(f"{where}: done (#{run.outcome.history_id})" if run.outcome.history_id else f"{where}: done")
        if not as_json:
            for image in run.outcome.saved:
                say(str(image.path))

    async def everything() -> None:
        waiting = iter(runs)
        ended: list[int] = []

        async def worker() -> None:
            for run in waiting:  # shared: each run is taken once, in the plan's order
                await one(run, ended)

        with cli.hangup_survived(detach):
            await asyncio.gather(*(worker() for _ in range(min(config.ui.concurrency, len(runs)))))

    try:
        asyncio.run(everything())
    finally:
        if store is not None:
            store.close()


def _finish(runs: Sequence[Run], as_json: bool, extra: dict[str, Any]) -> int:
    """Exit 0 when every call delivered; else the first failure's kind, after all were tried."""
    described = [_described(run) for run in runs]
    failed = [run for run in runs if run.failure is not None]
    if not failed:
        if as_json:
            say_result({**extra, "runs": described})
        return 0
    first = failed[0].failure
    billed = None if any(run.failure.billed is not False for run in failed) else False
    message = f"{len(failed)} of {len(runs)} calls failed ({failed[0].label}: {first.message}); the others were saved"
    raise Failure(first.kind, message, billed=billed, **extra, runs=described)


def _described(run: Run) -> dict[str, Any]:
    outcome = run.outcome
    return {
        "label": run.label, "axes": run.axes or None, "line": run.line, "id": run.history_id,
        "paths": [str(image.path) for image in outcome.saved] if outcome else [],
        "error": run.failure.as_json()["error"] if run.failure else None,
    }
