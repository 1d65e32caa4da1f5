"""What is typed before the app has a screen is kept for the prompt, whatever the graphics probe
reads in between."""

from __future__ import annotations

import pytest

from imagegen_tui.ui.typeahead import keeping, text_of


def _reader(stream: str):
    chars = iter(stream)

    def read(fd: int, length: int, timeout: float | None = None) -> str:
        try:
            return next(chars)
        except StopIteration:
            raise TimeoutError("no answer") from None

    return read


def _answer(read, end: str) -> str:
    """As textual-image reads an answer: a character at a time until it ends with `end`."""
    got = ""
    while not got.endswith(end):
        got += read(0, 1, 0.1)
    return got


def test_keys_typed_around_and_between_answers_are_set_aside_in_order():
    typed: list[str] = []
    read = keeping(_reader("a f\x1b[?62;4cox \x1b_Gi=31;OK\x1b\\in\x1b[6;20;10t"), typed)
    assert _answer(read, "c") == "\x1b[?62;4c"  # DA1 (Sixel)
    assert _answer(read, "\x1b\\") == "\x1b_Gi=31;OK\x1b\\"  # kitty's APC answer
    assert _answer(read, "t") == "\x1b[6;20;10t"  # the cell size
    assert "".join(typed) == "a fox in"


def test_a_terminal_that_does_not_answer_still_times_out_and_keeps_the_keys():
    typed: list[str] = []
    read = keeping(_reader("hello"), typed)
    with pytest.raises(TimeoutError):
        read(0, 1, 0.1)
    assert "".join(typed) == "hello"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"a fox", "a fox"),
        (b"up\x1b[Adown\x1bOB", "updown"),  # arrow keys (CSI and SS3)
        (b"ctrl\x01\r\nkeys\x1b[1;5C", "ctrlkeys"),  # control keys, Enter and ctrl+right
        ("caf\u00e9 \u72d0".encode(), "caf\u00e9 \u72d0"),
        (b"alt\x1bx", "alt"),
    ],
)
def test_only_the_text_of_what_was_typed_goes_to_the_prompt(data, text):
    assert text_of(data) == text
