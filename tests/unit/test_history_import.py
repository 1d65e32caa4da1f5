from datetime import datetime

from imagegen_tui.demo import artist
from imagegen_tui.history_import import import_folder
from imagegen_tui.metadata import embed
from imagegen_tui.request import ImageRequest
from imagegen_tui.results import GenerationResult, Usage, verify_image
from imagegen_tui.saving import SaveTarget, save_result
from imagegen_tui.store import Filters, HistoryStore, Provenance


def make_generation(folder, prompt, fmt, n, gen_id):
    images = [verify_image(artist.encode(artist.draw(prompt, 32, 32, i), fmt, None)) for i in range(n)]
    request = ImageRequest(prompt=prompt, model="gpt-image-2", n=n, size="1024x1024", quality="low", output_format=fmt)
    result = GenerationResult(images=images, usage=Usage(4, 272 * n, 4 + 272 * n), request_id=f"req_{gen_id}", elapsed=2.0)
    target = SaveTarget(folder=folder, template="{date}/{slug}-{index}", profile="model-go", provider="model-go.com", generation_id=gen_id, when=datetime(2026, 10, 1, 12, 0))
    return save_result(request, result, target)


def test_import_rebuilds_history_from_files(tmp_path):
    folder = tmp_path / "pictures"
    make_generation(folder, "a red fox", "png", 3, "gen000000001")
    make_generation(folder, "a blue whale", "jpeg", 1, "gen000000002")
    make_generation(folder, "a green frog", "webp", 2, "gen000000003")
    plain = folder / "plain.png"
    plain.write_bytes(artist.encode(artist.draw("x", 16, 16), "png", None))
    damaged = folder / "damaged.png"
    damaged.write_bytes(embed(plain.read_bytes(), "png", {"app": "imagegen-tui"}).replace(b'{"app"', b'{"ap\x01'))
    incomplete = folder / "incomplete.png"
    incomplete.write_bytes(embed(plain.read_bytes(), "png", {"app": "imagegen-tui", "generation_id": "zz"}))
    (folder / "notes.txt").write_text("not an image")

    with HistoryStore(tmp_path / "h.sqlite3") as store:
        report = import_folder(store, folder)
        assert (report.generations, report.images, report.without_metadata) == (3, 6, 1)
        assert sorted(line.split(":")[0] for line in report.damaged) == [str(damaged), str(incomplete)]
        fox = store.page(Filters(text="fox"))[0]
        assert (fox.status, fox.n, fox.image_count, fox.params["quality"], fox.request_id) == ("done", 3, 3, "low", "req_gen000000001")
        assert [i.index for i in fox.images] == [1, 2, 3] and all(i.width == 32 for i in fox.images)
        assert fox.total_tokens == 4 + 272 * 3 and fox.elapsed == 2.0
        assert datetime.fromtimestamp(fox.created_at) == datetime(2026, 10, 1, 12, 0)
        assert {g.model for g in store.page()} == {"gpt-image-2"}

        again = import_folder(store, folder)
        assert (again.generations, again.already_known) == (0, 6)
        assert store.count() == 3


def test_an_imported_file_keeps_its_typed_prompt_and_styles(tmp_path):
    folder = tmp_path / "pictures"
    images = [verify_image(artist.encode(artist.draw("fox", 32, 32, 0), "png", None))]
    request = ImageRequest(prompt="a fox, watercolor, at night", model="gpt-image-2")
    target = SaveTarget(
        folder=folder, template="{slug}-{index}", profile="demo", provider="demo", generation_id="gen000000009", when=datetime(2026, 10, 1),
        typed_prompt="a fox", styles=("watercolor", "night"),
    )
    save_result(request, GenerationResult(images=images, usage=Usage(), elapsed=1.0), target)
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        assert import_folder(store, folder).generations == 1
        [fox] = store.page()
    assert fox.prompt == "a fox, watercolor, at night"
    assert fox.provenance == Provenance(typed_prompt="a fox", styles=("watercolor", "night"))
