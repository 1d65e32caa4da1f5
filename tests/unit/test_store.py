import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from imagegen_tui.prices import Price, Spend, cost
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import Usage
from imagegen_tui.saving import SavedImage
from imagegen_tui.store import MIGRATIONS, SCHEMA_VERSION, Filters, HistoryStore, Provenance, StoreError, fts_query
from records import T0, finished

DAY = 86400.0


@pytest.fixture
def store(tmp_path):
    with HistoryStore(tmp_path / "history.sqlite3") as s:
        yield s


@pytest.fixture
def filled(store):
    store.add_finished([
        finished("a", "a red fox in the snow", t=T0),
        finished("b", "a blue whale, crème brûlée", t=T0 + DAY, model="gpt-image-1", images=3),
        finished("c", "red sunset over the sea", t=T0 + 2 * DAY, status="failed"),
        finished("d", "foxglove flowers", t=T0 + 3 * DAY, profile="openai", favourite=True, images=2),
    ])
    return store


def uids(gens):
    return [g.uid for g in gens]


def test_page_newest_first_and_paging(filled):
    assert uids(filled.page()) == ["d", "c", "b", "a"]
    assert uids(filled.page(limit=2, offset=1)) == ["c", "b"]
    g = filled.page(limit=1)[0]
    assert g.images[1].index == 2 and g.request().prompt == "foxglove flowers"


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(status="failed"), ["c"]),
        (Filters(model="gpt-image-1"), ["b"]),
        (Filters(profile="openai"), ["d"]),
        (Filters(favourite=True), ["d"]),
        (Filters(since=T0 + DAY, until=T0 + 3 * DAY), ["c", "b"]),
        (Filters(text="fox"), ["d", "a"]),  # prefix: fox, foxglove
        (Filters(text="red fox"), ["a"]),  # every word
        (Filters(text="creme brulee"), ["b"]),  # diacritics folded
        (Filters(text="RED"), ["c", "a"]),
        (Filters(text="red", status="done"), ["a"]),
        (Filters(text="zebra"), []),
        (Filters(text='"; DROP TABLE generations; --'), []),
        (Filters(text="!!!"), ["d", "c", "b", "a"]),  # no words: no text filter
    ],
)
def test_filters_and_counts(filled, filters, expected):
    assert uids(filled.page(filters)) == expected
    assert filled.count(filters) == len(expected)


def test_fts_query_quotes_words():
    assert fts_query('red "fox') == '"red"* "fox"*'
    assert fts_query("...") is None


def test_fts_follows_note_updates_and_deletes(filled):
    d = filled.page(Filters(text="foxglove"))[0]
    filled.set_note(d.id, "keeper for the poster")
    assert uids(filled.page(Filters(text="poster"))) == ["d"]
    filled.set_note(d.id, None)
    assert filled.page(Filters(text="poster")) == []
    filled.delete(d.id)
    assert uids(filled.page(Filters(text="fox"))) == ["a"]
    assert filled.count() == 3


def test_begin_complete_fail_lifecycle(store, tmp_path):
    request = ImageRequest(prompt="a lighthouse", model="gpt-image-2", n=2, quality="high")
    first = store.begin("u1", request, "model-go", "model-go.com")
    row = store.get(first)
    assert (row.status, row.prompt, row.params["quality"]) == ("running", "a lighthouse", "high")
    images = [SavedImage(tmp_path / "1.png", 1, 8, 8, "png", 10), SavedImage(tmp_path / "2.png", 2, 8, 8, "png", 10, "revised")]
    store.complete(first, images, Usage(5, 200, 205), elapsed=3.5, request_id="req_1")
    row = store.get(first)
    assert (row.status, row.image_count, row.total_tokens, row.request_id, row.elapsed) == ("done", 2, 205, "req_1", 3.5)
    assert [i.revised_prompt for i in row.images] == [None, "revised"]
    second = store.begin("u2", request, "model-go", "model-go.com", parent_id=first)
    store.fail(second, "rate_limited", "429 from model-go.com: rate limited")
    row = store.get(second)
    assert (row.status, row.error_kind, row.parent_id) == ("failed", "rate_limited", first)
    assert row.request().prompt == "a lighthouse"  # the prompt survives a failure
    third = store.begin("u3", request, "model-go", "model-go.com", queued=True)
    assert store.get(third).status == "queued"
    store.start(third)
    store.fail(third, "cancelled", "stopped", cancelled=True)
    assert store.get(third).status == "cancelled"


