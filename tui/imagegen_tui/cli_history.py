"""`imagegen-tui history …`: browse, search, inspect, re-run, export and delete generations."""

from __future__ import annotations

import argparse
import os
import re
import time
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagegen_tui.console import note, say, say_result
from imagegen_tui.errors import ErrorKind, Failure, InvalidRequest
from imagegen_tui.extras import shown
from imagegen_tui.statuses import STATUSES
from imagegen_tui.textsafe import one_line

if TYPE_CHECKING:  # the history loads with the command that needs it, not with the parser
    from imagegen_tui.store import Generation, HistoryStore

EXIT_OK, EXIT_FAILED = 0, 1


def add_parser(commands: Any) -> None:
    history = commands.add_parser("history", help="browse and manage past generations", description="Every generation is recorded; find, inspect, re-run, export or delete them.")
    sub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--limit", type=_count, default=20, help="how many (default 20)")
        p.add_argument("--offset", type=_count, default=0, help="skip this many newest first")
        p.add_argument("--status", choices=STATUSES)
        p.add_argument("--model")
        p.add_argument("--profile")
        p.add_argument("--favourites", action="store_true", help="only favourites")
        p.add_argument("--since", metavar="DATE", help="YYYY-MM-DD, an ISO time, or 7d / 12h ago")
        p.add_argument("--json", action="store_true")

    filters(sub.add_parser("list", help="newest first"))
    search = sub.add_parser("search", help="full-text search over prompts and notes (word prefixes)")
    search.add_argument("text", nargs="+", help="words; each must match the start of a word")
    filters(search)
    show = sub.add_parser("show", help="parameters, files, usage, error of one generation")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    tree = sub.add_parser("tree", help="the family of a generation: what it was made from and what was made from it")
    tree.add_argument("id", type=int)
    tree.add_argument("--json", action="store_true")
    rerun = sub.add_parser("rerun", help="the same parameters again, as a new generation linked to it")
    rerun.add_argument("id", type=int)
    rerun.add_argument("-n", "--n", type=int, dest="n", help="a different number of images")
    rerun.add_argument("--json", action="store_true", help="print one JSON object, failures included")
    rerun.add_argument("--quiet", action="store_true", help="no notes, no progress, no demo notice (errors are still said)")
    delete = sub.add_parser("delete", help="remove a generation from the history")
    delete.add_argument("id", type=int)
    delete.add_argument("--files", action="store_true", help="also delete its image files")
    export = sub.add_parser("export", help="copy a generation's files to a folder")
    export.add_argument("id", type=int)
    export.add_argument("--to", type=Path, required=True, metavar="DIR")
    fav = sub.add_parser("favourite", help="mark (or with --off unmark) a favourite")
    fav.add_argument("id", type=int)
    fav.add_argument("--off", action="store_true")
    stats = sub.add_parser("stats", help="generations, images, failures, tokens and cost; spending against budgets")
    stats.add_argument("--since", metavar="DATE")
    stats.add_argument("--by", choices=("model", "profile", "day"))
    stats.add_argument("--json", action="store_true")
    imp = sub.add_parser("import", help="add the images in a folder that carry imagegen-tui settings")
    imp.add_argument("folder", type=Path, metavar="DIR")
    imp.add_argument("--json", action="store_true")
    missing = sub.add_parser("missing", help="generations whose files were moved or deleted")
    missing.add_argument("--json", action="store_true")
    compare = sub.add_parser("compare", help="what differs between images: parameters, prompts word by word, cost")
    compare.add_argument("picks", nargs="+", metavar="ID[:I]", help="a generation (12: all its images when they all come to at most 4, else its first) or one of its images (12:2)")
    compare.add_argument("--json", action="store_true")
    recover = sub.add_parser("recover", help="save the images a failed save kept aside, once the output folder is fixed")
    recover.add_argument("id", type=int)
    recover.add_argument("--to", type=Path, metavar="DIR", help="save into DIR instead of the output folder")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (got {value})")
    return value


