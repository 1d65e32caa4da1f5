"""`imagegen-tui` and its headless commands.

Imports are deferred into each command: `--version` and `config path` must be instant, and no
headless command ever imports Textual.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from imagegen_tui import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imagegen-tui",
        description="Generate images through OpenAI-compatible image APIs (model-go, OpenAI, any gateway).",
    )
    parser.add_argument("--version", action="version", version=f"imagegen-tui {__version__}")
    parser.add_argument("--config", type=Path, metavar="PATH", help="use this config file instead of the default")
    parser.add_argument("--graphics", metavar="PROTOCOL", help="how the TUI shows images: auto, kitty, sixel, halfcell, unicode or none (default: ui.graphics in the config, else auto)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gen = commands.add_parser("generate", help="generate images and save them", description="Generate images, save them with their settings embedded, print their paths.")
    gen.add_argument("prompt", help="the prompt; '-' reads it from standard input")
    gen.add_argument("--profile", "-p", help="profile to use (default: the configured one, else the first with a key, else demo)")
    gen.add_argument("--model", "-m", help="model (default: the profile's)")
    gen.add_argument("--size", "-s", help="auto, 1024x1024, 1536x1024, 1024x1536, or WxH where the model allows it")
    gen.add_argument("--quality", "-q", help="auto, low, medium, high (dall-e-3: standard, hd)")
    gen.add_argument("-n", type=int, default=1, help="number of images, 1-10 (default 1)")
    gen.add_argument("--background", "-b", help="auto, opaque, transparent")
    gen.add_argument("--format", "-f", dest="output_format", help="png, jpeg, webp")
    gen.add_argument("--compression", "-c", type=int, dest="output_compression", help="0-100, jpeg and webp only")
    gen.add_argument("--moderation", help="auto, low")
    gen.add_argument("--user", help="end-user id passed to the provider")
    gen.add_argument("--stream", action="store_true", help="stream the answer (partial images are not saved)")
    gen.add_argument("--partials", type=int, dest="partial_images", help="partial images to stream, 0-3")
    gen.add_argument("--output", "-o", type=Path, metavar="DIR", help="save into DIR instead of the configured folder")
    gen.add_argument("--timeout", type=float, metavar="SECONDS", help="read timeout for this call (default: the profile's)")
    gen.add_argument("--json", action="store_true", help="print one JSON object instead of paths")

    cfg = commands.add_parser("config", help="show the configuration", description="Where the config file is, and what is in effect (keys masked).")
    cfg.add_argument("action", choices=("path", "show"))
    cfg.add_argument("--json", action="store_true", help="(show) print JSON")

    from imagegen_tui import cli_history

    cli_history.add_parser(commands)

    commands.add_parser("doctor", help="show how images will be drawn in this terminal, and why", description="Probe the terminal as the TUI does and print the graphics protocol, cell size and terminal facts.")

    demo = commands.add_parser("serve-demo", help="run the offline demo provider", description="An OpenAI-compatible images server that draws locally. Prompts containing #fail:401, #fail:429, #fail:500, #fail:timeout ... produce that failure.")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on the first line)")
    demo.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer")
    demo.add_argument("--key", help="require this bearer token")
    demo.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "config":
            return _config(args)
        if args.command == "serve-demo":
            return _serve_demo(args)
        if args.command == "history":
            from imagegen_tui import cli_history

            return cli_history.run(args, _load, run_generation)
        if args.command == "doctor":
            return _doctor(args)
        return _tui(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _tui(args: argparse.Namespace) -> int:
    """The terminal interface. Graphics are chosen before Textual starts: textual-image can
    only query the terminal then."""
    from imagegen_tui.errors import ConfigError
    from imagegen_tui.studio import Studio
    from imagegen_tui.ui import graphics

    config = _load(args)
    protocol = _graphics(args, config)
    if protocol is None:
        return EXIT_USAGE
    try:
        config.active_profile(os.environ)
    except ConfigError as exc:  # IMAGEGEN_TUI_PROFILE names no profile
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    notices = [f"{config.error}\nNothing is generated until the file is fixed; it is not overwritten meanwhile."] if config.error else []
    store = open_store()
    if store is None:
        notices.append("The history could not be opened, so this session is not recorded (see the terminal for why).")
    elif store.recovered:
        notices.append(f"{store.recovered} generation(s) were cut off when imagegen-tui last stopped; they are marked interrupted: select one and press r to re-run.")
    studio = Studio(config, store)
    if studio.state_problem:
        notices.append(f"What the app remembers was reset: {studio.state_problem}")
    chosen = graphics.setup(protocol)
    from imagegen_tui.ui.app import run

    try:
        return run(studio, chosen, notices)
    finally:
        if store is not None:
            store.close()


def _graphics(args: argparse.Namespace, config: Any) -> str | None:
    """The protocol asked for, checked here rather than by argparse so that building the
    parser for every command does not load the config module."""
    from imagegen_tui.config import GRAPHICS

    if args.graphics is not None and args.graphics not in GRAPHICS:
        print(f"error: --graphics {args.graphics!r}: choose one of {', '.join(GRAPHICS)}", file=sys.stderr)
        return None
    return args.graphics or config.ui.graphics


def _doctor(args: argparse.Namespace) -> int:
    """The graphics facts, then the config file and the profile `generate` would use: exit 2
    when generate would refuse to send."""
    from imagegen_tui.config import load_config
    from imagegen_tui.errors import ConfigError
    from imagegen_tui.ui import graphics

    config = load_config(args.config, must_exist=args.config is not None)
    protocol = _graphics(args, config)
    if protocol is None:
        return EXIT_USAGE
    facts = dict(graphics.setup(protocol).facts())
    facts["config"] = str(config.error or (config.path if config.path.exists() else f"{config.path} (none yet: built-in settings)"))
    try:
        profile = config.usable_profile(os.environ)
    except ConfigError as exc:
        problem: ConfigError | None = exc
        facts["profile"] = "none until the file is fixed" if exc is config.error else str(exc)
    else:
        problem = None
        facts["profile"] = f"{profile.name}: " + ("the embedded demo, nothing is sent" if profile.demo else f"ready, {profile.base_url}")
    for key, value in facts.items():
        print(f"{key:>14}: {value}")
    return EXIT_USAGE if problem else EXIT_OK


def _load(args: argparse.Namespace, *, strict: bool = False):  # -> Config | None, without importing config at module level
    """The config (a --config file must exist). A problem with it stops a `strict` command, one
    that would send something: said on stderr and None returned, for the caller to exit 2.
    Other commands warn and go on with the built-in settings."""
    from imagegen_tui.config import load_config

    config = load_config(args.config, must_exist=args.config is not None)
    if config.error is None:
        return config
    if strict:
        print(f"error: {config.error}", file=sys.stderr)
        return None
    print(f"warning: {config.error} (the file is not used)", file=sys.stderr)
    return config


def _generate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from imagegen_tui.errors import ConfigError
    from imagegen_tui.request import ImageRequest

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    config = _load(args, strict=True)
    if config is None:
        return EXIT_USAGE
    try:
        profile = config.usable_profile(os.environ, args.profile)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.timeout is not None:
        if args.timeout <= 0:
            print("error: --timeout must be positive", file=sys.stderr)
            return EXIT_USAGE
        profile = replace(profile, timeout=args.timeout)
    request = ImageRequest(
        prompt=prompt,
        model=args.model or profile.model,
        n=args.n,
        size=args.size,
        quality=args.quality,
        background=args.background,
        output_format=args.output_format,
        output_compression=args.output_compression,
        moderation=args.moderation,
        user=args.user,
        stream=args.stream,
        partial_images=args.partial_images,
    )
    return run_generation(config, profile, request, as_json=args.json, output_dir=args.output)


def run_generation(config: Any, profile: Any, request: Any, *, as_json: bool, output_dir: Path | None = None, parent_id: int | None = None) -> int:
    """Generate, save, record in the history, print: shared by `generate` and `history rerun`."""
    import asyncio

    from imagegen_tui import service
    from imagegen_tui.config import DEMO_NOTICE
    from imagegen_tui.errors import ImageAPIError, InvalidRequest

    if profile.demo:
        print(DEMO_NOTICE, file=sys.stderr)
    store = open_store()
    try:
        job = service.generate(config, profile, request, os.environ, store=store, parent_id=parent_id, output_dir=output_dir)
        outcome = asyncio.run(_with_ticker(job, profile, request))
    except InvalidRequest as exc:
        print(f"error: invalid parameters: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ImageAPIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if as_json:
            print(json.dumps({"ok": False, "error": exc.as_dict()}))
        return EXIT_FAILED
    except OSError as exc:
        print(f"error: could not save the images: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if store is not None:
            store.close()
    if as_json:
        print(json.dumps(_outcome_json(outcome), ensure_ascii=False))
    else:
        for image in outcome.saved:
            print(image.path)
    return EXIT_OK


def open_store() -> Any:
    """The history, or None with a warning: a broken history must not cost the user an image."""
    from imagegen_tui.store import HistoryStore, StoreError

    try:
        return HistoryStore.open_default()
    except (StoreError, OSError) as exc:
        print(f"warning: history not recorded: {exc}", file=sys.stderr)
        return None


async def _with_ticker(job: Any, profile: Any, request: Any) -> Any:
    """Show elapsed time on stderr while waiting, when a person is watching it."""
    import asyncio
    import time

    if not sys.stderr.isatty():
        return await job
    started = time.monotonic()
    where = "demo" if profile.demo else profile.name

    async def tick() -> None:
        while True:
            sys.stderr.write(f"\r{time.monotonic() - started:6.1f} s  {request.model} via {where}, {request.n} image(s)… ")
            sys.stderr.flush()
            await asyncio.sleep(0.1)

    ticker = asyncio.create_task(tick())
    try:
        return await job
    finally:
        ticker.cancel()
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _outcome_json(outcome: Any) -> dict[str, Any]:
    result = outcome.result
    revised = next((image.revised_prompt for image in outcome.saved if image.revised_prompt), None)
    return {
        "ok": True,
        "id": outcome.history_id,
        "uid": outcome.generation_id,
        "profile": outcome.profile,
        "provider": outcome.provider,
        "model": outcome.request.model,
        "paths": [str(image.path) for image in outcome.saved],
        "images": [
            {"path": str(i.path), "width": i.width, "height": i.height, "format": i.format, "bytes": i.bytes, "revised_prompt": i.revised_prompt}
            for i in outcome.saved
        ],
        "usage": result.usage.__dict__ if result.usage else None,
        "elapsed": round(result.elapsed, 3),
        "revised_prompt": revised,
        "request_id": result.request_id,
    }


def _config(args: argparse.Namespace) -> int:
    if args.action == "path":
        from imagegen_tui import paths

        print(args.config or paths.config_file())
        return EXIT_OK
    from imagegen_tui.config import describe, load_config
    from imagegen_tui.errors import ConfigError

    config = load_config(args.config, must_exist=args.config is not None)
    if config.error is not None:  # the problem, in parts for a script with --json
        print(f"error: {config.error}", file=sys.stderr)
        if args.json:
            print(json.dumps({"config_file": str(config.path), "config_error": config.error.as_dict()}, indent=2))
        return EXIT_USAGE
    try:
        info = describe(config, os.environ)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    print(f"config file:    {info['config_file']}{'' if Path(info['config_file']).exists() else '  (not created yet)'}")
    print(f"active profile: {info['active_profile']}")
    print(f"output folder:  {info['output']['folder']}")
    print(f"file names:     {info['output']['template']}")
    for name, p in info["profiles"].items():
        key = f"{p['api_key']} (from {p['api_key_from']})" if p["api_key"] else "not needed" if not p["key_required"] else f"none (set {p['api_key_env']})" if p["api_key_env"] else "none"
        marker = "*" if name == info["active_profile"] else " "
        print(f"{marker} {name}: {p['base_url']}  model {p['model']}  key {key}")
    if problem := info["profiles"][info["active_profile"]]["problem"]:
        print(f"not ready: {problem}")
    return EXIT_OK


def _serve_demo(args: argparse.Namespace) -> int:
    from imagegen_tui.demo.server import DemoServer

    server = DemoServer(args.host, args.port, latency=args.latency, key=args.key)
    if not args.quiet:
        server.httpd.log = lambda line: print(line, file=sys.stderr, flush=True)
    print(f"imagegen-tui demo provider listening on {server.base_url}", flush=True)
    import signal

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return EXIT_OK
