"""`imagegen-tui config`: where the file is, what is in effect (keys masked), and add-profile,
which appends a ready profile block and leaves the rest of the user's file as it was."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from imagegen_tui.console import say, say_result, warn
from imagegen_tui.errors import ErrorKind, Failure

EXIT_OK = 0


def run(args: argparse.Namespace) -> int:
    """`config path|show|add-profile`."""
    if args.action == "path":
        from imagegen_tui import paths

        say(str(args.config or paths.config_file()))
        return EXIT_OK
    if args.action == "add-profile":
        return _add_profile(args)
    if args.name is not None:
        raise Failure(ErrorKind.USAGE, f"config {args.action} takes no name (only add-profile does)")
    from imagegen_tui.config import describe, load_config
    from imagegen_tui.errors import ConfigError

    config = load_config(args.config, must_exist=args.config is not None)
    if config.error is not None:  # the problem, in parts (file, key, line) for a script with --json
        raise config.error.failure()
    try:
        info = describe(config, os.environ)
    except ConfigError as exc:
        raise exc.failure() from None
    if args.json:
        say_result(info, indent=2)
        return EXIT_OK
    say(f"config file:    {info['config_file']}{'' if Path(info['config_file']).exists() else '  (not created yet)'}")
    say(f"active profile: {info['active_profile']}")
    say(f"output folder:  {info['output']['folder']}")
    say(f"file names:     {info['output']['template']}")
    for name, p in info["profiles"].items():
        key = f"{p['api_key']} (from {p['api_key_from']})" if p["api_key"] else "not needed" if not p["key_required"] else f"none (set {p['api_key_env']})" if p["api_key_env"] else "none"
        marker = "*" if name == info["active_profile"] else " "
        spoken = "" if p["dialect"] == "openai" else f"  dialect {p['dialect']}"
        say(f"{marker} {name}: {p['base_url']}{spoken}  model {p['model']}  key {key}")
        if p["extra"]:
            from imagegen_tui.extras import shown
            from imagegen_tui.textsafe import one_line

            say(f"    extras by default: {one_line(shown(p['extra']))}")
    for scope, limits in info["budgets"].items():
        parts = [f"{period} {limit:.2f}" for period, limit in limits.items() if limit is not None]
        say(f"budget:         {'every profile' if scope == 'overall' else scope}: {', '.join(parts)}")
    for name, style in config.styles.items():
        say(f"style {name}: {style.summary()}")
    if problem := info["profiles"][info["active_profile"]]["problem"]:
        say(f"not ready: {problem}")
    for warning in info["warnings"]:
        warn(warning)
    return EXIT_OK


def _add_profile(args: argparse.Namespace) -> int:
    """Write the block, then say what was written and how to use it."""
    from imagegen_tui import paths
    from imagegen_tui.config_save import add_profile
    from imagegen_tui.errors import ConfigError

    if not args.name or not args.dialect:
        raise Failure(ErrorKind.USAGE, "usage: imagegen-tui config add-profile NAME --dialect D [--base-url URL] [--model MODEL]")
    path = args.config or paths.config_file()
    try:
        block = add_profile(path, args.name, args.dialect, args.base_url, args.model)
    except ConfigError as exc:
        raise exc.failure() from None
    import shlex

    say(f"added to {path}:\n\n{block.rstrip()}\n\nuse it with --profile {shlex.quote(args.name)}")
    return EXIT_OK
