"""The completion table is the parser's: a new option, command or choice shows up in every
shell's script with nothing else to change; values argparse does not check come from the
request's own constants."""

from __future__ import annotations

import argparse

import pytest

from imagegen_tui import cli, completion
from imagegen_tui.completion import DIRS, FILES, PROFILES, Command, Values, commands


def toy() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imagegen-tui")
    parser.add_argument("--config", metavar="PATH")
    sub = parser.add_subparsers(dest="command")
    paint = sub.add_parser("paint", help="paint: it [really] does")
    paint.add_argument("canvas", choices=("wall", "door"))
    paint.add_argument("--brush", "-b", metavar="FILE", action="append", help="a brush's file")
    paint.add_argument("--into", metavar="DIR")
    paint.add_argument("--profile")
    paint.add_argument("--quality")
    paint.add_argument("--dry", action="store_true", help="try [no paint]: nothing is wet")
    nested = sub.add_parser("shelf").add_subparsers(dest="shelf_command")
    nested.add_parser("stack").add_argument("items", nargs="+")
    return parser


def level(found: list[Command], *path: str) -> Command:
    return next(c for c in found if c.path == path)


def test_the_parser_becomes_the_table():
    found = commands(toy())
    assert [c.path for c in found] == [(), ("paint",), ("shelf",), ("shelf", "stack")]
    assert level(found).subcommands == {"paint": "paint: it [really] does", "shelf": ""}
    paint = {o.strings: o for o in level(found, "paint").options}
    assert paint[("--brush", "-b")].values == Values(FILES) and paint[("--brush", "-b")].repeats
    assert paint[("--into",)].values == Values(DIRS)
    assert paint[("--profile",)].values == Values(PROFILES)
    assert paint[("--quality",)].values.choices[:4] == ("auto", "low", "medium", "high")  # the request's, not argparse's
    assert paint[("--dry",)].values is None  # a flag
    assert level(found, "paint").positionals == [("canvas", Values(choices=("wall", "door")))]
    assert level(found, "shelf", "stack").more


@pytest.mark.parametrize("shell", cli.SHELLS)
def test_every_option_and_command_of_the_real_parser_is_in_each_script(shell):
    parser = cli.build_parser()
    text = completion.script(shell, parser)
    for command in commands(parser):
        for name in command.subcommands:
            assert name in text
        for option in command.options:
            for string in option.strings:
                assert string.lstrip("-") in text, (command.path, string)


def test_the_values_taken_from_the_request_belong_to_real_options():
    """A renamed dest would silently lose its values."""
    dests = {action.dest for parser in _parsers(cli.build_parser()) for action in parser._actions}
    assert set(completion._known_values()) <= dests


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_help_text_cannot_break_a_zsh_spec():
    """In an _arguments spec, brackets and colons in the help would end its parts; a quote
    would end the shell word."""
    text = completion.script("zsh", toy())
    assert "--dry[try \\[no paint\\]\\: nothing is wet]" in text
    assert "[a brush'\\''s file]" in text


def test_history_compare_is_completed_with_its_json_flag():
    found = commands(cli.build_parser())
    assert "compare" in level(found, "history").subcommands
    compare = level(found, "history", "compare")
    assert [o.strings for o in compare.options if o.values is None] == [("-h", "--help"), ("--json",)] and compare.more
