"""What every command that sends takes from its command line: the profile, the image
parameters (the extras among them) and how it runs. generate, edit and batch share them.
Imports are deferred as in cli.py: this module is loaded to build the parser.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from imagegen_tui.errors import ErrorKind, Failure


def parameter_options(command: argparse.ArgumentParser, *, edit: bool) -> None:
    """The profile and the image parameters: what generate, edit and batch take."""
    command.add_argument("--profile", "-p", help="profile to use (default: the configured one, else the first with a key, else demo)")
    command.add_argument("--model", "-m", help="model (default: the profile's)")
    command.add_argument("--size", "-s", help="auto, 1024x1024, 1536x1024, 1024x1536, or WxH where the model allows it")
    command.add_argument("--quality", "-q", help="auto, low, medium, high (dall-e-3: standard, hd)")
    command.add_argument("-n", type=int, default=1, help="number of images, 1-10 (default 1)")
    command.add_argument("--background", "-b", help="auto, opaque, transparent")
    command.add_argument("--format", "-f", dest="output_format", help="png, jpeg, webp")
    command.add_argument("--compression", "-c", type=int, dest="output_compression", help="0-100, jpeg and webp only")
    if not edit:
        command.add_argument("--moderation", help="auto, low")
    command.add_argument("--style", action="append", dest="styles", default=[], metavar="NAME", help="apply this style of the config's [styles] (repeatable: in order); options given here win over its parameters")
    command.add_argument("--user", help="end-user id passed to the provider")
    extra = command.add_argument_group("extra parameters", "for servers that take them (local servers, gateways; not OpenAI): "
                                       "said in one vocabulary, sent under each server's own names (README: Backends)")
    extra.add_argument("--seed", type=int, help="random seed: the same seed and settings draw the same picture")
    extra.add_argument("--steps", type=int, help="denoising steps")
    extra.add_argument("--guidance", type=float, help="guidance (CFG) scale")
    extra.add_argument("--negative", metavar="TEXT", help="negative prompt: what the picture should not have")
    extra.add_argument("--set", action="append", dest="settings", default=[], type=_setting, metavar="KEY=VALUE",
                       help="any extra field, the value read as TOML (42, 7.5, true, \"text\"; else as text); repeatable; KEY= drops a profile default")


def _setting(text: str) -> tuple[str, Any]:
    from imagegen_tui.extras import parse_setting

    try:
        return parse_setting(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_options(command: argparse.ArgumentParser) -> None:
    """How a command that sends runs: its time limit and what it prints."""
    command.add_argument("--timeout", type=float, metavar="SECONDS", help="the most this call may take in all, retries included (default: the profile's)")
    command.add_argument("--json", action="store_true", help="print one JSON object instead of paths, failures included")
    command.add_argument("--quiet", action="store_true", help="no notes, no progress, no demo notice (errors are still said)")


def usable_profile(args: argparse.Namespace, config: Any) -> Any:
    """The profile --profile names (else the active one) when it can send."""
    from imagegen_tui.errors import ConfigError

    try:
        return config.usable_profile(os.environ, args.profile)
    except ConfigError as exc:
        raise exc.failure() from None


def sending_profile(args: argparse.Namespace, config: Any) -> Any:
    """The profile --profile names (else the active one) when it can send, with --timeout."""
    from dataclasses import replace

    profile = usable_profile(args, config)
    if args.timeout is not None:
        if args.timeout <= 0:
            raise Failure(ErrorKind.USAGE, "--timeout must be positive")
        profile = replace(profile, timeout=args.timeout)
    return profile


def request_params(args: argparse.Namespace, profile: Any) -> dict[str, Any]:
    """The image parameters from the command line, the profile's model and extras by default."""
    from imagegen_tui.extras import merged, value_problem

    named = {key: getattr(args, key) for key in ("seed", "steps", "guidance", "negative") if getattr(args, key) is not None}
    for key, value in named.items():
        if (problem := value_problem(key, value)) is not None:
            raise Failure(ErrorKind.USAGE, f"--{key}: {problem}")
    return {
        "model": args.model or profile.model, "n": args.n, "size": args.size, "quality": args.quality, "background": args.background,
        "output_format": args.output_format, "output_compression": args.output_compression, "user": args.user,
        "stream": getattr(args, "stream", False), "partial_images": getattr(args, "partial_images", None),
        "extra": merged(profile.extra, dict(args.settings), named) or None,
    }
