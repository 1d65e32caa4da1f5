"""The TUI's start parses only the top-level options; anything else gets the whole parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagegen_tui.cli import _starts_the_tui, build_parser


@pytest.mark.parametrize(
    ("argv", "tui"),
    [
        ([], True),
        (["--graphics", "halfcell"], True),
        (["--config=/tmp/c.toml", "--graphics", "sixel"], True),
        (["--graphics"], False),  # its value missing: argparse says so
        (["--help"], False),  # lists the commands
        (["generate", "a fox"], False),
        (["--config", "c.toml", "history", "list"], False),
    ],
)
def test_which_arguments_start_the_tui(argv, tui):
    assert _starts_the_tui(argv) is tui


def test_the_top_level_parser_reads_the_tuis_options_as_the_whole_one_does():
    argv = ["--config", "c.toml", "--graphics", "kitty"]
    short, whole = build_parser(commands_too=False).parse_args(argv), build_parser().parse_args(argv)
    assert vars(short) == vars(whole) == {"config": Path("c.toml"), "graphics": "kitty", "command": None}
