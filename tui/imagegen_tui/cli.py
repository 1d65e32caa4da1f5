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
from typing import Any, NoReturn

from imagegen_tui import __version__
from imagegen_tui.console import say, say_json
from imagegen_tui.textsafe import visible

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_PIPE = 128 + 13  # as a process killed by SIGPIPE, like other tools whose reader left


class _Parser(argparse.ArgumentParser):
    """argparse quotes a bad argument back, and an argument may hold control characters."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {visible(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    gen.add_argument("--timeout", type=float, metavar="SECONDS", help="the most this call may take in all, retries included (default: the profile's)")
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
    """Run a command; whatever goes wrong ends in a sentence and an exit status, never a
    traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = _run(args)
        sys.stdout.flush()  # here, where a reader that left can still be told from a crash
        return status
    except KeyboardInterrupt:
        say("interrupted", err=True)
        return 130
    except BrokenPipeError:
        from imagegen_tui.console import detach

        detach()
        return EXIT_PIPE
    except Exception as exc:
        return _last_resort(exc, args)


def _run(args: argparse.Namespace) -> int:
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


def _last_resort(exc: Exception, args: argparse.Namespace) -> int:
    """An exception nobody expected: one line saying what failed and where the full report
    (traceback, keys redacted) was written."""
    from imagegen_tui import crashlog
    from imagegen_tui.config import load_config

    command = " ".join(filter(None, ("imagegen-tui", args.command, getattr(args, "history_command", None))))
    try:
        config = load_config(args.config)
    except Exception:  # the config may be what is broken; the environment's keys still count
        config = None
    secrets = crashlog.known_secrets(config)
    what = f"running `{command}`"
    say(crashlog.sentence(exc, what, crashlog.write_report(exc, what, secrets), secrets), err=True)
    return EXIT_FAILED


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
        say(f"error: {exc}", err=True)
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
        say(f"error: --graphics {args.graphics!r}: choose one of {', '.join(GRAPHICS)}", err=True)
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
        say(f"{key:>14}: {value}")
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
        say(f"error: {config.error}", err=True)
        return None
    say(f"warning: {config.error} (the file is not used)", err=True)
    return config


def _generate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from imagegen_tui.errors import ConfigError
    from imagegen_tui.request import ImageRequest

    prompt = _stdin_prompt() if args.prompt == "-" else args.prompt
    config = _load(args, strict=True)
    if config is None:
        return EXIT_USAGE
    try:
        profile = config.usable_profile(os.environ, args.profile)
    except ConfigError as exc:
        say(f"error: {exc}", err=True)
        return EXIT_USAGE
    if args.timeout is not None:
        if args.timeout <= 0:
            say("error: --timeout must be positive", err=True)
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


def _stdin_prompt() -> str:
    """Standard input as the prompt, without the one line end that `echo` or an editor adds.
    Undecodable bytes are kept (as Python's surrogate escapes) for the request's check to name."""
    text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    return text


def run_generation(config: Any, profile: Any, request: Any, *, as_json: bool, output_dir: Path | None = None, parent_id: int | None = None) -> int:
    """Generate, save, record in the history, print: shared by `generate` and `history rerun`."""
    import asyncio

    from imagegen_tui import service
    from imagegen_tui.config import DEMO_NOTICE
    from imagegen_tui.errors import ImageAPIError, InvalidRequest, OutputError

    if profile.demo:
        say(DEMO_NOTICE, err=True)
    store = open_store()
    try:
        job = service.generate(config, profile, request, os.environ, store=store, parent_id=parent_id, output_dir=output_dir)
        outcome = asyncio.run(_attended(job, profile, request))
    except InvalidRequest as exc:
        say(f"error: invalid parameters: {exc}", err=True)
        return EXIT_USAGE
    except ImageAPIError as exc:
        say(f"error: {exc}", err=True)
        if as_json:
            say_json({"ok": False, "error": exc.as_dict()})
        return EXIT_FAILED
    except OutputError as exc:
        say(f"error: {exc}", err=True)
        paths = [str(image.path) for image in exc.saved]
        if as_json:
            say_json({"ok": False, "error": {"kind": exc.kind, "message": str(exc)}, "paths": paths})
        else:
            for path in paths:
                say(path)
        return EXIT_FAILED
    finally:
        if store is not None:
            store.close()
    for note in outcome.notes:
        say(f"note: {note}", err=True)
    if as_json:
        say_json(_outcome_json(outcome))
    else:
        for image in outcome.saved:
            say(str(image.path))
    return EXIT_OK