def run(args: argparse.Namespace, load_config: Any, run_generation: Any) -> int:
    """The action asked for; raises Failure (usage, config, history…) when it cannot be done."""
    from imagegen_tui.store import HistoryStore, StoreError

    try:
        since = parse_since(getattr(args, "since", None))
    except ValueError as exc:
        raise Failure(ErrorKind.USAGE, str(exc)) from None
    try:
        store = HistoryStore.open_default()
    except (StoreError, OSError) as exc:
        raise Failure(ErrorKind.HISTORY, str(exc)) from None
    if store.recovered:
        note(f"note: {store.recovered} generation(s) cut off by an earlier crash are now marked interrupted")
    try:
        return _action(store, args, since, load_config, run_generation)
    except StoreError as exc:  # a full disk, a damaged file
        raise Failure(ErrorKind.HISTORY, str(exc)) from None
    finally:
        store.close()


def _action(store: HistoryStore, args: argparse.Namespace, since: float | None, load_config: Any, run_generation: Any) -> int:
    action = args.history_command
    if action in ("list", "search"):
        return _list(store, args, since)
    if action == "stats":
        return _stats(store, args, since, load_config(args))
    if action == "import":
        return _import(store, args)
    if action == "missing":
        return _missing(store, args)
    if action == "compare":
        return _compare(store, args, load_config(args))
    generation = store.get(args.id)
    if generation is None:
        raise Failure(ErrorKind.USAGE, f"no generation #{args.id} in the history")
    if action == "show":
        return _show(store, generation, args, load_config(args))
    if action == "tree":
        return _tree(store, generation, args)
    if action == "favourite":
        store.set_favourite(generation.id, not args.off)
        return EXIT_OK
    if action == "delete":
        return _delete(store, generation, args)
    if action == "export":
        return _export(generation, args.to)
    if action == "recover":
        return _recover(store, generation, args.to, load_config(args))
    return _rerun(generation, args, load_config, run_generation)


def parse_since(text: str | None) -> float | None:
    if not text:
        return None
    relative = re.fullmatch(r"(\d+)([dhm])", text.strip())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return time.time() - amount * {"d": 86400, "h": 3600, "m": 60}[unit]
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise ValueError(f"--since {text!r}: use YYYY-MM-DD, an ISO time, or 7d / 12h / 30m") from None


def _list(store: HistoryStore, args: argparse.Namespace, since: float | None) -> int:
    from imagegen_tui.store import Filters

    filters = Filters(
        text=" ".join(getattr(args, "text", None) or ()) or None, status=args.status, model=args.model, profile=args.profile,
        favourite=args.favourites, since=since,
    )
    rows = store.page(filters, limit=args.limit, offset=args.offset)
    if args.json:
        say_result({"total": store.count(filters), "generations": [_as_json(g) for g in rows]})
        return EXIT_OK
    if not rows:
        say("no generations match" if getattr(args, "text", None) or args.status or args.model else "the history is empty")
        return EXIT_OK
    for g in rows:
        when = datetime.fromtimestamp(g.created_at).strftime("%Y-%m-%d %H:%M")
        flags = ("★" if g.favourite else " ") + ("!" if any(i.missing for i in g.images) else " ")
        say(f"{g.id:>6} {g.status:<11}{flags} {when}  {g.model:<14} {g.size or 'auto':>9} n={g.n:<2} {one_line(g.prompt)[:60]}")
    shown = args.offset + len(rows)
    total = store.count(filters)
    if total > shown:
        say(f"… {total - shown} more (--offset {shown})")
    return EXIT_OK


