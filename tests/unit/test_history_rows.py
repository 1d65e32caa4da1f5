"""A history row: ages against a fixed clock, the prompt in every cell the rest leaves, lines
exactly as wide as the list (wide characters, narrow lists), outside text shown as text, and the
search's words marked where the full-text search found them."""

import time
from datetime import datetime

import pytest
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from imagegen_tui.store import Filters, Generation, HistoryStore, Listed, Provenance, SweepCounts
from imagegen_tui.ui.widgets.history_rows import (
    AGE, FACTS_AFTER, HEAD, INDENT, TWO_LINES_BELOW, Highlight, RowStyle, age, as_of, lead, lines_per_row, row_line,
)
from records import finished

MATCH = Style(bold=True, underline=True)
FACTS = Style(color="grey50")
STYLE = RowStyle(Style(), MATCH, FACTS)
NOW = datetime.fromisoformat("2026-11-24T08:30:00+00:00").timestamp()
LONG = "a lighthouse on a cliff at dusk, volumetric light, oil painting, gulls and a storm coming in from the sea"


def gen(prompt: str = LONG, *, created_at: float = NOW - 3 * 3600, status: str = "done", favourite: bool = False,
        model: str = "gpt-image-2", size: str | None = "1536x1024", n: int = 4) -> Generation:
    return Generation(
        id=1, uid="u1", created_at=created_at, profile="demo", provider="demo", model=model, prompt=prompt, params={},
        n=n, size=size, quality="high", status=status, error_kind=None, error_message=None, started_at=None,
        finished_at=None, elapsed=None, input_tokens=None, output_tokens=None, total_tokens=None, input_text_tokens=None,
        input_image_tokens=None, request_id=None, favourite=favourite, note=None, parent_id=None, image_count=n,
    )


def text(segments: list[Segment]) -> str:
    return "".join(segment.text for segment in segments)


def marked(segments: list[Segment]) -> list[str]:
    return [segment.text for segment in segments if segment.style and segment.style.underline]


@pytest.fixture
def zone(monkeypatch):
    """Set the local time zone for the test (the ages' dates are local)."""
    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()
    yield use
    monkeypatch.delenv("TZ")
    time.tzset()


@pytest.mark.parametrize(
    "seconds_ago, shown",
    [
        (0, "now"), (59, "now"), (-30, "now"), (60, "1m"), (119, "1m"), (3599, "59m"), (3600, "1h"),
        (86399, "23h"), (86400, "1d"), (6 * 86400 + 86399, "6d"), (7 * 86400, "11-17"), (200 * 86400, "05-08"),
        (364 * 86400, "11-25"), (366 * 86400, "2025"), (3000 * 86400, "2018"), (-2 * 3600, "11-24"),
    ],
)
def test_age_counts_from_now_then_gives_the_date_then_the_year(zone, seconds_ago, shown):
    zone("UTC")
    assert age(NOW - seconds_ago, NOW) == shown
    assert cell_len(shown) <= AGE


def test_age_dates_are_in_the_local_time_zone(zone):
    evening = datetime.fromisoformat("2026-11-10T20:00:00+00:00").timestamp()
    zone("UTC")
    assert age(evening, NOW) == "11-10"
    zone("Asia/Tokyo")  # UTC+9: already the next morning
    assert age(evening, NOW) == "11-11"
    assert age(NOW - 90, NOW) == "1m"  # a relative age is the same everywhere


@pytest.mark.parametrize(
    "seconds_ago, shown",
    [(0, "as of 08:30"), (8 * 3600 + 1800, "as of 00:00"), (8 * 3600 + 1801, "as of 8h ago"), (3 * 86400, "as of 3d ago"), (9 * 86400, "as of 11-15")],
)
def test_as_of_says_the_time_today_and_the_age_before(zone, seconds_ago, shown):
    zone("UTC")
    assert as_of(NOW - seconds_ago, NOW) == shown