def open_store() -> Any:
    """The history, or None with a warning: a broken history must not cost the user an image."""
    from imagegen_tui.store import HistoryStore, StoreError

    try:
        return HistoryStore.open_default()
    except (StoreError, OSError) as exc:
        say(f"warning: history not recorded: {exc}", err=True)
        return None


async def _attended(job: Any, profile: Any, request: Any) -> Any:
    """Run the job, showing the elapsed time on stderr when a person watches it. The call is
    paid for once sent, so if the terminal goes away (a hangup, or writes to it failing) the
    job carries on without one: output goes to /dev/null, and the images are still saved and
    recorded."""
    import asyncio
    import signal
    import time

    from imagegen_tui.console import detach

    started = time.monotonic()
    where = "demo" if profile.demo else profile.name
    ticker: asyncio.Task[None] | None = None

    def hung_up() -> None:
        detach()
        if ticker is not None:
            ticker.cancel()

    def show(text: str) -> bool:
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
            return True
        except OSError:  # the terminal is gone without a hangup reaching us
            hung_up()
            return False

    async def tick() -> None:
        while show("\r" + visible(f"{time.monotonic() - started:6.1f} s  {request.model} via {where}, {request.n} image(s)… ", newlines=False)):
            await asyncio.sleep(0.1)

    loop = asyncio.get_running_loop()
    hangups = hasattr(signal, "SIGHUP")  # not on Windows
    if hangups:
        loop.add_signal_handler(signal.SIGHUP, hung_up)
    if sys.stderr.isatty():
        ticker = asyncio.create_task(tick())
    try:
        return await job
    finally:
        if hangups:
            loop.remove_signal_handler(signal.SIGHUP)
        if ticker is not None and not ticker.done():
            ticker.cancel()
            show("\r\033[K")


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
        "notes": outcome.notes,
    }


def _config(args: argparse.Namespace) -> int:
    if args.action == "path":
        from imagegen_tui import paths

        say(str(args.config or paths.config_file()))
        return EXIT_OK
    from imagegen_tui.config import describe, load_config
    from imagegen_tui.errors import ConfigError

    config = load_config(args.config, must_exist=args.config is not None)
    if config.error is not None:  # the problem, in parts for a script with --json
        say(f"error: {config.error}", err=True)
        if args.json:
            say_json({"config_file": str(config.path), "config_error": config.error.as_dict()}, indent=2)
        return EXIT_USAGE
    try:
        info = describe(config, os.environ)
    except ConfigError as exc:
        say(f"error: {exc}", err=True)
        return EXIT_USAGE
    if args.json:
        say_json(info, indent=2)
        return EXIT_OK
    say(f"config file:    {info['config_file']}{'' if Path(info['config_file']).exists() else '  (not created yet)'}")
    say(f"active profile: {info['active_profile']}")
    say(f"output folder:  {info['output']['folder']}")
    say(f"file names:     {info['output']['template']}")
    for name, p in info["profiles"].items():
        key = f"{p['api_key']} (from {p['api_key_from']})" if p["api_key"] else "not needed" if not p["key_required"] else f"none (set {p['api_key_env']})" if p["api_key_env"] else "none"
        marker = "*" if name == info["active_profile"] else " "
        say(f"{marker} {name}: {p['base_url']}  model {p['model']}  key {key}")
    if problem := info["profiles"][info["active_profile"]]["problem"]:
        say(f"not ready: {problem}")
    return EXIT_OK


def _serve_demo(args: argparse.Namespace) -> int:
    from imagegen_tui.demo.server import DemoServer

    server = DemoServer(args.host, args.port, latency=args.latency, key=args.key)
    if not args.quiet:
        server.httpd.log = lambda line: say(line, err=True)  # request lines quote what clients sent
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