def _show(store: HistoryStore, g: Generation, args: argparse.Namespace, config: Any) -> int:
    spent = g.cost(config.prices)
    family = store.lineage(g.id)
    chain = family.chain(g.id) if family else [g.id]
    if args.json:
        say_result({**_as_json(g), "cost": spent, "chain": chain}, indent=2)
        return EXIT_OK
    say(f"#{g.id}  {g.status}  {datetime.fromtimestamp(g.created_at):%Y-%m-%d %H:%M:%S}  (id {g.uid}){'  ★' if g.favourite else ''}")
    if g.parent_id:
        say(f"re-run of #{g.parent_id}")
    for source in g.sources:
        say(f"{'mask' if source.role == 'mask' else 'from'}:       {one_line(source.label())}  (sha256 {source.sha256[:12]}…)")
    if len(chain) > 1:
        say("lineage:    " + " ← ".join(f"#{gen_id}" for gen_id in chain) + f"   (history tree {g.id})")
    say(f"prompt:     {g.prompt}")
    if g.provenance.styles:
        say(f"typed:      {g.provenance.typed_prompt}")
        say(f"styles:     {', '.join(g.provenance.styles)}")
    say(f"profile:    {g.profile} ({g.provider})")
    params = ", ".join(f"{k}={v}" for k, v in g.params.items() if v not in (None, False) and k != "extra")
    say(f"parameters: {params}")
    if extra := g.params.get("extra"):
        say(f"extras:     {one_line(shown(extra))}")
    if g.elapsed is not None:
        say(f"elapsed:    {g.elapsed:.1f} s" + (f"   request {g.request_id}" if g.request_id else ""))
    if g.total_tokens is not None or g.input_tokens is not None:
        text = f"input {g.input_tokens} tokens, output {g.output_tokens}, total {g.total_tokens}"
        if g.gateway_cost is None:
            text += f"; cost {spent:.4f}" if spent is not None else "; cost unknown (no price set for this model)" if g.status == "done" else ""
        say(f"usage:      {text}")
    if g.gateway_cost is not None:  # preferred to our own figure, which is shown beside it
        from imagegen_tui.prices import cost

        ours = cost(g.spend(), config.prices.get(g.model))
        say(f"billed:     {g.gateway_cost:.4f} by the gateway" + (f" (at your prices: {ours:.4f})" if ours is not None else ""))
    if g.error_message:
        say(f"error:      [{g.error_kind}] {g.error_message}")
    if g.note:
        say(f"note:       {g.note}")
    for image in g.images:
        detail = "MISSING (moved or deleted)" if image.missing else f"{image.width}x{image.height} {image.format}, {_size(image.bytes)}"
        if image.kept:
            detail += f"; kept aside, waiting for `imagegen-tui history recover {g.id}`"
        say(f"  {image.index}. {image.path}  {detail}")
        if image.revised_prompt:
            say(f"     revised prompt: {image.revised_prompt}")
    return EXIT_OK


def _tree(store: HistoryStore, g: Generation, args: argparse.Namespace) -> int:
    family = store.lineage(g.id)
    assert family is not None  # g is in the store
    if args.json:
        say_result({
            "id": g.id,
            "roots": family.roots(),
            "generations": [
                {"id": m.id, "uid": m.uid, "kind": m.kind, "status": m.status, "prompt": m.prompt, "created_at": m.created_at,
                 "parents": [{"id": parent, "how": how} for parent, how in family.parents.get(m.id, [])]}
                for m in family.generations.values()
            ],
        })
        return EXIT_OK
    for place in family.layout():
        m = family.generations[place.id]
        lead = "".join("   " if last else "│  " for last in place.lasts[:-1]) + ("" if not place.lasts else "└─ " if place.lasts[-1] else "├─ ")
        marker = "  ◀" if m.id == g.id else ""
        if place.repeated:
            say(f"{lead}#{m.id} (above){marker}")
            continue
        how = f"{place.how}{' + ' + ', '.join(f'#{p}' for p in place.also) if place.also else ''}  " if place.how else ""
        say(f"{lead}#{m.id}  {m.status:<11} {how}{one_line(m.prompt)[:60]}{marker}")
    return EXIT_OK


def _rerun(g: Generation, args: argparse.Namespace, load_config: Any, run_generation: Any) -> int:
    config = load_config(args, strict=True)
    profile = config.profiles.get(g.profile)
    if profile is None:
        raise Failure(ErrorKind.CONFIG, f"the profile {g.profile!r} of #{g.id} no longer exists; known: {', '.join(config.profiles)}")
    if (problem := config.problem(profile, os.environ)) is not None:
        raise problem.failure()
    from imagegen_tui import edits

    try:
        request, made_from = edits.again(g)
    except InvalidRequest as exc:
        raise exc.failure() from None
    if args.n is not None:
        request = replace(request, n=args.n)
    return run_generation(config, profile, request, as_json=args.json, parent_id=g.id, sources=made_from, provenance=g.provenance.styling())