def test_a_row_gives_the_prompt_what_the_status_and_age_leave():
    line = text(row_line(gen(favourite=True), 50, NOW, STYLE))
    assert line == " ✓★    3h " + LONG[: 50 - HEAD - 1] + "…"
    assert len(LONG[: 50 - HEAD - 1]) == 39
    short = text(row_line(gen("a red fox", status="failed"), 30, NOW, STYLE))
    assert short == " ✗     3h a red fox".ljust(30)


def test_the_mark_column_shows_the_glyph_on_the_first_line_only():
    assert text(row_line(gen("a red fox"), 30, NOW, STYLE, marked="●")) == "●✓     3h a red fox".ljust(30)
    first, second = (text(row_line(gen("a red fox"), 30, NOW, STYLE, lines=2, line=line, marked="◆")) for line in (0, 1))
    assert first.startswith("◆✓  a red fox") and second.startswith("    3h")


def test_wide_rows_add_n_then_size_then_model_while_the_prompt_keeps_its_room():
    def columns(width: int) -> str:
        return text(row_line(gen(), width, NOW, STYLE))[HEAD:]

    assert "×4" not in columns(HEAD + FACTS_AFTER + 3)
    assert columns(HEAD + FACTS_AFTER + 4).endswith("  ×4")
    assert columns(HEAD + FACTS_AFTER + 14).endswith(" 1536x1024  ×4") and "gpt-image-2" not in columns(HEAD + FACTS_AFTER + 14)
    wide = columns(HEAD + FACTS_AFTER + 27)
    assert wide.endswith(" gpt-image-2  1536x1024  ×4")
    assert wide.startswith(LONG[:FACTS_AFTER - 1] + "…")
    one = text(row_line(gen(n=1, model="gpt-image-1-mini", size=None), HEAD + FACTS_AFTER + 27, NOW, STYLE))
    assert one.endswith(" gpt-image-1…      auto    ")  # model cut to its column; no "×1"


def test_two_line_rows_put_the_prompt_alone_and_the_facts_under_it():
    first, second = (text(row_line(gen(favourite=True), 34, NOW, STYLE, lines=2, line=line)) for line in (0, 1))
    assert first == " ✓★ " + LONG[: 34 - INDENT - 1] + "…"
    assert second == "    3h · gpt-ima… · 1536x1024 · ×4"  # the model shortened to what is left
    assert text(row_line(gen(), 60, NOW, STYLE, lines=2, line=1)).rstrip() == "    3h · gpt-image-2 · 1536x1024 · ×4"
    assert text(row_line(gen(), 20, NOW, STYLE, lines=2, line=1)).rstrip() == "    3h · ×4"
    facts = row_line(gen(), 60, NOW, STYLE, lines=2, line=1)
    assert all(segment.style == STYLE.text + FACTS for segment in facts)


def test_lists_narrower_than_one_good_line_get_two_unless_the_setting_says():
    assert lines_per_row(TWO_LINES_BELOW, "auto") == 1
    assert lines_per_row(TWO_LINES_BELOW - 1, "auto") == 2
    assert lines_per_row(20, "one") == 1
    assert lines_per_row(200, "two") == 2


PROMPTS = [
    LONG,
    "",
    "猫" * 60,
    "a 🦊 fox, 雪の中で, crème brûlée " * 5,
    "\x1b[2J\x1b]52;c;aGVsbG8=\x07 [bold]markup[/bold] line\nbreak",
    " " * 5000 + "after many spaces",
    "x" * 40_000,
]


@pytest.mark.parametrize("prompt", PROMPTS, ids=range(len(PROMPTS)))
def test_every_line_is_exactly_as_wide_as_the_list_down_to_a_few_cells(prompt):
    for width in range(1, 121):
        for lines, line in ((1, 0), (2, 0), (2, 1)):
            for highlight in (Highlight(""), Highlight("fox crème 猫 bold")):
                segments = row_line(gen(prompt, favourite=True), width, NOW, STYLE, lines=lines, line=line, highlight=highlight)
                assert Segment.get_line_length(segments) == width, (width, lines, line)
                shown = text(segments)
                assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in shown)


