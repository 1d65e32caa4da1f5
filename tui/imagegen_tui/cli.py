"""`imagegen-tui` and its headless commands.

Imports are deferred into each command: `--version` and `config path` must be instant, and no
headless command ever imports Textual. `--version` alone is answered before the parser is built:
building it (twenty commands) takes longer than everything else it does.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from imagegen_tui import __version__, cli_params
from imagegen_tui.console import be_quiet, note, quiet, say, say_failure, say_result, warn
from imagegen_tui.errors import ErrorKind, Failure
from imagegen_tui.textsafe import visible

VERSION = f"imagegen-tui {__version__}"
PROFILES_COMMAND = "_complete-profiles"  # hidden: what shell completion asks for profile names; never in --help
STYLES_COMMAND = "_complete-styles"  # hidden: the same for style names ([styles] in the config)
SHELLS = ("bash", "zsh", "fish")  # completion scripts (completion.py)
EXIT_OK = 0
EXIT_PIPE = 128 + 13  # as a process killed by SIGPIPE, like other tools whose reader left
SPINNER = "|/-\\"


class _Parser(argparse.ArgumentParser):
    """A refused command line is a Failure like any other, so that under --json it is told as
    JSON too; on stderr it reads as argparse's own (`say` escapes the bad argument it quotes
    back, which may hold control characters)."""

    def error(self, message: str) -> NoReturn:
        raise Failure(ErrorKind.USAGE, message, sentence=f"{self.format_usage()}{self.prog}: error: {message}")


TOP_OPTIONS = ("--config", "--graphics")  # the options before a command; each takes a value


def build_parser(*, commands_too: bool = True) -> argparse.ArgumentParser:
    """The whole parser; without `commands_too`, only the top level (the TUI's start: the
    twenty commands' parsers took 18 ms of it)."""
    parser = _Parser(
        prog="imagegen-tui",
        description="Generate images through OpenAI-compatible image APIs (model-go, OpenAI, any gateway).",
    )
    parser.add_argument("--version", action="version", version=VERSION)
    parser.add_argument("--config", type=Path, metavar="PATH", help="use this config file instead of the default")
    parser.add_argument("--graphics", metavar="PROTOCOL", help="how the TUI shows images: auto, kitty, sixel, halfcell, unicode or none (default: ui.graphics in the config, else auto)")
    if not commands_too:
        parser.set_defaults(command=None)
        return parser
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gen = commands.add_parser("generate", help="generate images and save them", description="Generate images, save them with their settings embedded, print their paths.")
    _request_options(gen, edit=False)
    edit = commands.add_parser(
        "edit", help="edit images (with references and a mask) and save the results",
        description="Change an image by a prompt: the first image is the one edited, others are references; a mask limits "
        "the change to its transparent (or, for a black-and-white file, white) area. Saved and recorded like generations, "
        "with what they were made from.",
    )
    edit.add_argument("--image", "-i", action="append", type=Path, default=[], metavar="FILE", help="an image to edit or to use as a reference (repeatable; PNG, WebP or JPEG)")
    edit.add_argument("--from", dest="from_history", action="append", default=[], metavar="ID[:INDEX]", help="an image from the history (12 is image 1 of #12, 12:2 image 2); repeatable, after the --image files")
    edit.add_argument("--mask", type=Path, metavar="FILE", help="a PNG with transparency, or a black-and-white image (white = change), the first image's size")
    edit.add_argument("--mask-rect", action="append", default=[], metavar="X,Y,W,H", help="change only this rectangle, in pixels or percent (10%%,10%%,50%%,30%%); repeatable")
    edit.add_argument("--mask-ellipse", action="append", default=[], metavar="X,Y,W,H", help="change only the ellipse inside this rectangle; repeatable")
    edit.add_argument("--fidelity", dest="input_fidelity", metavar="high|low", help="high or low: how closely to keep the inputs' faces and style (not on gpt-image-1-mini)")
    _request_options(edit, edit=True)

    from imagegen_tui.dialects import DIALECTS

    cfg = commands.add_parser(
        "config", help="show the configuration, or add a profile",
        description="Where the config file is, and what is in effect (keys masked); add-profile NAME --dialect D writes a ready "
        "profile for that kind of server into the file, leaving the rest of it as it is.",
    )
    cfg.add_argument("action", choices=("path", "show", "add-profile"))
    cfg.add_argument("name", nargs="?", help="(add-profile) the new profile's name")
    cfg.add_argument("--json", action="store_true", help="(show) print JSON")
    cfg.add_argument("--dialect", metavar="D", help="(add-profile) what the server speaks: " + ", ".join(DIALECTS))
    cfg.add_argument("--base-url", metavar="URL", help="(add-profile) the server's address (default: the dialect's usual one)")
    cfg.add_argument("--model", metavar="MODEL", help="(add-profile) the model to use (default: the dialect's usual one)")

    from imagegen_tui import cli_history

    cli_history.add_parser(commands)
    from imagegen_tui import cli_sweep

    cli_sweep.add_parser(commands)
    from imagegen_tui import cli_models

    cli_models.add_parser(commands)

    commands.add_parser("doctor", help="show how images will be drawn in this terminal, and why", description="Probe the terminal as the TUI does and print the graphics protocol, cell size and terminal facts.")

    demo = commands.add_parser("serve-demo", help="run the offline demo provider", description="An OpenAI-compatible images server that draws locally. Prompts containing #fail:401, #fail:429, #fail:500, #fail:timeout ... produce that failure.")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on the first line)")
    demo.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer")
    demo.add_argument("--key", help="require this bearer token")
    demo.add_argument("--quiet", action="store_true", help="do not log requests")
    demo.add_argument("--dialect", default="openai", choices=tuple(DIALECTS), metavar="D", help="answer as this kind of server does (for a profile of that dialect): " + ", ".join(DIALECTS))

    web = commands.add_parser(
        "web", help="serve the app to a browser (needs imagegen-tui[web])",
        description="Serve the terminal interface on a web page, through textual-serve: each browser tab runs the app, "
        "with this config. There is no password: whoever reaches the port can spend your keys and read your history.",
    )
    web.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this machine only)")
    web.add_argument("--port", type=_port, default=8000, help="the port (default 8000)")
    web.add_argument("--public-url", metavar="URL", help="the address browsers use to reach it, when not http://HOST:PORT (a proxy, a tunnel, --host 0.0.0.0)")

    shells = commands.add_parser(
        "completion", help="print a shell completion script (bash, zsh, fish)",
        description="Print the completion script for a shell; the README says where each shell wants it.",
    )
    shells.add_argument("shell", choices=SHELLS)
    return parser


