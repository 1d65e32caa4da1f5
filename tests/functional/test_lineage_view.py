"""The lineage view on its own (Pilot, headless): a family from a real SQLite history shown as a
tree, the selected generation marked and under the cursor, outside text shown as text, Enter
answering with the generation chosen."""

from __future__ import annotations

from dataclasses import replace

from textual.app import App
from textual.widgets import Tree

from imagegen_tui.sources import Source
from imagegen_tui.store import HistoryStore
from imagegen_tui.ui.screens.lineage import LineageScreen
from records import finished


class Host(App[None]):
    def __init__(self, screen: LineageScreen) -> None:
        super().__init__()
        self.lineage, self.answers = screen, []

    def on_mount(self) -> None:
        self.push_screen(self.lineage, self.answers.append)


def family(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.add_finished([finished("root", "a fox [/dim] at dawn"), finished("hat", "a green hat")])
        root, hat = store.get(1), store.get(2)
        sources = (Source("image", "fox.png", "a" * 64, root.id, root.uid, 1), Source("image", "hat.png", "b" * 64, hat.id, hat.uid, 1))
        store.add_finished([replace(finished("edit", "the fox wears the hat", t=finished("x", "x").created_at + 60), kind="edit", sources=sources)])
        rerun = store.begin("again", root.request(), "model-go", "model-go.com", parent_id=root.id)
        store.fail(rerun, "server", "500")
        return store.lineage(3), rerun


def lines(app: App) -> list[str]:
    tree = app.screen.query_one(Tree)
    return [tree.get_node_at_line(n).label.plain for n in range(tree.last_line + 1)]


async def test_the_family_as_a_tree_with_enter_going_to_a_generation(tmp_path):
    lineage, rerun = family(tmp_path)
    app = Host(LineageScreen(lineage, current=3))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert lines(app) == [
            "✓ #1  a fox [/dim] at dawn",  # a bracket is text
            "✓ #3  edit + #2  the fox wears the hat  ◀",
            f"✗ #{rerun}  re-run  a fox [/dim] at dawn",
            "✓ #2  a green hat",
            "✓ #3  (shown above)",
        ]
        tree = app.screen.query_one(Tree)
        assert tree.cursor_node.data == 3  # the selected generation is where the cursor starts
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.answers == [rerun]


async def test_escape_closes_without_an_answer(tmp_path):
    lineage, _ = family(tmp_path)
    app = Host(LineageScreen(lineage, current=1))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.answers == [None]
