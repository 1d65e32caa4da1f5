"""`imagegen-tui models`: the models a profile's server lists, headless.

It asks the server every time (listing makes no image and costs nothing) and keeps the answer
for the TUI's model field (model_list.py). A server without /models is an answer, not a failure:
a sentence and exit 0, so a script can tell "none listed" from "could not ask".
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from imagegen_tui.console import note, say, say_result, warn


def add_parser(commands: Any) -> None:
    models = commands.add_parser(
        "models", help="list the models a profile's server offers",
        description="Ask the profile's server for its models (GET /models: free, nothing is generated), print one per line, "
        "and keep the list for the TUI's model field. A server that lists none (many local servers) is said, with exit status 0.",
    )
    models.add_argument("--profile", "-p", help="profile to ask (default: the configured one, else the first with a key, else demo)")
    models.add_argument("--json", action="store_true", help="print one JSON object: the profile, whether the server lists models, and the list")


def run(args: argparse.Namespace, config: Any) -> int:
    import asyncio

    from imagegen_tui import cli, cli_params, model_list
    from imagegen_tui.errors import ImageAPIError

    profile = cli_params.usable_profile(args, config)
    if warning := profile.warning():
        warn(warning)
    try:
        listing = asyncio.run(model_list.fetch(profile, os.environ))
    except ImageAPIError as exc:
        raise exc.failure() from exc
    model_list.keep(profile, listing)
    where = "the embedded demo" if profile.demo else profile.base_url
    if args.json:
        say_result({"profile": profile.name, "base_url": profile.base_url or None, "listed": listing.models is not None, "models": listing.models})
    elif listing.models is None:
        say(f"{where} does not list its models (GET /models: not found); give the model by name (--model, or models = [...] in the profile)", err=True)
    else:
        for model in listing.models:
            say(model)
        note(f"{len(listing.models)} models listed by {where} (profile {profile.name!r})")
    return cli.EXIT_OK
