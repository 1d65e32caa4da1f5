import io
import os
import threading
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from imagegen_tui.demo import artist
from imagegen_tui.metadata import MetadataError, embed, read_metadata
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import GenerationResult, Usage, verify_image
from imagegen_tui.saving import SaveTarget, Unsaved, check_writable, save_result, write_new_file

KEY = "fake-never-in-files-0123456789"


def payload(fmt: str, transparent: bool = False, size=(64, 48)):
    data = artist.encode(artist.draw("meta test", *size, transparent=transparent), fmt, 80 if fmt != "png" else None)
    return verify_image(data, revised_prompt="a revised fox")


def target(tmp_path: Path, template="{date}/{time}-{slug}-{index}") -> SaveTarget:
    return SaveTarget(folder=tmp_path / "out", template=template, profile="model-go", provider="model-go.com", generation_id="abc123def456", when=datetime(2026, 11, 24, 10, 0, 0))


def result_of(*images) -> GenerationResult:
    return GenerationResult(images=list(images), created=1764000000, usage=Usage(12, 4160, 4172, 12, 0), request_id="req_1", elapsed=12.3456)


@pytest.mark.parametrize("fmt, ext", [("png", "png"), ("jpeg", "jpg"), ("webp", "webp")])
def test_metadata_round_trip(tmp_path, fmt, ext):
    request = ImageRequest(prompt="a fox in the snow", model="gpt-image-2", size="1024x1024", quality="high", output_format=fmt)
    saved = save_result(request, result_of(payload(fmt)), target(tmp_path))
    path = saved[0].path
    assert path == tmp_path.resolve() / "out" / "2026-11-24" / f"100000-a-fox-in-the-snow-1.{ext}"
    meta = read_metadata(path)
    assert meta["prompt"] == "a fox in the snow"
    assert meta["params"] == request.params()
    assert (meta["profile"], meta["provider"], meta["request_id"], meta["elapsed"]) == ("model-go", "model-go.com", "req_1", 12.346)
    assert meta["usage"]["output_tokens"] == 4160 and meta["revised_prompt"] == "a revised fox"
    assert ImageRequest.from_params(meta["prompt"], meta["params"]) == request
    with Image.open(path) as image:  # still a valid image for every other program
        image.load()
        assert image.format.lower() == fmt
        if fmt == "webp":
            assert b"imagegen-tui" in image.info["xmp"]
        if fmt == "jpeg":  # an XMP APP1 segment, as Pillow of every version lists it
            xmp = [data for marker, data in image.applist if marker == "APP1" and data.startswith(b"http://ns.adobe.com/xap/1.0/\x00")]
            assert len(xmp) == 1 and b"imagegen-tui" in xmp[0]
    assert KEY not in path.read_bytes().decode("latin-1")


def test_png_parameters_chunk_like_automatic1111(tmp_path):
    request = ImageRequest(prompt="a fox", model="gpt-image-2", size="1536x1024", quality="high", n=2)
    path = save_result(request, result_of(payload("png")), target(tmp_path))[0].path
    with Image.open(path) as image:
        text = image.text["parameters"]
    assert text == "a fox\nModel: gpt-image-2, Size: 1536x1024, Quality: high, Images: 2, Profile: model-go, Provider: model-go.com, Request id: req_1"


def test_png_non_latin_prompt_uses_itxt(tmp_path):
    request = ImageRequest(prompt="狐狸在雪中 🦊", model="gpt-image-2")
    path = save_result(request, result_of(payload("png")), target(tmp_path))[0].path
    assert read_metadata(path)["prompt"] == "狐狸在雪中 🦊"
    with Image.open(path) as image:
        assert image.text["parameters"].startswith("狐狸在雪中 🦊\n")


def test_transparent_webp_keeps_alpha(tmp_path):
    data = embed(payload("webp", transparent=True).data, "webp", {"app": "imagegen-tui", "prompt": "x"})
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0


def test_huge_prompt_in_jpeg_uses_extended_xmp(tmp_path):
    prompt = "🦊" * 32000  # 128 KB of UTF-8: more than one JPEG segment holds
    request = ImageRequest(prompt=prompt, model="gpt-image-2", output_format="jpeg")
    path = save_result(request, result_of(payload("jpeg")), target(tmp_path))[0].path
    assert read_metadata(path)["prompt"] == prompt
    with Image.open(path) as image:
        image.load()


def test_pixels_are_not_reencoded(tmp_path):
    original = payload("jpeg")
    path = save_result(ImageRequest(prompt="x", model="m"), result_of(original), target(tmp_path))[0].path
    with Image.open(path) as a, Image.open(io.BytesIO(original.data)) as b:
        assert a.tobytes() == b.tobytes()


def test_files_without_or_with_damaged_metadata(tmp_path):
    plain = tmp_path / "plain.png"
    plain.write_bytes(payload("png").data)
    assert read_metadata(plain) is None
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(embed(payload("png").data, "png", {"app": "imagegen-tui"}).replace(b'"app"', b'"ap\x00'))
    with pytest.raises(MetadataError, match="damaged"):
        read_metadata(damaged)
    other = tmp_path / "text.txt"
    other.write_text("hello")
    assert read_metadata(other) is None


