"""`imagegen-tui history …`: browse, search, inspect, re-run, export and delete generations."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from imagegen_tui.store import STATUSES, Filters, Generation, HistoryStore, StoreError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: Any) -> None:
    history = commands.add_parser("history", help="browse and manage past generations", description="Every generation is recorded; find, inspect, re-run, export or delete them.")
    sub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
        p.add_argument("--offset", type=int, default=0, help="skip this many newest first")
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
    rerun = sub.add_parser("rerun", help="the same parameters again, as a new generation linked to it")
    rerun.add_argument("id", type=int)
    rerun.add_argument("-n", "--n", type=int, dest="n", help="a different number of images")
    rerun.add_argument("--json", action="store_true")
    delete = sub.add_parser("delete", help="remove a generation from the history")
    delete.add_argument("id", type=int)
    delete.add_argument("--files", action="store_true", help="also delete its image files")
    export = sub.add_parser("export", help="copy a generation's files to a folder")
    export.add_argument("id", type=int)
    export.add_argument("--to", type=Path, required=True, metavar="DIR")
    fav = sub.add_parser("favourite", help="mark (or with --off unmark) a favourite")
    fav.add_argument("id", type=int)
    fav.add_argument("--off", action="store_true")
    stats = sub.add_parser("stats", help="generations, images, failures, tokens and cost")
    stats.add_argument("--since", metavar="DATE")
    stats.add_argument("--by", choices=("model", "profile", "day"))
    stats.add_argument("--json", action="store_true")
    imp = sub.add_parser("import", help="add the images in a folder that carry imagegen-tui settings")
    imp.add_argument("folder", type=Path)
    imp.add_argument("--json", action="store_true")
    missing = sub.add_parser("missing", help="generations whose files were moved or deleted")
    missing.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, load_config: Any, run_generation: Any) -> int:
    try:
        since = parse_since(getattr(args, "since", None))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = HistoryStore.open_default()
    except (StoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if store.recovered:
        print(f"note: {store.recovered} generation(s) cut off by an earlier crash are now marked interrupted", file=sys.stderr)
    try:
        action = args.history_command
        if action in ("list", "search"):
            return _list(store, args, since)
        if action == "stats":
            return _stats(store, args, since, load_config(args))
        if action == "import":
            return _import(store, args)
        if action == "missing":
            return _missing(store, args)
        generation = store.get(args.id)
        if generation is None:
            print(f"error: no generation #{args.id} in the history", file=sys.stderr)
            return EXIT_USAGE
        if action == "show":
            return _show(generation, args, load_config(args))
        if action == "favourite":
            store.set_favourite(generation.id, not args.off)
            return EXIT_OK
        if action == "delete":
            return _delete(store, generation, args)
        if action == "export":
            return _export(generation, args.to)
        return _rerun(generation, args, load_config, run_generation)
    finally:
        store.close()


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
    filters = Filters(
        text=" ".join(getattr(args, "text", None) or ()) or None, status=args.status, model=args.model, profile=args.profile,
        favourite=args.favourites, since=since,
    )
    rows = store.page(filters, limit=args.limit, offset=args.offset)
    if args.json:
        print(json.dumps({"total": store.count(filters), "generations": [_as_json(g) for g in rows]}, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print("no generations match" if getattr(args, "text", None) or args.status or args.model else "the history is empty")
        return EXIT_OK
    for g in rows:
        when = datetime.fromtimestamp(g.created_at).strftime("%Y-%m-%d %H:%M")
        flags = ("★" if g.favourite else " ") + ("!" if any(i.missing for i in g.images) else " ")
        prompt = " ".join(g.prompt.split())
        print(f"{g.id:>6} {g.status:<11}{flags} {when}  {g.model:<14} {g.size or 'auto':>9} n={g.n:<2} {prompt[:60]}")
    shown = args.offset + len(rows)
    total = store.count(filters)
    if total > shown:
        print(f"… {total - shown} more (--offset {shown})")
    return EXIT_OK


def _show(g: Generation, args: argparse.Namespace, config: Any) -> int:
    spent = g.cost(config.prices)
    if args.json:
        print(json.dumps({**_as_json(g), "cost": spent}, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"#{g.id}  {g.status}  {datetime.fromtimestamp(g.created_at):%Y-%m-%d %H:%M:%S}  (id {g.uid}){'  ★' if g.favourite else ''}")
    if g.parent_id:
        print(f"re-run of #{g.parent_id}")
    print(f"prompt:     {g.prompt}")
    print(f"profile:    {g.profile} ({g.provider})")
    params = ", ".join(f"{k}={v}" for k, v in g.params.items() if v not in (None, False))
    print(f"parameters: {params}")
    if g.elapsed is not None:
        print(f"elapsed:    {g.elapsed:.1f} s" + (f"   request {g.request_id}" if g.request_id else ""))
    if g.total_tokens is not None or g.input_tokens is not None:
        text = f"input {g.input_tokens} tokens, output {g.output_tokens}, total {g.total_tokens}"
        text += f"; cost {spent:.4f}" if spent is not None else "; cost unknown (no price set for this model)" if g.status == "done" else ""
        print(f"usage:      {text}")
    if g.error_message:
        print(f"error:      [{g.error_kind}] {g.error_message}")
    if g.note:
        print(f"note:       {g.note}")
    for image in g.images:
        detail = "MISSING (moved or deleted)" if image.missing else f"{image.width}x{image.height} {image.format}, {_size(image.bytes)}"
        print(f"  {image.index}. {image.path}  {detail}")
        if image.revised_prompt:
            print(f"     revised prompt: {image.revised_prompt}")
    return EXIT_OK


def _rerun(g: Generation, args: argparse.Namespace, load_config: Any, run_generation: Any) -> int:
    config = load_config(args, strict=True)
    if config is None:
        return EXIT_USAGE
    profile = config.profiles.get(g.profile)
    if profile is None:
        print(f"error: the profile {g.profile!r} of #{g.id} no longer exists; known: {', '.join(config.profiles)}", file=sys.stderr)
        return EXIT_USAGE
    if (problem := config.problem(profile, os.environ)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    request = g.request()
    if args.n is not None:
        request = replace(request, n=args.n)
    return run_generation(config, profile, request, as_json=args.json, parent_id=g.id)


def _delete(store: HistoryStore, g: Generation, args: argparse.Namespace) -> int:
    report = store.delete(g.id, files=args.files)
    print(f"deleted #{g.id} from the history")
    if report is None:
        return EXIT_OK
    for path in report.removed:
        print(f"removed {path}")
    for path in report.already_missing:
        print(f"already gone: {path}")
    for path, why in report.failed:
        print(f"could not remove {path}: {why}", file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK


def _export(g: Generation, folder: Path) -> int:
    from imagegen_tui.saving import write_new_file

    failed = 0
    for image in g.images:
        try:
            data = image.path.read_bytes()
        except OSError as exc:
            print(f"could not read {image.path}: {exc.strerror}", file=sys.stderr)
            failed += 1
            continue
        print(write_new_file(folder / image.path.name, data))
    return EXIT_FAILED if failed else EXIT_OK


def _stats(store: HistoryStore, args: argparse.Namespace, since: float | None, config: Any) -> int:
    rows = store.stats(since=since, by=args.by, prices=config.prices)
    if args.json:
        print(json.dumps([asdict(r) for r in rows]))
        return EXIT_OK
    if not rows:
        print("the history is empty")
        return EXIT_OK
    print(f"{'':<16}{'generations':>12}{'images':>8}{'failed':>8}{'input tok':>11}{'output tok':>12}{'cost':>10}")
    for r in rows:
        spent = f"{r.cost:.2f}" if r.cost is not None else "unknown"
        print(f"{r.key:<16}{r.generations:>12}{r.images:>8}{r.failures:>8}{r.input_tokens:>11}{r.output_tokens:>12}{spent:>10}")
    unpriced = sorted({m for r in rows for m in r.unpriced_models})
    if unpriced:
        print(f"cost unknown: no price set for {', '.join(unpriced)} (add [prices.\"MODEL\"] to the config; see README)")
    return EXIT_OK


def _import(store: HistoryStore, args: argparse.Namespace) -> int:
    from imagegen_tui.history_import import import_folder

    if not args.folder.is_dir():
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    report = import_folder(store, args.folder)
    if args.json:
        print(json.dumps(asdict(report)))
    else:
        print(f"added {report.generations} generation(s) with {report.images} image(s); "
              f"{report.already_known} image(s) already in the history; {report.without_metadata} without imagegen-tui settings skipped")
        for line in report.damaged:
            print(f"skipped, damaged: {line}", file=sys.stderr)
    return EXIT_OK


def _missing(store: HistoryStore, args: argparse.Namespace) -> int:
    images = store.missing_files()
    if args.json:
        print(json.dumps([{"generation": i.generation_id, "index": i.index, "path": str(i.path)} for i in images]))
    else:
        for image in images:
            print(f"#{image.generation_id} {image.index}. {image.path}")
        print(f"{len(images)} file(s) missing")
    return EXIT_OK


def _as_json(g: Generation) -> dict[str, Any]:
    data = asdict(g)
    data["images"] = [{**asdict(i), "path": str(i.path), "thumbnail": str(i.thumbnail) if i.thumbnail else None, "missing": i.missing} for i in g.images]
    return data


def _size(count: int | None) -> str:
    if count is None:
        return "? bytes"
    return f"{count / 1_000_000:.1f} MB" if count >= 1_000_000 else f"{count / 1000:.0f} kB"