def _delete(store: HistoryStore, g: Generation, args: argparse.Namespace) -> int:
    report = store.delete(g.id, files=args.files)
    say(f"deleted #{g.id} from the history")
    if report is None:
        return EXIT_OK
    for path in report.removed:
        say(f"removed {path}")
    for path in report.already_missing:
        say(f"already gone: {path}")
    for path, why in report.failed:
        say(f"could not remove {path}: {why}", err=True)
    return EXIT_FAILED if report.failed else EXIT_OK


def _export(g: Generation, folder: Path) -> int:
    from imagegen_tui.saving import write_new_file

    failed = 0
    for image in g.images:
        try:
            data = image.path.read_bytes()
        except OSError as exc:
            say(f"could not read {image.path}: {exc.strerror}", err=True)
            failed += 1
            continue
        say(str(write_new_file(folder / image.path.name, data)))
    return EXIT_FAILED if failed else EXIT_OK


def _recover(store: HistoryStore, g: Generation, to: Path | None, config: Any) -> int:
    from imagegen_tui.recovery import reason, recover

    if not any(image.kept for image in g.images):
        raise Failure(ErrorKind.USAGE, f"#{g.id} has no images waiting to be saved")
    folder = to or config.output.folder
    try:
        report = recover(store, g.id, folder, config.output.template, config.output.slug)
    except OSError as exc:
        raise Failure(ErrorKind.DISK, f"{folder} cannot take files: {reason(exc)}; the images stay where they are") from None
    for path in report.saved:
        say(str(path))
    for path, why in report.failed:
        say(f"could not save {path}: {why}; it stays where it is", err=True)
    if report.done:
        say(f"#{g.id} is done: every image is in {folder}", err=True)
    return EXIT_FAILED if report.failed else EXIT_OK


def _stats(store: HistoryStore, args: argparse.Namespace, since: float | None, config: Any) -> int:
    from imagegen_tui import budget

    rows = store.stats(since=since, by=args.by, prices=config.prices)
    budgets = budget.status(store, config, list(config.budgets))
    if args.json:
        say_result({"rows": [asdict(r) for r in rows], "budgets": [line.as_dict() for line in budgets]})
        return EXIT_OK
    if not rows:
        say("the history is empty")
    else:
        say(f"{'':<16}{'generations':>12}{'images':>8}{'failed':>8}{'input tok':>11}{'output tok':>12}{'cost':>10}")
        for r in rows:
            spent = f"{r.cost:.2f}" if r.cost is not None else "unknown"
            say(f"{r.key:<16}{r.generations:>12}{r.images:>8}{r.failures:>8}{r.input_tokens:>11}{r.output_tokens:>12}{spent:>10}")
        unpriced = sorted({m for r in rows for m in r.unpriced_models})
        if unpriced:
            say(f"cost unknown: no price set for {', '.join(unpriced)} (add [prices.\"MODEL\"] to the config; see README)")
    if budgets:
        _budgets(budgets)
    return EXIT_OK


def _budgets(lines: list[Any]) -> None:
    """Spending against each budget, today and this month in local time."""
    say("")
    say(f"{'budget':<24}{'spent':>9}{'running':>9}{'limit':>9}{'left':>9}")
    for line in lines:
        say(f"{one_line(line.label()):<24}{line.spent:>9.2f}{line.running:>9.2f}{line.limit:>9.2f}{line.left:>9.2f}  ({line.key})")
    unpriced = sorted({m for line in lines for m in line.unpriced})
    if unpriced:
        say(f"not counted in budgets: {', '.join(unpriced)} (no price set)")
    if any(line.unestimated for line in lines):
        say("not counted in running: jobs whose cost cannot be estimated yet")


def _import(store: HistoryStore, args: argparse.Namespace) -> int:
    from imagegen_tui.history_import import import_folder

    if not args.folder.is_dir():
        raise Failure(ErrorKind.USAGE, f"{args.folder} is not a folder")
    report = import_folder(store, args.folder)
    if args.json:
        say_result(asdict(report))
    else:
        unreadable = f"; {len(report.damaged)} unreadable skipped" if report.damaged else ""
        unreadable += f"; {report.sheets} contact sheet(s) skipped" if report.sheets else ""
        say(f"added {report.generations} generation(s) with {report.images} image(s); "
            f"{report.already_known} image(s) already in the history; {report.without_metadata} without imagegen-tui settings skipped{unreadable}")
        for line in report.damaged:
            say(f"skipped, damaged: {line}", err=True)
    return EXIT_OK


