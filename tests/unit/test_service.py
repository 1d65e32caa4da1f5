"""service.generate, the path every job takes, against the demo server on loopback with a real
SQLite history and real folders: the output folder is checked before anything is sent, paid
images are never lost, and no row is left running."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from conftest import write_config
from imagegen_tui import paths, service
from imagegen_tui.config import load_config
from imagegen_tui.errors import OutputError
from imagegen_tui.metadata import read_metadata
from imagegen_tui.request import ImageRequest
from imagegen_tui.store import HistoryStore
from imagegen_tui.studio import Studio


@pytest.fixture
def local(dirs, demo):
    write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key = "fake-local-demo-key"\n[profiles.local.capabilities]\nstreaming = true\n')
    config = load_config()
    return config, config.active_profile({}, None)


@pytest.fixture
def store(dirs) -> Iterator[HistoryStore]:
    with HistoryStore.open_default() as s:
        yield s


def request(prompt: str, **kw) -> ImageRequest:
    return ImageRequest(prompt=prompt, model="gpt-image-2", size="256x256", **kw)


async def generate(local, store, prompt: str, **kw):
    config, profile = local
    options = {k: kw.pop(k) for k in ("output_dir", "on_partial", "slot") if k in kw}
    return await service.generate(config, profile, request(prompt, **kw), {}, store=store, **options)


async def until(condition, what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_an_output_folder_that_cannot_take_files_fails_before_anything_is_sent(local, store, demo, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError) as info:
        await generate(local, store, "a fox", output_dir=blocker / "images")
    assert demo.httpd.generation_requests == 0
    assert str(info.value).startswith(f"the output folder {blocker / 'images'} cannot take files: ")
    assert "nothing was sent to the provider, so nothing was billed" in str(info.value)
    [row] = store.page()
    assert (row.status, row.error_kind, row.prompt, row.error_message) == ("failed", "disk", "a fox", str(info.value))


async def test_a_folder_gone_while_waiting_keeps_the_paid_images_and_recover_saves_them(local, store, demo, tmp_path):
    out = tmp_path / "out"
    job = asyncio.ensure_future(generate(local, store, "two foxes #sleep:1", n=2, output_dir=out))
    await until(lambda: demo.httpd.generation_requests == 1, "the request reached the server")
    shutil.rmtree(out)
    out.write_text("the folder was replaced by a file")  # after the check, before the save
    with pytest.raises(OutputError) as info:
        await job
    [row] = store.page()
    recovery = paths.recovery_dir()
    assert info.value.kind == "unsaved" and info.value.saved == []
    assert str(info.value).startswith(f"could not save into {out}: ")
    assert f"2 images kept at {recovery}: run `imagegen-tui history recover {row.id} --to {out}` once fixed" in str(info.value)
    assert (row.status, row.error_kind, row.error_message, row.image_count) == ("failed", "unsaved", str(info.value), 2)
    assert row.total_tokens and row.request_id  # it was paid for: the usage is kept
    assert all(i.kept and i.path.parent == recovery for i in row.images)
    assert [read_metadata(i.path)["index"] for i in row.images] == [1, 2]

    out.unlink()
    report = Studio(*local[:1], store).recover(row.id, out)
    assert report.done and report.failed == [] and len(report.saved) == 2
    row = store.get(row.id)
    assert (row.status, row.error_message) == ("done", None)
    assert [i.path for i in row.images] == report.saved and all(p.is_relative_to(out.resolve()) for p in report.saved)
    assert [p.name.endswith(f"-two-foxes-sleep-1-{i}.png") for i, p in enumerate(report.saved, 1)] == [True, True]
    assert read_metadata(report.saved[0])["prompt"] == "two foxes #sleep:1"
    assert list(recovery.glob("*")) == []


async def test_when_the_recovery_folder_fails_too_the_images_go_to_the_temporary_folder(local, store, demo, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    paths.recovery_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.recovery_dir().write_text("a file where the recovery folder goes")
    out = tmp_path / "out"
    job = asyncio.ensure_future(generate(local, store, "a fox #sleep:1", output_dir=out))
    await until(lambda: demo.httpd.generation_requests == 1, "the request reached the server")
    shutil.rmtree(out)
    out.write_text("not a folder")
    with pytest.raises(OutputError) as info:
        await job
    [kept_folder] = (tmp_path / "tmp").iterdir()
    assert kept_folder.name.startswith("imagegen-tui-recovery-")
    assert f"1 image kept at {kept_folder}: run `imagegen-tui history recover" in str(info.value)
    [row] = store.page()
    assert row.images[0].path.parent == kept_folder and row.images[0].kept
    out.unlink()
    assert Studio(local[0], store).recover(row.id, out).done
    assert not kept_folder.exists()  # emptied, then removed


async def test_any_exception_ends_the_row_failed_not_running(local, store):
    def broken_preview(index: int, step: int, image) -> None:
        raise ValueError("the preview broke")

    with pytest.raises(ValueError):
        await generate(local, store, "a fox", stream=True, partial_images=1, on_partial=broken_preview)
    [row] = store.page()
    assert (row.status, row.error_kind, row.error_message) == ("failed", "internal", "unexpected error: ValueError: the preview broke")


async def test_cancelled_while_queued_says_nothing_was_sent(local, store, demo):
    slot = asyncio.Semaphore(1)
    await slot.acquire()  # every slot busy: the job waits in the queue
    job = asyncio.ensure_future(generate(local, store, "a queued fox", slot=slot))
    await until(lambda: store.page() and store.page()[0].status == "queued", "the job was queued")
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    [row] = store.page()
    assert (row.status, row.error_message) == ("cancelled", "cancelled before its request was sent: nothing was billed")
    assert demo.httpd.generation_requests == 0


async def test_of_two_jobs_sent_at_once_with_one_slot_the_second_is_recorded_as_queued(local, store, demo):
    slot = asyncio.Semaphore(1)
    events: list[tuple[str, str]] = []
    config, profile = local

    def job(prompt: str):
        return service.generate(config, profile, request(prompt), {}, store=store, slot=slot,
                                on_event=lambda event, row: events.append((prompt, event)))

    await asyncio.gather(job("first #sleep:0.3"), job("second"))
    assert [event for prompt, event in events if prompt == "first #sleep:0.3"] == ["recorded", "started"]
    assert [event for prompt, event in events if prompt == "second"] == ["queued", "started"]
    assert events.index(("second", "started")) > events.index(("first #sleep:0.3", "started"))
    assert [row.status for row in store.page()] == ["done", "done"]


async def test_cancelled_once_the_answer_arrived_still_saves_and_records(local, store, tmp_path, monkeypatch):
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:  # a slow disk: the cancel lands while the images are written
        import time

        time.sleep(0.1)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    out = tmp_path / "out"
    job = asyncio.ensure_future(generate(local, store, "paid foxes", n=3, output_dir=out))
    await until(lambda: any(_size(part) > 0 for part in out.rglob(".imagegen-*.part")), "saving began")  # not the empty probe
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    [row] = store.page()
    assert row.status == "done" and len(row.images) == 3 and all(i.path.exists() for i in row.images)
    assert list(out.rglob(".imagegen-*.part")) == []


@pytest.mark.parametrize("directive, n, saved, note", [
    ("#extra:4", 1, 1, "the provider returned 4 images for n=1; the first was kept and the other 3 dropped"),
    ("#extra:5", 2, 2, "the provider returned 5 images for n=2; the first 2 were kept and the other 3 dropped"),
    ("#fewer:1", 3, 1, "the provider returned 1 of 3 images"),
])
async def test_more_or_fewer_images_than_asked_are_noted(local, store, directive, n, saved, note):
    outcome = await generate(local, store, f"foxes {directive}", n=n)
    assert len(outcome.saved) == saved and outcome.notes == [note]
    assert store.get(outcome.history_id).image_count == saved


def _size(path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # renamed into place meanwhile
        return 0