def test_provenance_is_recorded_and_read_back_and_old_rows_have_none(store):
    request = ImageRequest(prompt="a red fox, watercolor", model="gpt-image-2")
    plain = store.begin("p1", request, "model-go", "model-go.com")
    told = Provenance(sweep_id="s1", sweep_axes={"quality": "low", "variant": "red"}, batch_key="b" * 64, typed_prompt="a red fox", styles=("watercolor", "soft"))
    cell = store.begin("p2", request, "model-go", "model-go.com", provenance=told)
    assert store.get(plain).provenance == Provenance()
    assert store.get(cell).provenance == told
    assert store.get(cell).provenance.sweep_axes == {"quality": "low", "variant": "red"}


def test_a_sweep_s_members_in_order_and_only_done_batch_lines_count(store, tmp_path):
    request = ImageRequest(prompt="a fox", model="gpt-image-2")
    members = [store.begin(f"s{i}", request, "demo", "demo", provenance=Provenance(sweep_id="sw", sweep_axes={"{1}": str(i)})) for i in range(3)]
    store.begin("other", request, "demo", "demo", provenance=Provenance(sweep_id="sw2", sweep_axes={"{1}": "x"}))
    assert [g.id for g in store.sweep_members("sw")] == members and store.sweep_members("none") == []
    done, failed, running = (store.begin(f"b{key}", request, "demo", "demo", provenance=Provenance(batch_key=key)) for key in ("k1", "k2", "k3"))
    store.complete(done, [SavedImage(tmp_path / "1.png", 1, 8, 8, "png", 10)], Usage(), elapsed=1.0, request_id=None)
    store.fail(failed, "server", "500")
    assert store.done_batch_keys(["k1", "k2", "k3", "k4"]) == {"k1"}
    assert store.done_batch_keys([]) == set()


