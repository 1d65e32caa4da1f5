"""Lineage in a real SQLite history: what an edit was made from (by history id and by content),
re-runs, and the whole family of a generation; the kept copies of inputs."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from imagegen_tui import sources
from imagegen_tui.sources import Source
from imagegen_tui.store import HistoryStore
from records import finished


@pytest.fixture
def store(tmp_path):
    with HistoryStore(tmp_path / "history.sqlite3") as s:
        yield s


def from_history(gen, index: int = 1) -> Source:
    return Source("image", f"{gen.uid}-{index}.png", "0" * 64, generation_id=gen.id, generation_uid=gen.uid, index=index)


def by_uid(store: HistoryStore, uid: str):
    return next(g for g in store.page(limit=1000) if g.uid == uid)


def edit(uid: str, *made_from: Source, **kw):
    return replace(finished(uid, f"edit {uid}", **kw), kind="edit", sources=made_from)


def test_an_edit_records_its_sources_in_order_with_the_mask(store):
    store.add_finished([finished("root", "a fox")])
    [root] = store.page()
    photo = Source("image", "photo.jpg", "a" * 64)
    mask = Source("mask", "mask.png", "b" * 64)
    gen_id = store.begin("e1", finished("e1", "the fox in a hat").request, "model-go", "model-go.com",
                         kind="edit", sources=[from_history(root, 1), photo, mask])
    edited = store.get(gen_id)
    assert edited.kind == "edit"
    assert [(s.role, s.name, s.generation_id, s.index) for s in edited.sources] == [
        ("image", "root-1.png", root.id, 1), ("image", "photo.jpg", None, None), ("mask", "mask.png", None, None)]
    assert store.get(root.id).kind == "generate" and store.get(root.id).sources == []


def test_the_family_spans_reruns_and_edits_up_and_down(store):
    store.add_finished([finished("root", "a fox"), finished("other", "a hat")])
    root, other = store.get(1), store.get(2)
    rerun = store.begin("rerun", root.request(), "model-go", "model-go.com", parent_id=root.id)
    store.add_finished([edit("e1", from_history(root, 1), from_history(other, 1))])
    e1 = by_uid(store, "e1")
    store.add_finished([edit("e2", from_history(e1, 1))])
    e2 = by_uid(store, "e2")
    store.add_finished([finished("stranger", "unrelated")])
    stranger = by_uid(store, "stranger")

    for member in (root.id, e2.id, other.id, rerun):  # asked from any member: the same family
        family = store.lineage(member)
        assert set(family.generations) == {root.id, other.id, rerun, e1.id, e2.id}
    assert sorted(family.roots()) == [root.id, other.id]
    assert family.parents[e1.id] == [(root.id, "edit"), (other.id, "edit")]
    assert family.parents[rerun] == [(root.id, "re-run")]
    assert sorted(family.children(root.id)) == sorted([(rerun, "re-run"), (e1.id, "edit")])
    assert family.chain(e2.id) == [e2.id, e1.id, root.id]
    assert store.lineage(4242) is None
    assert set(store.lineage(stranger.id).generations) == {stranger.id}  # alone


def test_links_follow_uids_so_an_import_elsewhere_finds_them(store, tmp_path):
    """Ids are per history; a source naming a uid is linked to whatever id that uid has here."""
    store.add_finished([finished("x", "filler"), finished("root", "a fox")])
    elsewhere = Source("image", "root-1.png", "c" * 64, generation_id=999, generation_uid="root", index=1)
    store.add_finished([edit("e1", elsewhere)])
    assert by_uid(store, "e1").sources[0].generation_id == by_uid(store, "root").id
    gone = Source("image", "lost.png", "d" * 64, generation_uid="not-here")
    store.add_finished([edit("e2", gone)])
    e2 = by_uid(store, "e2")
    assert e2.sources[0].generation_id is None and e2.sources[0].generation_uid == "not-here"


def test_deleting_a_source_generation_keeps_the_edit_and_its_content_link(store):
    store.add_finished([finished("root", "a fox")])
    root = store.get(1)
    store.add_finished([edit("e1", from_history(root))])
    store.delete(root.id)
    e1 = by_uid(store, "e1")
    assert e1.sources[0].generation_id is None and e1.sources[0].sha256 == "0" * 64
    assert set(store.lineage(e1.id).generations) == {e1.id}


def test_inputs_are_kept_once_by_content_and_read_back_checked(dirs):
    data = b"\x89PNG not really, but bytes"
    first = sources.keep(data, "private/holiday/photo.png")
    again = sources.keep(data, "another-name.png")
    assert first.name == "photo.png"  # no folder: it may say more than the user meant to keep
    assert first.sha256 == again.sha256 == hashlib.sha256(data).hexdigest()
    assert [p.name for p in first.copy().parent.iterdir()] == [first.sha256]
    assert sources.load(again) == data
    first.copy().write_bytes(b"altered")
    with pytest.raises(ValueError, match="no longer matches its sha256"):
        sources.load(first)


def test_a_source_survives_a_round_trip_through_a_dict():
    source = Source("mask", "m.png", "e" * 64, generation_id=3, generation_uid="u3", index=2)
    assert Source.from_dict(source.as_dict()) == source
    assert Source.from_dict({"role": "odd", "name": 5, "index": True}).role == "image"


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_sources_travel_in_the_files_and_an_import_rebuilds_the_links(tmp_path, fmt):
    """An edit's files name what it was made from; importing the folder into another history
    links the edit to its source again, by uid (the ids there are different)."""
    from datetime import datetime

    from imagegen_tui.history_import import import_folder
    from imagegen_tui.metadata import read_metadata
    from imagegen_tui.request import ImageRequest
    from imagegen_tui.saving import SaveTarget, save_result
    from test_saving import payload, result_of

    out = tmp_path / "out"
    request = ImageRequest(prompt="a fox", model="gpt-image-2")

    def save(uid: str, prompt: str, when: datetime, made_from: tuple[Source, ...] = ()):
        target = SaveTarget(out, "{id}-{index}", "model-go", "model-go.com", uid, when, sources=made_from)
        return save_result(replace(request, prompt=prompt), result_of(payload(fmt)), target)

    save("rootuid00001", "a fox", datetime(2026, 11, 1, 10, 0))
    made_from = (Source("image", "rootuid00001-1.png", "f" * 64, generation_id=7, generation_uid="rootuid00001", index=1),
                 Source("mask", "mask.png", "9" * 64))
    [edited] = save("edituid00001", "the fox in a hat", datetime(2026, 11, 1, 10, 5), made_from)
    meta = read_metadata(edited.path)
    assert meta["kind"] == "edit"
    assert meta["sources"] == [s.as_dict() for s in made_from]

    with HistoryStore(tmp_path / "elsewhere.sqlite3") as store:
        store.add_finished([finished("filler-1", "x"), finished("filler-2", "y")])  # ids differ from the first history
        report = import_folder(store, out)
        assert report.generations == 2 and report.damaged == []
        root, edit_row = by_uid(store, "rootuid00001"), by_uid(store, "edituid00001")
        assert edit_row.kind == "edit" and root.kind == "generate"
        assert [(s.role, s.generation_id, s.index) for s in edit_row.sources] == [("image", root.id, 1), ("mask", None, None)]
        assert store.lineage(root.id).parents == {edit_row.id: [(root.id, "edit")]}


def test_the_origin_of_a_generation_in_a_few_words(store):
    store.add_finished([finished("root", "a fox")])
    root = store.get(1)
    store.add_finished([edit("e1", from_history(root, 2), Source("image", "hat.png", "1" * 64), Source("image", "b.png", "2" * 64),
                             Source("mask", "m.png", "3" * 64))])
    store.add_finished([edit("e2", Source("image", "photo.jpg", "4" * 64))])
    assert by_uid(store, "e1").origin() == "edited from #1 image 2 + 2 references, with a mask"
    assert by_uid(store, "e2").origin() == "edited from photo.jpg"
    assert root.origin() is None
    rerun = store.get(store.begin("r", root.request(), "model-go", "model-go.com", parent_id=root.id))
    assert rerun.origin() == "re-run of #1"
