"""Strings that look like markup or carry control characters: a prompt, a provider message or a
file name may be any of them, and each must be shown as the text it is."""

HOSTILE = [
    "pixel art [/] retro",
    "bad [/dim] request",
    "[[scenario:slow:8]] in brackets",
    "[b]bold?[/b] [cat] [style: oil painting]",
    "[@click=app.quit]quit[/] [link=https://example.invalid]x[/link]",
    "back\\slash \\[not an escape] $dollar ${x}",
    "emoji 🦊🎨 and 雪",
    "clip \x1b]52;c;aGVsbG8=\x07 clear \x1b[2J csi \x9b31m",
]

RAW_CONTROLS = {chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))} - {"\n"}


def shown_form(text: str) -> str:
    """How a one-line place shows `text`: control characters as escapes."""
    from imagegen_tui.textsafe import one_line

    return one_line(text)