def test_migration_from_first_schema_keeps_rows_and_indexes_them(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("""INSERT INTO generations (uid, created_at, day, profile, provider, model, prompt, params, n, status)
                  VALUES ('old', 1, '1970-01-01', 'model-go', 'model-go.com', 'gpt-image-2', 'an old lighthouse', '{"model": "gpt-image-2", "n": 1}', 1, 'done')""")
    db.commit()
    db.close()
    with HistoryStore(path) as store:
        assert store._read("PRAGMA user_version")[0][0] == SCHEMA_VERSION
        assert uids(store.page(Filters(text="lightho"))) == ["old"]
    with HistoryStore(path) as store:  # opening again migrates nothing and loses nothing
        assert store.count() == 1


def test_newer_schema_and_garbage_files_are_refused(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer imagegen-tui"):
        HistoryStore(newer)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        HistoryStore(garbage)


CHILD = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from imagegen_tui.request import ImageRequest
    from imagegen_tui.store import HistoryStore
    store = HistoryStore(Path(sys.argv[1]))
    store.begin(sys.argv[2], ImageRequest(prompt="cut off " + sys.argv[2], model="gpt-image-2"), "demo", "demo")
    print("begun", flush=True)
    if sys.argv[3] == "crash":
        os._exit(9)
    sys.stdin.readline()
""")


def test_rows_of_a_dead_process_become_interrupted_but_live_ones_stay(tmp_path):
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    crashed = subprocess.run([sys.executable, "-c", CHILD, str(path), "dead", "crash"], capture_output=True, text=True)
    assert crashed.returncode == 9
    with HistoryStore(path) as store:
        assert store.recovered == 1
        dead = store.page(Filters(status="interrupted"))[0]
        assert dead.prompt == "cut off dead" and dead.request().model == "gpt-image-2"
    alive = subprocess.Popen([sys.executable, "-c", CHILD, str(path), "alive", "wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert alive.stdout.readline().strip() == "begun"
        with HistoryStore(path) as store:
            assert store.recovered == 0
            assert {g.uid: g.status for g in store.page()} == {"dead": "interrupted", "alive": "running"}
    finally:
        alive.communicate("\n")
    with HistoryStore(path) as store:  # the live one has exited without finishing: now it is cut off too
        assert {g.uid: g.status for g in store.page()} == {"dead": "interrupted", "alive": "interrupted"}


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from imagegen_tui.request import ImageRequest
    from imagegen_tui.results import Usage
    from imagegen_tui.saving import SavedImage
    from imagegen_tui.store import HistoryStore
    store = HistoryStore(Path(sys.argv[1]))
    for i in range(int(sys.argv[3])):
        gid = store.begin(f"{sys.argv[2]}-{i}", ImageRequest(prompt=f"writer {sys.argv[2]} row {i}", model="m"), "p", "h")
        store.complete(gid, [SavedImage(Path(f"/x/{sys.argv[2]}-{i}.png"), 1, 1, 1, "png", 1)], Usage(1, 2, 3), elapsed=0.1, request_id=None)
    store.close()
""")


def test_parallel_processes_write_without_errors_or_lost_rows(tmp_path):
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{n}", "60"], stderr=subprocess.PIPE, text=True) for n in range(4)]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    with HistoryStore(path) as store:
        assert store.count() == 240 and store.count(Filters(status="done")) == 240
        assert store.count(Filters(text="writer w3")) == 60


def test_missing_files_show_and_never_crash(store, tmp_path):
    (tmp_path / "present").mkdir()
    store.add_finished([finished("here", "present", folder=tmp_path / "present", images=2), finished("gone", "gone", folder=tmp_path / "gone")])
    for i in (1, 2):
        (tmp_path / "present" / f"here-{i}.png").write_bytes(b"x")
    (tmp_path / "present" / "here-2.png").unlink()
    assert sorted((i.path.name) for i in store.missing_files()) == ["gone-1.png", "here-2.png"]
    here = store.page(Filters(text="present"))[0]
    assert [i.missing for i in here.images] == [False, True]


def test_delete_row_then_files_with_report(store, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    store.add_finished([finished("x", "three files", folder=folder, images=3)])
    (folder / "x-1.png").write_bytes(b"1")
    (folder / "x-3.png").mkdir()  # cannot be unlinked as a file
    (folder / "x-3.png" / "keep").write_text("k")
    gen = store.page()[0]
    report = store.delete(gen.id, files=True)
    assert report.removed == [folder / "x-1.png"]
    assert report.already_missing == [folder / "x-2.png"]
    assert [p for p, _ in report.failed] == [folder / "x-3.png"]
    assert store.get(gen.id) is None and store.count() == 0
    assert store._read("SELECT count(*) FROM images")[0][0] == 0
    assert store.delete(gen.id) is None


def test_delete_without_files_keeps_them(store, tmp_path):
    store.add_finished([finished("k", "keep", folder=tmp_path)])
    (tmp_path / "k-1.png").write_bytes(b"1")
    report = store.delete(store.page()[0].id)
    assert report.removed == [] and (tmp_path / "k-1.png").exists()


def test_favourite_and_thumbnail(filled, tmp_path):
    a = filled.page(Filters(text="red fox"))[0]
    assert filled.set_favourite(a.id) and filled.get(a.id).favourite
    filled.set_thumbnail(a.images[0].id, tmp_path / "t.png")
    assert filled.get(a.id).images[0].thumbnail == tmp_path / "t.png"
    assert not filled.set_favourite(99999)


def test_stats_totals_and_groups(filled):
    [total] = filled.stats()
    assert (total.generations, total.images, total.failures) == (4, 6, 1)
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (30, 3000, 3030)
    assert total.cost is None and sorted(total.unpriced_models) == ["gpt-image-1", "gpt-image-2"]
    by_model = {r.key: r for r in filled.stats(by="model")}
    assert by_model["gpt-image-1"].images == 3
    by_day = filled.stats(by="day")
    assert len(by_day) == 4
    assert [r.key for r in filled.stats(by="profile")] == ["model-go", "openai"]
    assert filled.stats(since=T0 + 2.5 * DAY)[0].generations == 1


def test_stats_cost_with_prices(filled):
    prices = {"gpt-image-2": Price(input_text=5, output_image=40), "gpt-image-1": Price(per_image=0.04)}
    [total] = filled.stats(prices=prices)
    # gpt-image-2: a and d done, 20 text tokens, 2000 output tokens; c failed costs nothing
    assert total.cost == pytest.approx(20 * 5 / 1e6 + 2000 * 40 / 1e6 + 3 * 0.04)
    assert total.unpriced_models == []


def test_cost_rules():
    spend = Spend(images=2, text_tokens=100, input_image_tokens=0, output_tokens=5000)
    assert cost(spend, None) is None
    assert cost(spend, Price()) is None
    assert cost(spend, Price(per_image=0.05)) == pytest.approx(0.10)
    assert cost(spend, Price(output_image=40)) is None  # text tokens have no price: unknown, not guessed
    assert cost(spend, Price(input_text=5, output_image=40)) == pytest.approx(0.0005 + 0.2)
    assert cost(Spend(images=1, without_usage=1), Price(input_text=5, output_image=40)) is None
    assert cost(Spend(images=1, without_usage=1), Price(per_image=0.1)) == pytest.approx(0.1)


def test_generation_spend_infers_text_tokens(store):
    store.add_finished([finished("g", "gateway naming", usage=Usage(input_tokens=50, output_tokens=10, total_tokens=60))])
    assert store.page()[0].spend() == Spend(images=1, text_tokens=50, input_image_tokens=0, output_tokens=10)


def test_ids_are_never_reused(store):
    store.add_finished([finished("one", "first")])
    first = store.page()[0].id
    store.delete(first)
    store.add_finished([finished("two", "second")])
    assert store.page()[0].id > first


def test_thumbnail_made_once_recorded_and_none_for_missing_files(store, tmp_path, dirs):
    from PIL import Image

    from imagegen_tui.thumbnails import ensure_thumbnail

    folder = tmp_path / "pics"
    folder.mkdir()
    store.add_finished([finished("t", "thumbs", folder=folder, images=2)])
    Image.new("RGBA", (1536, 1024), (255, 0, 0, 128)).save(folder / "t-1.png")
    gen = store.page()[0]
    thumb = ensure_thumbnail(store, gen.images[0])
    assert thumb.is_relative_to(dirs.cache / "imagegen-tui" / "thumbnails")
    with Image.open(thumb) as small:
        assert small.size == (256, 171) and small.mode == "RGBA"
    again = store.get(gen.id).images[0]
    assert again.thumbnail == thumb and ensure_thumbnail(store, again) == thumb
    assert ensure_thumbnail(store, gen.images[1]) is None  # its file was never written
    store.delete(gen.id)
    assert not thumb.exists()  # thumbnails go with their generation


def test_generation_cost_only_for_finished_ones(filled):
    prices = {"gpt-image-2": Price(input_text=5, output_image=40)}
    done = filled.page(Filters(text="red fox"))[0]
    failed = filled.page(Filters(status="failed"))[0]
    assert done.cost(prices) == pytest.approx(10 * 5 / 1e6 + 1000 * 40 / 1e6)
    assert failed.cost(prices) is None and done.cost({}) is None


CUT_OFF = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from imagegen_tui.request import ImageRequest
    from imagegen_tui.store import HistoryStore
    store = HistoryStore(Path(sys.argv[1]))
    store.begin("sent", ImageRequest(prompt="was running", model="gpt-image-2"), "demo", "demo")
    store.begin("waiting", ImageRequest(prompt="was queued", model="gpt-image-2"), "demo", "demo", queued=True)
    os._exit(9)
""")


def test_cut_off_rows_say_whether_the_call_may_have_been_billed(tmp_path):
    path = tmp_path / "h.sqlite3"
    assert subprocess.run([sys.executable, "-c", CUT_OFF, str(path)]).returncode == 9
    assert len(list((tmp_path / "runners").glob("*.lock"))) == 1  # the killed process's claim
    with HistoryStore(path) as store:
        assert store.recovered == 2
        rows = {g.uid: g for g in store.page()}
    assert list((tmp_path / "runners").glob("*.lock")) == []  # its lock was free, so it went
    sent, waiting = rows["sent"], rows["waiting"]
    assert (sent.status, sent.error_kind, waiting.status) == ("interrupted", "interrupted", "interrupted")
    assert sent.error_message.startswith("cut off after its request was sent (imagegen-tui stopped before it finished)")
    assert "the provider may have finished it and billed the call" in sent.error_message
    assert waiting.error_message.startswith("cut off while waiting in the queue") and "nothing was sent, so nothing was billed" in waiting.error_message


def test_quitting_marks_jobs_by_whether_their_request_had_left(store):
    request = ImageRequest(prompt="x", model="m")
    queued = store.begin("q", request, "p", "h", queued=True)
    sent = store.begin("s", request, "p", "h")
    store.fail(sent, "cancelled", "cancelled", cancelled=True)  # what the service records first
    finished = store.begin("f", request, "p", "h")
    store.complete(finished, [], Usage(), elapsed=1.0, request_id=None)
    for row in (queued, sent, finished):
        store.interrupt(row)
    assert store.get(queued).error_message == "cut off while waiting in the queue (the app quit): nothing was sent, so nothing was billed"
    assert store.get(sent).status == "interrupted" and "(the app quit): the provider may have finished it and billed" in store.get(sent).error_message
    assert store.get(finished).status == "done" and store.get(finished).error_message is None


def test_runner_locks_left_by_dead_processes_go_at_open_and_live_ones_stay(tmp_path):
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    runners = tmp_path / "runners"
    runners.mkdir()
    stale = runners / "4242-deadbeef.lock"
    stale.write_text("")  # nobody holds it
    alive = subprocess.Popen([sys.executable, "-c", CHILD, str(path), "alive", "wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert alive.stdout.readline().strip() == "begun"
        HistoryStore(path).close()
        remaining = list(runners.iterdir())
        assert not stale.exists() and len(remaining) == 1  # the live process's own
        assert remaining[0].name.startswith(f"{alive.pid}-")
    finally:
        alive.communicate("\n")


def test_a_folder_where_the_database_should_be_is_a_store_error(tmp_path):
    (tmp_path / "h.sqlite3").mkdir()
    with pytest.raises(StoreError, match="h.sqlite3: cannot be opened as a history database"):
        HistoryStore(tmp_path / "h.sqlite3")


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))  # writes past 200 kB fail
    from imagegen_tui.request import ImageRequest
    from imagegen_tui.store import HistoryStore, StoreError
    store = HistoryStore(Path(sys.argv[1]))
    try:
        for i in range(100):
            store.begin(f"u{i}", ImageRequest(prompt="words " * 5000, model="m"), "p", "h")
    except StoreError as exc:
        print(exc)
""")


def test_a_write_the_disk_refuses_is_a_store_error_naming_the_file(tmp_path):
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    out = subprocess.run([sys.executable, "-c", FULL_DISK, str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"the history {path} could not be written: ")
    with HistoryStore(path) as store:  # what was committed before is intact
        assert store.count() >= 1


def test_kept_images_are_recorded_and_recovery_makes_the_generation_done(store, tmp_path):
    gid = store.begin("k", ImageRequest(prompt="x", model="m", n=2), "p", "h")
    saved = SavedImage(tmp_path / "out" / "x-1.png", 1, 8, 8, "png", 10)
    kept = SavedImage(tmp_path / "recovery" / "k-2.png", 2, 8, 8, "png", 10, kept=True)
    store.complete(gid, [saved, kept], Usage(1, 2, 3), elapsed=1.0, request_id="r", error=("unsaved", "could not save"))
    g = store.get(gid)
    assert (g.status, g.error_kind, g.image_count, g.total_tokens) == ("failed", "unsaved", 2, 3)
    assert [i.kept for i in g.images] == [False, True]
    assert store.images_recovered(gid, {}) is False and store.get(gid).status == "failed"
    assert store.images_recovered(gid, {g.images[1].id: tmp_path / "out" / "x-2.png"}) is True
    g = store.get(gid)
    assert (g.status, g.error_kind, g.error_message) == ("done", None, None)
    assert [(i.path.name, i.kept) for i in g.images] == [("x-1.png", False), ("x-2.png", False)]


def _rows(listed):
    """A listing as (id, kind) pairs: "row", "sweep N" (folded or open) or "member"."""
    return [(r.generation.id, "member" if r.member else f"sweep {r.sweep.calls}{' open' if r.expanded else ''}" if r.sweep else "row") for r in listed]


def test_listing_folds_each_sweep_into_its_newest_call_and_expands_it_in_the_order_run(store, tmp_path):
    request = ImageRequest(prompt="a fox", model="gpt-image-2")
    before = store.begin("before", request, "demo", "demo")
    cells = [store.begin(f"c{i}", request, "demo", "demo", provenance=Provenance(sweep_id="sw", sweep_axes={"quality": q})) for i, q in enumerate(("low", "high", "medium"))]
    after = store.begin("after", request, "demo", "demo")
    store.complete(cells[0], [SavedImage(tmp_path / "1.png", 1, 8, 8, "png", 10)], Usage(), elapsed=1.0, request_id=None)
    store.fail(cells[1], "server", "500")
    folded = store.listing()
    assert _rows(folded) == [(after, "row"), (cells[2], "sweep 3"), (before, "row")]
    assert folded[1].sweep.done == 1 and folded[1].sweep.failed == 1 and folded[1].sweep.active == 1 and folded[1].sweep.status == "running"
    assert store.listing_count() == 3
    opened = store.listing(expanded={"sw", "not-a-sweep"})
    assert _rows(opened) == [(after, "row"), (cells[2], "sweep 3 open"), *[(c, "member") for c in cells], (before, "row")]
    assert store.listing_count(expanded={"sw", "not-a-sweep"}) == 6
    assert _rows(store.listing(expanded={"sw"}, limit=2, offset=2)) == [(cells[0], "member"), (cells[1], "member")]  # paged as a whole
    assert opened[2].generation.images[0].path == tmp_path / "1.png"  # members come whole, with their images


def test_a_filtered_listing_is_flat_so_no_match_is_folded_away(store):
    request = ImageRequest(prompt="a fox", model="gpt-image-2")
    cells = [store.begin(f"c{i}", ImageRequest(prompt=p, model="gpt-image-2"), "demo", "demo", provenance=Provenance(sweep_id="sw", sweep_axes={"{1}": p}))
             for i, p in enumerate(("a red fox", "a blue fox"))]
    store.begin("other", request, "demo", "demo")
    assert _rows(store.listing(Filters(text="red"), expanded={"sw"})) == [(cells[0], "row")]
    assert store.listing_count(Filters(text="fox")) == 3 == len(store.listing(Filters(text="fox")))