def _missing(store: HistoryStore, args: argparse.Namespace) -> int:
    images = store.missing_files()
    if args.json:
        say_result({"missing": [{"generation": i.generation_id, "index": i.index, "path": str(i.path)} for i in images]})
    else:
        for image in images:
            say(f"#{image.generation_id} {image.index}. {image.path}")
        say(f"{len(images)} file(s) missing")
    return EXIT_OK


def _compare(store: HistoryStore, args: argparse.Namespace, config: Any) -> int:
    from imagegen_tui import compare

    try:
        picks = [compare.parse_pick(spec) for spec in args.picks]
    except ValueError as exc:
        raise Failure(ErrorKind.USAGE, str(exc)) from None
    generations = {gen_id: g for gen_id in dict.fromkeys(p.generation_id for p in picks) if (g := store.get(gen_id)) is not None}
    if missing := compare.unknown(picks, generations):
        raise Failure(ErrorKind.USAGE, f"no generation {', '.join(f'#{gen_id}' for gen_id in missing)} in the history")
    try:
        items = compare.resolve(picks, generations)
    except ValueError as exc:
        raise Failure(ErrorKind.USAGE, str(exc)) from None
    if len(items) < 2:
        raise Failure(ErrorKind.USAGE, f"{' '.join(args.picks)} is one image: name two or more (ID, or ID:IMAGE for one image of a generation)")
    if args.json:
        say_result(compare.as_json(items, config.prices), indent=2)
        return EXIT_OK
    for line in compare_lines(items, config.prices):
        say(line)
    return EXIT_OK


def compare_lines(items: list[Any], prices: Any) -> list[str]:
    """The comparison as a table of what differs, what is the same, and the prompts with
    `[-removed-]` and `{+added+}` words (wdiff's marks)."""
    from imagegen_tui import compare

    differing, same = compare.parameters(items)
    labels = [item.label for item in items]
    rows = [("", labels), *differing.items(), ("cost", [compare.cost(item.generation, prices) for item in items])]
    widths = [max(len(values[i][:40]) for _, values in rows) for i in range(len(items))]
    name_width = max(len(name) for name, _ in rows) + 2
    lines = [(name.ljust(name_width) + "  ".join(v[:40].ljust(w) for v, w in zip(values, widths))).rstrip() for name, values in rows]
    if same:
        lines.append("same: " + ", ".join(f"{name} {value}" for name, value in same.items() if value not in ("default", "none", "fresh")))
    diffs = compare.prompt_diffs(items)
    if diffs is None:
        lines.append(f"prompt (the same): {one_line(items[0].generation.prompt)}")
        return lines
    marks = {"same": "{}", "removed": "[-{}-]", "added": "{{+{}+}}"}
    lines.append(f"prompt of {labels[0]}: {one_line(items[0].generation.prompt)}")
    label_width = max(len(label) for label in labels[1:])
    for label, spans in zip(labels[1:], diffs[1:]):
        text = "".join(_wdiff(span, marks[span.op]) for span in spans)
        lines.append(f"  {label.ljust(label_width)}  {text}")
    return lines


def _wdiff(span: Any, mark: str) -> str:
    """A span with its marks inside its leading space: ` [-red-]`, not `[- red-]`."""
    text = one_line(span.text)
    lead = " " if span.text[:1].isspace() else ""
    return lead + mark.format(text)


def _as_json(g: Generation) -> dict[str, Any]:
    data = asdict(g)
    data["images"] = [{**asdict(i), "path": str(i.path), "thumbnail": str(i.thumbnail) if i.thumbnail else None, "missing": i.missing} for i in g.images]
    data["sources"] = [source.as_dict() for source in g.sources]
    return data


def _size(count: int | None) -> str:
    if count is None:
        return "? bytes"
    return f"{count / 1_000_000:.1f} MB" if count >= 1_000_000 else f"{count / 1000:.0f} kB"