def test_never_overwrites_and_suffixes(tmp_path):
    first = write_new_file(tmp_path / "a.png", b"one")
    second = write_new_file(tmp_path / "a.png", b"two")
    assert (first.name, second.name) == ("a.png", "a-2.png")
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-2.png", "a.png"]  # no temp files left


def test_concurrent_writers_to_one_name_all_survive(tmp_path):
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(write_new_file(tmp_path / "same.png", str(i).encode()))) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({p.name for p in results}) == 16
    assert sorted(p.read_bytes() for p in results) == sorted(str(i).encode() for i in range(16))


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="No space"):
        write_new_file(tmp_path / "a.png", b"data")
    assert list(tmp_path.iterdir()) == []


def test_file_mode_follows_umask(tmp_path):
    path = write_new_file(tmp_path / "a.png", b"x")
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_n_images_get_index_names(tmp_path):
    saved = save_result(ImageRequest(prompt="two foxes", model="gpt-image-2", n=2), result_of(payload("png"), payload("png")), target(tmp_path, "{slug}-{index}"))
    assert [s.path.name for s in saved] == ["two-foxes-1.png", "two-foxes-2.png"]
    assert [read_metadata(s.path)["index"] for s in saved] == [1, 2]


def test_corrupted_png_inside_idat_is_refused():
    from imagegen_tui.results import UnusableAnswer

    data = bytearray(payload("png").data)
    idat = data.index(b"IDAT")
    data[idat + 20] ^= 0xFF  # same length, wrong CRC
    with pytest.raises(UnusableAnswer, match="damaged"):
        verify_image(bytes(data))


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_truncated_jpeg_and_webp_are_refused(fmt):
    from imagegen_tui.results import UnusableAnswer

    data = payload(fmt, size=(256, 256)).data
    with pytest.raises(UnusableAnswer):
        verify_image(data[: len(data) // 2])


def _take_name(name: Path, outside: Path, how: str) -> None:
    if how == "file":
        name.write_bytes(b"someone else's")
    elif how == "folder":
        name.mkdir()
    elif how == "dangling symlink":
        name.symlink_to(name.parent / "nothing-here.png")
    elif how == "symlink out of the folder":
        name.symlink_to(outside)
    elif how == "symlink to a folder":
        name.symlink_to(name.parent.parent)


@pytest.mark.parametrize("how", ["file", "folder", "dangling symlink", "symlink out of the folder", "symlink to a folder"])
def test_a_name_taken_by_anything_gets_the_next_suffix(tmp_path, how):
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"not yours")
    folder = tmp_path / "out"
    folder.mkdir()
    _take_name(folder / "fox-1.png", outside, how)
    saved = save_result(ImageRequest(prompt="fox", model="gpt-image-2"), result_of(payload("png")), target(tmp_path, "{slug}-{index}"))
    assert saved[0].path == folder.resolve() / "fox-1-2.png"
    assert read_metadata(saved[0].path)["prompt"] == "fox"
    assert outside.read_bytes() == b"not yours"
    assert os.path.lexists(folder / "fox-1.png")  # left as it was


def test_a_symlinked_folder_leading_out_is_still_refused_and_the_images_come_back(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "fox").symlink_to(outside)
    request = ImageRequest(prompt="fox", model="gpt-image-2", n=2)
    with pytest.raises(Unsaved) as info:
        save_result(request, result_of(payload("png"), payload("jpeg")), target(tmp_path, "{slug}/{index}"))
    assert "would leave the output folder" in str(info.value.cause)
    assert info.value.saved == [] and [p.index for p in info.value.pending] == [1, 2]
    kept = tmp_path / "kept.jpg"
    kept.write_bytes(info.value.pending[1].data)
    assert read_metadata(kept)["prompt"] == "fox"  # the settings are already inside
    assert list(outside.iterdir()) == []


def test_a_failure_midway_reports_what_was_written_and_what_was_not(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "2").write_text("a file where the folder for image 2 would go")
    request = ImageRequest(prompt="fox", model="gpt-image-2", n=3)
    with pytest.raises(Unsaved) as info:
        save_result(request, result_of(payload("png"), payload("png"), payload("png")), target(tmp_path, "{index}/{slug}"))
    unsaved = info.value
    assert isinstance(unsaved.cause, FileExistsError)
    assert [s.path for s in unsaved.saved] == [folder.resolve() / "1" / "fox.png"] and unsaved.saved[0].path.exists()
    assert [p.index for p in unsaved.pending] == [2, 3]


def test_check_writable_creates_the_folder_and_leaves_nothing(tmp_path):
    folder = tmp_path / "new" / "folder"
    check_writable(folder)
    assert folder.is_dir() and list(folder.iterdir()) == []
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(OSError):
        check_writable(not_a_folder)
    with pytest.raises(OSError):
        check_writable(not_a_folder / "below")