def test_wide_characters_are_never_halved_and_outside_text_stays_text():
    line = text(row_line(gen("猫" * 60), 31, NOW, STYLE))
    assert line == " ✓     3h " + "猫" * 10 + "…"  # 21 cells of prompt: ten cats (20) and the ellipsis
    hostile = text(row_line(gen("\x1b[2J [bold]x[/bold]\nnext"), 60, NOW, STYLE))
    assert "\\x1b[2J [bold]x[/bold] next" in hostile
    spaced = text(row_line(gen(" " * 5000 + "after"), 40, NOW, STYLE, lines=2))
    assert spaced.startswith(" ✓  …")  # the rest is not read: there is more than is shown


def test_search_words_are_marked_at_the_start_of_words_case_and_accent_blind():
    prompt = "A Red fox in the Forest, info for creme brûlée fans; redder still"
    segments = row_line(gen(prompt), 120, NOW, STYLE, highlight=Highlight("red FO brulee"))
    assert marked(segments) == ["Red", "fo", "Fo", "fo", "brûlée", "red"]  # not the "fo" inside "info"
    assert text(segments)[HEAD:].startswith(prompt)
    assert all(s.style == STYLE.text + MATCH for s in segments if s.text in marked(segments))
    assert marked(row_line(gen(prompt), 120, NOW, STYLE, highlight=Highlight("[bold] ***"))) == []
    korean = row_line(gen("한국 하늘 허공"), 60, NOW, STYLE, highlight=Highlight("한"))
    assert marked(korean) == ["한"]  # a syllable is not its first letter: 하 and 허 are not 한


def test_a_mark_stops_where_the_prompt_is_cut():
    segments = row_line(gen("a lighthouse"), HEAD + 8, NOW, STYLE, highlight=Highlight("lighthouse"))
    assert text(segments)[HEAD:] == "a light…"
    assert marked(segments) == ["light"]  # the ellipsis is not marked


def test_the_marks_agree_with_what_the_search_finds(tmp_path):
    """Every prompt the search lists has a mark: same words, same idea of a word's start."""
    prompts = ["a red fox in the snow", "crème brûlée on a plate", "Straße im Regen", "雪の中の狐", "sea_shells by the sea"]
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        store.add_finished([finished(str(i), prompt, t=NOW + i) for i, prompt in enumerate(prompts)])
        for query in ["fox", "creme", "BRÛL", "straße", "re", "sea", "shells", "the snow", "雪"]:
            found = store.page(Filters(text=query))
            assert found, query
            for g in found:
                assert marked(row_line(g, 120, NOW, STYLE, highlight=Highlight(query))), (query, g.prompt)


def test_a_sweep_s_row_says_so_before_its_prompt_and_its_calls_are_indented_with_their_axes():
    g = gen("a red fox in snow")
    g.provenance = Provenance(sweep_id="sw", sweep_axes={"{1}": "red", "{2}": "snow\x1b[31m"})
    assert lead(Listed(g, SweepCounts(4, done=4))) == "▸ sweep of 4 · "
    assert lead(Listed(g, SweepCounts(4, done=2, failed=1, active=1), expanded=True)) == "▾ sweep 2/4 done · "
    assert SweepCounts(4, done=2, active=1).status == "running" and SweepCounts(4, done=3, failed=1).status == "failed"
    call = lead(Listed(g, member=True))
    assert call.startswith("  ├ {1}=red {2}=snow") and "\x1b" not in call and lead(Listed(g, member=True, last=True)).startswith("  └ ")
    row = row_line(g, 60, NOW, STYLE, lead="▸ sweep of 4 · ", status="running")
    assert cell_len(text(row)) == 60 and text(row).startswith(" ◐") and "▸ sweep of 4 · a red fox in snow" in text(row)
    assert cell_len(text(row_line(g, 12, NOW, STYLE, lead="▸ sweep of 4 · "))) == 12  # cut, never wider
