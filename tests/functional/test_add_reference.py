"""The add-an-image dialog on its own (Pilot): completion of paths as a shell does, a file that
is not an image refused with a sentence, a real image accepted."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from textual.app import App
from textual.widgets import Input, Static

from imagegen_tui.ui.screens.add_reference import AddReference, PathSuggester


class Host(App[None]):
    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start, self.answers = start, []

    def on_mount(self) -> None:
        self.push_screen(AddReference(self.start), self.answers.append)


async def test_paths_complete_like_a_shell(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photo.png").write_bytes(b"")
    (tmp_path / ".hidden.png").write_bytes(b"")
    suggest = PathSuggester()
    assert await suggest.get_suggestion(f"{tmp_path}/pho") == f"{tmp_path}/photo.png"  # files before folders by name
    assert await suggest.get_suggestion(f"{tmp_path}/photos") == f"{tmp_path}/photos/"
    assert await suggest.get_suggestion(f"{tmp_path}/.hid") is None
    assert await suggest.get_suggestion(f"{tmp_path}/nothing/x") is None


async def test_a_file_that_is_not_an_image_is_refused_and_an_image_is_added(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    real = tmp_path / "real.jpg"
    Image.new("RGB", (32, 32), (1, 2, 3)).save(real, "JPEG")
    app = Host(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        field = app.screen.query_one(Input)
        field.value = str(fake)
        await pilot.press("enter")
        await pilot.pause()
        assert "notes.png is not a PNG, WebP or JPEG file" in str(app.screen.query_one("#reference-problem", Static).render())
        assert app.answers == []
        field.value = str(tmp_path) + "/"
        field.selection = type(field.selection).cursor(len(field.value))
        await pilot.press("r", "e")
        await pilot.pause(0.2)  # the suggestion is looked up in the background
        await pilot.press("right")  # takes it, as in a shell
        await pilot.pause()
        assert field.value == str(real)
        await pilot.press("enter")
        await pilot.pause()
    assert app.answers == [real]