def _port(text: str) -> int:
    if text.isdecimal() and 1 <= int(text) <= 65535:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")


def main(argv: list[str] | None = None) -> int:
    """Run a command; whatever goes wrong ends in a sentence and an exit status, never a
    traceback, and under --json in one JSON object on stdout as well."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--version"] or argv[:1] in ([PROFILES_COMMAND], [STYLES_COMMAND]):
        try:
            return _before_the_parser(argv)
        except BrokenPipeError:
            return _reader_left()
    try:
        args = build_parser(commands_too=not _starts_the_tui(argv)).parse_args(argv)
    except Failure as failure:
        return _tell(failure, as_json=_asks_json(argv))
    as_json = getattr(args, "json", False)
    be_quiet(getattr(args, "quiet", False))
    try:
        status = _run(args)
        sys.stdout.flush()  # here, where a reader that left can still be told from a crash
        return status
    except Failure as failure:
        return _tell(failure, as_json=as_json)
    except KeyboardInterrupt:
        return _tell(Failure(ErrorKind.INTERRUPTED, "interrupted", billed=_billable(args), sentence="interrupted"), as_json=as_json)
    except BrokenPipeError:
        return _reader_left()
    except Exception as exc:
        return _tell(_last_resort(exc, args), as_json=as_json)


def _starts_the_tui(argv: list[str]) -> bool:
    """`argv` names no command, only top-level options with their values."""
    rest = list(argv)
    while rest:
        option, given, _ = rest.pop(0).partition("=")
        if option not in TOP_OPTIONS or (not given and not rest):
            return False
        if not given:
            rest.pop(0)
    return True


def _before_the_parser(argv: list[str]) -> int:
    """What must be quick: --version, and the profile and style names a shell completion asks for."""
    if argv == ["--version"]:
        say(VERSION)
    else:
        from imagegen_tui.completion import print_names

        print_names("styles" if argv[0] == STYLES_COMMAND else "profiles", argv[1:])
    sys.stdout.flush()
    return EXIT_OK


def _tell(failure: Failure, *, as_json: bool) -> int:
    try:
        status = say_failure(failure, as_json=as_json)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return _reader_left()


def _reader_left() -> int:
    from imagegen_tui.console import detach

    detach()
    return EXIT_PIPE


def _asks_json(argv: list[str]) -> bool:
    """Whether a command line argparse refused asked for --json (or a prefix of it, which
    argparse takes), so that its refusal is told as JSON too."""
    options = argv[: argv.index("--")] if "--" in argv else argv
    return any(len(arg) > 2 and "--json".startswith(arg) for arg in options)


def _billable(args: argparse.Namespace) -> bool | None:
    """What a command that stopped unexpectedly may have cost: a generation may have been
    sent (None: maybe), nothing else sends anything."""
    sends = args.command in ("generate", "edit", "batch") or getattr(args, "history_command", None) == "rerun"
    return None if sends else False


def _run(args: argparse.Namespace) -> int:
    if args.command in ("generate", "edit"):
        return _generate(args)
    if args.command == "batch":
        from imagegen_tui import cli_sweep

        return cli_sweep.run_batch(args, _load(args, strict=True))
    if args.command == "config":
        from imagegen_tui import cli_config

        return cli_config.run(args)
    if args.command == "serve-demo":
        return _serve_demo(args)
    if args.command == "history":
        from imagegen_tui import cli_history

        return cli_history.run(args, _load, run_generation)
    if args.command == "models":
        from imagegen_tui import cli_models

        return cli_models.run(args, _load(args, strict=True))
    if args.command == "doctor":
        return _doctor(args)
    if args.command == "completion":
        from imagegen_tui.completion import script

        sys.stdout.write(script(args.shell, build_parser()))
        return EXIT_OK
    if args.command == "web":
        from imagegen_tui import web

        _graphics(args, _load(args))  # a bad --graphics or a missing --config is said here, not in every tab
        return web.serve(args.host, args.port, args.public_url, config=args.config, graphics=args.graphics)
    return _tui(args)


def _last_resort(exc: Exception, args: argparse.Namespace) -> Failure:
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
    sentence = crashlog.sentence(exc, what, crashlog.write_report(exc, what, secrets), secrets)
    return Failure(ErrorKind.INTERNAL, sentence, billed=_billable(args), sentence=sentence)


def _tui(args: argparse.Namespace) -> int:
    """The terminal interface. Graphics are chosen before Textual starts: textual-image can
    only query the terminal then."""
    import gc

    gc.disable()  # start-up makes many objects and frees few: collecting them cost a fifth of the
    # time to the first frame (bench_tui.py); the app turns collection back on after that frame
    from imagegen_tui.errors import ConfigError
    from imagegen_tui.studio import Studio
    from imagegen_tui.ui import graphics

    config = _load(args)
    protocol = _graphics(args, config)
    if os.environ.get("NO_COLOR") == "":  # no-color.org: only a value turns colour off; Textual takes any
        del os.environ["NO_COLOR"]
    try:
        config.active_profile(os.environ)
    except ConfigError as exc:  # IMAGEGEN_TUI_PROFILE names no profile
        raise exc.failure() from None
    notices = []  # short: a damaged config is said by the app's banner, which stays until it is fixed
    store = open_store()
    if store is None:
        notices.append("Not recorded: the history could not be opened (see the terminal).")
    elif store.recovered:
        notices.append(f"{store.recovered} generation(s) cut off last time are marked interrupted (r re-runs).")
    studio = Studio(config, store)
    if studio.state_problem:
        notices.append(f"What the app remembers was reset: {studio.state_problem}")
    from imagegen_tui.ui import typeahead

    with typeahead.kept() as typed:
        chosen = graphics.setup(protocol, typed=typed)
    from imagegen_tui.ui.app import run

    try:
        return run(studio, chosen, notices, "".join(typed))
    finally:
        if store is not None:
            store.close()


def _graphics(args: argparse.Namespace, config: Any) -> str:
    """The protocol asked for, checked here rather than by argparse so that building the
    parser for every command does not load the config module."""
    from imagegen_tui.config import GRAPHICS

    if args.graphics is not None and args.graphics not in GRAPHICS:
        raise Failure(ErrorKind.USAGE, f"--graphics {args.graphics!r}: choose one of {', '.join(GRAPHICS)}")
    return args.graphics or config.ui.graphics


def _doctor(args: argparse.Namespace) -> int:
    """The graphics facts, then the config file and the profile `generate` would use: exit 2
    when generate would refuse to send."""
    from imagegen_tui.config import load_config
    from imagegen_tui.errors import ConfigError
    from imagegen_tui.ui import graphics

    config = load_config(args.config, must_exist=args.config is not None)
    protocol = _graphics(args, config)
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
    return ErrorKind.CONFIG.exit_code if problem else EXIT_OK


def _load(args: argparse.Namespace, *, strict: bool = False):  # -> Config, without importing config at module level
    """The config (a --config file must exist). A problem with it stops a `strict` command, one
    that would send something (a config Failure, exit 2). Other commands warn and go on with
    the built-in settings."""
    from imagegen_tui.config import load_config

    config = load_config(args.config, must_exist=args.config is not None)
    if config.error is None:
        return config
    if strict:
        raise config.error.failure()
    warn(f"warning: {config.error} (the file is not used)")
    return config


def _request_options(command: argparse.ArgumentParser, *, edit: bool) -> None:
    """What generate and edit both take (edits have no moderation)."""
    command.add_argument("prompt", help="the prompt; '-' reads it from standard input" + ("" if edit else "; {a|b} makes a sweep of variants (\\{ for a brace)"))
    cli_params.parameter_options(command, edit=edit)
    command.add_argument("--stream", action="store_true", help="stream the answer (partial images are not saved)")
    command.add_argument("--partials", type=int, dest="partial_images", help="partial images to stream, 0-3")
    command.add_argument("--output", "-o", metavar="DIR", help="save into DIR instead of the configured folder; '-o -' is --stdout (a folder named '-': -o ./-)")
    command.add_argument("--stdout", action="store_true", help="write the image itself to standard output, for a pipe or a file (it is still saved and recorded); everything else goes to stderr")
    command.add_argument("--stdout-format", choices=("image", "tar"), help="implies --stdout; image: the one image's bytes (n must be 1, the default); tar: a tar stream of every image")
    if not edit:
        from imagegen_tui import cli_sweep

        cli_sweep.sweep_options(command)
    cli_params.run_options(command)


def _generate(args: argparse.Namespace) -> int:
    """`generate` and `edit`: one path from the command line to run_generation (a prompt with
    variants, or --sweep, to a sweep's)."""
    from imagegen_tui.errors import InvalidRequest

    piped = _piped_images(args)
    prompt = _stdin_prompt() if args.prompt == "-" else args.prompt
    config = _load(args, strict=True)
    profile = cli_params.sending_profile(args, config)
    params = cli_params.request_params(args, profile)
    output_dir = None if args.output in (None, "-") else Path(args.output)
    picked = _picked_styles(config, args.styles)
    if args.command == "generate":
        from imagegen_tui import cli_sweep

        params["moderation"] = args.moderation
        return cli_sweep.generate(args, config, profile, prompt, params, picked, output_dir=output_dir, piped=piped)
    from imagegen_tui import styles

    styled = styles.apply(picked, prompt, params)
    try:
        request, made_from = _edit_request(args, styled.prompt, {**styled.params, "input_fidelity": args.input_fidelity})
    except InvalidRequest as exc:
        raise exc.failure() from None
    request = _checked(request, profile, config, styled, params)
    return run_generation(config, profile, request, as_json=args.json, output_dir=output_dir, piped=piped, sources=made_from, provenance=styled.provenance)


def _checked(request: Any, profile: Any, config: Any, styled: Any, params: dict[str, Any]) -> Any:
    """With styles, the request checked here, so that a problem with a value a style filled in
    names the style (the service checks it again, as it does every request)."""
    if not styled.provenance.styles:
        return request
    from imagegen_tui import styles
    from imagegen_tui.errors import InvalidRequest

    try:
        return request.validate(profile.caps(request.model))
    except InvalidRequest as exc:
        raise InvalidRequest(styles.blamed(exc.problems, styled, config.styles, params)).failure() from None


def _picked_styles(config: Any, names: list[str]) -> list[Any]:  # -> list[styles.Style]
    """The --style styles, in order; an unknown name is a usage error that lists the styles
    there are."""
    from imagegen_tui import styles

    try:
        return styles.pick(config.styles, names)
    except styles.UnknownStyle as exc:
        raise Failure(ErrorKind.USAGE, f"--style: {exc}") from None


def _edit_request(args: argparse.Namespace, prompt: str, params: dict[str, Any]) -> tuple[Any, list[Any]]:
    """The inputs read (files, then history images), the mask made, their copies kept."""
    from imagegen_tui import edits, masks

    inputs = [edits.from_file(path) for path in args.image]
    if args.from_history:
        from imagegen_tui.store import HistoryStore, StoreError

        wanted = [edits.parse_from(spec) for spec in args.from_history]
        try:
            with HistoryStore.open_default() as store:
                inputs += [edits.from_history(store, gen_id, index) for gen_id, index in wanted]
        except (StoreError, OSError) as exc:
            raise Failure(ErrorKind.HISTORY, f"--from needs the history: {exc}") from None
    if not inputs:
        raise Failure(ErrorKind.USAGE, "an edit needs an image: --image FILE or --from ID[:INDEX]")
    regions = [masks.rect(spec) for spec in args.mask_rect] + [masks.ellipse(spec) for spec in args.mask_ellipse]
    if args.mask and regions:
        raise Failure(ErrorKind.USAGE, "--mask and --mask-rect/--mask-ellipse both describe the mask: give one or the other")
    mask = None
    if args.mask or regions:
        data = None
        if args.mask:
            try:
                data = args.mask.read_bytes()
            except OSError as exc:
                raise Failure(ErrorKind.USAGE, f"--mask {args.mask}: {exc.strerror or exc}") from None
        mask, done = edits.mask_for(inputs[0], data=data, name=args.mask.name if args.mask else "mask.png", regions=regions)
        if done:
            note(f"note: {done}")
    return edits.build(prompt, params, inputs, mask)


def _piped_images(args: argparse.Namespace) -> str | None:
    """"image" or "tar" when the images are asked for on standard output (-o -, --stdout,
    --stdout-format), else None. What cannot work is refused here, before anything is sent."""
    if not (args.stdout or args.stdout_format or args.output == "-"):
        return None
    form = args.stdout_format or "image"
    if args.json:
        raise Failure(ErrorKind.USAGE, "--json and the image cannot share standard output: choose one (with the image, the saved file's path is said on stderr)")
    if form == "image" and args.n != 1:
        raise Failure(ErrorKind.USAGE, f"standard output takes one image and -n {args.n} asks for {args.n}: add --stdout-format tar for a tar stream of them all, or save them with -o DIR")
    if sys.stdout.isatty():
        raise Failure(ErrorKind.USAGE, "standard output is a terminal, which cannot show an image's bytes: redirect it (imagegen-tui generate … -o - > fox.png) or pipe it (… -o - | viu -)")
    return form


def _stdin_prompt() -> str:
    """Standard input as the prompt, without the one line end that `echo` or an editor adds.
    Undecodable bytes are kept (as Python's surrogate escapes) for the request's check to name."""
    text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    return text


def run_generation(
    config: Any, profile: Any, request: Any, *, as_json: bool, output_dir: Path | None = None, parent_id: int | None = None,
    piped: str | None = None, sources: Any = (), provenance: Any = None,
) -> int:
    """Generate, save, record in the history, print: shared by `generate` and `history rerun`.
    `piped` ("image" or "tar"): the saved images go to stdout too, and their paths to stderr."""
    import asyncio

    from imagegen_tui import service
    from imagegen_tui.errors import ImageAPIError, InvalidRequest, OutputError

    announce(config, profile, [request.model])
    from imagegen_tui.store import Provenance

    store = open_store()
    try:
        job = service.generate(
            config, profile, request, os.environ, store=store, parent_id=parent_id, output_dir=output_dir, sources=sources,
            provenance=provenance or Provenance(),
        )
        outcome = asyncio.run(_attended(job, profile, request))
    except (InvalidRequest, ImageAPIError) as exc:
        raise exc.failure() from exc
    except OutputError as exc:
        if not as_json and not piped:
            for image in exc.saved:  # what did land is still printed
                say(str(image.path))
        raise exc.failure() from exc
    finally:
        if store is not None:
            store.close()
    for text in outcome.notes:
        note(f"note: {text}")
    if piped:
        _pipe(outcome.saved, piped, (output_dir or config.output.folder).resolve())
    elif as_json:
        say_result(_outcome_json(outcome))
    else:
        for image in outcome.saved:
            say(str(image.path))
    return EXIT_OK


def announce(config: Any, profile: Any, models: Iterable[str]) -> None:
    """What to know before a profile sends `models`: that the demo sends nothing; said even
    under --quiet, that a provider's certificate is not checked, and that a budget cannot
    stop a model (no price for it: a budget that cannot stop it is no budget)."""
    from imagegen_tui import budget
    from imagegen_tui.config import DEMO_NOTICE

    if profile.demo:
        note(DEMO_NOTICE)
    if warning := profile.warning():
        warn(warning)
    for model in dict.fromkeys(models):
        if blind := budget.warning(config, profile.name, model):
            warn(blind)


def _pipe(saved: list[Any], form: str, folder: Path) -> None:
    """The saved files, as saved (settings embedded), to stdout: one image's bytes, or a tar
    stream of them all named as below the output folder. They stay where they were saved and
    recorded, so nothing paid for lives only in a pipe; stderr says where."""
    import tarfile

    for image in saved:
        note(f"saved: {image.path}")
    # buffered whatever PYTHONUNBUFFERED says: unbuffered, sys.stdout.buffer is the raw file,
    # whose write() may take only part of a pipe's worth and drop the rest
    with open(sys.stdout.fileno(), "wb", closefd=False) as out:
        if form == "image":
            out.write(saved[0].path.read_bytes())
        else:
            with tarfile.open(fileobj=out, mode="w|") as tar:
                for image in saved:
                    tar.add(image.path, arcname=str(image.path.relative_to(folder)), recursive=False)


def open_store() -> Any:
    """The history, or None with a warning: a broken history must not cost the user an image."""
    from imagegen_tui.store import HistoryStore, StoreError

    try:
        return HistoryStore.open_default()
    except (StoreError, OSError) as exc:
        warn(f"warning: history not recorded: {exc}")
        return None


async def _attended(job: Any, profile: Any, request: Any) -> Any:
    """Run the job, showing a spinner and the elapsed time on stderr when a person watches it
    (stderr a terminal, no --quiet): image calls can take minutes. The call is paid for once
    sent, so if the terminal goes away (a hangup, or writes to it failing) the job carries on
    without one: output goes to /dev/null, and the images are still saved and recorded."""
    import asyncio
    import itertools
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
        for turn in itertools.count():
            line = visible(f"{SPINNER[turn % len(SPINNER)]} {_elapsed(time.monotonic() - started)}  {request.model} via {where}, {request.n} image(s)…", newlines=False)
            try:
                columns = os.get_terminal_size(sys.stderr.fileno()).columns  # 0 when the terminal does not say
            except OSError:  # stderr is no longer the terminal
                return
            if not show(f"\r{line[: columns - 1] if columns else line}\033[K"):  # a wrapped line would not be overwritten
                return
            await asyncio.sleep(0.1)

    with hangup_survived(hung_up):
        if sys.stderr.isatty() and not quiet():
            ticker = asyncio.create_task(tick())
        try:
            return await job
        finally:
            if ticker is not None and not ticker.done():
                ticker.cancel()
                show("\r\033[K")


@contextmanager
def hangup_survived(hung_up: Callable[[], None]) -> Iterator[None]:
    """Inside a running event loop: a hangup calls `hung_up` (which detaches the output) instead
    of ending the process, whose calls are paid for once sent."""
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    # not on Windows; under nohup the hangup is already ignored, and stays so
    hangups = hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN
    if hangups:
        loop.add_signal_handler(signal.SIGHUP, hung_up)
    try:
        yield
    finally:
        if hangups:
            loop.remove_signal_handler(signal.SIGHUP)


def _elapsed(seconds: float) -> str:
    return f"{seconds:4.1f} s" if seconds < 60 else f"{int(seconds) // 60} min {int(seconds) % 60:02d} s"


def _outcome_json(outcome: Any) -> dict[str, Any]:
    result = outcome.result
    revised = next((image.revised_prompt for image in outcome.saved if image.revised_prompt), None)
    return {
        "id": outcome.history_id,
        "uid": outcome.generation_id,
        "profile": outcome.profile,
        "provider": outcome.provider,
        "model": outcome.request.model,
        "extra": dict(outcome.request.extra or {}),  # the extras sent, in our words (seed, steps…)
        "paths": [str(image.path) for image in outcome.saved],
        "images": [
            {"path": str(i.path), "width": i.width, "height": i.height, "format": i.format, "bytes": i.bytes, "revised_prompt": i.revised_prompt}
            for i in outcome.saved
        ],
        "usage": result.usage.__dict__ if result.usage else None,
        "gateway_cost": result.gateway_cost,  # what a gateway said it billed (USD), else null
        "key_spend": result.key_spend,  # what the gateway's key has spent in all, else null
        "elapsed": round(result.elapsed, 3),
        "revised_prompt": revised,
        "request_id": result.request_id,
        "notes": outcome.notes,
    }


def _serve_demo(args: argparse.Namespace) -> int:
    from imagegen_tui.demo.server import DemoServer
    from imagegen_tui.dialects import DIALECTS

    server = DemoServer(args.host, args.port, latency=args.latency, key=args.key, dialect=args.dialect)
    if not args.quiet:
        server.httpd.log = lambda line: say(line, err=True)  # request lines quote what clients sent
    speaks = f"speaking {args.dialect}: {DIALECTS[args.dialect].title}; " if args.dialect != "openai" else ""
    print(f"imagegen-tui demo provider {speaks}listening on {server.base_url}", flush=True)  # the URL stays last: scripts take it
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
