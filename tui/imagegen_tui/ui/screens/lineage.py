"""The lineage view: the family of the selected generation as a tree (re-runs and edits, each
node with its status icon), opened over the app; Enter on a node jumps to it in the history."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, Tree
from textual.widgets.tree import TreeNode

from imagegen_tui.store import Lineage, Placement
from imagegen_tui.textsafe import one_line
from imagegen_tui.ui.widgets.history_rows import ICONS


class LineageScreen(ModalScreen[int | None]):
    """Dismissed with the id of the generation chosen, or None."""

    DEFAULT_CSS = """
    LineageScreen { align: center middle; }
    LineageScreen > Vertical { width: 90%; height: 80%; border: round $accent; background: $surface; }
    LineageScreen Tree { height: 1fr; }
    LineageScreen #lineage-title { padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [Binding("escape,q,t", "close", "Close", id="lineage.close")]

    def __init__(self, family: Lineage, current: int) -> None:
        super().__init__()
        self.family, self.current = family, current

    def compose(self) -> ComposeResult:
        with Vertical():
            count = len(self.family.generations)
            yield Static(f"Lineage of #{self.current}: {count} generation{'s' * (count != 1)} (Enter: go to it in the history)", id="lineage-title")
            yield Tree(Text("family"), id="lineage")
        yield Footer()

    def on_mount(self) -> None:
        tree: Tree[int] = self.query_one(Tree)
        tree.show_root = False
        layout = self.family.layout()
        branches: list[TreeNode[int]] = [tree.root]  # the open node at each depth
        for position, place in enumerate(layout):
            depth = len(place.lasts)
            del branches[depth + 1 :]
            has_children = position + 1 < len(layout) and len(layout[position + 1].lasts) > depth
            parent = branches[depth]
            if has_children:
                branches.append(parent.add(self._label(place), data=place.id, expand=True))
            else:
                parent.add_leaf(self._label(place), data=place.id)
        tree.root.expand()
        tree.focus()
        self.call_after_refresh(self._select_current, tree)

    def _select_current(self, tree: Tree[int]) -> None:
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            if node is not None and node.data == self.current:
                tree.move_cursor(node)
                return

    def _label(self, place: Placement) -> Text:
        """Built as Text, never markup: the prompt is the user's."""
        g = self.family.generations[place.id]
        current = place.id == self.current
        label = Text(f"{ICONS.get(g.status, '?')} #{g.id}  ", style="bold" if current else "")
        if place.repeated:
            return label + Text("(shown above)", style="dim")
        if place.how:
            also = " + " + ", ".join(f"#{parent}" for parent in place.also) if place.also else ""
            label += Text(f"{place.how}{also}  ", style="italic")
        label += Text(one_line(g.prompt)[:70])
        return label + Text("  ◀", style="bold") if current else label

    def on_tree_node_selected(self, event: Tree.NodeSelected[int]) -> None:
        event.stop()
        self.dismiss(event.node.data)

    def action_close(self) -> None:
        self.dismiss(None)
